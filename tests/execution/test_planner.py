from __future__ import annotations

import pytest

from opsloop.errors import ConflictError, ValidationError
from opsloop.execution.plan import CommandStepPlan, StepOutputBinding
from opsloop.execution.planner import downstream_of, execution_order, step_dependencies
from opsloop.execution.states import JobStatus, check_transition
from opsloop.specs.component import ComponentInput
from opsloop.specs.values import coerce_literal


def _step(outputs: list[str], **reads: tuple[str, str]) -> CommandStepPlan:
    return CommandStepPlan.model_validate(
        {
            "component": {
                "name": "c",
                "command": "true",
                "hash": "h",
                "outputs": {o: {"type": "uri_file"} for o in outputs},
            },
            "inputs": {
                k: {"kind": "step_output", "step": s, "output": o} for k, (s, o) in reads.items()
            },
        }
    )


def test_order_follows_dependencies() -> None:
    steps = {
        "train": _step(["model"], data=("prep", "out")),
        "prep": _step(["out"]),
        "eval": _step(["report"], model=("train", "model"), data=("prep", "out")),
    }
    deps = step_dependencies(steps)
    assert deps == {"train": {"prep"}, "prep": set(), "eval": {"train", "prep"}}
    reads = steps["eval"].inputs["model"]
    assert isinstance(reads, StepOutputBinding) and reads.type == "uri_file"
    assert execution_order(deps) == ["prep", "train", "eval"]
    assert downstream_of("prep", deps) == {"train", "eval"}


def test_cycle_is_named() -> None:
    steps = {"a": _step(["o"], x=("b", "o")), "b": _step(["o"], x=("a", "o"))}
    with pytest.raises(ValidationError, match=r"cycle: (a -> b -> a|b -> a -> b)"):
        execution_order(step_dependencies(steps))


def test_unknown_step_and_output_are_named() -> None:
    with pytest.raises(ValidationError, match="unknown step 'nope'") as error:
        step_dependencies({"a": _step([], x=("nope", "o"))})
    assert error.value.field == "jobs.a.inputs.x"
    with pytest.raises(ValidationError, match="has no output 'missing'"):
        step_dependencies({"a": _step(["o"]), "b": _step([], x=("a", "missing"))})


def test_literal_coercion_checks_type_bounds_and_enum() -> None:
    decl = ComponentInput(type="integer", min=1, max=10)
    assert coerce_literal(decl, "5") == 5
    with pytest.raises(ValidationError, match="below the minimum"):
        coerce_literal(decl, 0)
    with pytest.raises(ValidationError, match="not a valid integer"):
        coerce_literal(decl, "many")
    assert coerce_literal(ComponentInput(type="boolean"), "true") is True
    with pytest.raises(ValidationError, match="not one of"):
        coerce_literal(ComponentInput(type="string", enum=["a", "b"]), "c")
    with pytest.raises(ValidationError):
        ComponentInput(type="number", default="x")


def test_state_machine_refuses_illegal_transitions() -> None:
    assert check_transition("Queued", "Running") == JobStatus.RUNNING
    assert check_transition("NotStarted", "Completed") == JobStatus.COMPLETED
    with pytest.raises(ConflictError, match="a Completed job cannot become Running"):
        check_transition("Completed", "Running")
