"""archive, restore, list --include-archived and job download as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

from helpers import opsloop, write

JOB = """
type: command
command: >-
  python -c "import pathlib,sys; pathlib.Path(sys.argv[1], 'msg.txt').write_text('hello');
  pathlib.Path(sys.argv[2]).write_text('42')" ${{outputs.out}} ${{outputs.score}}
outputs:
  out:
    type: uri_folder
  score:
    type: uri_file
"""


def test_every_versioned_noun_archives_and_restores_with_an_example(tmp_path: Path) -> None:
    listing = opsloop("data", "--help", home=tmp_path).stdout
    assert "archive" in listing and "restore" in listing
    for noun in ("data", "environment", "component", "model"):
        helped = opsloop(noun, "archive", "--help", home=tmp_path).stdout
        assert f"Example: opsloop {noun} archive -w dev -n" in helped
    assert "--include-archived" in opsloop("model", "list", "--help", home=tmp_path).stdout
    helped = opsloop("job", "download", "--help", home=tmp_path).stdout
    assert "Example: opsloop job download" in helped


def test_archive_hides_from_list_and_latest_and_restore_brings_back(tmp_path: Path) -> None:
    home = tmp_path / "home"
    opsloop("workspace", "create", "--name", "dev", home=home)
    for rows in ("a\n1\n", "a\n2\n"):
        csv = write(tmp_path / "taxi.csv", rows)
        opsloop("data", "create", "-n", "taxi-data", "-t", "uri_file", "-p", str(csv), home=home)

    archived = opsloop("data", "archive", "-w", "dev", "-n", "taxi-data", "-v", "1", home=home)
    assert archived.stdout.strip() == "archived data taxi-data:1"
    listed = json.loads(opsloop("data", "list", "-n", "taxi-data", "-o", "json", home=home).stdout)
    assert [v["version"] for v in listed] == ["2"]
    everything = opsloop("data", "list", "-n", "taxi-data", "--include-archived", home=home)
    assert "archived" in everything.stdout.splitlines()[1]  # the column header

    archived = opsloop("data", "archive", "-n", "taxi-data", home=home)
    assert archived.stdout.strip() == "archived data taxi-data:1, taxi-data:2"
    latest = opsloop("data", "show", "-n", "taxi-data", home=home, check=False)
    assert latest.returncode == 1
    assert "every version of taxi-data is archived" in latest.stderr
    pinned = json.loads(
        opsloop("data", "show", "-n", "taxi-data", "-v", "1", "-o", "json", home=home).stdout
    )
    assert pinned["archived"] is True and pinned["version"] == "1"

    restored = opsloop("data", "restore", "-n", "taxi-data", "-v", "2", home=home)
    assert restored.stdout.strip() == "restored data taxi-data:2"
    shown = json.loads(opsloop("data", "show", "-n", "taxi-data", "-o", "json", home=home).stdout)
    assert shown["version"] == "2" and shown["archived"] is False

    unknown = opsloop("model", "archive", "-n", "taxi-data", home=home, check=False)
    assert unknown.returncode == 1
    assert "model taxi-data not found in workspace 'dev'" in unknown.stderr


def test_job_download_writes_each_output_under_the_job(tmp_path: Path) -> None:
    home = tmp_path / "home"
    opsloop("workspace", "create", "--name", "dev", home=home)
    spec = write(tmp_path / "job.yml", JOB)
    created = opsloop("job", "create", "-f", str(spec), "--stream", "-o", "json", home=home)
    job = json.loads(created.stdout)
    assert job["status"] == "Completed", job["error"]
    name = job["name"]

    done = opsloop(
        "job", "download", "-w", "dev", "-n", name, "-p", str(tmp_path / "dl"), home=home
    )
    assert done.stdout.strip() == f"Downloaded to {tmp_path / 'dl' / name}"
    assert (tmp_path / "dl" / name / "out" / "msg.txt").read_text() == "hello"
    assert (tmp_path / "dl" / name / "score" / "score").read_text() == "42"

    only = tmp_path / "only"
    opsloop("job", "download", "-n", name, "--output-name", "score", "-p", str(only), home=home)
    assert sorted(p.name for p in (only / name).iterdir()) == ["score"]

    wrong = opsloop("job", "download", "-n", name, "--output-name", "nope", home=home, check=False)
    assert wrong.returncode == 2
    assert "output_name: job" in wrong.stderr and "its outputs: out, score" in wrong.stderr
