"""Database.migrate: one query tells a store at the newest revision (no Alembic loaded); a
new store and one an older opsloop wrote are brought there by Alembic, on both backends."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect

from opsloop.store.database import MIGRATIONS, Database, head_revision


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url.replace("postgresql://", "postgresql+psycopg://")


def _alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def _upgrade_to(url: str, revision: str) -> None:
    """A store as an older opsloop left it: Alembic run to ``revision`` only."""
    config = _alembic_config()
    config.attributes["secret_box"] = None
    engine = create_engine(url)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    engine.dispose()


def _job_columns(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return {column["name"] for column in inspect(engine).get_columns("jobs")}
    finally:
        engine.dispose()


def test_the_newest_revision_read_from_the_scripts_is_alembics_head() -> None:
    assert head_revision() == ScriptDirectory.from_config(_alembic_config()).get_current_head()


def test_a_new_store_is_created_at_the_newest_revision(store_url: str) -> None:
    database = Database(store_url)
    assert database.revisions() == set()  # no alembic_version table yet
    database.migrate()
    assert database.revisions() == {head_revision()}
    database.dispose()


def test_a_store_an_older_opsloop_wrote_is_upgraded(store_url: str) -> None:
    _upgrade_to(store_url, "0006")  # before step reuse reasons and tracking snapshots
    assert "reuse_reason" not in _job_columns(store_url)
    database = Database(store_url)
    assert database.revisions() == {"0006"}
    database.migrate()
    assert database.revisions() == {head_revision()}
    assert {"reuse_reason", "tracking"} <= _job_columns(store_url)
    database.dispose()


def test_a_current_store_is_checked_without_loading_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    Database(url).migrate()
    check = (
        "import sys\n"
        "from opsloop.store.database import Database\n"
        f"Database({url!r}).migrate()\n"
        "print([m for m in ('alembic', 'alembic.command') if m in sys.modules])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]", result.stderr


def test_two_processes_starting_on_a_new_store_both_find_it_migrated(store_url: str) -> None:
    """A CLI call and the runner it starts ahead both open the store at once."""
    migrate = f"from opsloop.store.database import Database\nDatabase({store_url!r}).migrate()\n"
    processes = [
        subprocess.Popen([sys.executable, "-c", migrate], stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    for process in processes:
        _, errors = process.communicate(timeout=300)
        assert process.returncode == 0, errors
    assert Database(store_url).revisions() == {head_revision()}
