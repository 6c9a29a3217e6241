"""Shared fixtures: real embedded homes (SQLite + files) and real PostgreSQL schemas."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from opsloop import Client

POSTGRES_URL = os.environ.get(
    "OPSLOOP_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith(("OPSLOOP_", "MLFLOW_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("OPSLOOP_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PYTHONWARNINGS", "ignore")


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def client(home: Path) -> Iterator[Client]:
    with Client(home=home, workspace="dev") as embedded:
        embedded.workspaces.create(name="dev")
        yield embedded


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh schema in the real PostgreSQL, dropped afterwards (with MLflow's schema)."""
    sqlalchemy = pytest.importorskip("sqlalchemy")
    schema = f"t_{uuid.uuid4().hex[:10]}"
    engine = sqlalchemy.create_engine(
        POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://")
    )
    try:
        with engine.begin() as connection:
            connection.execute(sqlalchemy.text(f'CREATE SCHEMA "{schema}"'))
    except sqlalchemy.exc.OperationalError as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"PostgreSQL is not reachable: {exc}")
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as connection:
            connection.execute(sqlalchemy.text(f'DROP SCHEMA "{schema}" CASCADE'))
            connection.execute(sqlalchemy.text(f'DROP SCHEMA IF EXISTS "{schema}_mlflow" CASCADE'))
        engine.dispose()
