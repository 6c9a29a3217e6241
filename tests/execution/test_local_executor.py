"""The local executor, end to end: real runner processes, real MLflow, real files."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import select

from helpers import write
from opsloop import Client, ValidationError
from opsloop.file_urls import local_path_of
from opsloop.services.context import Platform
from opsloop.store.tables import JobRow

PIPELINE = """
type: pipeline
experiment_name: tiny
inputs:
  greeting: hello
jobs:
  produce:
    command: python -c "import pathlib,sys; pathlib.Path(sys.argv[1], 'msg.txt').write_text(sys.argv[2])" ${{outputs.out}} ${{inputs.text}}
    inputs:
      text: ${{parent.inputs.greeting}}
    outputs:
      out:
        type: uri_folder
  consume:
    command: python -c "import pathlib,sys; t = pathlib.Path(sys.argv[1], 'msg.txt').read_text(); pathlib.Path(sys.argv[2], 'shout.txt').write_text(t.upper()); print('read', t)" ${{inputs.msg}} ${{outputs.result}}
    inputs:
      msg: ${{parent.jobs.produce.outputs.out}}
    outputs:
      result:
        type: uri_folder
"""


def _output_text(client: Client, job: str, step: str, output: str, file: str) -> str:
    detail = client.jobs.get(job)
    url = next(s for s in detail.steps if s.step_name == step).outputs[output]["url"]
    path = local_path_of(url)
    assert path is not None
    return (path / file).read_text()


def test_pipeline_runs_then_reuses_then_force_reruns(client: Client, tmp_path: Path) -> None:
    spec = write(tmp_path / "pipeline.yml", PIPELINE)
    first = client.jobs.wait(client.jobs.create(file=spec).name, timeout=120)
    assert first.status == "Completed", first.error
    assert [s.status for s in first.steps] == ["Completed", "Completed"]
    assert [s.reuse_reason for s in first.steps] == ["ran: no matching earlier run"] * 2
    assert _output_text(client, first.name, "consume", "result", "shout.txt") == "HELLO"
    assert "read hello" in client.jobs.logs(first.name).text

    second = client.jobs.wait(client.jobs.create(file=spec).name, timeout=120)
    assert second.status == "Completed"
    assert [s.reused_from for s in second.steps] == [
        f"{first.name}.produce",
        f"{first.name}.consume",
    ]

    forced = client.jobs.create(file=spec, overrides=["settings.force_rerun=true"])
    forced = client.jobs.wait(forced.name, timeout=120)
    assert forced.status == "Completed"
    assert [s.reused_from for s in forced.steps] == [None, None]
    assert [s.reuse_reason for s in forced.steps] == ["ran: force_rerun"] * 2

    changed = client.jobs.create(file=spec, overrides=["inputs.greeting=bye"])
    changed = client.jobs.wait(changed.name, timeout=120)
    assert [s.reused_from for s in changed.steps] == [None, None]
    assert _output_text(client, changed.name, "consume", "result", "shout.txt") == "BYE"


def test_a_step_that_is_not_deterministic_runs_every_time(client: Client, tmp_path: Path) -> None:
    """A step that reads state its inputs do not show (here the clock) is never reused; what
    depends on it reruns only when its output changed."""
    clock = PIPELINE.replace(
        "  consume:",
        "  clock:\n    component:\n      name: clock\n      type: command\n"
        "      command: date +%s%N\n      is_deterministic: false\n  consume:",
    )
    spec = write(tmp_path / "pipeline.yml", clock)
    first = client.jobs.wait(client.jobs.create(file=spec).name, timeout=120)
    second = client.jobs.wait(client.jobs.create(file=spec).name, timeout=120)
    assert first.status == second.status == "Completed", (first.error, second.error)
    reasons = {s.step_name: (s.reused_from, s.reuse_reason) for s in second.steps}
    assert reasons["clock"] == (None, "ran: not deterministic")
    assert reasons["produce"] == (f"{first.name}.produce", f"reused from {first.name}.produce")


def test_failing_step_fails_the_job_with_exit_code_and_log_tail(
    client: Client, tmp_path: Path
) -> None:
    spec = write(
        tmp_path / "p.yml",
        """
type: pipeline
jobs:
  broken:
    command: python -c "print('about to fail'); raise SystemExit(3)"
    outputs:
      out: {type: uri_folder}
  after:
    command: python -c "print('never')" ${{inputs.x}}
    inputs:
      x: ${{parent.jobs.broken.outputs.out}}
""",
    )
    job = client.jobs.wait(client.jobs.create(file=spec).name, timeout=120)
    assert job.status == "Failed"
    broken, after = job.steps
    assert broken.exit_code == 3
    assert broken.error is not None and "about to fail" in broken.error
    assert after.status == "Canceled" and "upstream step 'broken' failed" in (after.error or "")
    assert job.error is not None and "exit code 3" in job.error


def test_cancel_and_timeout(client: Client, tmp_path: Path) -> None:
    slow = write(
        tmp_path / "slow.yml", 'type: command\ncommand: python -c "import time; time.sleep(120)"\n'
    )
    job = client.jobs.create(file=slow)
    deadline = time.monotonic() + 60
    while client.jobs.get(job.name).status != "Running" and time.monotonic() < deadline:
        time.sleep(0.2)
    started = time.monotonic()
    client.jobs.cancel(job.name)
    canceled = client.jobs.wait(job.name, timeout=60)
    assert canceled.status == "Canceled"
    assert time.monotonic() - started < 30

    limited = client.jobs.create(file=slow, overrides=["limits.timeout=1"])
    failed = client.jobs.wait(limited.name, timeout=60)
    assert failed.status == "Failed"
    assert "timed out after 1 s" in (failed.error or "")


def test_bad_pipelines_are_rejected_before_anything_runs(client: Client, tmp_path: Path) -> None:
    cycle = write(
        tmp_path / "cycle.yml",
        """
type: pipeline
jobs:
  a:
    command: echo ${{inputs.x}}
    inputs: {x: "${{parent.jobs.b.outputs.o}}"}
    outputs: {o: {type: uri_folder}}
  b:
    command: echo ${{inputs.x}}
    inputs: {x: "${{parent.jobs.a.outputs.o}}"}
    outputs: {o: {type: uri_folder}}
""",
    )
    with pytest.raises(ValidationError, match="cycle"):
        client.jobs.create(file=cycle)
    unbound = write(
        tmp_path / "unbound.yml",
        """
type: pipeline
jobs:
  a:
    command: echo ${{inputs.x}}
    inputs:
      x: ${{parent.inputs.missing}}
""",
    )
    with pytest.raises(ValidationError, match="the pipeline has no input 'missing'") as error:
        client.jobs.create(file=unbound)
    assert error.value.field == "jobs.a.inputs.x"
    unknown = write(
        tmp_path / "unknown.yml",
        "type: command\ncommand: cat ${{inputs.d}}\ninputs:\n  d:\n    type: uri_file\n    path: azureml:foo@latest\n",
    )
    with pytest.raises(ValidationError, match="data foo@latest not found"):
        client.jobs.create(file=unknown)
    with Platform(client.settings).database.transaction() as session:
        assert session.scalars(select(JobRow)).all() == []


def test_independent_steps_run_in_parallel(client: Client, tmp_path: Path) -> None:
    step = 'command: python -c "import time; time.sleep(2)"'
    spec = write(
        tmp_path / "par.yml", f"type: pipeline\njobs:\n  a:\n    {step}\n  b:\n    {step}\n"
    )
    job = client.jobs.wait(client.jobs.create(file=spec).name, timeout=120)
    assert job.status == "Completed"
    a, b = job.steps
    assert a.started_at and b.started_at and a.ended_at and b.ended_at
    assert a.started_at < b.ended_at and b.started_at < a.ended_at  # the runs overlapped
