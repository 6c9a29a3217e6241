"""The shadow rollout: the candidate gets a copy of a share of the endpoint's requests, its
answers are compared with the live ones, and it takes the traffic only when they agree.
Real driver processes, a real served endpoint and real requests, as a user's promotion has."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from helpers import event_payloads, opsloop, promote_into_prod
from opsloop import Client
from opsloop.errors import OpsloopError, ValidationError
from opsloop.services.context import Platform

SERVING = "azureml://registries/shared/models/lin/versions/2"  # y = 10a


@pytest.fixture
def team(client: Client, model_dirs: dict[str, Path]) -> Client:
    return _set_up_team(client, model_dirs)


def _set_up_team(client: Client, model_dirs: dict[str, Path]) -> Client:
    """prod's endpoint ep serves lin:2 (y = 10a) as blue; dev holds lin:1 (y = a + 2b + 3c,
    trained on other targets) and twin:1 (the same files as lin:2: the same answers)."""
    client.workspaces.create(name="prod", kind="production")
    client.registries.create(name="shared")
    for version in ("v1", "v2"):
        client.models.create(name="lin", path=str(model_dirs[version]))
    client.models.create(name="twin", path=str(model_dirs["v2"]))
    client.models.share("lin:2", "shared")
    client.online_endpoints.create(name="ep", workspace="prod")
    client.online_deployments.create(name="blue", endpoint_name="ep", model=SERVING,
                                     all_traffic=True, workspace="prod")  # fmt: skip
    return client


@dataclass
class Answers:
    """What the end users sent and received while the promotion ran."""

    stop: threading.Event = field(default_factory=threading.Event)
    received: list[tuple[float, Any]] = field(default_factory=list)  # (a, the answer)


@pytest.fixture
def users(team: Client) -> Iterator[Answers]:
    with _sending(team) as answers:
        yield answers


@contextlib.contextmanager
def _sending(team: Client) -> Iterator[Answers]:
    """Requests to prod's ep, as users would send them, until the block ends."""
    answers = Answers()
    rng = np.random.default_rng(0)

    def send() -> None:
        while not answers.stop.is_set():
            row = dict(zip("abc", rng.normal(size=3).tolist(), strict=True))
            with contextlib.suppress(OpsloopError):
                got = team.online_endpoints.invoke("ep", body={"input_data": [row]},
                                                   workspace="prod")  # fmt: skip
                answers.received.append((row["a"], got))

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    yield answers
    answers.stop.set()
    sender.join(30)


def _shadow(**rollout: Any) -> dict[str, Any]:
    settings = {"strategy": "shadow", "mirror_percent": 50, "interval": "3s",
                "analysis": {"min_requests": 3, "success_rate": 0.95, "p99_latency_ms": 5000}}  # fmt: skip
    return {"name": "shadow", "registry": "shared", "deploy": {"endpoint": "ep"},
            "rollout": settings | rollout}  # fmt: skip


def _endpoint(client: Client) -> tuple[dict[str, int], dict[str, int]]:
    endpoint = client.online_endpoints.get("ep", workspace="prod")
    return endpoint.traffic, endpoint.mirror_traffic


def test_a_candidate_that_answers_the_same_takes_the_traffic(team: Client, users: Answers) -> None:
    done = promote_into_prod(team, "twin:1", _shadow())
    assert done.state == "Succeeded", done.report
    passed = [c for c in done.rollout["checks"] if c["verdict"] == "passed"]
    assert len(passed) == 1 and passed[0]["strategy"] == "shadow"
    assert passed[0]["outputs"] == "numbers" and passed[0]["mean_absolute_difference"] == 0.0
    assert passed[0]["compared_requests"] >= 3
    assert "answers agreed" in done.report
    assert _endpoint(team) == ({"blue": 0, "twin-1": 100}, {})
    assert [
        (e["traffic"], e["mirror_traffic"]) for e in event_payloads(team, "rollout.stepped")
    ] == [
        ({"blue": 100}, {"twin-1": 50}),
        ({"blue": 0, "twin-1": 100}, {}),
    ]
    history = team.online_endpoints.history("ep", workspace="prod")
    assert [(h.traffic, h.via) for h in history][-1] == (
        {"blue": 0, "twin-1": 100},
        f"promotion:{done.name}",
    )


def test_a_candidate_that_answers_differently_is_refused_and_traffic_stays(
    team: Client, users: Answers, home: Path
) -> None:
    done = promote_into_prod(team, "lin:1", _shadow(comparison={"mean_absolute_difference": 0.5}))
    assert done.state == "RolledBack", done.report
    assert "mean absolute difference" in done.report and "mirror removed" in done.report
    (failed,) = [c for c in done.rollout["checks"] if c["verdict"] == "failed"]
    assert failed["mean_absolute_difference"] > 0.5 and failed["disagreements"]
    example = failed["disagreements"][0]
    assert example["live"] != example["shadow"]
    # Live traffic never moved; the mirror is gone.
    assert _endpoint(team) == ({"blue": 100}, {})
    (rolled_back,) = event_payloads(team, "rollout.rolled_back")
    assert rolled_back["traffic"] == {"blue": 100}
    assert rolled_back["mirror_traffic"] == {}
    # Mirroring never changed what users received: blue's answers (10a), never lin:1's.
    users.stop.set()
    assert len(users.received) >= failed["requests"]
    assert all(got == [pytest.approx(10 * a, rel=1e-4, abs=1e-4)] for a, got in users.received)
    # The evidence is the traffic log's: each compared pair is a mirrored request's row.
    logs = team.online_endpoints.request_logs("ep", workspace="prod", limit=1000)
    live = {e.request_id for e in logs if not e.mirrored}
    compared = [e for e in logs if e.mirrored and e.comparison]
    assert compared and all(e.request_id in live for e in compared)
    assert all(e.deployment == "lin-1" for e in compared)
    shown = opsloop("promotion", "show", "-w", "prod", "-n", done.name, home=home).stdout
    assert "shadow 50%" in shown and "mean absolute difference" in shown


def test_an_interval_without_enough_requests_does_not_switch(team: Client) -> None:
    done = promote_into_prod(team, "twin:1", _shadow(interval="1s", max_inconclusive=2))
    assert done.state == "RolledBack"
    assert [c["verdict"] for c in done.rollout["checks"]] == ["inconclusive", "inconclusive"]
    assert "too few to judge" in done.report
    assert _endpoint(team) == ({"blue": 100}, {})


def test_canceling_a_shadow_removes_its_mirror(team: Client) -> None:
    import time

    started = team.promotions.create("twin:1", to="prod", policy=_shadow(interval="10m"),
                                     workspace="dev")  # fmt: skip
    deadline = time.monotonic() + 120
    while not _endpoint(team)[1]:
        assert time.monotonic() < deadline, "the shadow never started mirroring"
        time.sleep(0.2)
    assert _endpoint(team) == ({"blue": 100}, {"twin-1": 50})
    canceled = team.promotions.cancel(started.name, workspace="prod")
    assert canceled.state == "Canceled"
    assert _endpoint(team) == ({"blue": 100}, {})


def test_shadow_settings_are_checked(team: Client) -> None:
    with pytest.raises(ValidationError) as too_much:
        team.promotions.create("twin:1", to="prod", policy=_shadow(mirror_percent=60),
                               workspace="dev")  # fmt: skip
    assert too_much.value.field == "rollout.mirror_percent"
    canary = _shadow(strategy="canary", mirror_percent=30)
    with pytest.raises(ValidationError, match="mirror_percent is a setting of the shadow"):
        team.promotions.create("twin:1", to="prod", policy=canary, workspace="dev")
    with pytest.raises(ValidationError) as bad:
        team.promotions.create("twin:1", to="prod",
                               policy=_shadow(comparison={"outputs": "words"}), workspace="dev")  # fmt: skip
    assert bad.value.field == "rollout.comparison.outputs"


def test_a_killed_driver_is_replaced_and_the_shadow_goes_on(
    model_dirs: dict[str, Path], home: Path
) -> None:
    from helpers import kill_driver_and_resume
    from opsloop.config import Settings

    # Short leases: a killed driver's lapses in 2 s, and the supervisor looks twice a second.
    settings = Settings(home=home, lease_ttl_s=2.0, sweep_interval_s=0.5)
    with Client(settings=settings, workspace="dev") as client, _sending(client) as users:
        client.workspaces.create(name="dev")
        _set_up_team(client, model_dirs)
        started = client.promotions.create("twin:1", to="prod", policy=_shadow(interval="6s"),
                                           workspace="dev")  # fmt: skip
        platform = Platform(settings)

        def mirroring() -> bool:  # killed amid the first interval
            return bool(_endpoint(client)[1])

        done = kill_driver_and_resume(client, platform, started.name, mirroring)
        assert done.state == "Succeeded", done.report
        assert [c["verdict"] for c in done.rollout["checks"]][-1] == "passed"
        assert _endpoint(client) == ({"blue": 0, "twin-1": 100}, {})
        # The mirror was set once: the driver that took over went on with the same interval.
        assert len(event_payloads(client, "rollout.stepped")) == 2
        assert users.received
        platform.database.dispose()
