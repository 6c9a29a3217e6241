"""Local copies of model and code folders for serving, content-addressed and shared.

Local artifact stores are used in place; remote ones (s3://, ...) are downloaded once per
content key into the serving cache, through a temporary folder renamed into place, so two
worker processes never see a half-downloaded model.
"""

from __future__ import annotations

import contextlib
import hashlib
import shutil
import tempfile
from pathlib import Path

from opsloop.file_urls import local_path_of
from opsloop.store.artifacts import materialize


def local_copy(url: str, cache_root: Path, key: str | None = None) -> Path:
    local = local_path_of(url)
    if local is not None:
        if not local.exists():
            raise FileNotFoundError(url)
        return local
    key = key or hashlib.sha256(url.encode()).hexdigest()
    target = cache_root / key
    if target.exists():
        return next(target.iterdir())
    cache_root.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".partial-", dir=cache_root))
    try:
        materialize(url, scratch)
        # Another process may win the race; its copy is complete, so ours is dropped.
        with contextlib.suppress(OSError):
            scratch.rename(target)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return next(target.iterdir())
