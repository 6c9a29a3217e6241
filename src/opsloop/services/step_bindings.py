"""Where a step's asset inputs come from and where its outputs go: asset references, job
outputs (``azureml://jobs/...``), datastore paths and URLs for inputs; the artifact store,
a datastore path or a pipeline output for outputs. ``${{name}}`` in an output's path is the
job's name, as on Azure ML."""

from __future__ import annotations

from typing import Any

from opsloop.errors import ValidationError
from opsloop.execution.expressions import as_single_binding
from opsloop.execution.plan import AssetBinding, OutputPlan
from opsloop.services import assets
from opsloop.services.context import ServiceContext
from opsloop.services.datastores import resolve_datastore_url
from opsloop.services.job_output_uris import job_output_url
from opsloop.specs.component import ComponentOutput
from opsloop.specs.job import JobOutput
from opsloop.specs.references import is_asset_reference, parse_registry_uri
from opsloop.store.tables import WorkspaceRow

MODEL_TYPES = {"mlflow_model", "custom_model"}
JOB_NAME = "${{name}}"


def asset_binding(
    ctx: ServiceContext,
    ws: WorkspaceRow,
    path: str,
    kind: str,
    *,
    field: str,
    mode: str | None = None,
) -> AssetBinding:
    """An asset input: what it reads (URL, hash, asset) and how (``mode``)."""
    binding = _asset_source(ctx, ws, path, kind, field=field)
    return binding.model_copy(update={"mode": mode}) if mode else binding


def _asset_source(
    ctx: ServiceContext, ws: WorkspaceRow, path: str, kind: str, *, field: str
) -> AssetBinding:
    if not path:
        raise ValidationError("an asset input needs a path", field=field)
    asset_kind: assets.AssetKind = "model" if kind in MODEL_TYPES else "data"
    if path.startswith("azureml://jobs/"):
        url, stored_hash = job_output_url(ctx, ws, path, field=field)
        return AssetBinding(type=kind, url=url, hash=stored_hash)
    if is_asset_reference(path) or parse_registry_uri(path, field=field, kind=asset_kind):
        row = assets.resolve(ctx, ws, asset_kind, path, field=field)
        return AssetBinding(
            type=kind,
            url=row.path,
            hash=row.content_hash,
            asset=f"{asset_kind}:{assets.reference_to(ctx, row)}",
        )
    if "://" not in path:
        raise ValidationError(
            f"{path!r} is neither a reference (name:version, name@latest) nor a URL; "
            "local paths are uploaded by the CLI and SDK",
            field=field,
        )
    url = resolve_datastore_url(ctx, ws, path, field)
    check_readable(url, field=field)
    return AssetBinding(type=kind, url=url)


def check_readable(url: str, *, field: str) -> None:
    """Refuse at submission a URL whose protocol no installed file system reads (it would
    only fail once the step starts)."""
    protocol = url.split("://", 1)[0]
    import fsspec  # here: reading a job, listing jobs, need none of it

    try:
        fsspec.get_filesystem_class(protocol)
    except ValueError:
        raise ValidationError(
            f"{protocol}:// is not a protocol opsloop can read; use a datastore "
            "(azureml://datastores/<name>/paths/<path>), file://, s3://, abfs:// or gs://",
            field=field,
        ) from None
    except ImportError as exc:
        raise ValidationError(
            f"reading {protocol}:// needs a package that is not installed: {exc}", field=field
        ) from None


def bind_output(
    ctx: ServiceContext,
    ws: WorkspaceRow,
    value: Any,
    decl: ComponentOutput,
    *,
    field: str,
    parent_outputs: dict[str, Any] | None,
    job_name: str,
) -> OutputPlan:
    """Where a step output goes: the artifact store unless a path (its own, or that of
    the pipeline output it is bound to) says otherwise."""
    kind = decl.type
    binding = as_single_binding(value, field=field)
    if binding is not None:
        if binding.scope != "parent.outputs" or parent_outputs is None:
            raise ValidationError(f"{binding} cannot bind an output", field=field)
        if binding.name not in parent_outputs:
            raise ValidationError(
                f"{binding} is not bound: the pipeline declares no output {binding.name!r}",
                field=field,
            )
        parent = parent_outputs[binding.name]
        if not isinstance(parent, JobOutput):
            return OutputPlan(type=kind, parent_output=binding.name)
        # The pipeline output says what it is, and where it goes, for every step bound to it.
        return OutputPlan(
            type=parent.type if "type" in parent.model_fields_set else kind,
            path=_output_url(ctx, ws, parent.path, job_name, f"outputs.{binding.name}"),
            parent_output=binding.name,
        )
    if isinstance(value, JobOutput) and value.path:
        return OutputPlan(
            type=value.type, path=_output_url(ctx, ws, value.path, job_name, f"{field}.path")
        )
    return OutputPlan(type=kind)


def _output_url(
    ctx: ServiceContext, ws: WorkspaceRow, path: str | None, job_name: str, field: str
) -> str | None:
    if not path:
        return None
    return resolve_datastore_url(ctx, ws, path.replace(JOB_NAME, job_name), field)
