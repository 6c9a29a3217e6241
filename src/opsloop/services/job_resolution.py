"""Turn a submitted job spec into resolved steps: components pinned, references found,
bindings checked. Everything that can be wrong with a job is found here, before it runs."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from opsloop.errors import ValidationError
from opsloop.execution.expressions import as_single_binding
from opsloop.execution.plan import (
    CommandStepPlan,
    ComponentPlan,
    InputBinding,
    LiteralBinding,
    PipelineOutputSource,
    PipelinePlan,
    StepOutputBinding,
    SweepPlan,
    UnboundBinding,
)
from opsloop.execution.planner import execution_order, step_dependencies
from opsloop.services import assets
from opsloop.services.components import resolve_component
from opsloop.services.computes import resolve_compute
from opsloop.services.context import ServiceContext
from opsloop.services.curated_environments import unavailable
from opsloop.services.step_bindings import asset_binding, bind_output
from opsloop.services.sweep_resolution import sweep_plan, trial_job
from opsloop.services.vault import check_references
from opsloop.specs.base import ASSET_TYPES, LITERAL_TYPES
from opsloop.specs.component import ComponentInput, ComponentOutput, ComponentSpec
from opsloop.specs.job import CommandJobSpec, JobInput, JobOutput, PipelineJobSpec, SweepJobSpec
from opsloop.specs.references import CURATED_REGISTRY, is_spec_file, parse_registry_uri
from opsloop.specs.values import coerce_literal
from opsloop.store.tables import WorkspaceRow


class ResolvedPipeline(BaseModel):
    """A pipeline's plan (its own row), its bound inputs and one plan per step."""

    plan: PipelinePlan
    inputs: dict[str, InputBinding]
    steps: dict[str, CommandStepPlan | SweepPlan]


def resolve_command_job(
    ctx: ServiceContext, ws: WorkspaceRow, spec: CommandJobSpec, job_name: str
) -> CommandStepPlan:
    """A command job is one step: its component plus bindings of literal values and assets."""
    step = _resolve_step(ctx, ws, spec, field="", parent_inputs=None, job_name=job_name)
    step.description = spec.description
    step.tags = dict(spec.tags)  # kept with the job, as a pipeline's or a sweep's are
    return step


def resolve_sweep_job(
    ctx: ServiceContext,
    ws: WorkspaceRow,
    spec: SweepJobSpec,
    job_name: str,
    *,
    field: str = "",
    parent_inputs: dict[str, InputBinding] | None = None,
    parent_outputs: dict[str, Any] | None = None,
    default_compute: str | None = None,
) -> SweepPlan:
    """A sweep is its trial, resolved as a command step, and how to draw its values."""
    prefix = f"{field}." if field else ""
    trial = trial_job(spec, prefix)
    if trial.input_types is not None:
        trial.input_types = {**_infer_input_types(spec.inputs), **trial.input_types}
    try:
        step = _resolve_step(
            ctx,
            ws,
            trial,
            field=field,
            parent_inputs=parent_inputs,
            parent_outputs=parent_outputs,
            default_compute=default_compute,
            job_name=job_name,
        )
    except ValidationError as exc:
        raise _where_written(exc, spec, prefix) from None
    return sweep_plan(spec, step, prefix)


def _where_written(exc: ValidationError, spec: SweepJobSpec, prefix: str) -> ValidationError:
    """An error about the trial's command job, naming the key the user wrote."""
    rest = (exc.field or "")[len(prefix) :] if (exc.field or "").startswith(prefix) else None
    if rest is None:
        return exc
    head, _, tail = rest.partition(".")
    if head == "inputs" and tail.split(".")[0] in spec.search_space:
        return ValidationError(exc.reason, field=f"{prefix}search_space.{tail}")
    if head in ("command", "code", "environment", "component") or not rest:
        where = "trial" if head in ("component", "") else f"trial.{rest}"
        return ValidationError(exc.reason, field=f"{prefix}{where}")
    return exc


def resolve_pipeline_job(
    ctx: ServiceContext, ws: WorkspaceRow, spec: PipelineJobSpec, job_name: str
) -> ResolvedPipeline:
    parent_inputs = {
        name: _resolve_pipeline_input(ctx, ws, value, field=f"inputs.{name}")
        for name, value in spec.inputs.items()
    }
    steps: dict[str, CommandStepPlan | SweepPlan] = {}
    for name, step in spec.jobs.items():
        where: dict[str, Any] = {
            "field": f"jobs.{name}",
            "parent_inputs": parent_inputs,
            "parent_outputs": spec.outputs,
            "default_compute": spec.settings.default_compute,
        }
        if isinstance(step, SweepJobSpec):
            steps[name] = resolve_sweep_job(ctx, ws, step, job_name, **where)
        else:
            steps[name] = _resolve_step(ctx, ws, step, job_name=job_name, **where)
    # A sweep step reads and writes what its trial does.
    units = {n: s.trial if isinstance(s, SweepPlan) else s for n, s in steps.items()}
    dependencies = step_dependencies(units)
    order = execution_order(dependencies)
    for name, needs in dependencies.items():
        steps[name].depends_on = sorted(needs)
        units[name].depends_on = sorted(needs)
    outputs: dict[str, PipelineOutputSource] = {}
    for step_name, unit in units.items():
        for output_name, output in unit.outputs.items():
            if output.parent_output:
                outputs[output.parent_output] = PipelineOutputSource(
                    step=step_name, output=output_name
                )
    for name in spec.outputs:
        if name not in outputs:
            raise ValidationError(
                "pipeline output is not bound by any step", field=f"outputs.{name}"
            )
    plan = PipelinePlan(
        settings=spec.settings.model_copy(),
        order=order,
        outputs=outputs,
        timeout=spec.limits.timeout if spec.limits else None,
        description=spec.description,
        tags=spec.tags,
    )
    return ResolvedPipeline(plan=plan, inputs=parent_inputs, steps=steps)


def _resolve_step(
    ctx: ServiceContext,
    ws: WorkspaceRow,
    spec: CommandJobSpec,
    *,
    field: str,
    parent_inputs: dict[str, InputBinding] | None,
    job_name: str,
    parent_outputs: dict[str, Any] | None = None,
    default_compute: str | None = None,
) -> CommandStepPlan:
    prefix = f"{field}." if field else ""
    component = _component_of(ctx, ws, spec, prefix=prefix)
    resolved = ComponentPlan.model_validate(
        resolve_component(
            ctx, ws, component, field=f"{prefix}component" if spec.component else field
        )
    )
    declared_inputs = resolved.inputs
    inputs: dict[str, InputBinding] = {}
    for name, value in spec.inputs.items():
        if name not in declared_inputs:
            raise ValidationError(
                f"the component has no input {name!r} (it has: {', '.join(sorted(declared_inputs)) or 'none'})",
                field=f"{prefix}inputs.{name}",
            )
        inputs[name] = _bind_input(
            ctx,
            ws,
            value,
            declared_inputs[name],
            field=f"{prefix}inputs.{name}",
            parent_inputs=parent_inputs,
        )
    for name, decl in declared_inputs.items():
        if name in inputs and not isinstance(inputs[name], UnboundBinding):
            continue
        if decl.default is not None:
            inputs[name] = LiteralBinding(value=coerce_literal(decl, decl.default))
        elif decl.optional:
            inputs[name] = UnboundBinding()
        else:
            raise ValidationError("required input is not bound", field=f"{prefix}inputs.{name}")
    outputs = {
        name: bind_output(
            ctx,
            ws,
            spec.outputs.get(name),
            decl,
            field=f"{prefix}outputs.{name}",
            parent_outputs=parent_outputs,
            job_name=job_name,
        )
        for name, decl in resolved.outputs.items()
    }
    for name in spec.outputs:
        if name not in resolved.outputs:
            raise ValidationError(
                "the component has no such output", field=f"{prefix}outputs.{name}"
            )
    compute = resolve_compute(
        ctx,
        ws,
        spec.compute or default_compute,
        field=f"{prefix}compute"
        if spec.compute or not default_compute
        else "settings.default_compute",
    )
    variables = {**resolved.environment_variables, **spec.environment_variables}
    # A secret's value is put in when the step starts; here only its name is checked.
    own = f"{prefix}command" if spec.command and not spec.component else f"{prefix}component"
    texts = {own: resolved.command}
    for key, value in variables.items():
        where = f"{prefix}environment_variables.{key}" if key in spec.environment_variables else own
        texts[where] = f"{texts.get(where, '')} {value}"
    check_references(ctx, ws, texts)
    return CommandStepPlan(
        component=resolved,
        inputs=inputs,
        outputs=outputs,
        environment_variables=variables,
        timeout=spec.limits.timeout if spec.limits else None,
        compute=compute,
    )


def _component_of(
    ctx: ServiceContext, ws: WorkspaceRow, spec: CommandJobSpec, *, prefix: str
) -> ComponentSpec:
    if isinstance(spec.component, ComponentSpec):
        return spec.component
    if isinstance(spec.component, str):
        if spec.component.startswith("file:") or is_spec_file(spec.component):
            raise ValidationError(
                "component files must be loaded by the client before submission",
                field=f"{prefix}component",
            )
        registry = parse_registry_uri(spec.component, field=f"{prefix}component", kind="component")
        if registry is not None and registry.registry == CURATED_REGISTRY:
            raise unavailable(registry, field=f"{prefix}component")
        row = assets.resolve(ctx, ws, "component", spec.component, field=f"{prefix}component")
        stored = row.spec
        return ComponentSpec.model_validate(
            {
                "name": row.name,
                "version": row.version,
                "command": stored["command"],
                "code": stored["code"],
                "inputs": stored["inputs"],
                "outputs": stored["outputs"],
                "environment": stored["environment"]["reference"]
                if stored.get("environment")
                else None,
                "environment_variables": stored["environment_variables"],
                "is_deterministic": stored["is_deterministic"],
            }
        )
    if not spec.command:
        raise ValidationError("a command job needs command or component", field=f"{prefix}command")
    return ComponentSpec(
        name="inline",
        command=spec.command,
        code=spec.code,
        environment=spec.environment,
        inputs=spec.input_types or _infer_input_types(spec.inputs),
        outputs=spec.output_types or _infer_output_types(spec.outputs),
    )


def _infer_input_types(values: dict[str, Any]) -> dict[str, ComponentInput]:
    """An inline command declares its inputs by the values it binds (as Azure ML does)."""
    declared: dict[str, ComponentInput] = {}
    for name, value in values.items():
        if isinstance(value, JobInput):
            kind = value.type or ("uri_folder" if value.path else "string")
            declared[name] = ComponentInput.model_validate(
                {"type": kind, "optional": value.optional}
            )
        elif isinstance(value, bool):
            declared[name] = ComponentInput(type="boolean")
        elif isinstance(value, int):
            declared[name] = ComponentInput(type="integer")
        elif isinstance(value, float):
            declared[name] = ComponentInput(type="number")
        else:
            declared[name] = ComponentInput(type="string")
    return declared


def _infer_output_types(values: dict[str, Any]) -> dict[str, ComponentOutput]:
    return {
        name: ComponentOutput(type=value.type if isinstance(value, JobOutput) else "uri_folder")
        for name, value in values.items()
    }


def _resolve_pipeline_input(
    ctx: ServiceContext, ws: WorkspaceRow, value: Any, *, field: str
) -> InputBinding:
    if isinstance(value, JobInput):
        if value.type in ASSET_TYPES or value.path is not None:
            return asset_binding(
                ctx, ws, value.path or "", value.type or "uri_folder", field=field, mode=value.mode
            )
        literal = value.value if value.value is not None else value.default
        if value.type in LITERAL_TYPES and literal is not None:
            # A pipeline input declares only its type: no bounds or choices to check.
            declared = ComponentInput.model_validate({"type": value.type})
            return LiteralBinding(value=coerce_literal(declared, literal, field=field))
        return UnboundBinding()
    if value is None:
        return UnboundBinding()
    return LiteralBinding(value=value)


def _bind_input(
    ctx: ServiceContext,
    ws: WorkspaceRow,
    value: Any,
    decl: ComponentInput,
    *,
    field: str,
    parent_inputs: dict[str, InputBinding] | None,
) -> InputBinding:
    binding = as_single_binding(value, field=field)
    if binding is not None and binding.scope == "secrets":
        raise ValidationError(
            f"{binding} cannot be an input's value (inputs are stored with the job): use it in "
            "command or environment_variables",
            field=field,
        )
    if binding is not None:
        if parent_inputs is None:
            raise ValidationError(f"{binding} can only be used inside a pipeline", field=field)
        if binding.scope == "parent.jobs":
            return StepOutputBinding(step=binding.step, output=binding.name)
        if binding.scope != "parent.inputs":
            raise ValidationError(f"{binding} cannot bind an input", field=field)
        if binding.name not in parent_inputs:
            raise ValidationError(
                f"{binding} is not bound: the pipeline has no input {binding.name!r}", field=field
            )
        parent = parent_inputs[binding.name]
        if isinstance(parent, LiteralBinding) and decl.type in ASSET_TYPES:
            return asset_binding(ctx, ws, str(parent.value), decl.type, field=field, mode=decl.mode)
        if isinstance(parent, LiteralBinding):
            return LiteralBinding(
                value=_coerce_parent_value(decl, parent.value, binding.name, field)
            )
        return parent.model_copy()
    if isinstance(value, str) and "${{" in value:
        raise ValidationError(f"{value!r} must be exactly one ${{{{...}}}} expression", field=field)
    if decl.type in ASSET_TYPES:
        if isinstance(value, JobInput):
            kind, mode = value.type or decl.type, value.mode or decl.mode
            return asset_binding(ctx, ws, value.path or "", kind, field=field, mode=mode)
        return asset_binding(ctx, ws, str(value), decl.type, field=field, mode=decl.mode)
    if isinstance(value, JobInput):
        value = value.value if value.value is not None else value.default
        if value is None:
            return UnboundBinding()
    return LiteralBinding(value=coerce_literal(decl, value, field=field))


def _coerce_parent_value(decl: ComponentInput, value: Any, name: str, field: str) -> Any:
    """A pipeline input's value checked against the step input it is bound to; an error
    names the pipeline input, where the user wrote the value (or set it with --set)."""
    try:
        return coerce_literal(decl, value, field=field)
    except ValidationError as exc:
        parts = field.split(".")
        step_at = len(parts) - 1 - parts[::-1].index("jobs") if "jobs" in parts else 0
        parent_field = ".".join([*parts[:step_at], "inputs", name])
        raise ValidationError(f"{exc.reason} (for {field})", field=parent_field) from None
