"""A workspace's cost against its budget, and its staleness: costs from real job rows and
deployments against hand-computed figures (timestamps set in the store, so hours are
exact), thresholds raised once each however often the check runs, staleness of
preproduction workspaces only, and bad settings named by field; on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError as PydanticValidationError
from sqlalchemy import select, update

from opsloop.background.leases import Lease
from opsloop.background.workspace_checks import WorkspaceChecks
from opsloop.catalogue.actions import Action
from opsloop.config import Settings
from opsloop.errors import ValidationError
from opsloop.security.actor import Actor
from opsloop.services.computes import create_compute
from opsloop.services.context import Platform
from opsloop.services.jobs import create_job
from opsloop.services.online_deployments import (
    DeploymentDraft,
    create_online_deployment,
    delete_online_deployment,
    update_online_deployment,
)
from opsloop.services.online_endpoints import create_online_endpoint
from opsloop.services.personas import assign_persona
from opsloop.services.principals import create_principal
from opsloop.services.workspace_checks import (
    get_activity,
    get_cost,
    run_checks,
    set_budget,
    set_staleness,
)
from opsloop.services.workspaces import create_workspace
from opsloop.specs.access import PrincipalSpec
from opsloop.specs.budget import BudgetSpec, StalenessSpec
from opsloop.specs.compute import ComputeSpec
from opsloop.specs.endpoint import OnlineEndpointSpec
from opsloop.specs.job import CommandJobSpec
from opsloop.specs.personas import PersonaAssignSpec
from opsloop.specs.workspace import WorkspaceSpec
from opsloop.store.tables import (
    AssetVersionRow,
    DeploymentRow,
    JobRow,
    OutboxEventRow,
    WorkspaceRow,
)

ALICE = Actor(name="alice")
NOW = datetime(2026, 12, 20, 12, 0, tzinfo=UTC)
DEC = datetime(2026, 12, 1, tzinfo=UTC)
RATES = {"compute.local": 0.5, "compute.local.L": 2.0, "endpoint.instance": 1.0}


@pytest.fixture(params=["sqlite", "postgresql"])
def platform(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Platform]:
    url = request.getfixturevalue("postgres_url") if request.param == "postgresql" else None
    found = Platform(Settings(home=tmp_path / "home", database_url=url))
    found.launch_jobs = False  # the test sets the rows' times as a runner would
    yield found
    found.database.dispose()


def _job(platform: Platform, name: str, start: datetime, end: datetime | None, **spec: Any) -> None:
    with platform.context(ALICE) as ctx:
        create_job(ctx, "prod", CommandJobSpec(name=name, command="python -c pass", **spec))
    with platform.database.transaction() as session:
        session.execute(
            update(JobRow)
            .where(JobRow.name == name)
            .values(started_at=start, ended_at=end, status="Completed" if end else "Running")
        )


def _deployment(platform: Platform, name: str, instances: int, *, update: bool = False) -> None:
    """Create ep/<name> with ``instances``; or (``update``) change its count to that."""
    row = DeploymentRow(
        name=name, spec={"instance_count": instances}, provisioning_state="Succeeded"
    )
    draft = DeploymentDraft(
        workspace="prod", endpoint="ep", action=Action.ONLINE_DEPLOYMENTS_WRITE,
        target=f"online-deployment:ep/{name}", row=row,
    )  # fmt: skip
    with platform.context(ALICE) as ctx:
        (update_online_deployment if update else create_online_deployment)(ctx, draft)


def _set_at(platform: Platform, event_type: str, subject: str, at: datetime) -> None:
    with platform.database.transaction() as session:
        session.execute(
            update(OutboxEventRow)
            .where(OutboxEventRow.type == event_type, OutboxEventRow.subject == subject)
            .values(at=at)
        )


@pytest.fixture
def prod(platform: Platform) -> Platform:
    """prod: a job on local (10 h in December, 2 of them before it), a job on the big
    (size L) compute (3 h), a running job (since 6 h before NOW), a job from
    November; deployment blue, 2 instances, since 12-19 12:00 (24 h); deployment green,
    created 12-01 00:00 and deleted 12-01 05:00 (5 h, counted at one instance)."""
    with platform.context(ALICE) as ctx:
        create_workspace(ctx, WorkspaceSpec(name="prod", kind="production"))
        create_compute(ctx, "prod", ComputeSpec(name="big", size="L"))
        create_online_endpoint(ctx, "prod", OnlineEndpointSpec(name="ep"))
    _job(platform, "local-job", DEC - timedelta(hours=2), DEC + timedelta(hours=8))
    _job(
        platform, "big-job", DEC + timedelta(days=2), DEC + timedelta(days=2, hours=3),
        compute="big",
    )  # fmt: skip
    _job(platform, "running", NOW - timedelta(hours=6), None)
    _job(platform, "november", DEC - timedelta(days=5), DEC - timedelta(days=4))
    _deployment(platform, "blue", 2)
    _deployment(platform, "green", 1)
    with platform.context(ALICE) as ctx:
        delete_online_deployment(ctx, "prod", "ep", "green")
    with platform.database.transaction() as session:
        session.execute(
            update(DeploymentRow)
            .where(DeploymentRow.name == "blue")
            .values(created_at=NOW - timedelta(hours=24))
        )
    _set_at(platform, "online_deployment.created", "online-deployment:ep/green", DEC)
    _set_at(
        platform, "online_deployment.deleted", "online-deployment:ep/green",
        DEC + timedelta(hours=5),
    )  # fmt: skip
    return platform


def test_cost_from_job_rows_and_deployments(prod: Platform) -> None:
    budget = BudgetSpec(monthly=100, rates=RATES)
    with prod.context(ALICE) as ctx:
        set_budget(ctx, "prod", budget)
        report = get_cost(ctx, "prod", now=NOW)
    lines = {line.name: line for line in report.lines}
    # local-job: 8 h in December (2 h were in November) at 0.5; running: 6 h at 0.5.
    assert (lines["local-job"].hours, lines["local-job"].cost) == (8.0, 4.0)
    assert (lines["running"].hours, lines["running"].cost) == (6.0, 3.0)
    # big-job: 3 h on compute.local.L at 2.0.
    assert lines["big-job"].rate_key == "compute.local.L"
    assert (lines["big-job"].hours, lines["big-job"].cost) == (3.0, 6.0)
    assert "november" not in lines
    # blue: 24 h x 2 instances; green (deleted): 5 h x 1, both at 1.0.
    assert lines["ep/blue"].hours == 48.0
    assert lines["ep/green (deleted)"].hours == 5.0
    assert (report.job_hours, report.job_cost) == (17.0, 13.0)
    assert (report.endpoint_instance_hours, report.endpoint_cost) == (53.0, 53.0)
    assert report.total == 66.0
    assert report.percent_of_budget == 66.0


def _date_events(platform: Platform, subject: str, times: list[datetime]) -> None:
    """The deployment's events, oldest first, get ``times``."""
    with platform.database.transaction() as session:
        rows = session.scalars(
            select(OutboxEventRow)
            .where(
                OutboxEventRow.subject == subject, OutboxEventRow.type.like("online_deployment.%")
            )
            .order_by(OutboxEventRow.id)
        ).all()
        assert len(rows) == len(times)
        for row, at in zip(rows, times, strict=True):
            row.at = at


def test_endpoint_instance_hours_follow_the_instance_count_over_time(platform: Platform) -> None:
    """scale: 2 instances from 12-01 00:00, 3 from 10:00, 1 from 15:00 to NOW (12-20 12:00);
    gone: 1 instance from 12-01 00:00, 5 from 01:00, deleted at 03:00."""
    with platform.context(ALICE) as ctx:
        create_workspace(ctx, WorkspaceSpec(name="prod", kind="production"))
        create_online_endpoint(ctx, "prod", OnlineEndpointSpec(name="ep"))
    _deployment(platform, "scale", 2)
    _deployment(platform, "scale", 3, update=True)
    _deployment(platform, "scale", 1, update=True)
    _deployment(platform, "gone", 1)
    _deployment(platform, "gone", 5, update=True)
    with platform.context(ALICE) as ctx:
        delete_online_deployment(ctx, "prod", "ep", "gone")
    hours = [DEC + timedelta(hours=h) for h in (0, 10, 15)]
    _date_events(platform, "online-deployment:ep/scale", hours)
    with platform.database.transaction() as session:
        session.execute(update(DeploymentRow).values(created_at=DEC))
    _date_events(
        platform, "online-deployment:ep/gone", [DEC + timedelta(hours=h) for h in (0, 1, 3)]
    )
    with platform.context(ALICE) as ctx:
        set_budget(ctx, "prod", BudgetSpec(monthly=1000, rates=RATES))
        report = get_cost(ctx, "prod", now=NOW)
    lines = {line.name: line for line in report.lines}
    since_15h = (NOW - (DEC + timedelta(hours=15))).total_seconds() / 3600  # 453 h
    assert lines["ep/scale"].hours == 2 * 10 + 3 * 5 + 1 * since_15h == 488.0
    assert lines["ep/gone (deleted)"].hours == 1 * 1 + 5 * 2 == 11.0
    # Another month sees only its own part: November saw nothing, December all of it.
    with platform.context(ALICE) as ctx:
        november = get_cost(ctx, "prod", month="2026-11", now=NOW)
    assert november.endpoint_instance_hours == 0.0


def test_cost_of_another_month_and_default_rates(prod: Platform) -> None:
    with prod.context(ALICE) as ctx:
        november = get_cost(ctx, "prod", month="2026-11", now=NOW)
    # No budget: the default rates (0.10 an hour). November: november (24 h) and the first
    # 2 h of local-job; no deployment existed then.
    assert november.job_hours == 26.0
    assert november.job_cost == pytest.approx(2.6)
    assert november.endpoint_instance_hours == 0.0
    assert november.budget is None and november.percent_of_budget is None


def _events(platform: Platform, event_type: str) -> list[dict[str, Any]]:
    with platform.database.transaction() as session:
        return [
            row.payload
            for row in session.scalars(
                select(OutboxEventRow).where(OutboxEventRow.type == event_type)
            )
        ]


def test_each_threshold_is_raised_once_naming_lead_and_owner(prod: Platform) -> None:
    with prod.context(ALICE) as ctx:
        for name in ("lena", "omar", "dana"):
            create_principal(ctx, PrincipalSpec(name=name))
        assign_persona(ctx, "project_lead", PersonaAssignSpec(principal="lena", workspace="prod"))
        assign_persona(ctx, "product_owner", PersonaAssignSpec(principal="omar", workspace="prod"))
        assign_persona(ctx, "data_scientist", PersonaAssignSpec(principal="dana", workspace="prod"))
        # 66 of 100 at these rates: past 50, short of 80 and 100.
        set_budget(ctx, "prod", BudgetSpec(monthly=100, rates=RATES))
        assert run_checks(ctx, "prod", now=NOW) == ["budget.threshold_reached"]
    with prod.context(ALICE) as ctx:
        assert run_checks(ctx, "prod", now=NOW) == []
    # The background task, twice, raises nothing more; a smaller budget raises 80 and 100.
    checks = WorkspaceChecks(prod, clock=lambda: NOW)
    lease = Lease(prod.database, checks.lease_name, "test", 60)
    assert lease.acquire()
    assert checks.run_once(lease) == 0
    with prod.context(ALICE) as ctx:
        set_budget(ctx, "prod", BudgetSpec(monthly=60, rates=RATES))
    assert checks.run_once(lease) == 2
    assert checks.run_once(lease) == 0
    raised = _events(prod, "budget.threshold_reached")
    assert sorted(e["threshold"] for e in raised) == [50, 80, 100]
    assert all(e["month"] == "2026-12" for e in raised)
    assert raised[0]["notify"] == ["lena", "omar"]


def _workspace(platform: Platform, name: str, kind: str, idle: timedelta) -> None:
    with platform.context(ALICE) as ctx:
        create_workspace(ctx, WorkspaceSpec(name=name, kind=kind))  # type: ignore[arg-type]
    with platform.database.transaction() as session:
        session.execute(
            update(WorkspaceRow).where(WorkspaceRow.name == name).values(created_at=NOW - idle)
        )


def test_a_stale_preproduction_workspace_is_reported_once(platform: Platform) -> None:
    _workspace(platform, "staging", "preproduction", timedelta(days=40))
    _workspace(platform, "prod", "production", timedelta(days=40))
    _workspace(platform, "dev", "preproduction", timedelta(days=40))
    with platform.context(ALICE) as ctx:
        create_job(ctx, "dev", CommandJobSpec(name="recent", command="python -c pass"))
    with platform.database.transaction() as session:
        session.execute(update(JobRow).values(created_at=NOW - timedelta(days=3)))
    checks = WorkspaceChecks(platform, clock=lambda: NOW)
    lease = Lease(platform.database, checks.lease_name, "test", 60)
    assert lease.acquire()
    assert checks.run_once(lease) == 1
    assert checks.run_once(lease) == 0
    (stale,) = _events(platform, "workspace.stale")
    assert stale["stale_after_days"] == 30 and stale["idle_days"] == 40.0
    with platform.database.transaction() as session:
        staging = session.scalars(
            select(OutboxEventRow).where(OutboxEventRow.type == "workspace.stale")
        ).one()
        assert staging.workspace == "staging"
    with platform.context(ALICE) as ctx:
        activity = get_activity(ctx, "dev", now=NOW)
        assert activity.last_job_at == NOW - timedelta(days=3) and not activity.stale
        assert get_activity(ctx, "prod", now=NOW).stale is False


def test_new_activity_starts_a_new_stale_period(platform: Platform) -> None:
    _workspace(platform, "staging", "preproduction", timedelta(days=40))
    with platform.context(ALICE) as ctx:
        set_staleness(ctx, "staging", StalenessSpec(stale_after_days=7))
        assert run_checks(ctx, "staging", now=NOW) == ["workspace.stale"]
    with platform.database.transaction() as session:
        ws = session.scalars(select(WorkspaceRow).where(WorkspaceRow.name == "staging")).one()
        session.add(
            AssetVersionRow(
                workspace_id=ws.id, asset_kind="data", name="d", version="1",
                created_at=NOW + timedelta(days=1), created_by="alice",
            )
        )  # fmt: skip
    later = NOW + timedelta(days=5)
    with platform.context(ALICE) as ctx:
        assert get_activity(ctx, "staging", now=later).stale is False
        assert run_checks(ctx, "staging", now=later) == []
        assert run_checks(ctx, "staging", now=NOW + timedelta(days=9)) == ["workspace.stale"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"monthly": 0}, "monthly"),
        ({"monthly": 10, "currency": "dollars"}, "currency"),
        ({"monthly": 10, "thresholds": [50, 0]}, "thresholds"),
        ({"monthly": 10, "thresholds": []}, "thresholds"),
        ({"monthly": 10, "rates": {"gpu": 1.0}}, "rates"),
        ({"monthly": 10, "rates": {"compute.local": -1}}, "rates"),
    ],
)
def test_bad_budget_names_its_field(body: dict[str, Any], field: str) -> None:
    with pytest.raises(PydanticValidationError) as caught:
        BudgetSpec.model_validate(body)
    assert caught.value.errors()[0]["loc"][0] == field


def test_bad_month_names_its_field(prod: Platform) -> None:
    with prod.context(ALICE) as ctx, pytest.raises(ValidationError) as caught:
        get_cost(ctx, "prod", month="2026-13", now=NOW)
    assert caught.value.field == "month"
