"""Access control from the command line, against a real `opsloop server` with real tokens:
the first start prints the owner's token once, `opsloop login` saves it (mode 0600), and
principals, groups and tokens are managed with it; a revoked token stops working."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from helpers import first_started_server, free_port, opsloop


@pytest.fixture
def first_start(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A server started on an empty home: its URL and the owner token it printed."""
    with first_started_server(tmp_path) as (url, token):
        yield url, token
    assert (tmp_path / "server.log").read_text().count(token) == 1  # shown once


def _cli(*args: str, home: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    return opsloop(*args, home=home, check=check)


def test_a_first_start_owner_manages_principals_and_tokens(
    first_start: tuple[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, owner_token = first_start
    home = tmp_path / "client-home"
    monkeypatch.setenv("OPSLOOP_URI", url)
    anonymous = _cli("workspace", "list", home=home, check=False)
    assert anonymous.returncode == 1
    assert "requires an API token" in anonymous.stderr

    login = _cli("login", "--token", owner_token, home=home)
    assert "as admin (user)" in login.stdout
    profile = Path(os.environ["OPSLOOP_PROFILE"])
    assert stat.S_IMODE(profile.stat().st_mode) == 0o600
    assert json.loads(profile.read_text())["servers"][url]["token"] == owner_token

    _cli("principal", "create", "ci", "--service-principal", home=home)
    _cli("principal", "create", "-n", "alice", "--display-name", "Alice", home=home)
    _cli("group", "create", "--name", "leads", home=home)
    _cli("group", "add-member", "leads", "alice", home=home)
    shown = json.loads(_cli("principal", "show", "alice", "-o", "json", home=home).stdout)
    assert shown["groups"] == ["leads"] and shown["kind"] == "user"
    listed = json.loads(_cli("principal", "list", "-o", "json", home=home).stdout)
    assert [p["name"] for p in listed] == ["admin", "alice", "ci"]
    groups = json.loads(_cli("group", "list", "-o", "json", home=home).stdout)
    assert groups[0]["members"] == ["alice"]
    _cli("group", "remove-member", "leads", "alice", home=home)

    made = json.loads(
        _cli(
            "token", "create", "--principal", "ci", "-n", "pipeline", "--expires-in-days", "30",
            "-w", "dev", "--read-only", "-o", "json", home=home,
        ).stdout
    )  # fmt: skip
    assert made["token"].startswith("opsloop_pat_") and made["read_only"]
    monkeypatch.setenv("OPSLOOP_TOKEN", made["token"])  # wins over the profile
    who = json.loads(_cli("whoami", "-o", "json", home=home).stdout)
    assert (who["name"], who["kind"], who["workspace"]) == ("ci", "service_principal", "dev")
    denied = _cli("workspace", "create", "--name", "x", home=home, check=False)
    assert "workspaces/write" in denied.stderr and "read-only" in denied.stderr
    monkeypatch.delenv("OPSLOOP_TOKEN")

    tokens = json.loads(_cli("token", "list", "--principal", "ci", "-o", "json", home=home).stdout)
    assert made["token"] not in json.dumps(tokens)
    _cli("token", "revoke", made["id"], home=home)
    refused = httpx.get(
        f"{url}/api/v1/workspaces", headers={"authorization": f"Bearer {made['token']}"}
    )
    assert refused.status_code == 401 and "revoked" in refused.json()["detail"]

    _cli("principal", "disable", "alice", "-y", home=home)
    assert json.loads(_cli("principal", "show", "alice", "-o", "json", home=home).stdout)[
        "disabled"
    ]


def test_admin_bootstrap_makes_one_owner_and_embedded_needs_no_token(tmp_path: Path) -> None:
    home = tmp_path / "home"
    first = _cli("admin", "bootstrap", "--name", "root", home=home)
    assert re.search(r"opsloop_pat_\S+", first.stdout)
    again = _cli("admin", "bootstrap", home=home, check=False)
    assert again.returncode == 1 and "has an owner already" in again.stderr
    # Embedded, the OS user owns the home: no token, and it may administer identities.
    who = json.loads(_cli("whoami", "-o", "json", home=home).stdout)
    assert who["token_id"] is None
    made = json.loads(_cli("token", "create", "root", "-o", "json", home=home).stdout)
    assert made["principal"] == "root"


def test_a_name_is_an_argument_or_an_option_and_given_once(tmp_path: Path) -> None:
    home = tmp_path / "home"
    _cli("principal", "create", "tess", home=home)  # the form commands printed before
    _cli("principal", "create", "--name", "tom", home=home)
    _cli("principal", "create", "-n", "tia", "tia", home=home)  # the same name twice is one
    both = _cli("principal", "create", "-n", "x", "y", home=home, check=False)
    assert both.returncode == 2 and "not both ('y' and 'x')" in both.stderr
    neither = _cli("group", "create", home=home, check=False)
    assert neither.returncode == 2 and "give the name, as an argument or as -n/--name" in (
        neither.stderr
    )
    made = json.loads(_cli("token", "create", "-p", "tom", "-o", "json", home=home).stdout)
    assert made["principal"] == "tom"
    clash = _cli("token", "create", "tom", "--principal", "tess", home=home, check=False)
    assert clash.returncode == 2 and "-p/--principal" in clash.stderr
    shown = json.loads(_cli("principal", "show", "-n", "tia", "-o", "json", home=home).stdout)
    assert shown["name"] == "tia"


def test_roles_from_yaml_assignments_and_access_check(tmp_path: Path) -> None:
    home = tmp_path / "home"
    _cli("workspace", "create", "--name", "dev", home=home)
    _cli("principal", "create", "tess", home=home)
    bad = tmp_path / "bad.yml"
    bad.write_text("name: typo\nactions:\n  - job/write\n")
    refused = _cli("role", "create", "-f", str(bad), home=home, check=False)
    assert refused.returncode == 2
    assert f"{bad}:" in refused.stderr and "matches no declared action" in refused.stderr
    good = tmp_path / "tester.yml"
    good.write_text(
        "name: Model Tester\ndescription: runs staging tests\n"
        'actions: ["*/read", "jobs/write"]\nnot_actions: ["online-endpoints/keys/*"]\n'
    )
    made = json.loads(_cli("role", "create", "-f", str(good), "-o", "json", home=home).stdout)
    assert "jobs/write" in made["allowed_actions"]
    roles = json.loads(_cli("role", "list", "-o", "json", home=home).stdout)
    assert {"Data Scientist", "AcrPush", "Model Tester"} <= {r["name"] for r in roles}
    _cli(
        "role", "assignment", "create", "--principal", "tess", "--role", "Model Tester",
        "-w", "dev", home=home,
    )  # fmt: skip
    listed = json.loads(
        _cli("role", "assignment", "list", "--principal", "tess", "-o", "json", home=home).stdout
    )
    assert [(a["role"], a["scope"]) for a in listed] == [("Model Tester", "/workspaces/dev")]
    allowed = _cli("access", "check", "tess", "jobs/write", "/workspaces/dev", home=home)
    assert "Model Tester at /workspaces/dev allows jobs/write" in allowed.stdout
    denied = _cli(
        "access", "check", "tess", "computes/write", "/workspaces/dev", home=home, check=False
    )
    assert denied.returncode == 1 and "no role assignment of tess" in denied.stdout
    _cli("role", "assignment", "delete", listed[0]["id"], home=home)
    assert (
        _cli("role", "assignment", "list", "--principal", "tess", home=home).stdout.count(
            "Model Tester"
        )
        == 0
    )


def test_audit_list_and_verify_from_the_command_line(tmp_path: Path) -> None:
    home = tmp_path / "home"
    _cli("workspace", "create", "--name", "dev", home=home)
    _cli("compute", "create", "--name", "cpu", "--type", "local", home=home)
    records = json.loads(
        _cli("audit", "list", "--action", "computes/", "-o", "json", home=home).stdout
    )
    assert [(r["action"], r["resource"]) for r in records] == [("computes/write", "compute:cpu")]
    verified = json.loads(_cli("audit", "verify", "-o", "json", home=home).stdout)
    assert verified["ok"] and verified["records"] == 2
    with sqlite3.connect(home / "opsloop.db") as db:
        db.execute("UPDATE audit_log SET actor = 'mallory' WHERE target = 'workspace:dev'")
    broken = _cli("audit", "verify", home=home, check=False)
    assert broken.returncode == 1 and "was altered" in broken.stdout


def test_the_server_will_not_start_with_a_half_made_oidc_setup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPSLOOP_OIDC_ISSUER", "https://login.example.test/v2.0")
    monkeypatch.setenv("OPSLOOP_OIDC_JWKS", str(tmp_path / "jwks.json"))
    refused = _cli("server", "--port", str(free_port()), home=tmp_path / "h", check=False)
    assert refused.returncode == 2
    assert "OPSLOOP_OIDC_AUDIENCE: is required when OPSLOOP_OIDC_ISSUER is set" in refused.stderr
    # Other commands are not stopped by it.
    assert _cli("workspace", "list", home=tmp_path / "h").returncode == 0
