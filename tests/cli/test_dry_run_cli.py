"""``create --dry-run`` as a user runs it: the answer printed, a "would create" line saying
nothing was written, and nothing listed afterwards."""

from __future__ import annotations

import json
from pathlib import Path

from helpers import opsloop, write


def test_create_dry_runs_say_what_they_would_create(tmp_path: Path) -> None:
    home = tmp_path / "home"
    opsloop("workspace", "create", "-n", "dev", home=home)
    fares = write(tmp_path / "fares.csv", "a,b\n1,2\n")

    data = opsloop(
        "data", "create", "-n", "fares", "--type", "uri_file", "--path", str(fares), "--dry-run",
        home=home,
    )  # fmt: skip
    assert "fares" in data.stdout
    assert (
        "Dry run: would create data fares:1 in workspace dev; nothing was created or changed."
        in data.stderr
    )
    batch = opsloop("batch-endpoint", "create", "-n", "scores", "--dry-run", home=home)
    assert "would create batch endpoint scores in workspace dev" in batch.stderr
    hook = write(
        tmp_path / "ci.yml",
        "name: ci\ntypes: [job.failed]\naction: {type: webhook, url: 'https://ci.example.com/h'}\n",
    )
    made = opsloop("subscription", "create", "-f", str(hook), "--dry-run", "-o", "json", home=home)
    assert json.loads(made.stdout)["name"] == "ci"  # stdout stays JSON; the note is on stderr
    assert "Signing secret" not in made.stdout
    assert "would create subscription ci;" in made.stderr

    assert json.loads(opsloop("data", "list", "-o", "json", home=home).stdout) == []
    assert json.loads(opsloop("batch-endpoint", "list", "-o", "json", home=home).stdout) == []
    assert json.loads(opsloop("subscription", "list", "-o", "json", home=home).stdout) == []
    uploads = home / "artifacts" / "uploads"
    assert not uploads.exists() or not any(uploads.iterdir())  # hashed, not uploaded
