"""Progressive rollout: a canary moves traffic in steps judged on the endpoint's own
traffic log; a failing canary rolls back by itself; too little traffic never promotes."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from helpers import event_payloads, promote_into_prod
from opsloop import Client
from opsloop.errors import OpsloopError

REGISTRY_LIN = "azureml://registries/shared/models/lin/versions/{}"


def _flaky_model(path: Path) -> Path:
    """Scores as y = a + 2b + 3c, and fails for a < 0: a model that errors on some inputs."""
    import mlflow.pyfunc
    import pandas as pd

    class Flaky(mlflow.pyfunc.PythonModel):  # type: ignore[misc]
        def predict(self, context: Any, model_input: pd.DataFrame, params: Any = None) -> Any:
            if (model_input["a"] < 0).any():
                raise ValueError("a must not be negative")
            return model_input.a + 2 * model_input.b + 3 * model_input.c

    mlflow.pyfunc.save_model(str(path), python_model=Flaky(),
                             input_example=pd.DataFrame({"a": [1.0], "b": [1.0], "c": [1.0]}))  # fmt: skip
    return path


@pytest.fixture
def team(client: Client, model_dirs: dict[str, Path], tmp_path: Path) -> Client:
    client.workspaces.create(name="prod", kind="production")
    client.registries.create(name="shared")
    for version in ("v1", "v2"):
        client.models.create(name="lin", path=str(model_dirs[version]))
    client.models.create(name="flaky", path=str(_flaky_model(tmp_path / "flaky")))
    client.models.share("lin:2", "shared")
    client.online_endpoints.create(name="ep", workspace="prod")
    client.online_deployments.create(name="blue", endpoint_name="ep", model=REGISTRY_LIN.format(2),
                                     all_traffic=True, workspace="prod")  # fmt: skip
    return client


@pytest.fixture
def traffic(team: Client) -> Iterator[threading.Event]:
    """Requests to prod's ep, as users would send them, until the test ends."""
    stop = threading.Event()
    rng = np.random.default_rng(0)

    def send() -> None:
        while not stop.is_set():
            row = dict(zip("abc", rng.normal(size=3).tolist(), strict=True))
            with contextlib.suppress(OpsloopError):  # a failing canary's 424 is the point
                team.online_endpoints.invoke("ep", body={"input_data": [row]}, workspace="prod")

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    yield stop
    stop.set()
    sender.join(30)


def _canary(**rollout: Any) -> dict[str, Any]:
    settings = {"strategy": "canary", "steps": [50, 100], "interval": "2s",
                "analysis": {"min_requests": 4, "success_rate": 0.95, "p99_latency_ms": 5000}}  # fmt: skip
    return {"name": "canary", "registry": "shared", "deploy": {"endpoint": "ep"},
            "rollout": settings | rollout}  # fmt: skip


def test_a_healthy_canary_takes_the_traffic_step_by_step(
    team: Client, traffic: threading.Event
) -> None:
    done = promote_into_prod(team, "lin:1", _canary())
    assert done.state == "Succeeded", done.report
    checks = done.rollout["checks"]
    assert [c["step"] for c in checks if c["verdict"] == "passed"] == [50, 100]
    assert all(c["success_rate"] == 1.0 for c in checks if c["verdict"] == "passed")
    assert [e["traffic"] for e in event_payloads(team, "rollout.stepped")] == [
        {"blue": 50, "lin-1": 50},
        {"blue": 0, "lin-1": 100},
    ]
    assert team.online_endpoints.get("ep", workspace="prod").traffic == {"blue": 0, "lin-1": 100}

    history = team.online_endpoints.history("ep", workspace="prod")
    assert [(h.traffic, h.via) for h in history] == [
        ({"blue": 100}, "online-deployment create --all-traffic"),
        ({"blue": 50, "lin-1": 50}, f"promotion:{done.name}"),
        ({"blue": 0, "lin-1": 100}, f"promotion:{done.name}"),
    ]
    assert history[1].models == {"blue": REGISTRY_LIN.format(2), "lin-1": REGISTRY_LIN.format(1)}
    # Rolling back undoes the whole promotion, not only its last step.
    restored = team.online_endpoints.rollback("ep", workspace="prod")
    assert restored.traffic == {"blue": 100, "lin-1": 0}
    assert team.online_endpoints.history("ep", workspace="prod")[-1].via == "rollback"


def test_a_canary_that_fails_requests_rolls_back_by_itself(
    team: Client, traffic: threading.Event
) -> None:
    done = promote_into_prod(team, "flaky:1", _canary())
    assert done.state == "RolledBack", done.report
    assert "success rate" in done.report and "rolled back at 50%" in done.report
    failed = [c for c in done.rollout["checks"] if c["verdict"] == "failed"]
    assert failed and failed[0]["success_rate"] < 0.95
    assert team.online_endpoints.get("ep", workspace="prod").traffic == {"blue": 100, "flaky-1": 0}
    (rolled_back,) = event_payloads(team, "rollout.rolled_back")
    assert rolled_back["traffic"] == {"blue": 100, "flaky-1": 0}


def test_an_interval_without_enough_traffic_does_not_promote(team: Client) -> None:
    done = promote_into_prod(team, "lin:1", _canary(interval="1s", max_inconclusive=2))
    assert done.state == "RolledBack"
    assert [c["verdict"] for c in done.rollout["checks"]] == ["inconclusive", "inconclusive"]
    assert "too few to judge" in done.report
    assert team.online_endpoints.get("ep", workspace="prod").traffic == {"blue": 100, "lin-1": 0}


def test_step_lists_that_never_reach_all_traffic_are_refused(team: Client) -> None:
    from opsloop.errors import ValidationError

    with pytest.raises(ValidationError, match="must end at 100") as caught:
        team.promotions.create("lin:1", to="prod", policy=_canary(steps=[10, 50]),
                               workspace="dev")  # fmt: skip
    assert caught.value.field == "rollout.steps"


def _sample(client: Client, tmp_path: Path) -> None:
    import pandas as pd

    rng = np.random.default_rng(3)
    frame = pd.DataFrame(rng.normal(size=(50, 3)), columns=["a", "b", "c"])
    frame["y"] = 0.0
    frame.to_csv(tmp_path / "sample.csv", index=False)
    client.data.create(name="sample", type="uri_file", path=str(tmp_path / "sample.csv"),
                       workspace="prod")  # fmt: skip


STAGING = {"type": "staging_test", "sample_data": "sample@latest", "drop_columns": ["y"],
           "requests": 100, "concurrency": 4}  # fmt: skip


def test_a_staging_test_load_tests_the_candidate_before_any_traffic(
    team: Client, tmp_path: Path
) -> None:
    _sample(team, tmp_path)
    policy = _canary() | {"gates": [STAGING], "rollout": {"strategy": "blue-green"}}
    done = promote_into_prod(team, "lin:1", policy)
    assert done.state == "Succeeded", done.report
    load = done.gate_results[0].evidence["load"]
    assert load["requests"] == 100 and load["error_rate"] == 0.0 and load["p99_ms"] > 0
    assert team.online_endpoints.get("ep", workspace="prod").traffic == {"blue": 0, "lin-1": 100}


def test_a_staging_test_that_misses_its_slo_refuses_and_removes_the_deployment(
    team: Client, tmp_path: Path
) -> None:
    _sample(team, tmp_path)
    strict = STAGING | {"slo": {"p99_latency_ms": 0.0001}}
    done = promote_into_prod(team, "lin:1", _canary() | {"gates": [strict]})
    assert done.state == "Failed"
    assert "p99 latency" in done.report and "> 0.0001 ms" in done.report
    assert done.gate_results[0].evidence["removed"] is True
    deployments = team.online_deployments.list(endpoint_name="ep", workspace="prod")
    assert [d.name for d in deployments] == ["blue"]

    failing = promote_into_prod(team, "flaky:1", _canary() | {"gates": [STAGING]})
    assert failing.state == "Failed"
    assert failing.report.startswith("gate 1 (staging_test) refused: smoke request")
