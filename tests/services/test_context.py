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


def _written(client: Client) -> tuple[int, int, list[Path]]:
    """Outbox events, audit records and stored files: what a create writes."""
    from sqlalchemy import func, select

    from opsloop.store.tables import AuditRow, OutboxEventRow

    platform = client._transport.platform
    with platform.database.transaction() as session:
        events = session.scalar(select(func.count()).select_from(OutboxEventRow)) or 0
        audit = session.scalar(select(func.count()).select_from(AuditRow)) or 0
    root = platform.artifacts.local_root()
    return events, audit, sorted(root.rglob("*")) if root else []


def test_a_dry_run_answers_what_would_be_created_and_writes_nothing(
    client: Client, tmp_path: Path
) -> None:
    from opsloop.errors import ConflictError, ValidationError

    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "train.py").write_text("print('hi')\n")
    component = tmp_path / "train.yml"
    component.write_text("name: train\nversion: '1'\ncode: ./src\ncommand: python train.py\n")
    before = _written(client)
    would = client.components.create(file=component, dry_run=True)
    assert (would.name, would.version) == ("train", "1")
    compute = client.computes.create(name="cpu", type="local", max_instances=2, dry_run=True)
    assert compute.name == "cpu" and compute.max_instances == 2
    environment = client.environments.create(
        name="py", version="1", conda_file={"dependencies": ["python=3.11"]}, dry_run=True
    )
    assert environment.name == "py"
    assert _written(client) == before  # no row, event, audit record or upload
    assert client.components.list() == [] and client.computes.list() == []

    client.components.create(file=component)
    with pytest.raises(ConflictError):  # the version is taken: the dry run says so
        client.components.create(file=component, dry_run=True)
    with pytest.raises(ValidationError) as raised:  # references are checked
        client.components.create(file=component, overrides=["environment=nope:1"], dry_run=True)
    assert raised.value.field == "--set environment"
