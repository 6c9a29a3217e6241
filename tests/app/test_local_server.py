"""The home's local server: embedded CLI calls after the first go to it, a call from another
environment or a vanished server runs in process, and it ends when idle or told to."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from opsloop import Client
from opsloop.app.local_server import (
    SPAWNED,
    STATE,
    find_local_server,
    read_state,
    start_local_server,
    starting_pid,
    stop_local_server,
)

OPSLOOP = str(Path(sys.executable).parent / "opsloop")


@pytest.fixture
def local_server_on(monkeypatch: pytest.MonkeyPatch, home: Path, tmp_path: Path) -> Path:
    monkeypatch.delenv("OPSLOOP_LOCAL_SERVER")
    # The CLI's calls run here too: the same folder is part of what they must share.
    monkeypatch.chdir(tmp_path)
    home.mkdir(mode=0o700)
    return home


def _wait_until(condition: object, seconds: float = 90.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.1)
    raise AssertionError("timed out")


def _ended(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    # Our own child ends as a zombie until reaped: read its state.
    status = Path(f"/proc/{pid}/stat")
    return not status.exists() or status.read_text().split()[2] == "Z"


def _cli(*argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [OPSLOOP, *argv], cwd=cwd, env=dict(os.environ), capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done


def test_cli_calls_after_the_first_go_to_the_local_server(
    local_server_on: Path, tmp_path: Path
) -> None:
    home = local_server_on
    try:
        _cli("workspace", "create", "--name", "dev", cwd=tmp_path)
        # The first call ran in process and left the server starting behind it.
        _wait_until(lambda: find_local_server(home) is not None)
        status = _cli("local-server", "status", cwd=tmp_path).stdout
        assert "This shell's calls go to it." in status
        pid = read_state(home)["pid"]  # type: ignore[index]

        listed = json.loads(_cli("workspace", "list", "-o", "json", cwd=tmp_path).stdout)
        assert [w["name"] for w in listed] == ["dev"]
        # A job through it: its runner is one the server loaded ahead.
        (tmp_path / "job.yml").write_text('type: command\ncommand: python -c "print(42)"\n')
        job = _cli("job", "create", "-w", "dev", "-f", "job.yml", "--stream", cwd=tmp_path)
        assert "Completed" in job.stdout
        assert read_state(home)["pid"] == pid  # type: ignore[index]  # the same server served it
    finally:
        stopped = stop_local_server(home)
    assert stopped is not None
    _wait_until(lambda: _ended(stopped))
    assert find_local_server(home) is None
    assert "No local server runs" in _cli("local-server", "status", cwd=tmp_path).stdout


def test_another_environment_runs_in_process_and_a_vanished_server_is_no_failure(
    local_server_on: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = local_server_on
    with Client(home=home) as first:
        first.workspaces.create(name="dev")
    start_local_server(home)
    try:
        _wait_until(lambda: find_local_server(home) is not None)
        with Client(home=home, local_server=True) as through:
            assert through.via_local_server
            through.workspaces.create(name="staging")
        with Client(home=home) as in_process:  # the SDK's default: its own process
            assert not in_process.via_local_server
            assert {w.name for w in in_process.workspaces.list()} == {"dev", "staging"}

        monkeypatch.setenv("OPSLOOP_SOMETHING_ELSE", "1")  # another environment
        with Client(home=home, local_server=True) as other:
            assert not other.via_local_server
        monkeypatch.delenv("OPSLOOP_SOMETHING_ELSE")

        with Client(home=home, local_server=True) as through:
            assert through.via_local_server
            pid = read_state(home)["pid"]  # type: ignore[index]
            os.kill(pid, signal.SIGKILL)  # gone, its state file and socket left behind
            _wait_until(lambda: _ended(pid))
            # Nothing was sent to it: the call runs in process instead.
            assert {w.name for w in through.workspaces.list()} == {"dev", "staging"}
            assert not through.via_local_server
    finally:
        stop_local_server(home)


def test_it_ends_when_idle(local_server_on: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = local_server_on
    monkeypatch.setenv("OPSLOOP_LOCAL_SERVER_IDLE_S", "1")
    start_local_server(home)
    try:
        _wait_until(lambda: find_local_server(home) is not None)
        pid = read_state(home)["pid"]  # type: ignore[index]
        _wait_until(lambda: not (home / STATE).exists(), seconds=30)
        _wait_until(lambda: _ended(pid), seconds=30)
    finally:
        stop_local_server(home)
    assert find_local_server(home) is None


def test_stop_right_after_the_call_that_started_it_ends_the_server_still_loading(
    local_server_on: Path, tmp_path: Path
) -> None:
    """The call starts the server as it exits; it loads for a second or more before it
    listens, and a `local-server stop` typed meanwhile must still find and end it."""
    home = local_server_on
    _cli("workspace", "list", cwd=tmp_path)
    stopped = _cli("local-server", "stop", cwd=tmp_path).stdout
    assert stopped.startswith("Stopped the local server (pid "), stopped
    pid = int(stopped.split("pid ")[1].split(")")[0])
    _wait_until(lambda: _ended(pid), seconds=30)
    assert read_state(home) is None
    assert not (home / SPAWNED).exists()
    assert "No local server runs" in _cli("local-server", "status", cwd=tmp_path).stdout


def test_a_stale_marker_of_a_starting_server_names_no_process_to_stop(
    local_server_on: Path, tmp_path: Path
) -> None:
    """A server that died while loading leaves its marker; its pid may be another process
    by now, even another home's server, which `stop` must leave alone."""
    home = local_server_on

    def lookalike(for_home: Path) -> subprocess.Popen[bytes]:
        # A process whose command line reads like a local server's for ``for_home``.
        return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)",
                                 "opsloop.app.local_server", str(for_home)])  # fmt: skip

    other, own = lookalike(tmp_path / "another-home"), lookalike(home)
    try:
        for started in (other, own):  # its command line is readable once exec has set it up
            _wait_until(
                lambda p=started.pid: b"local_server" in Path(f"/proc/{p}/cmdline").read_bytes()
            )
        (home / SPAWNED).write_text(str(other.pid))
        assert starting_pid(home) is None
        assert stop_local_server(home) is None
        assert other.poll() is None  # not signalled
        (home / SPAWNED).write_text(str(own.pid))
        assert starting_pid(home) == own.pid
        an_hour_ago = time.time() - 3600
        os.utime(home / SPAWNED, (an_hour_ago, an_hour_ago))
        assert starting_pid(home) is None
    finally:
        other.kill()
        own.kill()
        other.wait()
        own.wait()
