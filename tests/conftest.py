"""Shared fixtures: real embedded homes (SQLite + files) and real PostgreSQL schemas."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from opsloop import Client
from opsloop.store.database import Database

COLUMNS = ["a", "b", "c"]
POSTGRES_URL = os.environ.get(
    "OPSLOOP_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith(("OPSLOOP_", "MLFLOW_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("OPSLOOP_HOME", str(tmp_path / "home"))
    # `opsloop login` writes here, never to the user's own ~/.opsloop/profile.
    monkeypatch.setenv("OPSLOOP_PROFILE", str(tmp_path / "profile"))
    monkeypatch.setenv("PYTHONWARNINGS", "ignore")
    # A test's CLI calls run in process; tests/app/test_local_server.py turns it on.
    monkeypatch.setenv("OPSLOOP_LOCAL_SERVER", "0")


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


def save_linear_model(path: Path, coefficients: tuple[float, float, float]) -> Path:
    import mlflow.sklearn
    from mlflow.models import infer_signature
    from sklearn.linear_model import LinearRegression

    rng = np.random.default_rng(0)
    features = pd.DataFrame(rng.normal(size=(100, 3)), columns=COLUMNS)
    target = features.to_numpy() @ np.array(coefficients)
    model = LinearRegression().fit(features, target)
    mlflow.sklearn.save_model(
        model,
        str(path),
        signature=infer_signature(features, model.predict(features)),
        input_example=features.head(2),
        pip_requirements=["scikit-learn"],
    )
    return path


@pytest.fixture(scope="session")
def model_dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two versions of one model: y = a + 2b + 3c, then y = 10a."""
    root = tmp_path_factory.mktemp("models")
    return {
        "v1": save_linear_model(root / "v1", (1.0, 2.0, 3.0)),
        "v2": save_linear_model(root / "v2", (10.0, 0.0, 0.0)),
    }


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """The metadata store on each backend, migrated and empty: a SQLite file, then a fresh
    PostgreSQL schema."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'store.db'}"
    else:
        url = request.getfixturevalue("postgres_url").replace(
            "postgresql://", "postgresql+psycopg://"
        )
    found = Database(url)
    found.migrate()
    yield found
    found.engine.dispose()
