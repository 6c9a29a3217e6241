"""Engine and transactions. The caller of a service owns the transaction; services never commit."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from opsloop.security.private_files import make_private_dir, make_private_file, restrict_file

if TYPE_CHECKING:
    from opsloop.security.secrets_at_rest import SecretBox

MIGRATIONS = Path(__file__).parent / "migrations"
_migrated: set[str] = set()
_migrate_lock = threading.Lock()
_PLAIN_READS = "opsloop_plain_reads"
_MIGRATION_LOCK = 0x6F70736D6967  # "opsmig": the PostgreSQL advisory lock of migrations


class Database:
    """One metadata database: SQLite (WAL) by default, or PostgreSQL."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = _create_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def migrate(self, secret_box: SecretBox | None = None) -> None:
        """Bring the schema to the newest Alembic revision (idempotent, once per process).
        ``secret_box``: for migrations that encrypt secrets an older store kept in clear."""
        with _migrate_lock:
            if self.url in _migrated:
                return
            # Alembic (its import, the scripts, the environment) costs about 0.3 s; a store
            # already at the newest revision, the common case of every CLI call, needs one
            # query to tell.
            if self.revisions() != {head_revision()}:
                from alembic import command
                from alembic.config import Config

                config = Config()
                config.set_main_option("script_location", str(MIGRATIONS))
                config.attributes["secret_box"] = secret_box
                with self.engine.begin() as connection:
                    if connection.dialect.name == "postgresql":
                        # Two processes may start on a store that needs migrating (a CLI call
                        # and the runner it starts ahead): one migrates, the other then finds
                        # nothing to do. SQLite's BEGIN IMMEDIATE already serialises them.
                        connection.execute(
                            text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK}
                        )
                    config.attributes["connection"] = connection
                    command.upgrade(config, "head")
            _migrated.add(self.url)

    def revisions(self) -> set[str]:
        """The schema revisions Alembic stamped on this store (none on a new one)."""
        try:
            with self.engine.connect() as connection:
                rows = connection.execute(text("SELECT version_num FROM alembic_version"))
                return {str(row[0]) for row in rows}
        except DBAPIError:  # no alembic_version table: a store never migrated
            return set()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on any error."""
        session = self._sessions()
        try:
            with session.begin():
                yield session
        finally:
            session.close()

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection for a few reads outside any write transaction: on SQLite, where
        every transaction takes the write lock, each statement reads on its own, so a
        check made on every request (authentication) does not queue behind writers or hold
        them up. Nothing written through it is guaranteed atomic."""
        with self.engine.connect().execution_options(**{_PLAIN_READS: True}) as connection:
            yield connection

    def dispose(self) -> None:
        self.engine.dispose()


@cache
def head_revision() -> str:
    """The newest migration's revision, read from the scripts' ``revision`` and
    ``down_revision`` lines (the one no other script revises), without loading Alembic."""
    revises: dict[str, str | None] = {}
    for script in (MIGRATIONS / "versions").glob("*.py"):
        source = script.read_text()
        revision = re.search(r"^revision\b[^=]*= *[\"']([^\"']+)", source, re.MULTILINE)
        down = re.search(r"^down_revision\b[^=]*= *[\"']([^\"']+)", source, re.MULTILINE)
        if revision:
            revises[revision.group(1)] = down.group(1) if down else None
    heads = set(revises) - set(revises.values())
    if len(heads) != 1:
        raise RuntimeError(f"the migrations have {len(heads)} heads: {sorted(heads)}")
    return heads.pop()


def _create_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)
    if parsed.database and parsed.database != ":memory:":
        _make_private_sqlite_file(Path(parsed.database))
    engine = create_engine(url, connect_args={"timeout": 60, "check_same_thread": False})
    _use_wal_and_immediate_transactions(engine)
    return engine


def _make_private_sqlite_file(path: Path) -> None:
    # SQLite gives its -wal and -shm files the database file's mode, so creating that file
    # 0600 before SQLite opens it keeps them all private; older ones are restricted.
    make_private_dir(path.parent)
    make_private_file(path)
    for suffix in ("-wal", "-shm", "-journal"):
        restrict_file(path.with_name(path.name + suffix))


def _use_wal_and_immediate_transactions(engine: Engine) -> None:
    # pysqlite's implicit BEGIN is deferred: two processes that read and then write can
    # deadlock with "database is locked". BEGIN IMMEDIATE takes the write lock up front and
    # lets the busy timeout queue writers instead.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        if connection.get_execution_options().get(_PLAIN_READS):
            return  # each statement reads on its own, taking no write lock (Database.read)
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def ping(database: Database) -> None:
    with database.engine.connect() as connection:
        connection.execute(text("SELECT 1"))
