"""Uploads: local files and folders (code, data, models) into the artifact store."""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from opsloop.api.deps import ActorDep, PlatformDep
from opsloop.api.transfer import received_upload
from opsloop.errors import ValidationError
from opsloop.schemas.entities import Upload
from opsloop.services import uploads

router = APIRouter(prefix="/workspaces/{workspace}/uploads", tags=["uploads"])
_SAFE_NAME = re.compile(r"^[A-Za-z0-9_.@+-][A-Za-z0-9_.@+ -]{0,200}$")


@router.post("", status_code=201)
async def create_upload(
    workspace: str,
    request: Request,
    platform: PlatformDep,
    actor: ActorDep,
    name: str,
    kind: str = "file",
) -> Upload:
    """Body: the file's bytes (``kind=file``) or a gzipped tar of the folder (``kind=folder``).

    Stored content-addressed under ``uploads/<sha256>/<name>``, so the same code uploaded
    twice is stored once and hashes the same for step reuse.
    """
    if kind not in ("file", "folder"):
        raise ValidationError("must be 'file' or 'folder'", field="kind")
    if not _SAFE_NAME.match(name) or name in (".", ".."):
        raise ValidationError(f"{name!r} is not a safe file name", field="name")
    async with received_upload(request, name=name, is_folder=kind == "folder") as content:
        return await run_in_threadpool(uploads.store_upload, platform, actor, workspace, content)
