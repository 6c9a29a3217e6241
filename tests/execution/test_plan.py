"""Typed plans read the rows written before they existed, and the step cache keys stay the
same, so old steps are still reused."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from opsloop.execution.plan import (
    AssetBinding,
    CommandStepPlan,
    LiteralBinding,
    PipelinePlan,
    StepOutputBinding,
    UnboundBinding,
    read_plan,
)
from opsloop.execution.step_hash import step_hash
from opsloop.runner.step_files import PreparedInput

# A step row as the dict-based resolver stored it.
OLD_STEP: dict[str, Any] = {
    "component": {
        "name": "inline",
        "display_name": None,
        "command": "python train.py ${{inputs.lr}} ${{inputs.data}} ${{outputs.model}}",
        "code": "file:///tmp/code",
        "inputs": {"lr": {"type": "number", "default": 0.1}, "data": {"type": "uri_folder"}},
        "outputs": {"model": {"type": "uri_folder"}},
        "environment": {"reference": "py:1", "content": {"image": "x"}, "hash": "envhash"},
        "environment_variables": {"A": "1"},
        "is_deterministic": True,
        "hash": "componenthash",
    },
    "inputs": {
        "lr": {"kind": "literal", "value": 0.5},
        "data": {"kind": "asset", "type": "uri_folder", "url": "file:///d", "hash": None,
                 "asset": None},
        "prev": {"kind": "step_output", "step": "prep", "output": "out", "type": "uri_folder"},
        "maybe": {"kind": "unbound"},
    },
    "outputs": {"model": {"type": "uri_folder", "path": None}},
    "environment_variables": {"A": "1", "B": "2"},
    "timeout": 30,
    "depends_on": ["prep"],
    "code_hash": "codehash",
}  # fmt: skip
OLD_PIPELINE: dict[str, Any] = {
    "settings": {"default_compute": None, "default_datastore": None,
                 "continue_on_step_failure": True, "force_rerun": False},
    "order": ["prep", "train"],
    "outputs": {"final": {"step": "train", "output": "model"}},
    "timeout": None,
    "description": "d",
    "tags": {"team": "x"},
}  # fmt: skip


def test_old_rows_read_as_typed_plans() -> None:
    step = read_plan("command", OLD_STEP)
    assert isinstance(step, CommandStepPlan)
    assert [type(step.inputs[k]) for k in ("lr", "data", "prev", "maybe")] == [
        LiteralBinding,
        AssetBinding,
        StepOutputBinding,
        UnboundBinding,
    ]
    assert step.component.environment and step.component.environment.hash == "envhash"
    assert step.component.inputs["lr"].default == 0.1 and step.timeout == 30
    assert CommandStepPlan.model_validate(step.to_json()) == step  # the stored form round-trips
    pipeline = read_plan("pipeline", OLD_PIPELINE)
    assert isinstance(pipeline, PipelinePlan)
    assert pipeline.settings.continue_on_step_failure and pipeline.order == ["prep", "train"]
    assert pipeline.outputs["final"].output == "model"


def test_the_step_cache_key_is_the_one_older_rows_were_stored_with() -> None:
    inputs = {"lr": PreparedInput("0.5", repr(0.5)), "data": PreparedInput("/d", "datahash")}
    legacy = {  # what the dict-based step runner hashed
        "component": OLD_STEP["component"]["hash"],
        "code": "codehash",
        "environment": OLD_STEP["component"]["environment"]["hash"],
        "environment_variables": OLD_STEP["environment_variables"],
        "inputs": {"data": "datahash", "lr": "0.5"},
        "outputs": {"model": "uri_folder"},
    }
    expected = hashlib.sha256(json.dumps(legacy, sort_keys=True, default=str).encode())
    plan = CommandStepPlan.model_validate(OLD_STEP)
    assert (
        step_hash(plan, {k: v.hash for k, v in inputs.items()}, "codehash") == expected.hexdigest()
    )
