"""Uploads: local files and folders (code, data, models) into the artifact store.

A workflow of three steps, so that no transaction is open while bytes are hashed and
copied: check (a transaction), store (none), record (a transaction with the audit entry
and the ``upload.stored`` event). Stored content-addressed under
``uploads/<sha256>/<name>``, so the same code uploaded twice is stored once and hashes
the same for step reuse.
"""

from __future__ import annotations

from pathlib import Path

from opsloop.catalogue.actions import Action
from opsloop.catalogue.events import UploadStored
from opsloop.schemas.entities import Upload
from opsloop.security.actor import Actor
from opsloop.services.context import Platform
from opsloop.services.workspaces import require_workspace_row
from opsloop.specs.pending_uploads import upload_key
from opsloop.store.artifacts import hash_path


def store_upload(platform: Platform, actor: Actor, workspace: str, content: Path) -> Upload:
    """Put ``content`` (a file or folder, named as it will be stored) in the store."""
    target = f"upload:{content.name}"
    with platform.context(actor) as ctx:
        ctx.begin_mutation(Action.UPLOADS_WRITE, workspace, target)
        require_workspace_row(ctx, workspace)
    with platform.between_transactions(actor, Action.UPLOADS_WRITE, workspace, target):
        digest = hash_path(content)
        key = upload_key(digest, content.name)
        url = platform.artifacts.url_for(key)
        reused = platform.artifacts.exists(url)
        if not reused:
            platform.artifacts.put(content, key)
    with platform.context(actor) as ctx:
        ctx.begin_mutation(Action.UPLOADS_WRITE, workspace, target)
        ctx.record(
            Action.UPLOADS_WRITE,
            workspace=workspace,
            target=target,
            event=UploadStored(url=url, content_hash=digest, reused=reused),
        )
    return Upload(url=url, content_hash=digest)
