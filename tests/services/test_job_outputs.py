"""Job downloads: a pipeline's own outputs, a step's, one output, as files on disk."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import write
from opsloop import Client, NotFoundError, ValidationError
from opsloop.file_urls import local_path_of

PIPELINE = """
type: pipeline
outputs:
  report:
    type: uri_folder
jobs:
  make:
    command: >-
      python -c "import pathlib,sys; pathlib.Path(sys.argv[1], 'a.txt').write_text('made');
      pathlib.Path(sys.argv[2]).write_text('note')" ${{outputs.data}} ${{outputs.note}}
    outputs:
      data:
        type: uri_folder
      note:
        type: uri_file
  summarise:
    command: >-
      python -c "import pathlib,sys; t = pathlib.Path(sys.argv[1], 'a.txt').read_text();
      d = pathlib.Path(sys.argv[2], 'sub'); d.mkdir(); (d / 'r.txt').write_text(t.upper())"
      ${{inputs.data}} ${{outputs.report}}
    inputs:
      data: ${{parent.jobs.make.outputs.data}}
    outputs:
      report: ${{parent.outputs.report}}
"""


def _files(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): p.read_text() for p in root.rglob("*") if p.is_file()}


def test_a_pipeline_downloads_its_own_outputs_or_a_steps(client: Client, tmp_path: Path) -> None:
    spec = write(tmp_path / "pipeline.yml", PIPELINE)
    job = client.jobs.wait(client.jobs.create(file=spec).name, timeout=180)
    assert job.status == "Completed", job.error

    target = client.jobs.download(job.name, tmp_path / "all")
    assert target == tmp_path / "all" / job.name
    assert _files(target) == {"report/sub/r.txt": "MADE"}

    step = client.jobs.download(job.name, tmp_path / "step", step="make")
    assert step == tmp_path / "step" / f"{job.name}.make"
    files = _files(step)
    assert "artifacts/user_logs/std_log.txt" in files  # every step's ./outputs, ./logs, log
    assert {k: v for k, v in files.items() if not k.startswith("artifacts/")} == {
        "data/a.txt": "made",
        "note/note": "note",
    }

    one = client.jobs.download(job.name, tmp_path / "one", step="make", output_name="note")
    assert _files(one) == {"note/note": "note"}

    with pytest.raises(ValidationError, match="has no step 'nope'; its steps: make, summarise"):
        client.jobs.download(job.name, tmp_path / "x", step="nope")
    with pytest.raises(ValidationError, match="its outputs: data, note") as error:
        client.jobs.download(job.name, tmp_path / "x", step="make", output_name="report")
    assert error.value.field == "output_name"

    stored = local_path_of(
        next(s for s in job.steps if s.step_name == "make").outputs["note"]["url"]
    )
    assert stored is not None
    stored.unlink()  # removed from the artifact store behind opsloop's back
    with pytest.raises(NotFoundError, match="output 'note' is no longer in the artifact store"):
        client.jobs.download(job.name, tmp_path / "gone", step="make")


def test_a_pipeline_without_outputs_of_its_own_names_its_steps(
    client: Client, tmp_path: Path
) -> None:
    spec = write(
        tmp_path / "p.yml",
        "type: pipeline\njobs:\n  only:\n    command: echo hi\n",
    )
    job = client.jobs.wait(client.jobs.create(file=spec).name, timeout=180)
    with pytest.raises(NotFoundError, match=r"declares no outputs of its own.*: only"):
        client.jobs.download(job.name, tmp_path / "x")
    assert not (tmp_path / "x").exists()
    # Its step has the output every command has: what it wrote to ./outputs and ./logs.
    step = client.jobs.download(job.name, tmp_path / "y", step="only")
    assert "hi" in _files(step)["artifacts/user_logs/std_log.txt"]
