"""Model aliases: named pointers to one version of a model (``champion``, ``challenger``, any
name), as MLflow's registered-model aliases. ``name@alias`` resolves wherever a reference is
taken; moving an alias changes what those references mean from then on (a deployment made
before keeps the version it resolved). Every change is an event."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import select

from opsloop.catalogue.actions import Action
from opsloop.catalogue.sharing_events import ModelAliasDeleted, ModelAliasSet
from opsloop.errors import NotFoundError
from opsloop.schemas.entities import ModelAlias
from opsloop.services import assets
from opsloop.services.context import ServiceContext
from opsloop.services.workspaces import require_workspace_row
from opsloop.specs.references import check_alias
from opsloop.store.tables import AssetAliasRow, AssetVersionRow, WorkspaceRow


def set_model_alias(
    ctx: ServiceContext, workspace: str, name: str, alias: str, version: str
) -> ModelAlias:
    """Point ``name@alias`` at ``version`` (a version, or a reference such as ``@latest``
    or another alias, resolved now); moving it from another version is one change."""
    alias = check_alias(alias)
    target = f"model:{name}@{alias}"
    ctx.begin_mutation(Action.MODELS_ALIAS, workspace, target)
    ws = require_workspace_row(ctx, workspace)
    row = assets.resolve(ctx, ws, "model", _reference(name, version), field="version")
    found = _find(ctx, ws, name, alias)
    previous = found.version if found is not None else None
    if found is None:
        found = AssetAliasRow(workspace_id=ws.id, asset_kind="model", name=name, alias=alias)
        ctx.session.add(found)
    if previous != row.version:
        found.version = row.version
        found.updated_at = datetime.now(UTC)
        found.updated_by = str(ctx.actor)
        ctx.session.flush()
        ctx.record(
            Action.MODELS_ALIAS,
            workspace=workspace,
            target=target,
            event=ModelAliasSet(alias=alias, version=row.version, previous_version=previous),
        )
    return _to_entity(found, workspace)


def delete_model_alias(ctx: ServiceContext, workspace: str, name: str, alias: str) -> None:
    target = f"model:{name}@{alias}"
    ctx.begin_mutation(Action.MODELS_ALIAS, workspace, target)
    ws = require_workspace_row(ctx, workspace)
    found = _find(ctx, ws, name, alias)
    if found is None:
        raise NotFoundError(f"model {name} has no alias {alias!r} in workspace {workspace!r}")
    ctx.session.delete(found)
    ctx.record(
        Action.MODELS_ALIAS,
        workspace=workspace,
        target=target,
        event=ModelAliasDeleted(alias=alias, version=found.version),
    )


def list_model_aliases(ctx: ServiceContext, workspace: str, name: str) -> list[ModelAlias]:
    ctx.authorize(Action.MODELS_READ, workspace)
    ws = require_workspace_row(ctx, workspace)
    rows = ctx.session.scalars(
        select(AssetAliasRow)
        .where(
            AssetAliasRow.workspace_id == ws.id,
            AssetAliasRow.asset_kind == "model",
            AssetAliasRow.name == name,
        )
        .order_by(AssetAliasRow.alias)
    )
    return [_to_entity(row, workspace) for row in rows]


def aliases_by_version(
    ctx: ServiceContext, ws: WorkspaceRow, rows: Iterable[AssetVersionRow]
) -> dict[tuple[str, str], list[str]]:
    """The aliases of each (name, version) among ``rows``, in one query."""
    names = {row.name for row in rows}
    found: dict[tuple[str, str], list[str]] = {}
    if not names:
        return found
    query = (
        select(AssetAliasRow)
        .where(
            AssetAliasRow.workspace_id == ws.id,
            AssetAliasRow.asset_kind == "model",
            AssetAliasRow.name.in_(names),
        )
        .order_by(AssetAliasRow.alias)
    )
    for alias in ctx.session.scalars(query):
        found.setdefault((alias.name, alias.version), []).append(alias.alias)
    return found


def _reference(name: str, version: str) -> str:
    """``3`` names version 3; ``@latest`` or ``@challenger`` what that resolves to now."""
    return f"{name}{version}" if version.startswith("@") else f"{name}:{version}"


def _find(ctx: ServiceContext, ws: WorkspaceRow, name: str, alias: str) -> AssetAliasRow | None:
    return ctx.session.scalar(
        select(AssetAliasRow).where(
            AssetAliasRow.workspace_id == ws.id,
            AssetAliasRow.asset_kind == "model",
            AssetAliasRow.name == name,
            AssetAliasRow.alias == alias,
        )
    )


def _to_entity(row: AssetAliasRow, workspace: str) -> ModelAlias:
    return ModelAlias(
        workspace=workspace,
        name=row.name,
        alias=row.alias,
        version=row.version,
        updated_at=row.updated_at,
        updated_by=row.updated_by,
    )
