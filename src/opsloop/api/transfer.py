"""Moving files over HTTP: content-addressed uploads and tar.gz downloads."""

from __future__ import annotations

import os
import tarfile
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Request
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from opsloop.errors import NotFoundError, ValidationError
from opsloop.export.archive import pack_folder
from opsloop.store.artifacts import materialize

MAX_UPLOAD_BYTES = 2 * 1024**3


@asynccontextmanager
async def received_upload(request: Request, *, name: str, is_folder: bool) -> AsyncIterator[Path]:
    """The request body as a local file, or the folder its gzipped tar holds, named
    ``name``, in a temporary folder removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="opsloop-upload-") as scratch:
        raw = Path(scratch) / "body"
        size = 0
        with raw.open("wb") as handle:
            async for chunk in request.stream():
                size += len(chunk)
                if size > MAX_UPLOAD_BYTES:
                    raise ValidationError("upload is larger than 2 GiB", field="body")
                handle.write(chunk)
        content = Path(scratch) / name
        if is_folder:
            content.mkdir()  # an empty folder is still a folder
            try:
                with tarfile.open(raw, "r:gz") as archive:
                    archive.extractall(content, filter="data")
            except (tarfile.TarError, OSError) as exc:
                raise ValidationError(
                    f"not a valid gzipped tar archive: {exc}", field="body"
                ) from None
        else:
            raw.rename(content)
        yield content


def pack_url(url: str) -> Path:
    """A temporary tar.gz of what ``url`` holds (the caller deletes it)."""
    descriptor, name = tempfile.mkstemp(prefix="opsloop-", suffix=".tar.gz")
    os.close(descriptor)
    archive = Path(name)
    with tempfile.TemporaryDirectory(prefix="opsloop-pack-") as scratch:
        local = materialize(url, Path(scratch))
        if local.is_dir():
            pack_folder(local, archive)
        else:
            with tarfile.open(archive, "w:gz") as tar:
                tar.add(local, arcname=local.name)
    return archive


def pack_urls(urls: dict[str, str]) -> Path:
    """A temporary tar.gz with one folder per entry of ``urls`` (name -> URL) holding what
    that URL holds (the caller deletes it). A URL whose content is gone is a 404 naming it."""
    descriptor, name = tempfile.mkstemp(prefix="opsloop-", suffix=".tar.gz")
    os.close(descriptor)
    archive = Path(name)
    try:
        with (
            tempfile.TemporaryDirectory(prefix="opsloop-pack-") as scratch,
            tarfile.open(archive, "w:gz") as tar,
        ):
            for entry, url in sorted(urls.items()):
                try:
                    local = materialize(url, Path(scratch) / entry)
                except FileNotFoundError:
                    raise NotFoundError(
                        f"output {entry!r} is no longer in the artifact store ({url})"
                    ) from None
                tar.add(local, arcname=entry if local.is_dir() else f"{entry}/{local.name}")
    except BaseException:
        archive.unlink()
        raise
    return archive


def tar_response(
    archive: Path, filename: str, headers: dict[str, str] | None = None
) -> FileResponse:
    """A temporary tar.gz as the answer, deleted once sent."""
    return FileResponse(
        archive,
        media_type="application/gzip",
        filename=filename,
        headers=headers,
        background=BackgroundTask(archive.unlink),
    )
