"""``opsloop server``: /endpoints/* goes to the serving runtime, the rest to the REST API, and
each process runs the background worker too.

uvicorn's worker processes import the factory by name
(``opsloop.app.server:create_server_app``), so the choices (run the worker, launch jobs) travel in
environment variables set by the CLI before it starts uvicorn.
"""

from __future__ import annotations

import atexit
import os

from opsloop.api.app import create_app
from opsloop.api.authentication import Authenticator, BearerTokens
from opsloop.background.worker import Worker
from opsloop.security.actor import SYSTEM_ACTOR
from opsloop.security.authorization import Authorizer
from opsloop.services.access import PlatformAuthorizer
from opsloop.services.context import Platform
from opsloop.services.principals import bootstrap_owner, has_platform_owner
from opsloop.serving.online.runtime import Receive, Scope, Send, ServingRuntime
from opsloop.serving.online.sources import StoreSource
from opsloop.specs.access import BootstrapSpec

SERVER_RUNS_WORKER = "OPSLOOP_SERVER_RUNS_WORKER"
SERVER_LAUNCH_JOBS = "OPSLOOP_SERVER_LAUNCH_JOBS"


class ServerApp:
    """The REST API and every online endpoint behind one port."""

    def __init__(
        self, authenticator: Authenticator | None = None, authorizer: Authorizer | None = None
    ) -> None:
        # API tokens and the store's role assignments; other choices are for measuring
        # what access control costs (benchmarks/auth.py), never a server option.
        platform = Platform(authorizer=authorizer or PlatformAuthorizer())
        self.api = create_app(
            platform,
            launch_jobs=os.environ.get(SERVER_LAUNCH_JOBS) != "0",
            authenticator=authenticator or BearerTokens(),
        )
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


def first_start(platform: Platform) -> str | None:
    """On a store with no platform owner, make one (``admin``) and return its token, for
    the server to print once; None when the store has an owner already."""
    with platform.context(SYSTEM_ACTOR) as ctx:
        if has_platform_owner(ctx):
            return None
        return bootstrap_owner(ctx, BootstrapSpec()).token


def create_server_app() -> ServerApp:
    return ServerApp()
