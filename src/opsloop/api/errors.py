"""Every error becomes a JSON problem body (RFC 9457) with the field that caused it."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from opsloop.errors import OpsloopError, ValidationError


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(OpsloopError)
    async def _opsloop_error(_request: Request, exc: OpsloopError) -> JSONResponse:
        return JSONResponse(
            exc.to_problem(), status_code=exc.status_code, media_type="application/problem+json"
        )

    @app.exception_handler(RequestValidationError)
    async def _request_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = list(exc.errors())
        first = max(errors, key=lambda e: len(e.get("loc", ()))) if errors else {}
        location = [str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path")]
        message = first.get("msg", "invalid request")
        if first.get("type") == "extra_forbidden":
            message = "unknown key"
        error = ValidationError(message, field=".".join(location) or None)
        return JSONResponse(
            error.to_problem(), status_code=422, media_type="application/problem+json"
        )
