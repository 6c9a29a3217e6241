"""Uploads: local files and folders (code, data, models) into the artifact store."""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from opsloop.api.deps import ActorDep, PlatformDep
from opsloop.api.transfer import receive_upload
from opsloop.errors import ValidationError
from opsloop.schemas.entities import Upload
from opsloop.security.actor import Actor
from opsloop.services.context import Platform
from opsloop.services.workspaces import require_workspace_row

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
    # In a worker thread: a transaction can wait for SQLite's write lock, and waiting on the
    # event loop would stall every other request, the one holding the lock included.
    await run_in_threadpool(_check_workspace, platform, actor, workspace)
    return await receive_upload(request, platform.artifacts, name=name, is_folder=kind == "folder")


def _check_workspace(platform: Platform, actor: Actor, workspace: str) -> None:
    with platform.context(actor) as ctx:
        ctx.authorize("upload.create", workspace)
        require_workspace_row(ctx, workspace)
