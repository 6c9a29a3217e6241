"""The local server's own process (see ``opsloop.app.local_server``): the embedded app on
the home's Unix socket, until it has been idle long enough or is told to stop."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import logging
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from opsloop.app.local_server import LOCK, SPAWNED, STATE, socket_path

if TYPE_CHECKING:
    from opsloop.app.local_server_serving import KeptEndpoints

log = logging.getLogger("opsloop.local_server")
LOCK_WAIT_S = 5.0  # a server being replaced takes this long at most to let go


class _IdleClock:
    """ASGI middleware that knows when the last request ended and how many are running."""

    def __init__(self, app: KeptEndpoints) -> None:
        self.app = app
        self.running = 0
        self.last_request_at = time.monotonic()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.running += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.running -= 1
            self.last_request_at = time.monotonic()

    def idle_for(self) -> float:
        return 0.0 if self.running else time.monotonic() - self.last_request_at


def serve(home: Path, fingerprint: str) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    socket = socket_path(home)
    if socket is None:
        return 1
    lock = (home / LOCK).open("w")
    if not _take(lock):
        log.info("another local server holds %s; not starting", home)
        _forget_spawned(home)
        return 0
    try:
        return _serve_locked(home, socket, fingerprint)
    finally:
        _forget_spawned(home)


def _serve_locked(home: Path, socket: Path, fingerprint: str) -> int:
    import uvicorn

    from opsloop.app.embedded import create_embedded_app
    from opsloop.app.local_server_serving import KeptEndpoints
    from opsloop.config import Settings
    from opsloop.execution.launcher import keep_standby_runner

    settings = Settings()
    clock = _IdleClock(KeptEndpoints(create_embedded_app(settings)))
    keep_standby_runner(settings)
    with contextlib.suppress(FileNotFoundError):
        socket.unlink()
    config = uvicorn.Config(
        clock, uds=str(socket), lifespan="off", log_level="warning", access_log=False
    )
    server = uvicorn.Server(config)
    try:
        asyncio.run(_run(server, clock, home, fingerprint, settings.local_server_idle_s))
    finally:
        _forget(home, os.getpid())
        with contextlib.suppress(FileNotFoundError):
            socket.unlink()
    log.info("local server for %s ended", home)
    return 0


async def _run(server: Any, clock: _IdleClock, home: Path, fingerprint: str, idle_s: float) -> None:
    serving = asyncio.create_task(server.serve())
    while not server.started:
        if serving.done():
            await serving  # it could not start: its error ends this process
            return
        await asyncio.sleep(0.01)
    socket = socket_path(home)
    assert socket is not None
    os.chmod(socket, 0o600)
    _announce(home, fingerprint)
    log.info("local server for %s on %s (pid %s)", home, socket, os.getpid())
    while not serving.done():
        if clock.idle_for() > idle_s:
            log.info("idle for %.0f s: ending", idle_s)
            # No new call picks it up from here on; the ones connected already are answered.
            _forget(home, os.getpid())
            server.should_exit = True
            break
        await asyncio.sleep(1.0)
    await serving
    await clock.app.close()  # the endpoints it kept loaded


def _take(lock: Any) -> bool:
    deadline = time.monotonic() + LOCK_WAIT_S
    while True:
        try:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)


def _announce(home: Path, fingerprint: str) -> None:
    state = {"pid": os.getpid(), "fingerprint": fingerprint, "started_at": time.time()}
    draft = home / f"{STATE}.{os.getpid()}"
    draft.write_text(json.dumps(state))
    os.chmod(draft, 0o600)
    draft.replace(home / STATE)
    _forget_spawned(home)  # found by its state from here on


def _forget_spawned(home: Path) -> None:
    with contextlib.suppress(OSError, ValueError):
        if int((home / SPAWNED).read_text()) == os.getpid():
            (home / SPAWNED).unlink()


def _forget(home: Path, pid: int) -> None:
    """Remove the state file if it is still this process's."""
    with contextlib.suppress(OSError, ValueError):
        if json.loads((home / STATE).read_text()).get("pid") == pid:
            (home / STATE).unlink()
