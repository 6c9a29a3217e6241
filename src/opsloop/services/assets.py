"""Versioning shared by every asset kind: data, environment, component and model.

Versions auto-increment per name ("1", "2", ...); an explicit version string is kept as
given. ``name@latest`` is the highest numbered version, then the newest, that is not
archived. An archived version (Azure ML's archive) is hidden from lists and from
``name@latest`` but still found by ``name:version``, so what already uses it (a job, a
deployment) goes on working; restoring it undoes that.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import func, select

from opsloop.catalogue.actions import Action
from opsloop.catalogue.events import ASSET_ARCHIVE_EVENTS
from opsloop.errors import ConflictError, NotFoundError, ValidationError
from opsloop.services.context import ServiceContext
from opsloop.services.registries import registry_space
from opsloop.services.workspaces import REGISTRY_KIND, require_workspace_row
from opsloop.specs.references import (
    CURATED_REGISTRY,
    AssetReference,
    RegistryReference,
    parse_reference,
    parse_registry_uri,
)
from opsloop.store.tables import AssetAliasRow, AssetVersionRow, WorkspaceRow

AssetKind = Literal["data", "environment", "component", "model"]

_ARCHIVE_ACTIONS: dict[AssetKind, Action] = {
    "data": Action.DATA_ARCHIVE,
    "environment": Action.ENVIRONMENTS_ARCHIVE,
    "component": Action.COMPONENTS_ARCHIVE,
    "model": Action.MODELS_ARCHIVE,
}


@contextmanager
def reading_source(path: str, *, field: str = "path") -> Iterator[None]:
    """Reading the files a spec points at: a path that is missing or cannot be read is the
    caller's error (a 422 naming the field), not the server's."""
    try:
        yield
    except FileNotFoundError:
        raise ValidationError(f"{path!r} does not exist", field=field) from None
    except OSError as exc:
        raise ValidationError(
            f"{path!r} cannot be read: {exc.strerror or exc}", field=field
        ) from None


def lock_workspace(ctx: ServiceContext, ws: WorkspaceRow) -> None:
    """Serialise version allocation per workspace (SQLite already serialises writers)."""
    if not ctx.platform.database.is_sqlite:
        ctx.session.execute(
            select(WorkspaceRow.id).where(WorkspaceRow.id == ws.id).with_for_update()
        )


def add_version(
    ctx: ServiceContext,
    ws: WorkspaceRow,
    kind: AssetKind,
    name: str,
    version: str | None,
    **fields: Any,
) -> AssetVersionRow:
    lock_workspace(ctx, ws)
    if version is None:
        number = _highest_number(ctx, ws, kind, name) + 1
        version = str(number)
    else:
        number = int(version) if version.isdigit() else 0
    if find_version(ctx, ws, kind, name, version) is not None:
        raise ConflictError(
            f"{kind} {name}:{version} already exists in {place(ws)}; "
            "versions are immutable, omit version to get the next one"
        )
    row = AssetVersionRow(
        workspace_id=ws.id,
        asset_kind=kind,
        name=name,
        version=version,
        version_number=number,
        created_by=str(ctx.actor),
        **fields,
    )
    ctx.session.add(row)
    ctx.session.flush()
    return row


def resolve(
    ctx: ServiceContext,
    ws: WorkspaceRow,
    kind: AssetKind,
    reference: str | AssetReference,
    *,
    field: str | None = None,
) -> AssetVersionRow:
    """Find the version a reference names, in ``ws`` or, for a registry reference
    (``azureml://registries/...``, ``registry:<registry>/...``), in that registry; an
    unknown one is named in the error."""
    if isinstance(reference, str):
        registry = parse_registry_uri(reference, field=field or kind, kind=kind)
        if registry is not None:
            return resolve_in_registry(ctx, registry, field=field)
    ref = (
        parse_reference(reference, field=field or kind) if isinstance(reference, str) else reference
    )
    return _resolve_in(ctx, ws, kind, ref, field=field)


def resolve_in_registry(
    ctx: ServiceContext, reference: RegistryReference, *, field: str | None = None
) -> AssetVersionRow:
    if reference.registry == CURATED_REGISTRY:
        raise _error(
            f"the built-in {CURATED_REGISTRY} registry holds curated environments only; "
            f"{reference} names a {reference.kind}",
            field,
        )
    try:
        space = registry_space(ctx, reference.registry)
    except NotFoundError as exc:
        raise _error(str(exc), field) from None
    if reference.kind == "data":
        raise _error(
            f"{reference}: data assets are not shared into registries yet; register the data "
            "in the workspace and refer to it as name:version",
            field,
        )
    if space is None:
        raise _error(
            f"registry {reference.registry!r} holds no {reference.kind}s yet; share one with "
            f"`opsloop {reference.kind} share`",
            field,
        )
    return _resolve_in(ctx, space, reference.kind, reference.asset, field=field)  # type: ignore[arg-type]


def _resolve_in(
    ctx: ServiceContext,
    ws: WorkspaceRow,
    kind: AssetKind,
    ref: AssetReference,
    *,
    field: str | None,
) -> AssetVersionRow:
    if ref.version:
        row = find_version(ctx, ws, kind, ref.name, ref.version)
    elif ref.alias:
        row = _find_by_alias(ctx, ws, kind, ref.name, ref.alias)
    else:
        row = _latest(ctx, ws, kind, ref.name)
    if row is None:
        message = f"{kind} {ref} not found in {place(ws)}"
        if ref.alias:
            message += f": no version of {ref.name} has the alias {ref.alias!r}"
        elif not ref.version and _find_any(ctx, ws, kind, ref.name):
            message += f": every version of {ref.name} is archived; name one or restore one"
        raise _error(message, field)
    return row


def _error(message: str, field: str | None) -> Exception:
    return ValidationError(message, field=field) if field else NotFoundError(message)


def place(ws: WorkspaceRow) -> str:
    """``workspace 'dev'`` or ``registry 'shared'``, for messages."""
    if ws.kind == REGISTRY_KIND:
        return f"registry {ws.name.removeprefix('registry:')!r}"
    return f"workspace {ws.name!r}"


def reference_to(ctx: ServiceContext, row: AssetVersionRow) -> str:
    """The reference that names ``row`` from any workspace: ``name:version`` in its own
    workspace, the registry URI for a registry's asset."""
    space = ctx.session.get(WorkspaceRow, row.workspace_id)
    if space is not None and space.kind == REGISTRY_KIND:
        registry = space.name.removeprefix("registry:")
        return str(RegistryReference(registry, row.asset_kind, row.name, row.version))
    return f"{row.name}:{row.version}"


def list_versions(
    ctx: ServiceContext,
    ws: WorkspaceRow,
    kind: AssetKind,
    name: str | None,
    *,
    include_archived: bool = False,
) -> list[AssetVersionRow]:
    """All versions of ``name``, newest first; without a name, the latest of each. Archived
    versions count only with ``include_archived``."""
    query = select(AssetVersionRow).where(
        AssetVersionRow.workspace_id == ws.id, AssetVersionRow.asset_kind == kind
    )
    if not include_archived:
        query = query.where(AssetVersionRow.archived_at.is_(None))
    if name is not None:
        rows = ctx.session.scalars(query.where(AssetVersionRow.name == name))
        return sorted(rows, key=_sort_key, reverse=True)
    latest: dict[str, AssetVersionRow] = {}
    for row in ctx.session.scalars(query):
        current = latest.get(row.name)
        if current is None or _sort_key(row) > _sort_key(current):
            latest[row.name] = row
    return [latest[n] for n in sorted(latest)]


def set_archived(
    ctx: ServiceContext,
    workspace: str,
    kind: AssetKind,
    name: str,
    version: str | None,
    *,
    archived: bool,
) -> list[AssetVersionRow]:
    """Archive (or restore) version ``version`` of ``name``, or every version of it when
    ``version`` is None; returns those versions, oldest first. Archiving what is archived
    already (or restoring what is not) changes nothing and records nothing."""
    action = _ARCHIVE_ACTIONS[kind]
    target = f"{kind}:{name}:{version}" if version else f"{kind}:{name}"
    ctx.begin_mutation(action, workspace, target)
    ws = require_workspace_row(ctx, workspace)
    if version:
        found = find_version(ctx, ws, kind, name, version)
        rows = [found] if found is not None else []
    else:
        rows = list_versions(ctx, ws, kind, name, include_archived=True)
    if not rows:
        named = f"{name}:{version}" if version else name
        raise NotFoundError(f"{kind} {named} not found in workspace {ws.name!r}")
    changed = [row for row in rows if (row.archived_at is None) == archived]
    now = datetime.now(UTC)
    for row in changed:
        row.archived_at = now if archived else None
    if changed:
        ctx.record(
            action,
            workspace=workspace,
            target=target,
            event=ASSET_ARCHIVE_EVENTS[(kind, archived)](
                versions=[row.version for row in sorted(changed, key=_sort_key)]
            ),
        )
    return sorted(rows, key=_sort_key)


def _sort_key(row: AssetVersionRow) -> tuple[int, Any]:
    return (row.version_number, row.created_at)


def _highest_number(ctx: ServiceContext, ws: WorkspaceRow, kind: AssetKind, name: str) -> int:
    value = ctx.session.scalar(
        select(func.max(AssetVersionRow.version_number)).where(
            AssetVersionRow.workspace_id == ws.id,
            AssetVersionRow.asset_kind == kind,
            AssetVersionRow.name == name,
        )
    )
    return int(value or 0)


def find_version(
    ctx: ServiceContext, ws: WorkspaceRow, kind: AssetKind, name: str, version: str
) -> AssetVersionRow | None:
    """Version ``version`` of ``name``, archived or not; None if there is none."""
    return ctx.session.scalar(
        select(AssetVersionRow).where(
            AssetVersionRow.workspace_id == ws.id,
            AssetVersionRow.asset_kind == kind,
            AssetVersionRow.name == name,
            AssetVersionRow.version == version,
        )
    )


def _find_by_alias(
    ctx: ServiceContext, ws: WorkspaceRow, kind: AssetKind, name: str, alias: str
) -> AssetVersionRow | None:
    version = ctx.session.scalar(
        select(AssetAliasRow.version).where(
            AssetAliasRow.workspace_id == ws.id,
            AssetAliasRow.asset_kind == kind,
            AssetAliasRow.name == name,
            AssetAliasRow.alias == alias,
        )
    )
    return find_version(ctx, ws, kind, name, version) if version is not None else None


def _latest(
    ctx: ServiceContext, ws: WorkspaceRow, kind: AssetKind, name: str
) -> AssetVersionRow | None:
    versions = list_versions(ctx, ws, kind, name)
    return versions[0] if versions else None


def _find_any(ctx: ServiceContext, ws: WorkspaceRow, kind: AssetKind, name: str) -> bool:
    """Whether ``name`` has any version, archived ones included."""
    return (
        ctx.session.scalar(
            select(AssetVersionRow.id)
            .where(
                AssetVersionRow.workspace_id == ws.id,
                AssetVersionRow.asset_kind == kind,
                AssetVersionRow.name == name,
            )
            .limit(1)
        )
        is not None
    )


def common_fields(
    row: AssetVersionRow, workspace: str | None, *, registry: str | None = None
) -> dict[str, Any]:
    return {
        "workspace": workspace,
        "registry": registry,
        "name": row.name,
        "version": row.version,
        "description": row.description,
        "tags": row.tags,
        "content_hash": row.content_hash,
        "created_at": row.created_at,
        "created_by": row.created_by,
        "archived": row.archived_at is not None,
        "archived_at": row.archived_at,
        "shared_from": row.details.get("shared_from"),
    }
