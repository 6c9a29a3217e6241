"""The ceiling: a minimal ASGI app that answers every request with a constant JSON body.

It reads (and discards) the request body, so a POST of a scoring payload costs the same
HTTP parsing as for a real server, and returns `{"predictions": [0.0]}` with status 200.

Run:  uvicorn --app-dir benchmarks/serving bare_asgi:app --workers 1 --no-access-log \
          --no-proxy-headers --no-server-header

With ``BARE_ASGI_BUSY_US=N`` in the environment, each request also keeps the CPU busy for N
microseconds before answering: a stand-in for an app's own work, to see how the server's
throughput falls as that work grows (see the README).
"""

from __future__ import annotations

import os
import time

BODY = b'{"predictions": [0.0]}'
HEADERS = [
    (b"content-type", b"application/json"),
    (b"content-length", str(len(BODY)).encode()),
]
START = {"type": "http.response.start", "status": 200, "headers": HEADERS}
END = {"type": "http.response.body", "body": BODY}
BUSY_S = float(os.environ.get("BARE_ASGI_BUSY_US") or 0) / 1e6


async def constant(scope, receive, send):  # type: ignore[no-untyped-def]
    if scope["type"] == "http":
        while (await receive()).get("more_body", False):
            pass
        await send(START)
        await send(END)
    elif scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return


async def busy(scope, receive, send):  # type: ignore[no-untyped-def]
    if scope["type"] == "http":
        until = time.perf_counter() + BUSY_S
        while time.perf_counter() < until:
            pass
    await constant(scope, receive, send)


# Chosen once, so the ceiling's own request path has no busy-loop check in it.
app = busy if BUSY_S else constant
