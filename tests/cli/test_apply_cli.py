"""`opsloop apply` as a user runs it (embedded): help with an example, a dry run that
writes nothing, apply, a second apply that says "No changes", and a one-line error."""

from __future__ import annotations

from pathlib import Path

from helpers import opsloop, write

PROJECT = """\
name: demo
workspaces:
  - name: dev
    computes:
      - {file: compute/cpu.yml}
"""


def test_apply_commands(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert "Example: opsloop apply -f project.yaml" in opsloop("apply", "--help", home=home).stdout
    write(tmp_path / "compute/cpu.yml", "name: cpu\nmax_instances: 2\n")
    path = write(tmp_path / "project.yaml", PROJECT)
    dry = opsloop("apply", "-f", str(path), "--dry-run", home=home).stdout
    assert "+ create    workspace        workspace/dev" in dry
    assert "+ create    compute          dev/compute/cpu" in dry
    assert dry.strip().endswith("Plan: 2 to create, 0 to update, 0 to delete, 0 unchanged.")
    assert "dev" not in opsloop("workspace", "list", home=home).stdout
    applied = opsloop("apply", "-f", str(path), home=home).stdout
    assert "dev/compute/cpu  [applied]" in applied
    assert applied.strip().endswith("Applied: 2, failed: 0, not attempted: 0, unchanged: 0.")
    again = opsloop("apply", "-f", str(path), home=home).stdout
    assert again.strip().endswith("No changes. 2 resources unchanged.")
    write(tmp_path / "compute/cpu.yml", "name: cpu\nmax_instances: two\n")
    bad = opsloop("apply", "-f", str(path), home=home, check=False)
    assert bad.returncode == 2
    assert f"{tmp_path / 'compute/cpu.yml'}:2: max_instances:" in bad.stderr
