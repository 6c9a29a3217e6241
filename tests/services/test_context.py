"""The Platform's home: private to its owner whatever the umask, the umask left as it was."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from opsloop import Client
from opsloop.config import Settings
from opsloop.services.context import Platform


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask_022() -> Iterator[None]:
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.mark.usefixtures("umask_022")
def test_the_home_is_0700_and_its_files_0600_under_umask_022(tmp_path: Path) -> None:
    home = tmp_path / "new" / "home"
    with Client(home=home, workspace="dev") as client:
        client.workspaces.create(name="dev")
        client.online_endpoints.create(name="ep")  # writes a secret: makes the master key
        platform = client._transport.platform
        platform.tracking.experiment_id("dev", "modes")  # MLflow's database, in the home
        with platform.database.engine.connect():  # WAL files exist while a connection is open
            files = {path.name: mode(path) for path in home.iterdir() if path.is_file()}
    assert mode(home) == 0o700
    assert {"opsloop.db", "opsloop.db-wal", "opsloop.db-shm", "master.key", "mlflow.db"} <= set(
        files
    )
    assert files == dict.fromkeys(files, 0o600)
    assert os.umask(0o022) == 0o022  # the caller's umask is untouched


@pytest.mark.usefixtures("umask_022")
def test_an_older_world_readable_store_is_restricted_when_opened(tmp_path: Path) -> None:
    home = tmp_path / "home"
    Platform(Settings(home=home)).database.dispose()
    database_file = home / "opsloop.db"
    database_file.chmod(0o644)
    Platform(Settings(home=home)).database.dispose()
    assert mode(database_file) == 0o600
