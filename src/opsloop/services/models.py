"""Models: versioned MLflow models or custom folders, with lineage to what produced them."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select

from opsloop.catalogue.actions import Action
from opsloop.catalogue.events import ModelRegistered
from opsloop.errors import ValidationError
from opsloop.schemas.entities import Model, ModelLineage
from opsloop.services import assets
from opsloop.services.context import ServiceContext
from opsloop.services.datastores import resolve_datastore_url
from opsloop.services.job_output_uris import parse_job_output
from opsloop.services.workspaces import require_workspace_row
from opsloop.specs.model import ModelSpec
from opsloop.store.artifacts import hash_path, materialize
from opsloop.store.tables import AssetVersionRow, JobRow, WorkspaceRow


def create_model(ctx: ServiceContext, workspace: str, spec: ModelSpec) -> Model:
    ctx.begin_mutation(Action.MODELS_WRITE, workspace, f"model:{spec.name}")
    ws = require_workspace_row(ctx, workspace)
    url, lineage = _resolve_source(ctx, ws, spec.path)
    with (
        tempfile.TemporaryDirectory(prefix="opsloop-model-") as scratch,
        assets.reading_source(spec.path),
    ):
        local = materialize(url, Path(scratch))
        flavors = _flavors(local) if spec.type == "mlflow_model" else []
        content_hash = hash_path(local)
    row = assets.add_version(
        ctx,
        ws,
        "model",
        spec.name,
        spec.version,
        type=spec.type,
        path=url,
        description=spec.description,
        tags=spec.tags,
        content_hash=content_hash,
        details={"lineage": lineage.model_dump(), "flavors": flavors},
    )
    ctx.record(
        Action.MODELS_WRITE,
        workspace=workspace,
        target=f"model:{row.name}:{row.version}",
        event=ModelRegistered(path=url, job=lineage.job, step=lineage.step),
    )
    return to_entity(row, workspace)


def get_model(ctx: ServiceContext, workspace: str, reference: str) -> Model:
    ctx.authorize(Action.MODELS_READ, workspace)
    ws = require_workspace_row(ctx, workspace)
    return to_entity(assets.resolve(ctx, ws, "model", reference), workspace)


def list_models(
    ctx: ServiceContext,
    workspace: str,
    name: str | None = None,
    *,
    include_archived: bool = False,
) -> list[Model]:
    ctx.authorize(Action.MODELS_READ, workspace)
    ws = require_workspace_row(ctx, workspace)
    rows = assets.list_versions(ctx, ws, "model", name, include_archived=include_archived)
    return [to_entity(r, workspace) for r in rows]


def set_archived(
    ctx: ServiceContext, workspace: str, name: str, version: str | None, *, archived: bool
) -> list[Model]:
    """Archive (or restore) one version of ``name``, or all of them; oldest first."""
    rows = assets.set_archived(ctx, workspace, "model", name, version, archived=archived)
    return [to_entity(r, workspace) for r in rows]


def _resolve_source(ctx: ServiceContext, ws: WorkspaceRow, path: str) -> tuple[str, ModelLineage]:
    if not path.startswith("azureml://jobs/"):
        if "://" not in path:
            raise ValidationError("local paths are uploaded by the CLI and SDK first", field="path")
        return resolve_datastore_url(ctx, ws, path, "path"), ModelLineage()
    source = parse_job_output(ctx, ws, path, field="path")
    return source.url, lineage_of(ctx, source.producer, source.output)


def lineage_of(ctx: ServiceContext, producer: JobRow, output: str) -> ModelLineage:
    """The job and step that produced an output, the data it read, its environment and code."""
    top = ctx.session.get(JobRow, producer.parent_id) if producer.parent_id else producer
    assert top is not None
    environment = (producer.spec.get("component") or {}).get("environment") or {}
    return ModelLineage(
        job=top.name,
        step=producer.step_name,
        output=output,
        data=sorted(_data_assets_read(ctx, top)),
        environment=environment.get("reference")
        or (f"inline:{environment['hash'][:12]}" if environment else None),
        code_hash=producer.spec.get("code_hash"),
    )


def _data_assets_read(ctx: ServiceContext, top: JobRow) -> set[str]:
    rows = [top, *ctx.session.scalars(select(JobRow).where(JobRow.parent_id == top.id))]
    found: set[str] = set()
    for row in rows:
        for binding in row.inputs.values():
            asset = binding.get("asset") if isinstance(binding, dict) else None
            if asset and asset.startswith("data:"):
                found.add(asset.removeprefix("data:"))
    return found


def _flavors(local: Path) -> list[str]:
    mlmodel = local / "MLmodel" if local.is_dir() else None
    if mlmodel is None or not mlmodel.is_file():
        raise ValidationError(
            "an mlflow_model must be a folder holding an MLmodel file; use type custom_model otherwise",
            field="path",
        )
    content: dict[str, Any] = yaml.safe_load(mlmodel.read_text()) or {}
    return sorted((content.get("flavors") or {}).keys())


def to_entity(row: AssetVersionRow, workspace: str) -> Model:
    return Model(
        **assets.common_fields(row, workspace),
        type=row.type or "mlflow_model",
        path=row.path or "",
        lineage=ModelLineage(**row.details.get("lineage", {})),
        flavors=row.details.get("flavors", []),
    )
