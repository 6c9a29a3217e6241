"""Gated promotion: a candidate goes from dev through a registry into prod when it passes the
policy's gates and a person approves; otherwise it stops with the evidence and nothing is
deployed. Driven by real driver processes, as a user's promotion is."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from helpers import kill_driver_and_resume, opsloop, write
from opsloop import Client
from opsloop.errors import ConflictError, PermissionDeniedError, ValidationError

TEST_ROWS = 200


@pytest.fixture
def team(client: Client, model_dirs: dict[str, Path], tmp_path: Path) -> Client:
    """dev holds lin:1 (y = a + 2b + 3c, the truth) and lin:2 (y = 10a); prod serves lin:2
    from the registry on endpoint ep; prod has test data taxi-test (labels y)."""
    return _set_up_team(client, model_dirs, tmp_path)


def _set_up_team(client: Client, model_dirs: dict[str, Path], tmp_path: Path) -> Client:
    client.workspaces.create(name="prod", kind="production")
    client.registries.create(name="shared")
    client.models.create(name="lin", path=str(model_dirs["v1"]))
    client.models.create(name="lin", path=str(model_dirs["v2"]))
    client.models.share("lin:2", "shared")
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(rng.normal(size=(TEST_ROWS, 3)), columns=["a", "b", "c"])
    frame["y"] = frame.a + 2 * frame.b + 3 * frame.c
    frame.to_csv(tmp_path / "test.csv", index=False)
    client.data.create(name="taxi-test", type="uri_file", path=str(tmp_path / "test.csv"),
                       workspace="prod")  # fmt: skip
    client.online_endpoints.create(name="ep", workspace="prod")
    client.online_deployments.create(
        name="blue", endpoint_name="ep", model="azureml://registries/shared/models/lin/versions/2",
        all_traffic=True, workspace="prod",
    )  # fmt: skip
    return client


@pytest.fixture
def lead(team: Client, monkeypatch: pytest.MonkeyPatch) -> Iterator[Client]:
    """The same home, as another person (the project lead)."""
    monkeypatch.setenv("LOGNAME", "lead")
    monkeypatch.setenv("USER", "lead")
    monkeypatch.setenv("OPSLOOP_ACTOR", "lead")
    with Client(settings=team.settings, workspace="prod") as other:
        yield other


def _policy(*gates: dict[str, Any]) -> dict[str, Any]:
    return {"name": "to-prod", "registry": "shared", "gates": list(gates),
            "deploy": {"endpoint": "ep"}}  # fmt: skip


CHAMPION = {"type": "champion_comparison", "test_data": "taxi-test@latest", "label_column": "y",
            "metric": "rmse", "bootstrap": {"samples": 100}}  # fmt: skip
APPROVAL = {"type": "approval", "role": "project_lead", "expires_in": "1h"}


def _promote(client: Client, model: str, policy: dict[str, Any]) -> Any:
    started = client.promotions.create(model, to="prod", policy=policy, workspace="dev")
    return client.promotions.wait(started.name, workspace="prod", timeout=180)


def _serving(client: Client) -> dict[str, int]:
    return client.online_endpoints.get("ep", workspace="prod").traffic


def test_the_full_flow_gates_approval_and_blue_green(team: Client, lead: Client) -> None:
    started = team.promotions.create("lin:1", to="prod", policy=_policy(CHAMPION, APPROVAL),
                                     workspace="dev")  # fmt: skip
    waiting = team.promotions.wait(started.name, workspace="prod", timeout=180)
    assert waiting.state == "AwaitingApproval", waiting.report
    assert waiting.model == "azureml://registries/shared/models/lin/versions/1"
    champion = waiting.gate_results[0]
    assert champion.passed and champion.evidence["champion"]["value"] > 5  # lin:2 is far off
    assert champion.evidence["candidate"]["value"] < 1e-6
    assert _serving(team) == {"blue": 100}  # nothing deployed before the approval

    with pytest.raises(PermissionDeniedError, match="cannot approve"):
        team.approvals.approve(waiting.approval, workspace="prod")
    approval = lead.approvals.approve(waiting.approval, comment="fine")
    assert (approval.status, approval.decided_by) == ("Approved", "lead")
    with pytest.raises(ConflictError, match="decisions are final"):
        lead.approvals.reject(waiting.approval, comment="changed my mind")

    done = team.promotions.wait(started.name, workspace="prod", timeout=180)
    assert done.state == "Succeeded", done.report
    assert [r.gate for r in done.gate_results] == ["champion_comparison", "approval"]
    assert _serving(team) == {"blue": 0, done.deployment: 100}
    answer = team.online_endpoints.invoke(
        "ep", body={"input_data": [{"a": 1.0, "b": 1.0, "c": 1.0}]}, workspace="prod"
    )
    assert answer == [pytest.approx(6.0)]  # lin:1 serves


def test_a_worse_candidate_stops_before_anything_is_deployed(team: Client) -> None:
    team.models.share("lin:1", "shared", share_with_name="truth")
    done = _promote(team, "lin:2", _policy(CHAMPION | {"champion": "registry:shared/truth:1"}))
    assert done.state == "Failed"
    assert done.report.startswith("gate 1 (champion_comparison) refused: rmse")
    result = done.gate_results[0]
    assert not result.passed and result.evidence["worse_by"] > 5
    assert "interval" in result.summary  # the bootstrap's, reported
    assert _serving(team) == {"blue": 100}


def test_a_rejected_approval_stops_the_promotion(team: Client, lead: Client) -> None:
    waiting = _promote(team, "lin:1", _policy(APPROVAL))
    with pytest.raises(ValidationError, match="needs a comment"):
        lead.approvals.reject(waiting.approval, comment=" ")
    lead.approvals.reject(waiting.approval, comment="not this week")
    done = team.promotions.wait(waiting.name, workspace="prod", timeout=180)
    assert done.state == "Failed"
    assert "rejected by lead: not this week" in done.report
    assert _serving(team) == {"blue": 100}


def test_an_expired_approval_stops_the_promotion(team: Client, lead: Client) -> None:
    waiting = _promote(team, "lin:1", _policy(APPROVAL | {"expires_in": "1s"}))
    assert waiting.state == "AwaitingApproval"
    time.sleep(1.5)
    assert lead.approvals.get(waiting.approval).status == "Expired"
    with pytest.raises(ConflictError, match="expired"):
        lead.approvals.approve(waiting.approval)
    done = team.promotions.wait(waiting.name, workspace="prod", timeout=180)
    assert done.state == "Failed" and "expired" in done.report
    assert [a.status for a in lead.approvals.list()] == ["Expired"]


def test_a_fairness_breach_is_refused(team: Client, tmp_path: Path) -> None:
    import mlflow.sklearn
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=400), "group": rng.integers(0, 2, 400)})
    # Approved when x > 0 for group 0, and almost never for group 1: far from parity.
    frame["approved"] = ((frame.x > 0) & (frame.group == 0)).astype(int)
    model = LogisticRegression(C=100.0).fit(frame[["x", "group"]], frame["approved"])
    mlflow.sklearn.save_model(model, str(tmp_path / "clf"))
    team.models.create(name="clf", path=str(tmp_path / "clf"))
    frame.to_csv(tmp_path / "fair.csv", index=False)
    team.data.create(name="fair-test", type="uri_file", path=str(tmp_path / "fair.csv"),
                     workspace="prod")  # fmt: skip
    fairness = {"type": "fairness", "test_data": "fair-test@latest", "label_column": "approved",
                "sensitive_features": ["group"], "limits": {"demographic_parity_difference": 0.1,
                                                            "equalized_odds_difference": 0.9}}  # fmt: skip
    done = _promote(team, "clf:1", _policy(fairness))
    assert done.state == "Failed" and "demographic_parity_difference" in done.report
    evidence = done.gate_results[0].evidence
    rates = {row["group"]: row["selection_rate"] for row in evidence["by_group"]}
    assert rates[0] > 0.3 and rates[1] < 0.05
    assert _serving(team) == {"blue": 100}


def test_bad_promotions_are_refused_at_once(team: Client, tmp_path: Path, home: Path) -> None:
    with pytest.raises(ValidationError, match="online endpoint 'nope' not found"):
        team.promotions.create("lin:1", to="prod", workspace="dev",
                               policy=_policy() | {"deploy": {"endpoint": "nope"}})  # fmt: skip
    bad = write(tmp_path / "policy.yml", "name: p\ngates:\n  - type: champion_comparison\n"
                "    test_data: t@latest\n    label_column: y\n    metric: rsme\n"
                "deploy: {endpoint: ep}\n")  # fmt: skip
    answer = opsloop("model", "promote", "-w", "dev", "-n", "lin:1", "--to", "prod",
                     "--policy", str(bad), home=home, check=False)  # fmt: skip
    assert answer.returncode == 2, answer.stderr
    assert f"{bad}:6: gates.0.metric: must be one of" in answer.stderr
    assert team.promotions.list(workspace="prod") == []


def test_data_quality_and_metric_gates_name_what_fails(team: Client, tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    clean = pd.DataFrame({"a": rng.normal(size=100), "b": rng.normal(size=100)})
    clean.to_csv(tmp_path / "train1.csv", index=False)
    holes = clean.copy()
    holes.loc[:29, "a"] = None  # 30% missing
    holes.loc[30:, "b"] = holes.loc[30:, "b"] * 100  # far outside the reference's range
    holes.to_csv(tmp_path / "train2.csv", index=False)
    for number in (1, 2):
        team.data.create(name="train", type="uri_file", path=str(tmp_path / f"train{number}.csv"))
    quality = {"type": "data_quality", "data": "train:2", "reference": "train:1"}
    done = _promote(team, "lin:1", _policy(quality))
    assert done.state == "Failed"
    assert "a: missing rate 30.00% > 5.00%" in done.report and "b: " in done.report
    columns = {c["column"]: c for c in done.gate_results[0].evidence["columns"]}
    assert columns["b"]["out_of_range_rate"] > 0.5

    passing = _promote(team, "lin:1", _policy(quality | {"data": "train:1"}))
    assert passing.state == "Succeeded", passing.report

    metric = {"type": "metric_threshold", "metrics": {"rmse": {"max": 0.5}}}
    refused = _promote(team, "lin:1", _policy(metric))
    assert refused.state == "Failed"
    assert "rmse was not logged by model lin:1 (registered from files: no job)" in refused.report


def test_a_second_promotion_of_one_endpoint_is_refused_naming_the_first(
    team: Client, lead: Client
) -> None:
    first = _promote(team, "lin:1", _policy(APPROVAL))
    with pytest.raises(ConflictError, match=f"promotion {first.name} \\(AwaitingApproval\\)"):
        team.promotions.create("lin:2", to="prod", policy=_policy(), workspace="dev")
    canceled = team.promotions.cancel(first.name, workspace="prod")
    assert canceled.state == "Canceled"
    assert [a.status for a in lead.approvals.list()] == ["Canceled"]
    assert _promote(team, "lin:2", _policy()).state == "Succeeded"


def test_a_killed_driver_is_replaced_and_the_promotion_resumes(
    model_dirs: dict[str, Path], tmp_path: Path, home: Path
) -> None:
    from opsloop.config import Settings
    from opsloop.services.context import Platform

    # Short leases: a killed driver's lapses in 2 s, and the supervisor looks twice a second.
    settings = Settings(home=home, lease_ttl_s=2.0, sweep_interval_s=0.5)
    with Client(settings=settings, workspace="dev") as client:
        client.workspaces.create(name="dev")
        _set_up_team(client, model_dirs, tmp_path)
        slow = CHAMPION | {"bootstrap": {"samples": 20000}}  # some seconds of work
        started = client.promotions.create("lin:1", to="prod", policy=_policy(slow),
                                           workspace="dev")  # fmt: skip
        platform = Platform(settings)

        def gating() -> bool:  # killed amid the champion comparison
            return client.promotions.get(started.name, workspace="prod").state == "Gating"

        done = kill_driver_and_resume(client, platform, started.name, gating)
        assert done.state == "Succeeded", done.report
        assert [r.gate for r in done.gate_results] == ["champion_comparison"]  # once
        platform.database.dispose()


def test_a_stored_policy_is_used_by_name(team: Client, home: Path) -> None:
    team.promotion_policies.set(_policy(APPROVAL), workspace="prod")
    answer = opsloop("model", "promote", "-w", "dev", "-n", "lin:1", "--to", "prod",
                     "--policy", "to-prod", "--no-wait", "-o", "json", home=home)  # fmt: skip
    started = team.promotions.get(json.loads(answer.stdout)["name"], workspace="prod")
    assert started.policy["gates"][0]["type"] == "approval"
    waiting = team.promotions.wait(started.name, workspace="prod", timeout=180)
    assert waiting.state == "AwaitingApproval"
    missing = opsloop("model", "promote", "-w", "dev", "-n", "lin:1", "--to", "prod",
                      "--policy", "nope", home=home, check=False)  # fmt: skip
    assert missing.returncode == 1
    assert "promotion policy 'nope' not found in workspace 'prod'" in missing.stderr
