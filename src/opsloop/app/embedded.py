"""What the SDK talks to when no server URI is set: ``opsloop server``'s two paths, in the
SDK's own process.

/api/v1/* is the REST API over an in-process Platform; /endpoints/<name>/* scores through
the serving runtime, as ``opsloop server`` does, so embedded and remote calls take the same
HTTP path. Unlike the server, the runtime is built per scoring request for that endpoint
alone (loaded, answered, closed): an embedded CLI call scores once and exits, and loading
every endpoint's model for it would be wasted work (the home's local server, which outlives
the calls, keeps what they scored loaded: ``opsloop.app.local_server_serving``). For the
same reason the API includes a router on the first request that reaches it, and the
serving runtime is imported on the first scoring request.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from opsloop.api.app import create_app, include_routers_for
from opsloop.api.authentication import LocalUser
from opsloop.config import Settings
from opsloop.services.access import PlatformAuthorizer
from opsloop.services.context import Platform

if TYPE_CHECKING:
    from opsloop.serving.online.runtime import Receive, Scope, Send

ENDPOINTS = "/endpoints/"


class EmbeddedApp:
    def __init__(self, settings: Settings) -> None:
        self.platform = Platform(settings, authorizer=PlatformAuthorizer(home_owner=True))
        # Embedded, the caller is the OS user, owner of its home (no token, every action),
        # or the principal of a token of the home it sends (that principal's roles).
        self.api = create_app(self.platform, lazy_routers=True, authenticator=LocalUser())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] == "http" and path.startswith(ENDPOINTS):
            # Imported on the first scoring call: the runtime brings numpy and the model
            # flavours, which a CLI call that does not score should not pay for.
            from opsloop.serving.online.runtime import ServingRuntime
            from opsloop.serving.online.sources import StoreSource

            name = path[len(ENDPOINTS) :].split("/", 1)[0]
            runtime = ServingRuntime(StoreSource(self.platform, endpoint=name), single=name)
            await runtime.startup()
            try:
                await runtime(scope, receive, send)
            finally:
                await runtime.shutdown()
        else:
            if scope["type"] == "http":
                include_routers_for(self.api, path)
            await self.api(scope, receive, send)


def create_embedded_app(settings: Settings) -> EmbeddedApp:
    return EmbeddedApp(settings)
