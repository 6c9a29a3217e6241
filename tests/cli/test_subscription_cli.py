"""``opsloop subscription``: create from a file (the secret shown once), list, show,
deliveries, redeliver, delete; a bad file named with its line."""

from __future__ import annotations

import json
from pathlib import Path

from helpers import opsloop


def test_subscription_commands(home: Path, tmp_path: Path) -> None:
    opsloop("workspace", "create", "--name", "dev", home=home)
    spec = tmp_path / "ci.yml"
    spec.write_text(
        "name: ci\ntypes: [job.failed]\nworkspace: dev\nsubject: 'job:nightly*'\n"
        "action:\n  type: webhook\n  url: http://127.0.0.1:9/hook\n"
    )
    created = opsloop("subscription", "create", "-f", str(spec), home=home).stdout
    assert "Signing secret (shown once): whsec_" in created
    listed = json.loads(opsloop("subscription", "list", "-o", "json", home=home).stdout)
    assert [(s["name"], s["subject"], s["action"]["type"]) for s in listed] == [
        ("ci", "job:nightly*", "webhook")
    ]
    assert listed[0]["secret"] is None
    shown = opsloop("event", "subscription", "show", "-n", "ci", "-o", "json", home=home)
    assert json.loads(shown.stdout)["dead_letters"] == 0
    log = opsloop("subscription", "deliveries", "ci", "--status", "dead_letter", "-o", "json",
                  home=home)  # fmt: skip
    assert json.loads(log.stdout) == []
    redone = opsloop("subscription", "redeliver", "ci", "--dead-letters", home=home).stdout
    assert "Queued 0 event(s) for ci" in redone
    neither = opsloop("subscription", "redeliver", "ci", home=home, check=False)
    assert neither.returncode != 0 and "--dead-letters" in neither.stderr
    opsloop("subscription", "delete", "ci", "-y", home=home)
    assert json.loads(opsloop("subscription", "list", "-o", "json", home=home).stdout) == []


def test_a_bad_subscription_file_is_named_with_its_line(home: Path, tmp_path: Path) -> None:
    opsloop("workspace", "create", "--name", "dev", home=home)
    spec = tmp_path / "bad.yml"
    spec.write_text("name: bad\ntypes: [job.failed]\naction:\n  type: pager\n  to: x\n")
    failed = opsloop("subscription", "create", "-f", str(spec), home=home, check=False)
    assert failed.returncode != 0
    # The line of the value at fault (type:), not of the mapping that holds it (action:).
    assert f"{spec}:4: action.type: must be one of: webhook, email" in failed.stderr
