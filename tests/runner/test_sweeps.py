"""Sweep jobs end to end, embedded: real trial processes running a tiny training script that
logs its loss through MLflow; the loss depends only on the parameter x, as (x - 2)^2 plus a
term that shrinks each step, so the best trial and the trial to stop early are known."""

from __future__ import annotations

import itertools
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from helpers import job_row, wait_until, write
from opsloop import Client
from opsloop.execution.processes import group_members
from opsloop.schemas.entities import Job

TRAIN = """\
import argparse
import time
from pathlib import Path

import mlflow

parser = argparse.ArgumentParser()
parser.add_argument("--x", type=float)
parser.add_argument("--steps", type=int, default=3)
parser.add_argument("--model", default=None)
args = parser.parse_args()
# A bad value also trains slowly, 40 steps of a second: time for a policy or a timeout to act.
slow = args.x > 10
for step in range(1, (40 if slow else args.steps) + 1):
    mlflow.log_metric("loss", (args.x - 2) ** 2 + 1 / step, step=step)
    time.sleep(1 if slow else 0)
if args.model:
    Path(args.model, "x.txt").write_text(str(args.x))
print(f"trained with x={args.x}")
"""


def _sweep(tmp_path: Path, body: str, name: str = "sweep.yml") -> Path:
    write(tmp_path / "src" / "train.py", TRAIN)
    return write(tmp_path / name, body)


def _trials(job: Job) -> dict[float, Job]:
    return {float(t.inputs["x"]["value"]): t for t in job.steps}


def _span(job: Job) -> tuple[datetime, datetime]:
    assert job.started_at is not None and job.ended_at is not None, job.name
    return job.started_at, job.ended_at


def _run(client: Client, spec: Path, **kwargs: Any) -> Job:
    job = client.jobs.create(file=spec, **kwargs)
    return client.jobs.wait(job.name, timeout=240)


def test_grid_runs_every_point_and_the_sweep_keeps_the_best_trial(
    client: Client, tmp_path: Path
) -> None:
    spec = _sweep(
        tmp_path,
        """\
$schema: https://azuremlschemas.azureedge.net/latest/sweepJob.schema.json
type: sweep
trial:
  code: src
  command: >-
    python train.py --x ${{search_space.x}} --model ${{outputs.model}}
outputs:
  model:
    type: uri_folder
search_space:
  x:
    type: choice
    values: [1, 2, 4]
sampling_algorithm: grid
objective:
  goal: minimize
  primary_metric: loss
limits:
  max_total_trials: 10
  max_concurrent_trials: 3
""",
    )
    sweep = _run(client, spec)
    assert sweep.status == "Completed", sweep.error
    trials = _trials(sweep)
    assert sorted(trials) == [1.0, 2.0, 4.0]  # the whole grid, once: not max_total_trials
    assert all(t.status == "Completed" for t in trials.values())
    best = trials[2.0]
    assert sweep.best_trial == best.name
    assert best.metrics["loss"] == 1 / 3
    assert sweep.metrics["loss"] == best.metrics["loss"] and sweep.params["x"] == "2"
    # The sweep's output is its best trial's.
    assert sweep.outputs["model"] == best.outputs["model"]
    model = Path(sweep.outputs["model"]["url"].removeprefix("file://"))
    assert (model / "x.txt").read_text() == "2.0"
    # Each trial is an MLflow run of its own, nested in the sweep's.
    tracking = client._transport.platform.tracking  # type: ignore[attr-defined]
    for trial in trials.values():
        run = tracking.client.get_run(trial.mlflow_run_id)
        assert run.data.tags["mlflow.parentRunId"] == sweep.mlflow_run_id
        assert run.data.params["x"] == str(int(float(trial.inputs["x"]["value"])))
    assert "trained with x=4" in client.jobs.logs(sweep.name).text
    # Download: the sweep's outputs (the best trial's), or one trial's.
    client.jobs.download(sweep.name, tmp_path / "best", output_name="model")
    assert (tmp_path / "best" / sweep.name / "model" / "x.txt").read_text() == "2.0"
    client.jobs.download(sweep.name, tmp_path / "one", output_name="model", step="trial_0")
    trial_0 = next(t for t in trials.values() if t.step_name == "trial_0")
    downloaded = tmp_path / "one" / trial_0.name / "model" / "x.txt"
    assert float(downloaded.read_text()) == float(trial_0.inputs["x"]["value"])


def test_limits_cap_the_trials_and_how_many_run_at_once(client: Client, tmp_path: Path) -> None:
    spec = _sweep(
        tmp_path,
        """\
type: sweep
trial:
  code: src
  command: python train.py --x ${{search_space.x}} --steps ${{inputs.steps}}
inputs:
  steps: 2
search_space:
  x: {type: choice, values: [0, 1, 2, 3, 4, 5, 6]}
sampling_algorithm: {type: random, seed: 5}
objective: {goal: maximize, primary_metric: loss}
limits: {max_total_trials: 3, max_concurrent_trials: 1}
""",
    )
    sweep = _run(client, spec)
    assert sweep.status == "Completed", sweep.error
    assert len(sweep.steps) == 3
    spans = sorted(_span(t) for t in sweep.steps)
    assert all(earlier[1] <= later[0] for earlier, later in itertools.pairwise(spans))
    # maximize: the trial with the largest loss wins.
    best = max(sweep.steps, key=lambda t: t.metrics["loss"])
    assert sweep.best_trial == best.name
    assert sweep.metrics["loss"] == best.metrics["loss"]


def test_bandit_policy_stops_the_trial_that_lags(client: Client, tmp_path: Path) -> None:
    spec = _sweep(
        tmp_path,
        """\
type: sweep
trial:
  code: src
  command: python train.py --x ${{search_space.x}} --steps 5
search_space:
  x: {type: choice, values: [2, 50]}
sampling_algorithm: grid
objective: {goal: minimize, primary_metric: loss}
early_termination:
  type: bandit
  slack_factor: 0.1
  evaluation_interval: 1
  delay_evaluation: 0
limits: {max_total_trials: 2, max_concurrent_trials: 2}
""",
    )
    sweep = _run(client, spec)
    assert sweep.status == "Completed", sweep.error
    trials = _trials(sweep)
    good, bad = trials[2.0], trials[50.0]
    assert good.status == "Completed" and sweep.best_trial == good.name
    assert bad.status == "Canceled"
    assert bad.error is not None and bad.error.startswith("stopped early by the bandit policy")
    # Stopped well before its 40 steps (40 s) were done.
    tracking = client._transport.platform.tracking  # type: ignore[attr-defined]
    assert len(tracking.metric_history(bad.mlflow_run_id, "loss")) < 40
    assert len(tracking.metric_history(good.mlflow_run_id, "loss")) == 5


@pytest.mark.parametrize(
    ("limit", "status", "error"),
    [
        ("trial_timeout: 12", "Failed", "timed out after 12 s (limits.trial_timeout)"),
        ("timeout: 12", "Canceled", "sweep timed out (limits.timeout)"),
    ],
)
def test_timeouts_end_the_slow_trial_and_the_best_one_still_counts(
    client: Client, tmp_path: Path, limit: str, status: str, error: str
) -> None:
    spec = _sweep(
        tmp_path,
        f"""\
type: sweep
trial:
  code: src
  command: python train.py --x ${{{{search_space.x}}}}
search_space:
  x: {{type: choice, values: [2, 50]}}
sampling_algorithm: grid
objective: {{goal: minimize, primary_metric: loss}}
limits: {{max_total_trials: 2, max_concurrent_trials: 2, {limit}}}
""",
    )
    sweep = _run(client, spec)
    assert sweep.status == "Completed", sweep.error
    trials = _trials(sweep)
    assert trials[50.0].status == status
    assert error in (trials[50.0].error or "")
    assert sweep.best_trial == trials[2.0].name


def test_canceling_a_sweep_ends_its_trials(client: Client, tmp_path: Path) -> None:
    spec = _sweep(
        tmp_path,
        """\
type: sweep
trial:
  code: src
  command: python train.py --x ${{search_space.x}} --steps 3
search_space:
  x: {type: uniform, min_value: 20, max_value: 30}
sampling_algorithm: random
objective: {goal: minimize, primary_metric: loss}
limits: {max_total_trials: 4, max_concurrent_trials: 2}
""",
    )
    created = client.jobs.create(file=spec)
    platform = client._transport.platform  # type: ignore[attr-defined]

    def running_trials() -> list[Job]:
        return [t for t in client.jobs.get(created.name).steps if t.status == "Running"]

    def started_processes() -> list[int]:
        trials = running_trials()
        groups = [job_row(platform, t.name).step_pgid for t in trials]
        return [g for g in groups if g] if len(trials) == 2 and all(groups) else []

    wait_until(lambda: started_processes(), 120, "two trials to start their processes")
    groups = started_processes()
    client.jobs.cancel(created.name)
    sweep = client.jobs.wait(created.name, timeout=60)
    assert sweep.status == "Canceled"
    assert len(sweep.steps) == 2  # no trial was started after the cancel
    assert {t.status for t in sweep.steps} == {"Canceled"}
    assert all(not group_members(pgid) for pgid in groups)


COMPONENT = """\
$schema: https://azuremlschemas.azureedge.net/latest/commandComponent.schema.json
type: command
name: train_x
inputs:
  x: {type: number, default: 0}
  steps: {type: integer}
outputs:
  model: {type: uri_folder}
code: ./src
command: python train.py --x ${{inputs.x}} --steps ${{inputs.steps}} --model ${{outputs.model}}
"""

PIPELINE = """\
$schema: https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json
type: pipeline
inputs:
  steps: 2
outputs:
  best_model:
    type: uri_folder
jobs:
  tune:
    type: sweep
    trial: ./train.yml
    inputs:
      steps: ${{parent.inputs.steps}}
    outputs:
      model: ${{parent.outputs.best_model}}
    search_space:
      x: {type: choice, values: [3, 2]}
    sampling_algorithm: grid
    objective: {goal: minimize, primary_metric: loss}
    limits: {max_total_trials: 2, max_concurrent_trials: 2}
  use:
    command: cat ${{inputs.model}}/x.txt
    inputs:
      model: ${{parent.jobs.tune.outputs.model}}
"""


def test_a_sweep_as_a_pipeline_step_hands_on_its_best_trial(client: Client, tmp_path: Path) -> None:
    write(tmp_path / "train.yml", COMPONENT)
    spec = _sweep(tmp_path, PIPELINE, "pipeline.yml")
    pipeline = _run(client, spec)
    assert pipeline.status == "Completed", pipeline.error
    tune, _ = pipeline.steps
    assert tune.type == "sweep" and tune.status == "Completed"
    trials = _trials(tune)
    assert sorted(trials) == [2.0, 3.0]
    assert all(t.parent_job == tune.name for t in trials.values())
    assert tune.best_trial == trials[2.0].name
    assert pipeline.outputs["best_model"] == trials[2.0].outputs["model"]
    logs = client.jobs.logs(pipeline.name).text
    assert "[use] 2.0" in logs
    assert "[tune.trial_0] trained with x=" in logs
    # The trials' MLflow runs nest in the sweep step's, which nests in the pipeline's.
    tracking = client._transport.platform.tracking  # type: ignore[attr-defined]
    assert tracking.client.get_run(tune.mlflow_run_id).data.tags["mlflow.parentRunId"] == (
        pipeline.mlflow_run_id
    )
