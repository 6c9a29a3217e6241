"""Stored promotion policies: set (a new version only when the spec changes), list, show,
delete, a bad spec named with its file and line, and the write permission it needs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers import opsloop, write
from opsloop import Client
from opsloop.errors import NotFoundError, PermissionDeniedError, ValidationError

POLICY = """\
name: to-prod
gates:
  - {type: approval, role: project_lead, expires_in: 1h}
deploy: {endpoint: ep}
"""


def test_set_list_show_delete(client: Client, tmp_path: Path, home: Path) -> None:
    path = write(tmp_path / "to-prod.yml", POLICY)
    first = client.promotion_policies.set(file=path)
    assert (first.name, first.version) == ("to-prod", 1)
    assert client.promotion_policies.set(file=path).version == 1  # the same spec: unchanged
    write(path, POLICY.replace("1h", "2h"))
    assert client.promotion_policies.set(file=path).version == 2
    listed = opsloop("promotion", "policy", "list", "-w", "dev", home=home).stdout
    assert "to-prod" in listed
    shown = json.loads(
        opsloop(
            "promotion", "policy", "show", "to-prod", "-w", "dev", "-o", "json", home=home
        ).stdout
    )
    assert shown["spec"]["gates"][0]["expires_in"] == "2h" and shown["version"] == 2
    opsloop("promotion", "policy", "delete", "to-prod", "-w", "dev", "-y", home=home)
    with pytest.raises(NotFoundError, match="opsloop promotion policy create"):
        client.promotion_policies.get("to-prod")
    assert [e.type for e in client.events.list(workspace="dev")][-3:] == [
        "promotion_policy.set",
        "promotion_policy.set",
        "promotion_policy.deleted",
    ]


def test_a_bad_policy_names_its_file_and_line(client: Client, tmp_path: Path) -> None:
    path = write(tmp_path / "bad.yml", POLICY.replace("type: approval", "type: aproval"))
    with pytest.raises(ValidationError) as caught:
        client.promotion_policies.set(file=path)
    assert (caught.value.file, caught.value.line) == (str(path), 3)
    assert client.promotion_policies.list() == []


def test_storing_a_policy_needs_the_write_permission(client: Client, home: Path) -> None:
    client.principals.create("reader")
    client.role_assignments.create("reader", "Reader", scope="/workspaces/dev")
    token = client.tokens.create("reader").token
    with Client(home=home, workspace="dev", token=token) as reader:
        with pytest.raises(PermissionDeniedError):
            reader.promotion_policies.set({"name": "p", "deploy": {"endpoint": "ep"}})
        assert reader.promotion_policies.list() == []
