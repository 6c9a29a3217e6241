"""A bad sweep spec gets one error naming the file, the line and the field, whether the
fault is in its shape (the loader) or in what it asks for (resolution at submission)."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import write
from opsloop import Client
from opsloop.errors import ValidationError

GOOD = """\
type: sweep
trial:
  command: python train.py --x ${{search_space.x}}
search_space:
  x:
    type: uniform
    min_value: 1
    max_value: 3
sampling_algorithm: random
objective:
  goal: minimize
  primary_metric: loss
limits:
  max_total_trials: 2
"""

CASES = [
    # (what to change in GOOD, line, the error after "file:line: ")
    (
        ("max_value: 3", "max_valu: 3"),
        8,
        "search_space.x.max_valu: unknown key (did you mean max_value?)",
    ),
    (
        ("type: uniform", "type: uniformly"),
        6,
        "search_space.x.type: unknown search space type 'uniformly'; use one of: choice,",
    ),
    (("max_value: 3", "max_value: 0"), 5, "search_space.x: min_value must be less than max_value"),
    (
        ("max_total_trials: 2", "max_total_trial: 2"),
        14,
        "limits.max_total_trial: unknown key (did you mean max_total_trials?)",
    ),
    (("goal: minimize", "goal: lowest"), 11, "objective.goal: Input should be 'minimize' or"),
    (
        ("limits:", "early_termination:\n  type: patience\nlimits:"),
        14,
        "early_termination.type: must be one of: bandit, median_stopping, truncation_selection",
    ),
    (
        ("sampling_algorithm: random", "sampling_algorithm: {type: random, rule: halton}"),
        9,
        "sampling_algorithm.rule: Input should be 'random' or 'sobol'",
    ),
    (
        ("search_space.x", "search_space.y"),
        3,
        "trial.command: ${{search_space.y}} is not in the search space (it has: x)",
    ),
    (
        ("sampling_algorithm: random", "sampling_algorithm: grid"),
        5,
        "search_space.x: grid sampling takes choice parameters only, not uniform",
    ),
    (
        (
            "sampling_algorithm: random",
            "sampling_algorithm: bayesian\nearly_termination:\n  type: median_stopping",
        ),
        10,
        "early_termination: bayesian sampling does not support an early termination policy",
    ),
    (
        ("limits:", "early_termination:\n  type: bandit\nlimits:"),
        13,
        "early_termination: a bandit policy takes exactly one of slack_factor, slack_amount",
    ),
    (
        ("limits:", "inputs:\n  x: 2\nlimits:"),
        5,
        "search_space.x: this parameter is also bound under inputs; give it in one place",
    ),
    (
        ("limits:", "outputs:\n  model:\n    type: uri_folder\n    path: ./here\nlimits:"),
        14,
        "outputs.model: a sweep's output is its best trial's",
    ),
]


@pytest.mark.parametrize(("change", "line", "message"), CASES)
def test_bad_sweep_names_file_line_and_field(
    client: Client, tmp_path: Path, change: tuple[str, str], line: int, message: str
) -> None:
    assert change[0] in GOOD
    spec = write(tmp_path / "sweep.yml", GOOD.replace(*change))
    with pytest.raises(ValidationError) as caught:
        client.jobs.create(file=spec)
    assert str(caught.value).startswith(f"{spec}:{line}: {message}")
    assert "Tag" not in str(caught.value) and "function-" not in str(caught.value)


COMPONENT = """\
name: train
inputs:
  count: {type: integer}
command: echo ${{inputs.count}}
"""


@pytest.mark.parametrize(
    ("space", "message"),
    [
        ("count: {type: choice, values: [a, b]}", "search_space.count: 'a' is not a valid integer"),
        ("other: {type: randint, upper: 3}", "search_space.other: the component has no input"),
    ],
)
def test_a_component_trial_takes_the_search_space_as_its_inputs(
    client: Client, tmp_path: Path, space: str, message: str
) -> None:
    write(tmp_path / "train.yml", COMPONENT)
    spec = write(
        tmp_path / "sweep.yml",
        "type: sweep\ntrial: ./train.yml\nsearch_space:\n  " + space + "\n"
        "sampling_algorithm: random\nobjective: {goal: maximize, primary_metric: acc}\n",
    )
    with pytest.raises(ValidationError) as caught:
        client.jobs.create(file=spec)
    assert str(caught.value).startswith(f"{spec}:4: {message}"), caught.value


def test_a_sweep_step_error_names_the_step(client: Client, tmp_path: Path) -> None:
    spec = write(
        tmp_path / "pipeline.yml",
        "type: pipeline\njobs:\n  tune:\n    type: sweep\n    trial:\n      command: echo\n"
        "    search_space:\n      x: {type: choice, values: []}\n"
        "    sampling_algorithm: grid\n    objective: {goal: maximize, primary_metric: acc}\n",
    )
    with pytest.raises(ValidationError) as caught:
        client.jobs.create(file=spec)
    assert str(caught.value).startswith(f"{spec}:8: jobs.tune.search_space.x.values: List should")


@pytest.mark.parametrize("trial", [[None, None], 5, None])
def test_a_trial_that_is_no_mapping_is_a_field_error_not_a_server_error(trial: object) -> None:
    from opsloop.specs import JobSpec, validate_spec

    step = {
        "type": "sweep", "trial": trial, "search_space": {"x": {"type": "choice", "values": [1]}},
        "sampling_algorithm": "random", "objective": {"goal": "maximize", "primary_metric": "m"},
        "limits": {"max_total_trials": 1},
    }  # fmt: skip
    with pytest.raises(ValidationError) as caught:
        validate_spec(JobSpec, {"type": "pipeline", "jobs": {"x": step}})
    assert caught.value.field == "jobs.x.trial"


@pytest.mark.parametrize("kind", [{}, [], 3, None])
def test_a_search_space_type_that_is_no_name_is_a_field_error(kind: object) -> None:
    from opsloop.specs import JobSpec, validate_spec

    job = {
        "type": "sweep", "trial": {"command": "echo"}, "search_space": {"x": {"type": kind}},
        "sampling_algorithm": "random", "objective": {"goal": "maximize", "primary_metric": "m"},
        "limits": {"max_total_trials": 1},
    }  # fmt: skip
    with pytest.raises(ValidationError) as caught:
        validate_spec(JobSpec, job)
    assert caught.value.field is not None and caught.value.field.startswith("search_space.x")
