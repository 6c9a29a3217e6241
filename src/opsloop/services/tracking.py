"""MLflow tracking, reached only through MLflow's client API (never its tables).

Each job and step is an MLflow run in experiment ``<workspace>/<experiment_name>``; step
processes get ``MLFLOW_TRACKING_URI`` and ``MLFLOW_RUN_ID`` so plain MLflow code works.
"""

from __future__ import annotations

import fcntl
import functools
import logging
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from opsloop.config import Settings
from opsloop.security.private_files import make_private_file

log = logging.getLogger(__name__)
_lock = threading.RLock()
_ADVISORY_KEY = 0x6F70736C6F6F70  # "opsloop": serialises MLflow's first store creation


class Tracking:
    def __init__(self, settings: Settings, artifact_root: str) -> None:
        self.uri = settings.resolved_mlflow_tracking_uri()
        self.artifact_root = artifact_root

    @functools.cached_property
    def client(self) -> Any:
        from mlflow.tracking import MlflowClient

        with _lock, _creating_store(self.uri):
            _ensure_schema(self.uri)
            _ensure_private_sqlite_file(self.uri)
            client = MlflowClient(tracking_uri=self.uri)
            # MLflow creates and migrates its tables on first use; two processes doing it
            # at once (two jobs submitted together on a new home) both failed on
            # alembic_version. Do it here, one process at a time.
            client.search_experiments(max_results=1)
            return client

    def experiment_id(self, workspace: str, experiment_name: str) -> str:
        name = f"{workspace}/{experiment_name}"
        with _lock:
            found = self.client.get_experiment_by_name(name)
            if found is not None:
                return str(found.experiment_id)
            try:
                return str(
                    self.client.create_experiment(
                        name, artifact_location=f"{self.artifact_root}/mlflow/{workspace}"
                    )
                )
            except Exception:  # created by a concurrent runner in the meantime
                found = self.client.get_experiment_by_name(name)
                if found is None:
                    raise
                return str(found.experiment_id)

    def start_run(
        self,
        experiment_id: str,
        run_name: str,
        tags: dict[str, str],
        parent_run_id: str | None = None,
    ) -> str:
        if parent_run_id:
            tags = {**tags, "mlflow.parentRunId": parent_run_id}
        run = self.client.create_run(experiment_id, run_name=run_name, tags=tags)
        return str(run.info.run_id)

    def end_run(self, run_id: str, status: str) -> dict[str, Any] | None:
        """Close a run unless the user's code already did; returns what it holds then
        (``{"metrics": ..., "params": ...}``), or None if MLflow could not be read."""
        mlflow_status = {"Completed": "FINISHED", "Failed": "FAILED", "Canceled": "KILLED"}[status]
        try:
            run = self.client.get_run(run_id)
            if run.info.status == "RUNNING" or mlflow_status != "FINISHED":
                self.client.set_terminated(run_id, status=mlflow_status)
        except Exception:
            log.exception("could not close MLflow run %s", run_id)
            return None
        return {"metrics": dict(run.data.metrics), "params": dict(run.data.params)}

    def log_params(self, run_id: str, params: dict[str, Any]) -> None:
        from mlflow.entities import Param

        if params:
            batch = [Param(k, str(v)[:6000]) for k, v in params.items()]
            self.client.log_batch(run_id, params=batch)

    def log_metrics(self, run_id: str, metrics: dict[str, float]) -> None:
        from mlflow.entities import Metric

        stamp = int(time.time() * 1000)
        batch = [Metric(k, float(v), stamp, 0) for k, v in metrics.items()]
        self.client.log_batch(run_id, metrics=batch)

    def metric_history(self, run_id: str, key: str) -> list[float]:
        """Every value of a metric the run has logged, in the order of its steps."""
        try:
            history = self.client.get_metric_history(run_id, key)
        except Exception:
            log.warning("MLflow run %s could not be read", run_id)
            return []
        return [m.value for m in sorted(history, key=lambda m: (m.step, m.timestamp))]

    def metrics_and_params(self, run_id: str | None) -> tuple[dict[str, float], dict[str, str]]:
        if not run_id:
            return {}, {}
        try:
            data = self.client.get_run(run_id).data
        except Exception:
            log.warning("MLflow run %s could not be read", run_id)
            return {}, {}
        return dict(data.metrics), dict(data.params)


@contextmanager
def _creating_store(uri: str) -> Iterator[None]:
    """Hold a lock, across processes, while MLflow's store is first created: a file lock
    beside its SQLite database, or a PostgreSQL advisory lock."""
    if uri.startswith("sqlite:///") and not uri.endswith(":memory:"):
        lock_path = Path(uri.removeprefix("sqlite:///") + ".init-lock")
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        make_private_file(lock_path)
        with lock_path.open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
    elif uri.startswith("postgresql"):
        from sqlalchemy import create_engine, text

        engine = create_engine(re.sub(r"[?&]options=[^&]*", "", uri))
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _ADVISORY_KEY})
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _ADVISORY_KEY})
        engine.dispose()
    else:
        yield


def _ensure_private_sqlite_file(uri: str) -> None:
    """MLflow's SQLite database (in the home by default) is created 0600, as ours is."""
    path = Path(uri.removeprefix("sqlite:///"))
    if uri.startswith("sqlite:///") and path.parent.is_dir() and path.name != ":memory:":
        make_private_file(path)


def _ensure_schema(uri: str) -> None:
    """For PostgreSQL, MLflow's tables live in their own schema, which must exist."""
    if not uri.startswith("postgresql") or "search_path" not in uri:
        return
    from sqlalchemy import create_engine, text

    match = re.search(r"search_path%3D(\w+)", uri)
    if not match:
        return
    base = re.sub(r"[?&]options=[^&]*", "", uri)
    engine = create_engine(base)
    with engine.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{match[1]}"'))
    engine.dispose()
