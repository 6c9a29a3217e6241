"""Personas and just-in-time elevation from the command line, as a user runs them: the
templates embedded, and an elevation against a real `opsloop server` with real tokens."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers import first_started_server, opsloop


def _json(*args: str, home: Path) -> object:
    return json.loads(opsloop(*args, "-o", "json", home=home).stdout)


def test_persona_templates_are_listed_shown_and_assigned(tmp_path: Path) -> None:
    home = tmp_path / "home"
    opsloop("workspace", "create", "--name", "prod", "--kind", "production", home=home)
    opsloop("principal", "create", "lena", home=home)
    listed = _json("persona", "list", home=home)
    assert isinstance(listed, list) and len(listed) == 12
    shown = opsloop("persona", "show", "data-scientist", home=home).stdout
    assert "production workspace: standing access" in shown
    assert "Log Analytics Reader (logs)" in shown and "learn.microsoft.com" in shown
    support = opsloop("persona", "show", "platform_technical_support", home=home).stdout
    assert "just-in-time access" in support

    done = opsloop("persona", "assign", "project_lead", "lena", "-w", "prod", home=home).stdout
    assert "assigned  Reader (container registry) at /workspaces/prod" in done
    again = opsloop("persona", "assign", "project_lead", "lena", "-w", "prod", home=home).stdout
    assert "assigned " not in again and "unchanged Reader (workspace)" in again
    allowed = _json("access", "check", "lena", "environments/read", "/workspaces/prod", home=home)
    assert isinstance(allowed, dict) and allowed["persona"] == "project_lead"
    denied = opsloop(
        "access", "check", "lena", "models/write", "/workspaces/prod", home=home, check=False
    )
    assert denied.returncode == 1 and "no role assignment of lena" in denied.stdout


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A first-started server: its URL and the owner token it printed."""
    with first_started_server(tmp_path) as started:
        yield started


def test_support_asks_for_owner_and_another_owner_approves(
    server: tuple[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, owner = server
    home = tmp_path / "client"
    monkeypatch.setenv("OPSLOOP_URI", url)
    monkeypatch.setenv("OPSLOOP_TOKEN", owner)
    opsloop("workspace", "create", "--name", "prod", "--kind", "production", home=home)
    opsloop("principal", "create", "sam", home=home)
    made = opsloop("persona", "assign", "platform_technical_support", "sam", "-w", "prod",
                   home=home).stdout  # fmt: skip
    assert "eligible  Owner (workspace) at /workspaces/prod" in made
    sam = _json("token", "create", "sam", home=home)
    assert isinstance(sam, dict)

    monkeypatch.setenv("OPSLOOP_TOKEN", sam["token"])
    asked = _json(
        "elevate", "request", "--role", "Owner", "-w", "prod", "--for", "2h",
        "--reason", "scoring endpoint down", "--ticket", "INC-1", home=home,
    )  # fmt: skip
    assert isinstance(asked, dict) and asked["status"] == "pending"
    self_approval = opsloop("elevate", "approve", asked["id"], home=home, check=False)
    assert self_approval.returncode == 1 and "elevations/decide" in self_approval.stderr
    too_long = opsloop("elevate", "request", "--role", "Owner", "-w", "prod", "--for", "9h",
                       "--reason", "x", home=home, check=False)  # fmt: skip
    assert too_long.returncode == 2 and "at most 8h" in too_long.stderr

    monkeypatch.setenv("OPSLOOP_TOKEN", owner)
    pending = _json("elevate", "list", "-w", "prod", "--status", "pending", home=home)
    assert isinstance(pending, list) and [e["id"] for e in pending] == [asked["id"]]
    approved = _json("elevate", "approve", asked["id"], "--comment", "go", home=home)
    assert isinstance(approved, dict) and approved["status"] == "active"
    shown = opsloop("elevate", "show", asked["id"], home=home).stdout
    assert "INC-1" in shown and "active" in shown

    monkeypatch.setenv("OPSLOOP_TOKEN", sam["token"])
    jobs = opsloop("job", "list", "-w", "prod", home=home)
    assert jobs.returncode == 0
