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
from opsloop.services.model_aliases import aliases_by_version
from opsloop.services.registries import registry_space
from opsloop.services.workspaces import REGISTRY_KIND, require_workspace_row
from opsloop.specs.model import ModelSpec
from opsloop.specs.references import RegistryReference, parse_reference
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
    return entities(ctx, [row])[0]


def get_model(ctx: ServiceContext, workspace: str, reference: str) -> Model:
    """A version of the workspace's (``name:version``, ``name@latest``, ``name@alias``) or,
    for a registry reference, of that registry's."""
    ctx.authorize(Action.MODELS_READ, workspace)
    ws = require_workspace_row(ctx, workspace)
    return entities(ctx, [assets.resolve(ctx, ws, "model", reference)])[0]


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
    return entities(ctx, rows)


def get_registry_model(ctx: ServiceContext, registry: str, reference: str) -> Model:
    ctx.authorize(Action.REGISTRIES_READ, None)
    ref = parse_reference(reference, field="reference")
    found = assets.resolve_in_registry(
        ctx, RegistryReference(registry, "model", ref.name, ref.version, ref.alias)
    )
    return entities(ctx, [found])[0]


def list_registry_models(
    ctx: ServiceContext, registry: str, name: str | None = None
) -> list[Model]:
    ctx.authorize(Action.REGISTRIES_READ, None)
    space = registry_space(ctx, registry)
    return entities(ctx, assets.list_versions(ctx, space, "model", name)) if space else []


def set_archived(
    ctx: ServiceContext, workspace: str, name: str, version: str | None, *, archived: bool
) -> list[Model]:
    """Archive (or restore) one version of ``name``, or all of them; oldest first."""
    rows = assets.set_archived(ctx, workspace, "model", name, version, archived=archived)
    return entities(ctx, rows)


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


def entities(ctx: ServiceContext, rows: list[AssetVersionRow]) -> list[Model]:
    """The rows as models, with their aliases, named by workspace or registry."""
    spaces = {row.workspace_id: ctx.session.get(WorkspaceRow, row.workspace_id) for row in rows}
    aliases: dict[tuple[str, str], list[str]] = {}
    for space in spaces.values():
        assert space is not None
        aliases |= aliases_by_version(ctx, space, [r for r in rows if r.workspace_id == space.id])
    return [_to_entity(row, spaces[row.workspace_id], aliases) for row in rows]


def _to_entity(
    row: AssetVersionRow, space: WorkspaceRow | None, aliases: dict[tuple[str, str], list[str]]
) -> Model:
    assert space is not None
    in_registry = space.kind == REGISTRY_KIND
    return Model(
        **assets.common_fields(
            row,
            None if in_registry else space.name,
            registry=space.name.removeprefix("registry:") if in_registry else None,
        ),
        type=row.type or "mlflow_model",
        path=row.path or "",
        lineage=ModelLineage(**row.details.get("lineage", {})),
        flavors=row.details.get("flavors", []),
        aliases=aliases.get((row.name, row.version), []),
    )
