"""``opsloop job validate`` and ``job create --dry-run`` as a user runs them: the plan as a
table and as JSON, nothing submitted, and a bad reference's file:line field error."""

from __future__ import annotations

import json
from pathlib import Path

from helpers import opsloop, write

PIPELINE = """\
type: pipeline
inputs:
  n: 3
jobs:
  first:
    code: ./src
    command: python -c "print(${{inputs.n}})"
    inputs:
      n: ${{parent.inputs.n}}
    outputs:
      out:
        type: uri_folder
  second:
    command: ls ${{inputs.prev}}
    inputs:
      prev: ${{parent.jobs.first.outputs.out}}
"""


def test_validate_prints_the_plan_and_submits_nothing(tmp_path: Path) -> None:
    home = tmp_path / "home"
    opsloop("workspace", "create", "--name", "dev", home=home)
    write(tmp_path / "src" / "main.py", "print('hi')\n")
    spec = write(tmp_path / "pipeline.yml", PIPELINE)

    table = opsloop("job", "validate", "-f", str(spec), home=home).stdout
    assert "pipeline  valid" in table
    assert "runs: no earlier run with these inputs" in table
    assert "runs: an upstream step runs (first)" in table
    assert "n='3'" in table and "prev=first.outputs.out" in table
    assert "2 step(s) would run, 0 would be reused." in table

    dry = opsloop(
        "job", "create", "--dry-run", "-f", str(spec), "--set", "inputs.n=4", "-o", "json",
        home=home,
    )  # fmt: skip
    plan = json.loads(dry.stdout)
    assert [s["name"] for s in plan["steps"]] == ["first", "second"]
    assert plan["steps"][0]["inputs"]["n"] == {
        "kind": "literal", "value": "4", "asset": None, "url": None, "step": None, "output": None,
    }  # fmt: skip
    assert json.loads(opsloop("job", "list", "-o", "json", home=home).stdout) == []
    uploads = home / "artifacts" / "uploads"
    assert not uploads.exists() or not any(uploads.iterdir())  # the code was hashed, not sent

    bad = write(tmp_path / "bad.yml", PIPELINE.replace("    code: ./src\n", "    compute: gpu\n"))
    refused = opsloop("job", "validate", "-f", str(bad), home=home, check=False)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert f"{bad}:6: jobs.first.compute: compute 'gpu' does not exist" in refused.stderr
    assert "Traceback" not in refused.stderr
