"""The artifact store: any fsspec URL (``file://`` by default, ``s3://``, ``abfs://``, ...)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from opsloop.content_hash import hash_path
from opsloop.file_urls import local_path_of

__all__ = ["ArtifactStore", "copy_to_url", "hash_path", "materialize"]


class ArtifactStore:
    """Stores files and folders under one root URL, by key."""

    def __init__(self, root_url: str) -> None:
        self.root_url = root_url.rstrip("/")
        if self.local_root() is None:  # an unknown scheme or a missing driver fails here
            _filesystem(self.root_url)

    def url_for(self, key: str) -> str:
        return f"{self.root_url}/{key.strip('/')}"

    def local_root(self) -> Path | None:
        return local_path_of(self.root_url)

    def put(self, source: Path, key: str) -> str:
        """Copy a local file or folder under ``key``; returns its URL."""
        url = self.url_for(key)
        copy_to_url(source, url)
        return url

    def exists(self, url: str) -> bool:
        fs, path = _filesystem(url)
        return bool(fs.exists(path))


def copy_to_url(source: Path, url: str) -> None:
    local = local_path_of(url)
    if local is not None:
        local.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, local, dirs_exist_ok=True, ignore=_ignore_caches)
        else:
            shutil.copy2(source, local)
        return
    fs, path = _filesystem(url)
    fs.put(str(source), path, recursive=source.is_dir())


def _ignore_caches(_dir: str, names: list[str]) -> list[str]:
    return [n for n in names if n in {"__pycache__", ".git"} or n.endswith(".pyc")]


def materialize(url: str, destination: Path) -> Path:
    """A local path holding ``url``: the file itself for ``file://``, else a download."""
    local = local_path_of(url)
    if local is not None:
        if not local.exists():
            raise FileNotFoundError(url)
        return local
    fs, path = _filesystem(url)
    if not fs.exists(path):
        raise FileNotFoundError(url)
    destination.mkdir(parents=True, exist_ok=True)
    target = destination / Path(path.rstrip("/")).name
    fs.get(path, str(target), recursive=fs.isdir(path))
    return target


def _filesystem(url: str) -> tuple[Any, str]:
    # fsspec is imported on first use: a store on local files (the default) never needs it,
    # and its import is a noticeable share of a CLI call's start-up.
    import fsspec

    fs, path = fsspec.core.url_to_fs(url)
    return fs, str(path)
