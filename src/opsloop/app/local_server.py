"""The home's local server: the embedded API kept warm between command-line calls.

An embedded CLI call builds the whole platform in its own process (SQLAlchemy and the table
mappings, FastAPI, the store) to answer one request, about 0.7 s of CPU before any work.
A person types many such calls in a row, so the first one leaves behind a process that
serves the same embedded app (``opsloop.app.embedded``) on a Unix socket in the home, and
the next calls send their requests there: they then cost what a call to a remote server
costs. The idea is Gradle's daemon and Prefect's ephemeral server; what keeps it honest:

- **Same behaviour.** The server is the embedded app itself, started with the environment,
  working directory, interpreter and code of the call that started it. A call whose
  fingerprint of those differs (a changed variable, another folder, an edited or upgraded
  opsloop) does not use it: it runs in process as before and replaces it.
- **Same access.** The socket lives in the home, which only its owner can open; a caller
  is the OS user (the home's owner), or the principal of the token it sends, exactly as
  in process.
- **Never half a request.** A call falls back to running in process only when it cannot
  connect, which is before anything is sent.
- **Gone when idle.** It exits after ``local_server_idle_s`` (15 minutes) without a
  request; ``opsloop local-server stop`` ends it at once, and ``OPSLOOP_LOCAL_SERVER=0``
  turns the whole thing off. It runs no background work (schedules fire only while
  ``opsloop worker`` runs, as without it).

It also keeps a job runner loaded ahead (``start_standby_runner``), so a job submitted
through it starts without waiting for MLflow's import.

This module's top level is light (the CLI reads the state file on every call); the server's
own imports are inside :func:`serve`.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

SOCKET = "local-server.sock"
STATE = "local-server.json"
LOG = "local-server.log"
LOCK = "local-server.lock"
# The pid of a server started but not listening yet (loading takes a second or two), so that
# `opsloop local-server stop` right after the call that started it finds it too.
SPAWNED = "local-server.spawned"
SPAWNED_STALE_S = 60.0  # a server loads in seconds; an older marker is a dead one's
# A Unix socket's path is at most 107 bytes on Linux; a deeper home runs every call in
# process.
MAX_SOCKET_PATH = 100
# Variables a shell changes on its own between commands: they say nothing about the store
# or what a job would see.
_VOLATILE_VARIABLES = frozenset({"PWD", "OLDPWD", "_", "SHLVL", "COLUMNS", "LINES"})
_PACKAGE = Path(__file__).resolve().parent.parent


def fingerprint(home: Path) -> str:
    """What a call must share with the server to get the same answer from it as in process:
    the home, the working directory, the environment, the interpreter and opsloop's code
    (each source file's size and modification time: an edit or an upgrade changes it)."""
    digest = hashlib.sha256()
    environment = sorted(
        (name, value) for name, value in os.environ.items() if name not in _VOLATILE_VARIABLES
    )
    interpreter = f"{sys.prefix}:{os.path.realpath(sys.executable)}"
    for part in (str(home), os.getcwd(), interpreter, json.dumps(environment), _code()):
        digest.update(part.encode("utf-8", "surrogateescape"))
        digest.update(b"\0")
    return digest.hexdigest()


@functools.cache
def _code() -> str:
    """opsloop's code as this process found it: each source file's path, size and
    modification time. Once per process (a call asks up to three times: ``job create``'s
    runner ahead, the client's lookup, the start at exit), and rightly so: a process runs
    the code it imported, whatever is edited after."""
    digest = hashlib.sha256()
    for folder, _dirs, files in os.walk(_PACKAGE):
        for name in sorted(files):
            if name.endswith(".py"):
                stat = os.stat(os.path.join(folder, name))
                digest.update(f"{folder}/{name}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def socket_path(home: Path) -> Path | None:
    path = home / SOCKET
    return path if len(str(path).encode()) <= MAX_SOCKET_PATH else None


def read_state(home: Path) -> dict[str, object] | None:
    try:
        state = json.loads((home / STATE).read_text())
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) else None


def find_local_server(home: Path) -> Path | None:
    """The socket of this home's local server when one runs for a call like this one."""
    state = read_state(home)
    socket = socket_path(home)
    if state is None or socket is None or not socket.exists():
        return None
    return socket if state.get("fingerprint") == fingerprint(home) else None


def start_local_server(home: Path) -> None:
    """Start the local server in the background for the calls after this one (a running one
    for another fingerprint is stopped first); it outlives this process."""
    if socket_path(home) is None or not home.is_dir():
        return
    if read_state(home) is not None:
        stop_local_server(home)  # started for another fingerprint: the new one waits for it
    elif _starting(home):
        return  # one is loading (it announces itself in its state file once it listens)
    with (home / LOG).open("ab") as log:
        child = subprocess.Popen(
            [sys.executable, "-m", "opsloop.app.local_server", str(home), fingerprint(home)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    with contextlib.suppress(OSError):
        (home / SPAWNED).write_text(str(child.pid))


def _starting(home: Path) -> bool:
    """A server holds the home's lock but has not announced itself yet."""
    import fcntl

    try:
        with (home / LOCK).open("a") as lock:
            try:
                fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)
    except OSError:
        return False
    return False


def stop_local_server(home: Path) -> int | None:
    """Ask the home's local server to end; its pid, or None when none runs."""
    state = read_state(home)
    if state is None:
        stopped = _stop_starting(home)
        state = read_state(home)  # it may have announced itself meanwhile
        if stopped is not None or state is None:
            return stopped
    pid = state.get("pid")
    # The state file goes first, so no new call picks the server while it ends.
    with contextlib.suppress(OSError):
        (home / STATE).unlink()
    if not isinstance(pid, int):
        return None
    return _terminate(pid)


def starting_pid(home: Path) -> int | None:
    """The pid of this home's local server started but not yet listening, if one is.

    A marker is stale when its server died before it could remove it (a crash, a kill):
    its pid may be another process's by now, so it must be recent and, where the process
    table can be read, the pid must be this home's server."""
    marker = home / SPAWNED
    try:
        pid = int(marker.read_text())
        if time.time() - marker.stat().st_mtime > SPAWNED_STALE_S:
            return None
    except (OSError, ValueError):
        return None
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except FileNotFoundError:
        if Path("/proc/self").exists():
            return None  # the process is gone
        return pid if _alive(pid) else None  # no /proc (macOS): the age check must do
    except OSError:
        return None
    return pid if b"opsloop.app.local_server" in command and os.fsencode(home) in command else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return False  # another user's process: not a server this user started
    return True


def _stop_starting(home: Path) -> int | None:
    pid = starting_pid(home)
    with contextlib.suppress(OSError):
        (home / SPAWNED).unlink()
    return None if pid is None else _terminate(pid)


def _terminate(pid: int) -> int | None:
    try:
        os.kill(pid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        return None
    return pid


if __name__ == "__main__":
    from opsloop.app.local_server_process import serve

    sys.exit(serve(Path(sys.argv[1]), sys.argv[2]))
