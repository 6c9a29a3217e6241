"""Monitor runs on a real endpoint: normal traffic, then drifted traffic, through the
serving runtime's data collector and traffic log, into stored results, a report and an
alert event."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as sk
from starlette.testclient import TestClient

from helpers import fire_schedules, serving_runtime, write
from opsloop import Client
from opsloop.serving.collection.collector import read_collected

ROWS_PER_REQUEST = 100
TRAIN_JOB = """
type: command
command: >-
  python -c "import shutil, sys; shutil.copytree(sys.argv[1], sys.argv[2], dirs_exist_ok=True)"
  {model} ${{{{outputs.model}}}} ${{{{inputs.train}}}}
inputs:
  train:
    type: uri_file
    path: azureml:train:1
outputs:
  model:
    type: mlflow_model
"""


@pytest.fixture
def monitored(client: Client, model_dirs: dict[str, Path], tmp_path: Path) -> Client:
    """Model lin:1 (y = a + 2b + 3c) deployed as ep/blue with its data collected, and the
    data asset it was trained on."""
    rng = np.random.default_rng(1)
    train = pd.DataFrame(rng.normal(size=(5000, 3)), columns=["a", "b", "c"])
    train["y"] = train["a"] + 2 * train["b"] + 3 * train["c"]
    train.to_parquet(tmp_path / "train.parquet")
    client.data.create(name="train", type="uri_file", path=str(tmp_path / "train.parquet"))
    # A job that reads the data asset and outputs the model: the model's lineage then
    # names the data it was trained on, which a monitor without reference data uses.
    job = client.jobs.create(
        file=write(tmp_path / "train.yml", TRAIN_JOB.format(model=model_dirs["v1"]))
    )
    job = client.jobs.wait(job.name, timeout=180)
    assert job.status == "Completed", job.error
    client.models.create(name="lin", path=f"azureml://jobs/{job.name}/outputs/model")
    client.online_endpoints.create(name="ep")
    client.online_deployments.create(
        name="blue", endpoint_name="ep", model="lin:1", all_traffic=True,
        overrides=[
            "data_collector.collections.model_inputs.enabled=true",
            "data_collector.collections.model_outputs.enabled=true",
        ],
    )  # fmt: skip
    return client


def _send(client: Client, frames: list[pd.DataFrame], prefix: str) -> list[int]:
    key = client.online_endpoints.get_credentials("ep").primary_key
    statuses = []
    with TestClient(serving_runtime(client), headers={"authorization": f"Bearer {key}"}) as http:
        for index, frame in enumerate(frames):
            body = {"input_data": {"columns": list(frame.columns), "data": frame.values.tolist()}}
            answer = http.post("/score", json=body, headers={"x-request-id": f"{prefix}-{index}"})
            statuses.append(answer.status_code)
    return statuses  # leaving the runtime flushes the collector and the traffic log


def _traffic(shift: float, requests: int = 20, seed: int = 2) -> list[pd.DataFrame]:
    rng = np.random.default_rng(seed)
    frames = []
    for _ in range(requests):
        frame = pd.DataFrame(rng.normal(size=(ROWS_PER_REQUEST, 3)), columns=["a", "b", "c"])
        frame["a"] += shift
        frames.append(frame)
    return frames


def _collected_with_truth(client: Client, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The collected outputs, and ground truth for each collected row: the model's target
    plus noise of sd 1."""
    root = f"{client.datastores.get('workspaceblobstore').url.rstrip('/')}/modelDataCollector"
    outputs = read_collected(root, "ep", "blue", "model_outputs")
    inputs = read_collected(root, "ep", "blue", "model_inputs")
    rng = np.random.default_rng(seed)
    truth = inputs[["correlationid", "row_index"]].copy()
    truth["actual"] = inputs["a"] + 2 * inputs["b"] + 3 * inputs["c"] + rng.normal(size=len(inputs))
    return outputs, truth


def _monitor(client: Client, signals: dict[str, Any] | None = None) -> None:
    spec: dict[str, Any] = {
        "name": "watch",
        "monitoring_target": {"ml_task": "regression", "endpoint_deployment_id": "azureml:ep:blue"},
        "monitoring_signals": signals or {},
    }
    client.monitors.create(spec)


def test_normal_traffic_passes_and_drifted_traffic_alerts_with_the_drifted_feature(
    monitored: Client,
) -> None:
    _monitor(monitored)  # no signals: data drift, prediction drift, data quality
    assert set(_send(monitored, _traffic(0.0), "normal")) == {200}
    normal_end = datetime.now(UTC)
    first = monitored.monitors.run("watch", window_end=normal_end)
    assert {r.signal for r in first.results} == {"data_drift", "prediction_drift", "data_quality"}
    assert first.details["data_drift"]["rows"] == 20 * ROWS_PER_REQUEST
    assert first.details["data_drift"]["reference"] == "data:train:1"  # the model's lineage
    assert not first.breached, [r for r in first.results if r.breached]

    assert set(_send(monitored, _traffic(3.0, seed=3), "drifted")) == {200}
    second = monitored.monitors.run("watch")
    assert second.number == 2 and second.breached
    drift = {r.feature: r for r in second.results if r.signal == "data_drift"}
    assert drift["a"].breached and drift["a"].metric == "normalized_wasserstein_distance"
    assert not drift["b"].breached and not drift["c"].breached
    assert any(r.breached for r in second.results if r.signal == "prediction_drift")

    events = [e for e in monitored.events.list(limit=50) if e.type == "monitor.alerted"]
    assert len(events) == 1
    data = events[0].data
    assert set(data) == {
        "monitor", "run", "endpoint", "deployment", "breaches", "features", "report",
        "production_data",
    }  # fmt: skip
    assert (data["monitor"], data["run"], data["endpoint"], data["deployment"]) == (
        "watch", "2", "ep", "blue",
    )  # fmt: skip
    assert data["features"] == ["a"]
    assert {"signal": "data_drift", "feature": "a", "metric": "normalized_wasserstein_distance",
            "value": drift["a"].value, "threshold": 0.1} in data["breaches"]  # fmt: skip
    assert data["production_data"].endswith("modelDataCollector/ep/blue/model_inputs")
    assert data["report"] == second.report
    _assert_report(second.report)
    # The training data was summarised once (drift and quality read the same columns),
    # and kept next to its data asset version for the runs after.
    root = Path(str(second.report).removeprefix("file://")).parents[5]
    cached = list((root / "data" / "dev" / "train" / "1" / "reference-summaries").glob("*.json"))
    assert len(cached) == 1
    latest = monitored.monitors.show_run("watch", "latest")
    assert latest.number == 2 and len(latest.results) == len(second.results)


def _assert_report(url: str | None) -> None:
    assert url is not None and url.startswith("file://")
    path = Path(url.removeprefix("file://"))
    text = path.read_text()
    assert text.startswith("<!DOCTYPE html>") and text.rstrip().endswith("</html>")
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', text)
    assert len(images) >= 3  # histograms of a, b, c at least, and the series
    import base64

    assert all(base64.b64decode(i).startswith(b"\x89PNG") for i in images)
    assert (path.parent / "histograms" / "data_drift" / "a.png").is_file()
    assert (path.parent / "series" / "data_drift" / "normalized_wasserstein_distance.png").is_file()
    assert "BREACH" in text


def test_model_performance_and_endpoint_operations_match_independent_computations(
    monitored: Client, tmp_path: Path
) -> None:
    start = datetime.now(UTC)
    statuses = _send(monitored, _traffic(0.0, requests=10), "req")
    outputs, truth = _collected_with_truth(monitored, seed=5)
    truth.to_parquet(tmp_path / "truth.parquet")
    monitored.data.create(name="truth", type="uri_file", path=str(tmp_path / "truth.parquet"))
    _monitor(monitored, {
        "performance": {
            "type": "model_performance",
            "reference_data": {"input_data": {"path": "azureml:truth:1"},
                               "data_column_names": {"actual": "actual"}},
            "metric_thresholds": {"tabular_regression": {"rmse": 0.5}},
        },
        "operations": {"type": "endpoint_operations",
                       "production_data": {"data_window": {"lookback_window_size": "PT1H"}}},
    })  # fmt: skip
    end = datetime.now(UTC) + timedelta(seconds=1)
    run = monitored.monitors.run("watch", window_end=end)
    found = {(r.signal, r.metric): r for r in run.results}

    joined = outputs.merge(truth, on=["correlationid", "row_index"])
    assert len(joined) == 10 * ROWS_PER_REQUEST
    expected = {
        "mae": sk.mean_absolute_error(joined["actual"], joined["prediction"]),
        "mse": sk.mean_squared_error(joined["actual"], joined["prediction"]),
        "rmse": np.sqrt(sk.mean_squared_error(joined["actual"], joined["prediction"])),
    }
    for metric, value in expected.items():
        assert found[("performance", metric)].value == pytest.approx(value, rel=1e-9)
    assert found[("performance", "rmse")].breached  # noise of sd 1 > 0.5
    assert not found[("performance", "mae")].breached  # no threshold, no verdict

    logs = monitored.online_endpoints.request_logs("ep", limit=1000)
    logged = [entry for entry in logs if entry.at >= start - timedelta(seconds=1)]
    assert len(logged) == len(statuses) == 10
    durations = np.array([entry.duration_ms for entry in logged])
    for metric, q in (("latency_p50_ms", 50), ("latency_p95_ms", 95), ("latency_p99_ms", 99)):
        assert found[("operations", metric)].value == pytest.approx(np.percentile(durations, q))
    assert found[("operations", "error_rate")].value == 0.0
    assert found[("operations", "requests_per_minute")].value == pytest.approx(10 / 60)
    assert not found[("operations", "error_rate")].breached


def test_a_monitor_schedule_creates_the_monitor_and_runs_it_on_each_tick(
    monitored: Client,
) -> None:
    schedule = monitored.schedules.create(
        spec={
            "name": "watch-daily",
            "trigger": {"type": "cron", "expression": "15 3 * * *", "time_zone": "UTC"},
            "create_monitor": {
                "compute": {"instance_type": "standard_e4s_v3", "runtime_version": "3.4"},
                "monitoring_target": {
                    "ml_task": "regression",
                    "endpoint_deployment_id": "azureml:ep:blue",
                },
            },
        }
    )
    assert schedule.creates == "monitor" and schedule.next_fire_at is not None
    monitor = monitored.monitors.get("watch-daily")  # made with the schedule
    assert (monitor.endpoint, monitor.deployment) == ("ep", "blue")
    assert set(_send(monitored, _traffic(3.0, seed=3), "drifted")) == {200}

    fired = fire_schedules(monitored._transport.platform, schedule.next_fire_at)
    assert [(f.created, f.error) for f in fired] == [("monitor:watch-daily#1", None)]
    run = monitored.monitors.show_run("watch-daily", "latest")
    assert run.window_end == schedule.next_fire_at and run.breached
    assert "a" in {r.feature for r in run.breaches if r.signal == "data_drift"}
    monitored.schedules.delete("watch-daily")
    assert monitored.monitors.get("watch-daily").name == "watch-daily"  # runs are history


def test_model_performance_reads_ground_truth_posted_to_the_feedback_routes(
    monitored: Client, tmp_path: Path
) -> None:
    """Ground truth posted to the serving runtime (endpoint key) and to the platform API
    (a later correction wins) is what a monitor without a ground-truth asset reads."""
    assert set(_send(monitored, _traffic(0.0, requests=4), "fb")) == {200}
    outputs, truth = _collected_with_truth(monitored, seed=9)
    rows = [
        {"correlation_id": c, "row_index": int(i), "ground_truth": float(v)}
        for c, i, v in truth.itertuples(index=False)
    ]
    key = monitored.online_endpoints.get_credentials("ep").primary_key
    with TestClient(serving_runtime(monitored)) as http:
        refused = http.post("/feedback", json=rows[:2], headers={"authorization": "Bearer nope"})
        assert refused.status_code == 401
        bad = http.post(
            "/feedback", json=[rows[0], {"correlation_id": "x"}],
            headers={"authorization": f"Bearer {key}"},
        )  # fmt: skip
        assert bad.status_code == 422 and bad.json()["field"] == "1.ground_truth", bad.text
        answer = http.post("/feedback", json=rows, headers={"authorization": f"Bearer {key}"})
        assert answer.status_code == 200, answer.text
        assert answer.json()["rows"] == len(rows)
    # A correction of the first row, through the platform API, from a CSV file.
    truth.loc[0, "actual"] = 1000.0
    first = truth.iloc[0]
    csv = write(
        tmp_path / "fix.csv",
        f"correlation_id,row_index,ground_truth\n{first.correlationid},0,1000.0\n",
    )
    [receipt] = monitored.online_endpoints.feedback("ep", file=csv)
    assert receipt.rows == 1 and receipt.location.endswith(".parquet")

    _monitor(monitored, {"performance": {"type": "model_performance"}})
    run = monitored.monitors.run("watch", window_end=datetime.now(UTC) + timedelta(seconds=1))
    found = {(r.signal, r.metric): r for r in run.results}
    joined = outputs.merge(truth, on=["correlationid", "row_index"])
    assert len(joined) == 4 * ROWS_PER_REQUEST
    assert found[("performance", "mae")].value == pytest.approx(
        sk.mean_absolute_error(joined["actual"], joined["prediction"]), rel=1e-9
    )
    assert found[("performance", "rmse")].value == pytest.approx(
        np.sqrt(sk.mean_squared_error(joined["actual"], joined["prediction"])), rel=1e-9
    )


def test_model_performance_without_ground_truth_is_skipped_with_where_to_post_it(
    monitored: Client,
) -> None:
    assert set(_send(monitored, _traffic(0.0, requests=1), "none")) == {200}
    _monitor(monitored, {"performance": {"type": "model_performance"}})
    run = monitored.monitors.run("watch", window_end=datetime.now(UTC) + timedelta(seconds=1))
    assert not run.results or all(r.signal != "performance" for r in run.results)
    assert "feedback route" in json.dumps(run.model_dump(mode="json"))
