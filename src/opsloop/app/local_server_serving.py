"""Scoring in the home's local server: endpoints stay loaded between command-line calls.

In process, an embedded call builds a serving runtime for the one endpoint it scores and
closes it after the answer (see ``opsloop.app.embedded``): loading the model and its
flavour's libraries is most of an ``online-endpoint invoke``. The local server outlives
the calls, so it keeps one runtime, as ``opsloop server`` does, with three differences
that keep every call answering what it answered in process:

- **Only what was asked for.** The runtime serves the endpoints calls have scored (a
  home's other endpoints are never loaded), and drops one when it is deleted.
- **Current at every call.** Before each request the endpoint is checked against the
  store: its revision (bumped by every change to it or its deployments: model, settings,
  traffic, keys), its workspace's default datastore (where payloads are collected) and
  the sealed values of the secrets its deployments' variables refer to. A change reloads
  it; a deployment or endpoint that failed to load is tried again, as a fresh runtime
  would. There is no poller: between calls the server does nothing.
- **Everything written before the answer.** The answer is held until what the request
  left behind is done: its mirrored copy scored, its traffic-log record, metrics and
  collected payloads written; so whatever reads them after the call (``endpoint logs``,
  monitors, ``online-deployment get-logs``) finds them, as after a call in process.
"""

from __future__ import annotations

import asyncio
import hashlib
from typing import TYPE_CHECKING

from sqlalchemy import select

from opsloop.app.embedded import ENDPOINTS, EmbeddedApp
from opsloop.services.endpoint_bundles import stored_endpoint
from opsloop.serving.online.sources import StoreSource
from opsloop.store.tables import EndpointRow

if TYPE_CHECKING:
    from opsloop.serving.online.asgi import Message, Receive, Scope, Send
    from opsloop.serving.online.kept_runtime import KeptRuntime


class RequestedEndpoints(StoreSource):
    """The store's online endpoints that calls asked to score, each with a revision that
    changes with anything its bundle is built from."""

    def __init__(self, app: EmbeddedApp) -> None:
        super().__init__(app.platform)
        self.names: set[str] = set()

    def revisions(self) -> dict[str, str]:
        wanted = frozenset(self.names)
        if not wanted:
            return {}
        query = select(EndpointRow).where(
            EndpointRow.kind == "online", EndpointRow.name.in_(wanted)
        )
        revisions: dict[str, str] = {}
        with self.platform.database.transaction() as session:
            for row in session.scalars(query):
                stored = stored_endpoint(session, row)
                digest = hashlib.sha256(f"{row.id}:{row.revision}:{stored.collector_root}".encode())
                for name, sealed in sorted(stored.sealed_secrets.items()):
                    digest.update(f"\0{name}={sealed}".encode())
                revisions[row.name] = digest.hexdigest()
        return revisions


class KeptEndpoints:
    """ASGI app: /endpoints/* scored by the kept runtime, the rest to the embedded app."""

    def __init__(self, app: EmbeddedApp) -> None:
        self.app = app
        self.source = RequestedEndpoints(app)
        self.runtime: KeptRuntime | None = None
        self._starting = asyncio.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith(ENDPOINTS):
            await self.app(scope, receive, send)
            return
        self.source.names.add(path[len(ENDPOINTS) :].split("/", 1)[0])
        runtime = await self._runtime()
        await asyncio.to_thread(runtime.live.reload, retry_failed=True)
        held: list[Message] = []

        async def hold(message: Message) -> None:
            held.append(message)

        try:
            await runtime(scope, receive, hold)
        finally:
            await runtime.settle()
        for message in held:
            await send(message)

    async def _runtime(self) -> KeptRuntime:
        async with self._starting:
            if self.runtime is None:
                # Imported on the first scoring call, as in process: numpy and the model
                # flavours are for the calls that score.
                from opsloop.serving.online.kept_runtime import KeptRuntime

                runtime = KeptRuntime(self.source)
                await runtime.startup()
                self.runtime = runtime
            return self.runtime

    async def close(self) -> None:
        """Close the endpoints' deployments (their threads and collectors) and the traffic log."""
        if self.runtime is not None:
            await self.runtime.shutdown()
            self.runtime = None
