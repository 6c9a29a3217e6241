"""`opsloop secret` as a user runs it (embedded): set from stdin, a value or a file; get,
show, list (never values) and delete; and rotating the master key, from a key file and
from OPSLOOP_MASTER_KEY, after which the old key opens nothing."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from helpers import opsloop

VALUE = "s3cret value with spaces & $igns"


def _set_from_stdin(home: Path, name: str, text: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OPSLOOP_HOME": str(home), "OPSLOOP_WORKSPACE": "dev"}
    return subprocess.run(
        [sys.executable, "-m", "opsloop.cli.main", "secret", "set", name, "-o", "json"],
        input=text, env=env, text=True, capture_output=True, timeout=120, check=True,
    )  # fmt: skip


def test_set_get_list_show_delete(tmp_path: Path) -> None:
    home = tmp_path / "home"
    opsloop("workspace", "create", "--name", "dev", home=home)
    created = json.loads(_set_from_stdin(home, "DB_PASSWORD", VALUE + "\n").stdout)
    assert created["version"] == 1 and "value" not in created
    assert opsloop("secret", "get", "DB_PASSWORD", home=home).stdout == VALUE + "\n"
    opsloop("secret", "set", "API_TOKEN", "--value", "tok-123", home=home)
    key_file = tmp_path / "key.pem"
    key_file.write_text("-----BEGIN-----\nabc\n-----END-----\n")
    opsloop("secret", "set", "API_TOKEN", "--from-file", str(key_file), home=home)
    got = json.loads(opsloop("secret", "get", "API_TOKEN", "-o", "json", home=home).stdout)
    assert got == {
        "workspace": "dev", "name": "API_TOKEN", "version": 2, "value": key_file.read_text()
    }  # fmt: skip
    listed = opsloop("secret", "list", home=home).stdout
    assert "API_TOKEN" in listed and "DB_PASSWORD" in listed
    assert VALUE not in listed and "abc" not in listed
    shown = json.loads(opsloop("secret", "show", "API_TOKEN", "-o", "json", home=home).stdout)
    assert shown["version"] == 2 and "value" not in shown
    both = opsloop("secret", "set", "X", "--value", "a", "--from-file", "f", home=home, check=False)
    assert both.returncode == 2 and "not both" in both.stderr
    opsloop("secret", "delete", "API_TOKEN", "-y", home=home)
    missing = opsloop("secret", "get", "API_TOKEN", home=home, check=False)
    assert missing.returncode == 1 and "secret 'API_TOKEN' not found" in missing.stderr
    assert "--from-file" in opsloop("secret", "set", "--help", home=home).stdout


def test_rotating_the_master_key_file_keeps_everything_readable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    opsloop("workspace", "create", "--name", "dev", home=home)
    opsloop("secret", "set", "DB_PASSWORD", "--value", VALUE, home=home)
    opsloop("online-endpoint", "create", "--name", "ep", home=home)
    keys = opsloop("online-endpoint", "get-credentials", "--name", "ep", "-o", "json", home=home)
    old_key = (home / "master.key").read_text().strip()

    rotated = opsloop("secret", "rotate-master-key", "-y", home=home).stdout
    assert "Re-sealed 1 vault secret(s), 3 endpoint secret(s)" in rotated
    new_key = (home / "master.key").read_text().strip()
    assert new_key != old_key and stat.S_IMODE((home / "master.key").stat().st_mode) == 0o600
    assert not (home / "master.key.new").exists()
    assert opsloop("secret", "get", "DB_PASSWORD", home=home).stdout == VALUE + "\n"
    again = opsloop("online-endpoint", "get-credentials", "--name", "ep", "-o", "json", home=home)
    assert json.loads(again.stdout) == json.loads(keys.stdout)

    monkeypatch.setenv("OPSLOOP_MASTER_KEY", old_key)  # the old key opens nothing any more
    stale = opsloop("secret", "get", "DB_PASSWORD", home=home, check=False)
    monkeypatch.delenv("OPSLOOP_MASTER_KEY")
    assert stale.returncode == 1
    assert "the master key from OPSLOOP_MASTER_KEY does not decrypt" in stale.stderr
    audit = opsloop("audit", "list", "--action", "master-key/", "-o", "json", home=home)
    assert [r["outcome"] for r in json.loads(audit.stdout)] == ["succeeded"]


def test_rotating_a_master_key_from_the_variable_prints_the_new_one_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("OPSLOOP_MASTER_KEY", Fernet.generate_key().decode())
    opsloop("workspace", "create", "--name", "dev", home=home)
    opsloop("secret", "set", "DB_PASSWORD", "--value", VALUE, home=home)
    rotated = opsloop("secret", "rotate-master-key", "-y", home=home).stdout
    new_key = rotated.strip().splitlines()[-1]
    assert "set it to this new key" in rotated and not (home / "master.key").exists()
    stale = opsloop("secret", "get", "DB_PASSWORD", home=home, check=False)
    assert stale.returncode == 1 and "does not decrypt" in stale.stderr
    monkeypatch.setenv("OPSLOOP_MASTER_KEY", new_key)
    assert opsloop("secret", "get", "DB_PASSWORD", home=home).stdout == VALUE + "\n"
