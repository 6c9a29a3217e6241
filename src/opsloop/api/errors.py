"""Every error becomes a JSON problem body (RFC 9457) with the field that caused it."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from opsloop.errors import OpsloopError
from opsloop.specs.loader import spec_error

_SOURCES = frozenset(("body", "query", "path", "header", "cookie"))


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(OpsloopError)
    async def _opsloop_error(_request: Request, exc: OpsloopError) -> JSONResponse:
        return JSONResponse(
            exc.to_problem(), status_code=exc.status_code, media_type="application/problem+json"
        )

    @app.exception_handler(RequestValidationError)
    async def _request_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        # The same words as for a spec file; the field is named without where it was sent.
        errors = [
            {**e, "loc": e["loc"][1:] if e["loc"] and e["loc"][0] in _SOURCES else e["loc"]}
            for e in exc.errors()
        ]
        if any(e["type"] == "json_invalid" for e in errors):
            # Not a field's value at fault but the body itself: a bad request, as for any
            # body that cannot be parsed.
            problem = {
                "type": "BadRequest",
                "title": "Bad request",
                "status": 400,
                "detail": "the request body is not valid JSON",
            }
            return JSONResponse(problem, status_code=400, media_type="application/problem+json")
        error = spec_error(errors)
        return JSONResponse(
            error.to_problem(), status_code=422, media_type="application/problem+json"
        )
