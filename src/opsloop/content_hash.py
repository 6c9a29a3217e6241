"""The content hash of a file or folder: what uploads are stored under, data assets and
step outputs record, and the step cache compares.

Apart from the artifact store (``opsloop.store.artifacts``) because the SDK hashes too: a
job validated without uploading its local code and data is hashed the way the upload would
be, so the server can tell which steps would be reused. The SDK imports no store code.
"""

from __future__ import annotations

import hashlib
from pathlib import Path


def hash_path(path: Path) -> str:
    """SHA-256 over a file, or over a folder's relative paths and file contents."""
    digest = hashlib.sha256()
    if path.is_file():
        _hash_file(path, digest)
        return digest.hexdigest()
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        relative = file.relative_to(path).as_posix()
        if _is_ignored(relative):
            continue
        digest.update(relative.encode() + b"\0")
        _hash_file(file, digest)
    return digest.hexdigest()


def _is_ignored(relative: str) -> bool:
    parts = relative.split("/")
    return any(
        p in {"__pycache__", ".git", ".ipynb_checkpoints"} for p in parts
    ) or relative.endswith(".pyc")


def _hash_file(path: Path, digest: hashlib._Hash) -> None:
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
