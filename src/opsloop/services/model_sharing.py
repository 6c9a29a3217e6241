"""Sharing a model version from a workspace into a registry, where every workspace can
deploy it (``azureml://registries/<registry>/models/<name>/versions/<v>`` or
``registry:<registry>/<name>:<v>``), as Azure ML's ``az ml model share`` does.

A workflow of three steps, so no transaction is open while files are copied: check (the
source version, the registry, the target version is free), copy (the files into the
registry's folder of the artifact store, then their content hash checked against the
source's), record (the registry's version, immutable, with the source's lineage, flavors and
a pointer back; the ``model.shared`` event and the audit entry).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from opsloop.catalogue.actions import Action
from opsloop.catalogue.sharing_events import ModelShared
from opsloop.errors import ConflictError, ValidationError
from opsloop.schemas.entities import Model
from opsloop.security.actor import Actor
from opsloop.services import assets
from opsloop.services.context import Platform, ServiceContext
from opsloop.services.models import entities
from opsloop.services.registries import ensure_registry_space, registry_space
from opsloop.services.workspaces import require_workspace_row
from opsloop.store.artifacts import hash_path, materialize
from opsloop.store.tables import AssetVersionRow


@dataclass(frozen=True)
class _Source:
    """What the copy step needs from the source version (read in the first transaction)."""

    name: str
    version: str
    type: str | None
    url: str
    content_hash: str | None
    description: str | None
    tags: dict[str, Any]
    details: dict[str, Any]


def share_model(
    platform: Platform,
    actor: Actor,
    workspace: str,
    reference: str,
    registry: str,
    *,
    share_with_name: str | None = None,
    share_with_version: str | None = None,
) -> Model:
    """Copy the model version ``reference`` names into ``registry``, as
    ``share_with_name:share_with_version`` (by default its own name and version)."""
    target = f"registry:{registry}/model:{share_with_name or reference}"
    with platform.context(actor) as ctx:
        _begin(ctx, workspace, target)
        source = _check(ctx, workspace, reference, registry, share_with_name, share_with_version)
    name = share_with_name or source.name
    version = share_with_version or source.version
    with platform.between_transactions(actor, Action.MODELS_SHARE, workspace, target):
        url = _copy(platform, source, f"registries/{registry}/models/{name}/{version}")
    with platform.context(actor) as ctx:
        _begin(ctx, workspace, target)
        space = ensure_registry_space(ctx, registry)
        row = assets.add_version(
            ctx,
            space,
            "model",
            name,
            version,
            type=source.type,
            path=url,
            description=source.description,
            tags=source.tags,
            content_hash=source.content_hash,
            details=source.details
            | {
                "shared_from": {
                    "workspace": workspace,
                    "name": source.name,
                    "version": source.version,
                }
            },
        )
        ctx.record(
            Action.MODELS_SHARE,
            workspace=workspace,
            target=f"registry:{registry}/model:{name}:{version}",
            event=ModelShared(
                registry=registry,
                name=name,
                version=version,
                source=f"{workspace}/{source.name}:{source.version}",
                path=url,
                content_hash=source.content_hash,
            ),
        )
        return entities(ctx, [row])[0]


def _begin(ctx: ServiceContext, workspace: str, target: str) -> None:
    # Reading the source is part of sharing it: one action, checked and audited once.
    ctx.begin_mutation(Action.MODELS_SHARE, workspace, target)


def _check(
    ctx: ServiceContext,
    workspace: str,
    reference: str,
    registry: str,
    share_with_name: str | None,
    share_with_version: str | None,
) -> _Source:
    ws = require_workspace_row(ctx, workspace)
    row = assets.resolve(ctx, ws, "model", reference, field="name")
    if not row.path:
        raise ValidationError(f"model {row.name}:{row.version} has no files to share", field="name")
    name = share_with_name or row.name
    version = share_with_version or row.version
    space = registry_space(ctx, registry)  # the registry must exist, its space need not yet
    existing = assets.find_version(ctx, space, "model", name, version) if space else None
    if existing is not None:
        raise ConflictError(_already_shared(existing, registry, workspace, row))
    return _Source(
        name=row.name,
        version=row.version,
        type=row.type,
        url=row.path,
        content_hash=row.content_hash,
        description=row.description,
        tags=dict(row.tags),
        details={key: row.details[key] for key in ("lineage", "flavors") if key in row.details},
    )


def _already_shared(
    existing: AssetVersionRow, registry: str, workspace: str, source: AssetVersionRow
) -> str:
    origin = existing.details.get("shared_from") or {}
    same = origin == {"workspace": workspace, "name": source.name, "version": source.version}
    message = f"registry {registry!r} already has model {existing.name}:{existing.version}"
    if same:
        return message + f", shared from {workspace}/{source.name}:{source.version}"
    return (
        message + "; a registry's versions are immutable: share with another version "
        "(--share-with-version)"
    )


def _copy(platform: Platform, source: _Source, key: str) -> str:
    """Copy the files under ``key`` and check they hash as the source version did."""
    with tempfile.TemporaryDirectory(prefix="opsloop-share-") as scratch:
        with assets.reading_source(source.url, field="name"):
            local = materialize(source.url, Path(scratch) / "source")
        url = platform.artifacts.put(local, f"{key}/{local.name}")
        with assets.reading_source(url, field="name"):
            copied = materialize(url, Path(scratch) / "copy")
        copied_hash = hash_path(copied)
    if source.content_hash and copied_hash != source.content_hash:
        raise ValidationError(
            f"the copy of model {source.name}:{source.version} in the registry hashes to "
            f"{copied_hash[:12]}, not {source.content_hash[:12]} as registered: its files "
            "changed since it was registered; register it again and share that version",
            field="name",
        )
    return url
