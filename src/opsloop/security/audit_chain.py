"""The audit log's hash chain: each record's hash covers its content and the hash of the
record before it, so removing, altering or reordering a record breaks every link after it.

``record_hash`` is the one definition: the store computes it when a record is appended,
``opsloop audit verify`` recomputes it, and migration 0013 chained the records written
before it. A chain proves order and integrity against someone who edits rows; it cannot
stop someone who rewrites the whole chain from the first changed row on: keep the head
hash (``opsloop audit verify`` prints it) somewhere else to anchor it.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64
# The fields a record's hash covers, in this order (the id is left out: the chain itself
# orders the records).
CHAINED_FIELDS = (
    "at",
    "actor",
    "principal_kind",
    "action",
    "workspace",
    "target",
    "scope",
    "outcome",
    "reason",
    "request_id",
    "source",
    "detail",
)


def _moment(value: datetime) -> str:
    # Both stores give the moment back in UTC, to the microsecond.
    moment = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def record_hash(previous: str, record: dict[str, Any]) -> str:
    """SHA-256 of the previous hash and the record's chained fields, as canonical JSON."""
    content = [
        _moment(record[name]) if name == "at" else record.get(name) for name in CHAINED_FIELDS
    ]
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{previous}\n{canonical}".encode()).hexdigest()
