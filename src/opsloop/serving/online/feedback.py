"""``POST /feedback`` on the serving runtime: end users (with the endpoint's key or token,
as for scoring) send ground truth for requests they scored, by the ``x-request-id`` each
answer carried. The rows are checked as the platform API checks them and written beside
the collected data (``monitoring.ground_truth``) before the answer, so an answered post
is stored. The runtime needs no database for it: an exported endpoint in a container does
it too, given its collector root (``OPSLOOP_COLLECTOR_ROOT``).
"""

from __future__ import annotations

import asyncio

import orjson

from opsloop.errors import ValidationError
from opsloop.monitoring.ground_truth import store_feedback
from opsloop.schemas.feedback import MAX_FEEDBACK_ROWS, parse_rows
from opsloop.serving.online.asgi import Receive, read_body
from opsloop.serving.online.live import LiveEndpoint
from opsloop.serving.online.responses import PROBLEM, Reply, problem

# 10,000 rows of a long correlation id and label fit well within this.
MAX_FEEDBACK_BYTES = 8 * 1024 * 1024


async def receive_feedback(
    live: LiveEndpoint, headers: dict[bytes, bytes], receive: Receive
) -> Reply:
    root = live.bundle.collector_root
    if root is None:
        return problem(
            503, f"endpoint {live.name!r} has nowhere to store feedback (no default datastore)"
        )
    body, too_large = await read_body(headers.get(b"content-length"), receive, MAX_FEEDBACK_BYTES)
    if too_large:
        return problem(
            413, f"the body is over {MAX_FEEDBACK_BYTES} bytes: send at most "
            f"{MAX_FEEDBACK_ROWS} rows a post"
        )  # fmt: skip
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return problem(400, "the request body is not valid JSON")
    try:
        rows = parse_rows(data)
    except ValidationError as exc:
        return Reply(422, orjson.dumps(exc.to_problem()), PROBLEM)
    location = await asyncio.to_thread(store_feedback, root, live.name, rows)
    return Reply(
        200, orjson.dumps({"endpoint": live.name, "rows": len(rows), "location": location})
    )
