"""Small helpers for tests (importable thanks to pythonpath = tests)."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "classical"


def opsloop(
    *args: str, home: Path, check: bool = True, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OPSLOOP_HOME": str(home), "OPSLOOP_WORKSPACE": "dev", "COLUMNS": "200"}
    result = subprocess.run(
        [sys.executable, "-m", "opsloop.cli.main", *args],
        env=env,
        cwd=cwd,
        text=True,
        capture_output=True,
        timeout=600,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"opsloop {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
        )
    return result


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def serving_runtime(client: Any, endpoint: str = "ep", **options: float) -> Any:
    """The serving runtime over an embedded client's store, serving one endpoint."""
    from opsloop.serving.online.runtime import ServingRuntime
    from opsloop.serving.online.sources import StoreSource

    return ServingRuntime(
        StoreSource(client._transport.platform, endpoint=endpoint), single=endpoint, **options
    )


def bearer(client: Any, endpoint: str = "ep") -> dict[str, str]:
    """The Authorization header for an endpoint: its primary key, or a fresh token."""
    credentials = client.online_endpoints.get_credentials(endpoint)
    return {"authorization": f"Bearer {credentials.primary_key or credentials.access_token}"}


def assert_invalid(answer: Any, field: str) -> dict[str, Any]:
    """A 422 problem body that names ``field``."""
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = answer.json()
    assert problem["field"] == field, problem
    assert problem["detail"].startswith(f"{field}: "), problem
    return problem


def wait_until(condition: Any, timeout: float, what: str, interval: float = 0.1) -> None:
    """Poll ``condition()`` until it is true; fail naming ``what`` after ``timeout`` s."""
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(interval)


def job_row(platform: Any, name: str) -> Any:
    """A job's row as stored now (detached), for tests that look past the API."""
    from sqlalchemy import select

    from opsloop.store.tables import JobRow

    with platform.database.transaction() as session:
        row = session.scalar(select(JobRow).where(JobRow.name == name))
        assert row is not None, f"no job {name!r}"
        session.expunge(row)
        return row


def wait_healthy(
    url: str, process: subprocess.Popen[Any] | None = None, timeout: float = 90
) -> None:
    """Wait until an `opsloop server` at ``url`` answers its health check."""
    import time

    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise AssertionError(f"the server at {url} exited with {process.returncode}")
        try:
            if httpx.get(f"{url}/api/v1/health").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"{url} did not answer within {timeout} s")


@contextlib.contextmanager
def first_started_server(folder: Path) -> Iterator[tuple[str, str]]:
    """`opsloop server` first started on an empty home in ``folder``: its URL and the owner
    token it printed."""
    import re
    import time

    port = free_port()
    log = folder / "server.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "opsloop.cli.main", "server", "--port", str(port)],
            env={**os.environ, "OPSLOOP_HOME": str(folder / "server-home")},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, process)
        deadline = time.monotonic() + 30
        while not (found := re.search(r"(opsloop_pat_\S+)", log.read_text())):
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        yield url, found[1]
    finally:
        process.terminate()
        process.wait(timeout=60)


def import_path(path: Path) -> Any:
    """A script imported by its file path (an example's module, say), once per process."""
    import importlib.util

    name = f"imported_{path.parent.name}_{path.stem}".replace("-", "_")
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def serve_in_thread(app: Any) -> Any:
    """A real uvicorn server over ``app`` on a free port, in a daemon thread, started;
    ``(url, stop)``."""
    import threading
    import time

    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise AssertionError("the test server did not start")
        time.sleep(0.05)

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=20)

    return f"http://127.0.0.1:{port}", stop


def bootstrap_token(env: dict[str, str]) -> str:
    """The platform owner's API token of the store ``env`` names (OPSLOOP_HOME or
    OPSLOOP_DATABASE_URL), made as a user would before starting a server:
    ``opsloop admin bootstrap``."""
    import json

    result = subprocess.run(
        [sys.executable, "-m", "opsloop.cli.main", "admin", "bootstrap", "-o", "json"],
        env=env,
        text=True,
        capture_output=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    token: str = json.loads(result.stdout)["token"]
    return token


def server_platform(
    home: Path, database_url: str | None = None, **settings: Any
) -> tuple[Any, str]:
    """A Platform as `opsloop server` builds it (its authoriser) over a new store, with the
    platform owner made as on a first start; the platform and the owner's token.
    ``settings``: more ``Settings`` fields (OIDC sign-in, for example)."""
    from opsloop.config import Settings
    from opsloop.security.actor import SYSTEM_ACTOR
    from opsloop.services import principals
    from opsloop.services.access import PlatformAuthorizer
    from opsloop.services.context import Platform
    from opsloop.specs.access import BootstrapSpec

    platform = Platform(
        Settings(home=home, database_url=database_url, **settings),
        authorizer=PlatformAuthorizer(),
    )
    with platform.context(SYSTEM_ACTOR) as ctx:
        owner = principals.bootstrap_owner(ctx, BootstrapSpec())
    return platform, owner.token


def promotion_id(platform: Any, name: str) -> str:
    """The stored id of promotion ``name`` (its driver's lease is named after it)."""
    from sqlalchemy import select

    from opsloop.store.promotion_tables import PromotionRow

    with platform.database.transaction() as session:
        return str(session.scalar(select(PromotionRow.id).where(PromotionRow.name == name)))


def promote_into_prod(client: Any, model: str, policy: dict[str, Any], timeout: float = 240) -> Any:
    """Promote ``model`` of dev into prod under ``policy``; the promotion once it waits or ends."""
    started = client.promotions.create(model, to="prod", policy=policy, workspace="dev")
    return client.promotions.wait(started.name, workspace="prod", timeout=timeout)


def event_payloads(client: Any, kind: str) -> list[dict[str, Any]]:
    """The payloads of the outbox's events of type ``kind``, oldest first."""
    from sqlalchemy import select

    from opsloop.services.context import Platform
    from opsloop.store.tables import OutboxEventRow

    platform = Platform(client.settings)
    with platform.database.transaction() as session:
        rows = session.scalars(select(OutboxEventRow).order_by(OutboxEventRow.id))
        found = [e.payload for e in rows if e.type == kind]
    platform.database.dispose()
    return found


def lease_holder_pid(platform: Any, lease: str) -> int | None:
    """The process id of the driver holding ``lease``, if one does."""
    from opsloop.background.leases import lease_holders

    holder = lease_holders(platform.database).get(lease)
    return int(holder[0].split(":")[1]) if holder and holder[0] else None


def kill_driver_and_resume(client: Any, platform: Any, name: str, ready: Any) -> Any:
    """Once ``ready()`` holds, SIGKILL the driver of promotion ``name`` (of prod), run a
    worker whose supervisor replaces it, and return the promotion once it waits or ends,
    with the killed driver's pid."""
    import signal
    import time

    from opsloop.background.promotions import PromotionSupervisor, lease_name
    from opsloop.background.worker import Worker

    lease = lease_name(promotion_id(platform, name))
    deadline = time.monotonic() + 120
    while lease_holder_pid(platform, lease) is None or not ready():
        assert time.monotonic() < deadline, "the driver never got where it was to be killed"
        time.sleep(0.1)
    first = lease_holder_pid(platform, lease)
    assert first is not None
    os.kill(first, signal.SIGKILL)
    worker = Worker(platform, tasks=[PromotionSupervisor(platform)])
    worker.start()
    try:
        done = client.promotions.wait(name, workspace="prod", timeout=180)
    finally:
        worker.stop()
    assert lease_holder_pid(platform, lease) != first
    return done


def fire_schedules(platform: Any, at: Any) -> list[Any]:
    """One scheduler pass with its clock at ``at``, under the scheduler's lease (released
    afterwards, so the next pass may take it): the fires it made."""
    from opsloop.background.leases import Lease
    from opsloop.background.scheduler import Scheduler

    scheduler = Scheduler(platform, clock=lambda: at)
    lease = Lease(platform.database, scheduler.lease_name, "test", ttl_s=60)
    assert lease.acquire()
    try:
        scheduler.run_once(lease)
    finally:
        lease.release()
    return scheduler.fired


@contextlib.contextmanager
def postgres_server(postgres_url: str, folder: Path) -> Iterator[tuple[str, str]]:
    """`opsloop server` on a PostgreSQL schema (artifacts in ``folder``), its owner made
    beforehand: its URL and the owner's token. The server's output is shown if it does not
    come up."""
    env = {
        **os.environ,
        "OPSLOOP_DATABASE_URL": postgres_url,
        "OPSLOOP_HOME": str(folder / "server-home"),
        "OPSLOOP_ARTIFACT_URI": (folder / "artifacts").as_uri(),
    }
    owner = bootstrap_token(env)
    process = subprocess.Popen(
        [sys.executable, "-m", "opsloop.cli.main", "server", "--port", str(port := free_port())],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_healthy(url, process, timeout=60)
        except AssertionError:
            process.kill()
            raise AssertionError(process.stdout.read().decode() if process.stdout else "") from None
        yield url, owner
    finally:
        process.terminate()
        process.wait(timeout=30)
