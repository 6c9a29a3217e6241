"""What access control costs the platform API: list routes under 50 concurrent connections,
one server process, SQLite, with authentication and authorisation on (as `opsloop server`
runs) and off, side by side.

Both servers are the same composition (`opsloop.app.server.ServerApp`: REST API, serving
runtime, background worker) on copies of one seeded store. The "off" one is built here with
the embedded mode's choices (the caller is the OS user, every action allowed); that is a
measuring device, not a server option: `opsloop server` has no switch to turn access
control off. The "on" one requires the owner's API token on every request and checks it
against the store (one indexed SHA-256 lookup) and the authoriser.

Each round runs both for --seconds each, alternating which goes first; the report gives
the median requests per second of each and their ratio.

Usage:  python benchmarks/auth.py [--rounds 3] [--seconds 10] [--connections 50]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from _server import free_port, owner_token, wait_healthy

ROUTES = (
    "/api/v1/workspaces",
    "/api/v1/registries",
    "/api/v1/workspaces/dev/computes",
    "/api/v1/workspaces/dev/jobs",
    "/api/v1/workspaces/dev/models",
)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--serve", choices=["on", "off"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        _serve(args.serve, args.port)
        return
    with tempfile.TemporaryDirectory(prefix="opsloop-auth-bench-") as scratch:
        seeded = _seed(Path(scratch) / "seed")
        results: dict[str, list[float]] = {"on": [], "off": []}
        for round_ in range(args.rounds):
            order = ("on", "off") if round_ % 2 == 0 else ("off", "on")
            for mode in order:
                home = Path(scratch) / f"{mode}-{round_}"
                shutil.copytree(seeded, home)
                rate = _measure(mode, home, args.seconds, args.connections)
                results[mode].append(rate)
                print(f"round {round_ + 1}: auth {mode}: {rate:,.0f} req/s", file=sys.stderr)
    on, off = statistics.median(results["on"]), statistics.median(results["off"])
    print(
        f"\n{args.connections} connections, {args.seconds:.0f} s x {args.rounds} rounds, "
        f"one server process, SQLite; list routes: {', '.join(ROUTES)}\n"
    )
    print("| server                          | req/s (median) | rounds |")
    print("|---------------------------------|----------------|--------|")
    print(f"| access control off              | {off:14,.0f} | {_rounds(results['off'])} |")
    print(f"| access control on (API token)   | {on:14,.0f} | {_rounds(results['on'])} |")
    print(f"\non / off = {on / off:.2f}")


def _rounds(rates: list[float]) -> str:
    return " ".join(f"{r:,.0f}" for r in rates)


def _seed(home: Path) -> Path:
    """A store with something to list: workspace dev, computes, registries, and its owner."""
    token = owner_token(_env(home))  # the store's owner; copied with the store
    (home / "owner.token").write_text(token)
    from opsloop import Client

    with Client(home=home, workspace="dev") as client:
        client.workspaces.create(name="dev")
        for i in range(10):
            client.computes.create(name=f"cpu-{i}", type="local")
            client.registries.create(name=f"shared-{i}")
    return home


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPSLOOP_")}
    env["OPSLOOP_HOME"] = str(home)
    return env


def _measure(mode: str, home: Path, seconds: float, connections: int) -> float:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve", mode, "--port", str(port)],
        env=_env(home),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_healthy(base)
        token = (home / "owner.token").read_text().strip()
        headers = {"authorization": f"Bearer {token}"} if mode == "on" else {}
        return asyncio.run(_load(base, headers, seconds, connections))
    finally:
        server.terminate()
        server.wait(timeout=30)


async def _load(base: str, headers: dict[str, str], seconds: float, connections: int) -> float:
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits) as http:
        for route in ROUTES:  # warm up, and check every route answers
            answer = await http.get(route)
            answer.raise_for_status()
        done = 0
        deadline = time.monotonic() + seconds

        async def connection(offset: int) -> None:
            nonlocal done
            i = offset
            while time.monotonic() < deadline:
                answer = await http.get(ROUTES[i % len(ROUTES)], timeout=60)
                answer.raise_for_status()
                done += 1
                i += 1

        started = time.monotonic()
        await asyncio.gather(*(connection(i) for i in range(connections)))
        return done / (time.monotonic() - started)


def _serve(mode: str, port: int) -> None:
    import uvicorn

    from opsloop.api.authentication import LocalUser
    from opsloop.app.server import ServerApp
    from opsloop.security.authorization import AllowAll

    app = ServerApp() if mode == "on" else ServerApp(LocalUser(), AllowAll())
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
