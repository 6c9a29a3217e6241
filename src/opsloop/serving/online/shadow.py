"""What a mirrored request keeps for a shadow rollout to judge: the live deployment's
answer and the shadow's to the same request, side by side on the shadow's traffic-log row.

Built in the mirror's background task, after the caller has its answer, from results the
runtime holds anyway: the caller's request pays nothing for it, and it travels to the store
with the row the traffic log writes in any case.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import orjson

from opsloop.serving.online.responses import plain

# Rows of one request kept for comparison: enough to judge, a bounded row size.
MAX_ROWS = 100


def predictions(result: Any) -> list[Any]:
    """One JSON-ready value per row of a request (its first ``MAX_ROWS``)."""
    if isinstance(result, bytes):
        result = result.decode("utf-8", errors="replace")
    values = plain(result)
    if isinstance(values, np.ndarray):
        values = values[:MAX_ROWS].tolist()
    elif not isinstance(values, list):
        values = [values]
    # Numpy scalars in a frame's records, or a scoring script's own objects, become what
    # the answer's JSON made of them: what the caller saw.
    kept = orjson.dumps(values[:MAX_ROWS], default=str, option=orjson.OPT_SERIALIZE_NUMPY)
    loaded: list[Any] = orjson.loads(kept)
    return loaded


def comparison(live_deployment: str, live_result: Any, shadow_result: Any) -> dict[str, Any]:
    return {
        "deployment": live_deployment,
        "live": predictions(live_result),
        "shadow": predictions(shadow_result),
    }
