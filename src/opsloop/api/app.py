"""The ASGI app factory. Settings are passed in; nothing is built at import time."""

from __future__ import annotations

import importlib
import threading
from collections.abc import Iterable

from fastapi import APIRouter, Depends, FastAPI

from opsloop import __version__
from opsloop.api.authentication import AuthenticationMiddleware, Authenticator, BearerTokens
from opsloop.api.deps import storable_parameters
from opsloop.api.errors import install_error_handlers
from opsloop.api.route_actions import PUBLIC_PATHS, annotate_routes
from opsloop.services.context import Platform

API = "/api/v1"
# The router modules under opsloop.api.routers, in the order the API lists them.
ROUTERS = (
    "workspaces",
    "assets",
    "computes",
    "jobs",
    "models",
    "registry_assets",
    "promotions",
    "online_endpoints",
    "batch_endpoints",
    "uploads",
    "events",
    "access",
    "roles",
    "personas",
    "audit",
    "secrets",
    "monitors",
    "labeling",
    "schedules",
)
# Which router serves /api/v1/workspaces/<workspace>/<noun>/...
_WORKSPACE_NOUNS = {
    "datastores": "assets",
    "data": "assets",
    "environments": "assets",
    "components": "assets",
    "computes": "computes",
    "jobs": "jobs",
    "models": "models",
    "online-endpoints": "online_endpoints",
    "batch-endpoints": "batch_endpoints",
    "uploads": "uploads",
    "promotions": "promotions",
    "approvals": "promotions",
    "promotion-policies": "promotions",
    "secrets": "secrets",
    "monitors": "monitors",
    "labeling-tasks": "labeling",
    "schedules": "schedules",
    "budget": "workspaces",
    "staleness": "workspaces",
    "cost": "workspaces",
    "activity": "workspaces",
    "checks": "workspaces",
}
# Which router serves /api/v1/registries/<registry>/<noun>/...
_REGISTRY_NOUNS = {
    "models": "registry_assets",
    "environments": "registry_assets",
    "components": "registry_assets",
}
_TOP_NOUNS = {
    "workspaces": "workspaces",
    "registries": "workspaces",
    "events": "events",
    "event-types": "events",
    "event-subscriptions": "events",
    "principals": "access",
    "groups": "access",
    "tokens": "access",
    "bootstrap": "access",
    "whoami": "access",
    "roles": "roles",
    "role-assignments": "roles",
    "access": "roles",
    "audit": "audit",
    "personas": "personas",
    "elevations": "personas",
}
_include_lock = threading.Lock()


def create_app(
    platform: Platform | None = None,
    *,
    launch_jobs: bool = True,
    lazy_routers: bool = False,
    authenticator: Authenticator | None = None,
) -> FastAPI:
    """Build the API. ``launch_jobs`` starts a runner process for each submitted job.

    ``authenticator``: who calls; an API token by default (``BearerTokens``), the OS user
    for the embedded app (``LocalUser``).

    ``lazy_routers``: include each router on the first request that needs it
    (:func:`include_routers_for`), for a process that makes a few calls and exits (the
    embedded CLI): importing every router and building every route's schemas is most of
    such a process's start-up."""
    app = FastAPI(
        title="opsloop",
        version=__version__,
        description="Self-hosted MLOps platform: workspaces, data, components, jobs, models.",
        openapi_url=f"{API}/openapi.json",
        docs_url=f"{API}/docs",
    )
    app.state.platform = platform or Platform()
    app.state.platform.launch_jobs = launch_jobs
    app.state.routers = set()
    install_error_handlers(app)
    app.add_middleware(
        AuthenticationMiddleware,
        platform=app.state.platform,
        authenticator=authenticator or BearerTokens(),
        prefix=f"{API}/",
        public=PUBLIC_PATHS,
    )

    @app.get(f"{API}/health", tags=["health"], dependencies=[Depends(storable_parameters)])
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    if not lazy_routers:
        include_routers(app, ROUTERS)
    annotate_routes(app)
    return app


def include_routers_for(app: FastAPI, path: str) -> None:
    """Include the routers a request to ``path`` may reach (every one for a path outside
    the known nouns, such as the OpenAPI document, so that the answer is the full app's)."""
    include_routers(app, routers_for(path))


def routers_for(path: str) -> tuple[str, ...]:
    if not path.startswith(f"{API}/"):
        return ROUTERS
    segments = path[len(API) + 1 :].split("/")
    if segments[0] == "health":
        return ()
    if segments[0] == "workspaces" and len(segments) > 2:
        noun = _WORKSPACE_NOUNS.get(segments[2])
    elif segments[0] == "registries" and len(segments) > 2:
        noun = _REGISTRY_NOUNS.get(segments[2])
    else:
        noun = _TOP_NOUNS.get(segments[0])
    return (noun,) if noun else ROUTERS


def include_routers(app: FastAPI, names: Iterable[str]) -> None:
    included: set[str] = app.state.routers
    missing = [name for name in names if name not in included]
    if not missing:
        return
    with _include_lock:  # embedded requests can come from several threads
        for name in missing:
            if name in included:
                continue
            module = importlib.import_module(f"opsloop.api.routers.{name}")
            router: APIRouter = module.router
            app.include_router(router, prefix=API, dependencies=[Depends(storable_parameters)])
            included.add(name)
        app.openapi_schema = None
