"""Uploads: local files and folders (code, data, models) into the artifact store."""

from __future__ import annotations

import re

from fastapi import APIRouter, Request

from opsloop.api.deps import ActorDep, PlatformDep
from opsloop.api.transfer import receive_upload
from opsloop.catalogue.actions import Action
from opsloop.errors import ValidationError
from opsloop.schemas.entities import Upload

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
    with platform.context(actor) as ctx:
        ctx.authorize(Action.UPLOADS_WRITE, workspace)
        from opsloop.services.workspaces import require_workspace_row

        require_workspace_row(ctx, workspace)
    return await receive_upload(request, platform.artifacts, name=name, is_folder=kind == "folder")
