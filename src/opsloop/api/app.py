"""The ASGI app factory. Settings are passed in; nothing is built at import time."""

from __future__ import annotations

from fastapi import APIRouter, Depends, FastAPI

from opsloop import __version__
from opsloop.api.deps import storable_parameters
from opsloop.api.errors import install_error_handlers
from opsloop.api.route_actions import annotate_routes
from opsloop.api.routers import (
    assets,
    batch_endpoints,
    computes,
    events,
    jobs,
    models,
    online_endpoints,
    uploads,
    workspaces,
)
from opsloop.services.context import Platform


def create_app(platform: Platform | None = None, *, launch_jobs: bool = True) -> FastAPI:
    """Build the API. ``launch_jobs`` starts a runner process for each submitted job."""
    app = FastAPI(
        title="opsloop",
        version=__version__,
        description="Self-hosted MLOps platform: workspaces, data, components, jobs, models.",
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
    )
    app.state.platform = platform or Platform()
    app.state.platform.launch_jobs = launch_jobs
    install_error_handlers(app)
    api = APIRouter(prefix="/api/v1", dependencies=[Depends(storable_parameters)])

    @api.get("/health", tags=["health"])
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    for module in (
        workspaces,
        assets,
        computes,
        jobs,
        models,
        online_endpoints,
        batch_endpoints,
        uploads,
        events,
    ):
        api.include_router(module.router)
    app.include_router(api)
    annotate_routes(app)
    return app
