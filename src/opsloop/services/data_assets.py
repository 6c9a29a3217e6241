"""Data assets: versioned uri_file / uri_folder / mltable with content hash and profile.

The profile computed here (row count, types, missing rates, quantiles, histograms, top
categories) is the baseline later drift monitors compare against.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from opsloop.catalogue.actions import Action
from opsloop.catalogue.events import DataRegistered
from opsloop.errors import ValidationError
from opsloop.schemas.entities import DataAsset
from opsloop.services import assets
from opsloop.services.context import ServiceContext
from opsloop.services.datastores import resolve_datastore_url
from opsloop.services.workspaces import require_workspace_row
from opsloop.specs.data import DataSpec, data_shape_problem
from opsloop.store.artifacts import hash_path, materialize
from opsloop.store.tables import AssetVersionRow


def create_data_asset(
    ctx: ServiceContext, workspace: str, spec: DataSpec, pending: dict[str, str] | None = None
) -> DataAsset:
    """``pending``: for a dry run, the would-be upload URLs of local files the client hashed
    and checked without uploading, with their content hashes (no profile is computed)."""
    ctx.begin_mutation(Action.DATA_WRITE, workspace, f"data:{spec.name}")
    ws = require_workspace_row(ctx, workspace)
    url = resolve_datastore_url(ctx, ws, spec.path, "path")
    profile = None
    if pending and url in pending:
        content_hash = pending[url]
    else:
        with (
            tempfile.TemporaryDirectory(prefix="opsloop-data-") as scratch,
            assets.reading_source(spec.path),
        ):
            local = materialize(url, Path(scratch))
            _check_shape(local, spec.type)
            content_hash = hash_path(local)
            profile = _profile(local, spec.type)
    row = assets.add_version(
        ctx,
        ws,
        "data",
        spec.name,
        spec.version,
        type=spec.type,
        path=url,
        description=spec.description,
        tags=spec.tags,
        content_hash=content_hash,
        details={"profile": profile} if profile else {},
    )
    ctx.record(
        Action.DATA_WRITE,
        workspace=workspace,
        target=f"data:{row.name}:{row.version}",
        event=DataRegistered(path=url, content_hash=content_hash),
    )
    return to_entity(row, workspace)


def get_data_asset(ctx: ServiceContext, workspace: str, reference: str) -> DataAsset:
    ctx.authorize(Action.DATA_READ, workspace)
    ws = require_workspace_row(ctx, workspace)
    return to_entity(assets.resolve(ctx, ws, "data", reference), workspace)


def list_data_assets(
    ctx: ServiceContext,
    workspace: str,
    name: str | None = None,
    *,
    include_archived: bool = False,
) -> list[DataAsset]:
    ctx.authorize(Action.DATA_READ, workspace)
    ws = require_workspace_row(ctx, workspace)
    rows = assets.list_versions(ctx, ws, "data", name, include_archived=include_archived)
    return [to_entity(r, workspace) for r in rows]


def set_archived(
    ctx: ServiceContext, workspace: str, name: str, version: str | None, *, archived: bool
) -> list[DataAsset]:
    """Archive (or restore) one version of ``name``, or all of them; oldest first."""
    rows = assets.set_archived(ctx, workspace, "data", name, version, archived=archived)
    return [to_entity(r, workspace) for r in rows]


def _check_shape(local: Path, asset_type: str) -> None:
    problem = data_shape_problem(local, asset_type)
    if problem:
        raise ValidationError(problem, field="path")


def _profile(local: Path, asset_type: str) -> dict[str, object] | None:
    # Imported here: they bring pandas and numpy (about 1 s), which only registering a
    # data asset needs, not every process that lists or shows one.
    from opsloop.monitoring.profile import profile_table
    from opsloop.tabular.reader import TableReadError, is_tabular, read_table

    if not is_tabular(local, asset_type):
        return None
    try:
        frame = read_table(local, asset_type)
    except TableReadError as exc:
        raise ValidationError(str(exc), field="path") from None
    return profile_table(frame).model_dump(mode="json")


def to_entity(row: AssetVersionRow, workspace: str) -> DataAsset:
    return DataAsset(
        **assets.common_fields(row, workspace),
        type=row.type or "uri_folder",
        path=row.path or "",
        profile=row.details.get("profile"),
    )
