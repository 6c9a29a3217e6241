"""Ground truth posted to an endpoint's feedback route, stored beside what the data
collector writes, so that the ``model_performance`` signal finds it without a data asset::

    <collector root>/<endpoint>/_feedback/ground_truth/YYYY/MM/DD/<uuid>.parquet

``_feedback`` cannot be a deployment's name (names start with a letter or digit). Each
post becomes one file, written whole before the post is answered (a hidden temporary name
renamed into place, or one object upload), so an answered post survives a crash of the
process. Columns: ``correlationid``, ``timestamp`` (when it was received, UTC),
``row_index``, ``ground_truth``.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import fsspec
import pyarrow as pa

from opsloop.schemas.feedback import FeedbackRow
from opsloop.tabular.parquet_files import atomic_put, write_table

FEEDBACK_FOLDER = "_feedback"
GROUND_TRUTH = "ground_truth"


def feedback_url(collector_root: str, endpoint: str) -> str:
    return f"{collector_root.rstrip('/')}/{endpoint}/{FEEDBACK_FOLDER}/{GROUND_TRUTH}"


def store_feedback(
    collector_root: str,
    endpoint: str,
    rows: list[FeedbackRow],
    storage_options: dict[str, Any] | None = None,
) -> str:
    """Write ``rows`` as one Parquet file; its URL."""
    now = datetime.now(UTC)
    fs, folder = fsspec.core.url_to_fs(
        f"{feedback_url(collector_root, endpoint)}/{now:%Y/%m/%d}", **(storage_options or {})
    )
    table = pa.Table.from_arrays(
        [
            pa.array([r.correlation_id for r in rows], pa.string()),
            pa.array([now] * len(rows), pa.timestamp("us", tz="UTC")),
            pa.array([r.row_index for r in rows], pa.int64()),
            pa.array([r.ground_truth for r in rows]),
        ],
        names=["correlationid", "timestamp", "row_index", GROUND_TRUTH],
    )
    final = f"{folder}/{uuid.uuid4()}.parquet"
    write_table(fs, atomic_put(fs), folder, final, table)
    return f"{feedback_url(collector_root, endpoint)}/{now:%Y/%m/%d}/{final.rsplit('/', 1)[1]}"
