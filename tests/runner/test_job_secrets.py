"""``${{secrets.NAME}}`` in jobs, run for real: the step gets the value (in its command and
environment) and proves it by a hash in an output, while the captured log, the job as
`job show` gives it, events and audit never hold the value."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from opsloop import Client
from opsloop.errors import ValidationError
from opsloop.runner.runner import JobRunner
from opsloop.security.actor import SYSTEM_ACTOR
from opsloop.services import jobs
from opsloop.services.context import Platform
from opsloop.specs.job import CommandJobSpec

VALUE = "tr0ub4dor-and-3-horses"
DIGEST = hashlib.sha256(VALUE.encode()).hexdigest()
# Prints the value whole, on stderr, and in two writes a moment apart (two chunks of the
# pipe), then proves it had it: the hash and an equality check go to an output.
JOB = """\
type: command
command: >-
  echo "argument: ${{secrets.DB_PASSWORD}}" &&
  echo "variable: $PASSWORD" 1>&2 &&
  python -c "import os,sys,time; v=os.environ['PASSWORD']; sys.stdout.write('split: '+v[:7]);
  sys.stdout.flush(); time.sleep(0.3); print(v[7:])" &&
  python -c "import hashlib,os,sys; v=os.environ['PASSWORD'];
  open(sys.argv[1]+'/proof.txt','w').write(hashlib.sha256(v.encode()).hexdigest()+' '+str(v==sys.argv[2]))"
  ${{outputs.proof}} '${{secrets.DB_PASSWORD}}'
environment_variables:
  PASSWORD: ${{secrets.DB_PASSWORD}}
  PREFIXED: "Bearer ${{secrets.DB_PASSWORD}}"
outputs:
  proof:
    type: uri_folder
"""


def test_a_job_uses_a_secret_that_no_captured_record_holds(
    client: Client, tmp_path: Path, home: Path
) -> None:
    client.secrets.set("DB_PASSWORD", VALUE)
    spec = tmp_path / "job.yml"
    spec.write_text(JOB)
    job = client.jobs.wait(client.jobs.create(file=spec).name, timeout=120)
    assert job.status == "Completed", job.error

    proof = client.jobs.download(job.name, tmp_path / "out", output_name="proof")
    assert (proof / "proof" / "proof.txt").read_text() == f"{DIGEST} True"
    logs = client.jobs.logs(job.name).text
    assert "argument: ***" in logs and "variable: ***" in logs and "split: ***" in logs
    shown = json.dumps(client.jobs.get(job.name).model_dump(mode="json"))
    assert "${{secrets.DB_PASSWORD}}" in shown  # the spec keeps the reference
    for text in (
        logs,
        shown,
        json.dumps([e.model_dump(mode="json") for e in client.events.list(limit=1000)]),
        json.dumps([r.model_dump(mode="json") for r in client.audit.list(limit=1000)]),
    ):
        assert VALUE not in text and VALUE[:7] + VALUE[7:] not in text
    # Nothing opsloop keeps on disk holds it: the store seals it, the log file is masked.
    for path in home.rglob("*"):
        if path.is_file():
            assert VALUE.encode() not in path.read_bytes(), path


def test_an_unknown_secret_is_refused_at_submission_naming_the_field(
    client: Client, tmp_path: Path
) -> None:
    spec = tmp_path / "bad.yml"
    spec.write_text("command: echo hi\nenvironment_variables:\n  A: ${{secrets.NOPE}}\n")
    with pytest.raises(ValidationError) as refused:
        client.jobs.create(file=spec)
    assert str(refused.value).startswith(f"{spec}:3: environment_variables.A: ")
    assert "${{secrets.NOPE}} names no secret of workspace 'dev'" in str(refused.value)
    pipeline = tmp_path / "pipeline.yml"
    pipeline.write_text(
        "type: pipeline\njobs:\n  train:\n    type: command\n"
        "    command: echo ${{secrets.ALSO_NOPE}}\n"
    )
    with pytest.raises(ValidationError, match=r"pipeline.yml:5: jobs.train.command: "):
        client.jobs.create(file=pipeline)
    with pytest.raises(ValidationError, match="cannot be an input's value"):
        client.jobs.create(command="echo ${{inputs.a}}", inputs={"a": "${{secrets.X}}"})


def test_a_secret_deleted_after_submission_fails_the_step_naming_it(client: Client) -> None:
    client.secrets.set("GONE", VALUE)
    platform = Platform(client.settings)
    platform.launch_jobs = False  # the test runs the runner once the secret is gone
    with platform.context(SYSTEM_ACTOR) as ctx:
        spec = CommandJobSpec(name="later", command="echo ${{secrets.GONE}}")
        jobs.create_job(ctx, "dev", spec)
    client.secrets.delete("GONE")
    JobRunner(platform, "dev", "later").run()
    job = client.jobs.get("later")
    assert job.status == "Failed"
    assert "refers to ${{secrets.GONE}}, which is not in its workspace's vault" in (job.error or "")
