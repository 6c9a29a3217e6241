"""Pipeline DAG: step dependencies from ``${{parent.jobs.<step>.outputs.<o>}}`` bindings.

Pure logic: it sees resolved step bindings and component declarations, nothing else, and
rejects unknown steps, unknown outputs and cycles before anything runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from graphlib import CycleError, TopologicalSorter

from opsloop.errors import ValidationError
from opsloop.execution.plan import CommandStepPlan, StepOutputBinding


def step_dependencies(steps: Mapping[str, CommandStepPlan]) -> dict[str, set[str]]:
    """Map each step to the steps whose outputs it reads; checks every reference and
    records on each step-output binding the type of the output it reads."""
    dependencies: dict[str, set[str]] = {}
    for step_name, step in steps.items():
        needs: set[str] = set()
        for input_name, binding in step.inputs.items():
            if not isinstance(binding, StepOutputBinding):
                continue
            field = f"jobs.{step_name}.inputs.{input_name}"
            source = binding.step
            if source not in steps:
                raise ValidationError(f"refers to an unknown step {source!r}", field=field)
            if source == step_name:
                raise ValidationError("a step cannot read its own output", field=field)
            declared = steps[source].component.outputs
            if binding.output not in declared:
                raise ValidationError(
                    f"step {source!r} has no output {binding.output!r} "
                    f"(it has: {', '.join(sorted(declared)) or 'none'})",
                    field=field,
                )
            binding.type = declared[binding.output].type
            needs.add(source)
        dependencies[step_name] = needs
    return dependencies


def execution_order(dependencies: Mapping[str, set[str]]) -> list[str]:
    """A topological order of the steps; a cycle is named in the error."""
    try:
        return list(TopologicalSorter(dependencies).static_order())
    except CycleError as exc:
        steps = [str(step) for step in exc.args[1]]
        raise ValidationError(
            f"the pipeline has a cycle: {' -> '.join(steps)}", field=f"jobs.{steps[0]}"
        ) from None


def downstream_of(step: str, dependencies: Mapping[str, set[str]]) -> set[str]:
    """Every step that needs ``step``, directly or not."""
    found: set[str] = set()
    frontier = {step}
    while frontier:
        frontier = {s for s, needs in dependencies.items() if needs & frontier} - found
        found |= frontier
    return found
