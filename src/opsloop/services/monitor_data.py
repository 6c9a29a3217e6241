"""Where a monitor's data comes from: the deployment's collected files, data assets, the
model's training data, and reference summaries cached with the data asset version.

- Production data is what the deployment's data collector wrote under the workspace's
  default datastore (``<datastore>/modelDataCollector/<endpoint>/<deployment>/<collection>``),
  or a data asset / URL a signal names in ``production_data.input_data``.
- Reference data is a signal's ``reference_data.input_data``, else the data asset the
  deployed model's training job read (the model's lineage, recorded when it was
  registered from a job output).
- A reference is summarised once (``monitoring.reference.summarize_reference``) and the
  summary kept as JSON in the artifact store next to the data asset version
  (``data/<workspace>/<name>/<version>/reference-summaries/<key>.json``), so later runs
  read only the production window.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import fsspec
from sqlalchemy import select

from opsloop.catalogue.actions import Action
from opsloop.errors import ValidationError
from opsloop.monitoring.reference import ReferenceSummary, summarize_reference
from opsloop.monitoring.sources import COLLECTOR_COLUMNS, SourceError, TabularSource, source_schema
from opsloop.services import assets
from opsloop.services.context import ServiceContext
from opsloop.services.endpoint_bundles import COLLECTOR_FOLDER
from opsloop.specs.monitor import InputData
from opsloop.specs.references import is_asset_reference
from opsloop.store.tables import AssetVersionRow, DatastoreRow, DeploymentRow, WorkspaceRow


@dataclass
class MonitorTable:
    """A table a signal reads: what to read, what to call it, and where its summary goes."""

    source: TabularSource
    label: str
    cache_key: str | None = None  # artifact key prefix of its cached summaries

    def columns(self) -> list[str]:
        return list(source_schema(self.source).names)


def collector_root(ctx: ServiceContext, ws: WorkspaceRow) -> str:
    """Where the workspace's endpoints collect data (and store posted ground truth)."""
    datastore = ctx.session.scalar(
        select(DatastoreRow).where(DatastoreRow.workspace_id == ws.id, DatastoreRow.is_default)
    )
    if datastore is None:
        raise ValidationError(f"workspace {ws.name!r} has no default datastore to collect into")
    return f"{datastore.url.rstrip('/')}/{COLLECTOR_FOLDER}"


def collected_url(ctx: ServiceContext, ws: WorkspaceRow, endpoint: str, deployment: str,
                  collection: str) -> str:  # fmt: skip
    return f"{collector_root(ctx, ws)}/{endpoint}/{deployment}/{collection}"


def collected_table(url: str) -> MonitorTable | None:
    """The collected files under ``url``; None while nothing has been collected there."""
    try:
        source_schema(url)
    except (SourceError, FileNotFoundError):
        return None
    return MonitorTable(source=url, label=url)


def input_table(
    ctx: ServiceContext, ws: WorkspaceRow, given: InputData, field: str
) -> MonitorTable:
    """A data asset (``name:version``, ``name@latest``) or a URL/path, as a table."""
    if is_asset_reference(given.path) or "@" in given.path:
        row = assets.resolve(ctx, ws, "data", given.path, field=field)
        return asset_table(ctx, row, ws.name)
    return MonitorTable(source=given.path, label=given.path)


def asset_table(ctx: ServiceContext, row: AssetVersionRow, workspace: str) -> MonitorTable:
    if not row.path:
        raise ValidationError(f"data asset {row.name}:{row.version} has no path")
    source: TabularSource = row.path
    if row.type == "mltable":  # its MLTable file says how to read it: read it as a frame
        from opsloop.store.artifacts import materialize
        from opsloop.tabular.reader import read_table

        with tempfile.TemporaryDirectory(prefix="opsloop-monitor-") as scratch:
            source = read_table(materialize(row.path, Path(scratch)), "mltable")
    return MonitorTable(
        source=source,
        label=f"data:{row.name}:{row.version}",
        cache_key=f"data/{workspace}/{row.name}/{row.version}/reference-summaries",
    )


def training_table(ctx: ServiceContext, ws: WorkspaceRow, deployment: DeploymentRow,
                   endpoint: str) -> MonitorTable:  # fmt: skip
    """The data asset the deployed model's training job read; an error says what to add."""
    hint = (
        "give the signal reference_data.input_data.path (a data asset such as "
        "taxi-train:1), or register the model from the output of the job that trained it"
    )
    if not deployment.model_name or not deployment.model_version:
        raise ValidationError(
            f"deployment {endpoint}/{deployment.name} serves no registered model; {hint}"
        )
    model = _model_row(ctx, ws, deployment.model_name, deployment.model_version)
    data = (model.details.get("lineage") or {}).get("data") if model else None
    if not data:
        raise ValidationError(
            f"model {deployment.model_name}:{deployment.model_version} records no training "
            f"data in its lineage; {hint}"
        )
    if len(data) > 1:
        raise ValidationError(
            f"model {deployment.model_name}:{deployment.model_version} was trained on "
            f"several data assets ({', '.join(data)}); name the reference: {hint}"
        )
    row, holder = _data_row(ctx, ws, data[0])
    if row is None or holder is None:
        raise ValidationError(f"training data {data[0]} is in no workspace you can read; {hint}")
    return asset_table(ctx, row, holder.name)


def _model_row(
    ctx: ServiceContext, ws: WorkspaceRow, name: str, version: str
) -> AssetVersionRow | None:
    rows = ctx.session.scalars(
        select(AssetVersionRow).where(
            AssetVersionRow.asset_kind == "model",
            AssetVersionRow.name == name,
            AssetVersionRow.version == version,
        )
    ).all()
    # The workspace's own version first; else a registry's (its lineage was copied).
    return next((r for r in rows if r.workspace_id == ws.id), rows[0] if rows else None)


def _data_row(
    ctx: ServiceContext, ws: WorkspaceRow, reference: str
) -> tuple[AssetVersionRow | None, WorkspaceRow | None]:
    name, _, version = reference.partition(":")
    rows = ctx.session.scalars(
        select(AssetVersionRow).where(
            AssetVersionRow.asset_kind == "data",
            AssetVersionRow.name == name,
            AssetVersionRow.version == version,
        )
    ).all()
    # The monitor's workspace first; else where the model was trained (a dev workspace),
    # which the caller must be allowed to read.
    for row in sorted(rows, key=lambda r: r.workspace_id != ws.id):
        holder = ctx.session.get(WorkspaceRow, row.workspace_id)
        if holder is None:
            continue
        if holder.id != ws.id:
            ctx.authorize(Action.DATA_READ, holder.name)
        return row, holder
    return None, None


def feature_columns(production: list[str], reference: list[str], exclude: set[str]) -> list[str]:
    """Columns both sides hold, minus the collector's own and ``exclude`` (targets)."""
    skip = set(COLLECTOR_COLUMNS) | exclude
    return [c for c in production if c in reference and c not in skip]


def reference_summary(
    ctx: ServiceContext, table: MonitorTable, columns: list[str]
) -> ReferenceSummary:
    """The summary of ``columns`` of ``table``, computed once per data asset version."""
    if table.cache_key is None:
        return summarize_reference(table.source, columns)
    digest = hashlib.sha256(json.dumps(sorted(columns)).encode()).hexdigest()[:16]
    url = ctx.artifacts.url_for(f"{table.cache_key}/{digest}.json")
    fs, path = fsspec.core.url_to_fs(url)
    if fs.exists(path):
        with fs.open(path, "rb") as handle:
            return ReferenceSummary.model_validate_json(handle.read())
    summary = summarize_reference(table.source, columns)
    fs.makedirs(path.rsplit("/", 1)[0], exist_ok=True)
    with fs.open(path, "wb") as handle:
        handle.write(summary.model_dump_json().encode())
    return summary


def renamed(table: MonitorTable, columns: dict[str, str]) -> Any:
    """The table's ``columns`` (old -> new names) as a frame: a reference's target column
    read under the prediction column's name."""
    import pyarrow as pa

    from opsloop.monitoring.sources import iter_batches

    chunks = list(iter_batches(table.source, list(columns)))
    frame = pa.concat_tables(chunks).to_pandas() if chunks else None
    if frame is None:
        raise ValidationError(f"{table.label} holds no rows")
    return frame.rename(columns=columns)
