"""Monitors as stored resources: create (checked against the endpoint), list, show,
replace, delete; what a run says before any traffic, and when it has no reference."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from opsloop import Client, NotFoundError, ValidationError
from opsloop.config import Settings
from opsloop.store.database import Database


@pytest.fixture
def deployed(database: Database, home: Path, model_dirs: dict[str, Path]) -> Iterator[Client]:
    """On SQLite and PostgreSQL: lin:1 registered from a folder (no lineage), deployed as
    ep/blue, no traffic yet."""
    settings = Settings(home=home, database_url=database.url)
    with Client(settings=settings, workspace="dev") as client:
        client.workspaces.create(name="dev")
        client.models.create(name="lin", path=str(model_dirs["v1"]))
        client.online_endpoints.create(name="ep")
        client.online_deployments.create(
            name="blue", endpoint_name="ep", model="lin:1", all_traffic=True
        )
        yield client


def _spec(**signals: object) -> dict[str, object]:
    return {
        "name": "watch",
        "monitoring_target": {"endpoint_deployment": "ep/blue"},
        "monitoring_signals": signals,
    }


def test_create_list_show_replace_delete(deployed: Client) -> None:
    created = deployed.monitors.create(_spec())
    assert (created.endpoint, created.deployment, created.last_run) == ("ep", "blue", None)
    assert created.signals == ["data_drift", "prediction_drift", "data_quality"]
    replaced = deployed.monitors.create(_spec(ops={"type": "endpoint_operations"}))
    assert replaced.signals == ["ops"]
    assert [m.name for m in deployed.monitors.list()] == ["watch"]
    assert deployed.monitors.get("watch").spec["monitoring_signals"]["ops"]["type"] == (
        "endpoint_operations"
    )
    types = [e.type for e in deployed.events.list(limit=20)]
    assert types.count("monitor.created") == 2
    deployed.monitors.delete("watch")
    with pytest.raises(NotFoundError, match="no monitor 'watch'"):
        deployed.monitors.get("watch")


def test_a_monitor_of_an_unknown_deployment_is_refused(deployed: Client) -> None:
    spec = _spec()
    spec["monitoring_target"] = {"endpoint_deployment_id": "ep:green"}
    with pytest.raises(NotFoundError, match="no deployment 'green'"):
        deployed.monitors.create(spec)


def test_without_training_lineage_a_run_says_what_to_add(deployed: Client) -> None:
    deployed.monitors.create(_spec())
    with pytest.raises(
        ValidationError, match=r"records no training data.*reference_data\.input_data\.path"
    ):
        deployed.monitors.run("watch")
    with pytest.raises(NotFoundError, match="has not run yet"):
        deployed.monitors.show_run("watch", "latest")


def test_before_any_traffic_signals_are_skipped_and_nothing_breaches(
    deployed: Client, tmp_path: Path
) -> None:
    frame = pd.DataFrame(np.random.default_rng(0).normal(size=(500, 3)), columns=["a", "b", "c"])
    frame.to_parquet(tmp_path / "ref.parquet")
    deployed.data.create(name="ref", type="uri_file", path=str(tmp_path / "ref.parquet"))
    reference = {"input_data": {"path": "azureml:ref:1", "type": "uri_file"}}
    deployed.monitors.create(
        _spec(
            drift={"type": "data_drift", "reference_data": reference},
            ops={"type": "endpoint_operations"},
        )
    )
    run = deployed.monitors.run("watch")
    assert (run.number, run.breached) == (1, False)
    assert {(r.signal, r.metric, r.value) for r in run.results if r.metric.endswith("rate")} == {
        ("ops", "error_rate", 0.0), ("ops", "throttled_rate", 0.0),
    }  # fmt: skip
    assert run.details["ops"]["rows"] == 0
    assert "nothing collected yet" in run.details["drift"]["skipped"]
    assert run.report is not None and Path(run.report.removeprefix("file://")).is_file()
    assert deployed.monitors.get("watch").last_run == "1"
    assert [r.number for r in deployed.monitors.list_runs("watch")] == [1]
