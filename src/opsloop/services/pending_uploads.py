"""Local files a client validated without uploading (``specs.pending_uploads``): each
stand-in becomes the URL its upload would get, so a validation or a dry run checks and
answers what the real call would."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

from opsloop.specs.pending_uploads import parse_pending_upload, upload_key
from opsloop.store.artifacts import ArtifactStore

SpecT = TypeVar("SpecT")


def with_upload_urls(
    artifacts: ArtifactStore, spec: SpecT, digests: dict[str, str] | None = None
) -> SpecT:
    """``spec`` with each stand-in for a local file replaced by the URL its upload would
    get (``uploads.store_upload``); ``digests`` learns each URL's content hash."""

    def replace(value: Any) -> Any:
        if isinstance(value, str):
            pending = parse_pending_upload(value)
            if pending is None:
                return value
            url = artifacts.url_for(upload_key(*pending))
            if digests is not None:
                digests[url] = pending[0]
            return url
        if isinstance(value, BaseModel):
            update = {k: replace(getattr(value, k)) for k in value.model_fields_set}
            return value.model_copy(update=update)
        if isinstance(value, dict):
            return {k: replace(v) for k, v in value.items()}
        if isinstance(value, list):
            return [replace(v) for v in value]
        return value

    return replace(spec)
