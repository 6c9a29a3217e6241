"""ASGI factories for uvicorn: one endpoint alone, or every endpoint beside the REST API.

uvicorn's worker processes import a factory by name, so the choices travel in
environment variables set by the CLI before it starts uvicorn.
"""

from __future__ import annotations

import atexit
import os
from pathlib import Path

from opsloop.serving.runtime import Receive, Scope, Send, ServingRuntime
from opsloop.serving.sources import BundleSource, StoreSource

SERVE_ENDPOINT = "OPSLOOP_SERVE_ENDPOINT"
SERVE_WORKSPACE = "OPSLOOP_SERVE_WORKSPACE"
SERVE_BUNDLE = "OPSLOOP_SERVE_BUNDLE"
SERVER_RUNS_WORKER = "OPSLOOP_SERVER_RUNS_WORKER"
SERVER_LAUNCH_JOBS = "OPSLOOP_SERVER_LAUNCH_JOBS"


def create_serving_app() -> ServingRuntime:
    """``opsloop online-endpoint serve``: one endpoint, at / and at /endpoints/<name>/."""
    bundle = os.environ.get(SERVE_BUNDLE)
    if bundle:
        from_bundle = BundleSource(Path(bundle))
        return ServingRuntime(from_bundle, single=from_bundle.bundle.name, owns_process=True)
    from opsloop.services.context import Platform

    name = os.environ[SERVE_ENDPOINT]
    workspace = os.environ.get(SERVE_WORKSPACE) or None
    from_store = StoreSource(Platform(), workspace=workspace, endpoint=name)
    return ServingRuntime(from_store, single=name, owns_process=True)


class ServerApp:
    """``opsloop server``: /endpoints/* goes to the serving runtime, the rest to the API."""

    def __init__(self) -> None:
        from opsloop.api.app import create_app
        from opsloop.background.worker import Worker
        from opsloop.services.context import Platform

        platform = Platform()
        self.api = create_app(platform, launch_jobs=os.environ.get(SERVER_LAUNCH_JOBS) != "0")
        self.runtime = ServingRuntime(StoreSource(platform), owns_process=True)
        self.worker: Worker | None = None
        if os.environ.get(SERVER_RUNS_WORKER, "1") == "1":
            # Each server process runs the background work too; leases make sure exactly
            # one process does each piece at a time.
            self.worker = Worker(platform)
            self.worker.start()
            atexit.register(self.worker.stop)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan" or scope["path"].startswith("/endpoints/"):
            await self.runtime(scope, receive, send)
        else:
            await self.api(scope, receive, send)


def create_server_app() -> ServerApp:
    return ServerApp()
