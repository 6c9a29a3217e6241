"""A workspace's budget and staleness: settings, cost and activity reports, and the checks
that raise ``budget.threshold_reached`` and ``workspace.stale`` (each once: see
``store.workspace_check_tables``). The background worker runs :func:`check_all` under the
``workspaces.checks`` lease; ``opsloop workspace check`` runs one workspace's checks now."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import Select, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from opsloop.catalogue.actions import Action
from opsloop.catalogue.events import EventPayload
from opsloop.catalogue.workspace_check_events import (
    BudgetSet,
    BudgetThresholdReached,
    WorkspaceStale,
)
from opsloop.schemas.workspace_checks import Activity, Budget, CostReport
from opsloop.security.actor import SYSTEM_ACTOR
from opsloop.services.context import Platform, ServiceContext
from opsloop.services.workspace_cost import cost_report
from opsloop.services.workspaces import REGISTRY_KIND, require_workspace_row
from opsloop.specs.budget import DEFAULT_RATES, BudgetSpec, StalenessSpec
from opsloop.store.access_tables import PrincipalRow, RoleAssignmentRow
from opsloop.store.tables import (
    AssetAliasRow,
    AssetVersionRow,
    EndpointRequestLogRow,
    JobRow,
    WorkspaceRow,
    in_utc,
)
from opsloop.store.workspace_check_tables import WorkspaceAlertRow, WorkspaceSettingsRow

DEFAULT_STALE_AFTER_DAYS = 30
BUDGET_PERSONAS = ("project_lead", "product_owner")  # whom a budget alert names
Guard = Callable[[Session], None]


def get_budget(ctx: ServiceContext, workspace: str) -> Budget:
    ctx.authorize(Action.WORKSPACES_COST_READ, workspace)
    row = require_workspace_row(ctx, workspace)
    return _budget(row, ctx.session.get(WorkspaceSettingsRow, row.id))


def set_budget(ctx: ServiceContext, workspace: str, spec: BudgetSpec) -> Budget:
    ctx.begin_mutation(Action.WORKSPACES_BUDGET_WRITE, workspace, f"workspace:{workspace}")
    row = require_workspace_row(ctx, workspace)
    settings = _settings(ctx, row)
    settings.budget = spec.model_dump(mode="json")
    ctx.record(
        Action.WORKSPACES_BUDGET_WRITE,
        workspace=workspace,
        target=f"workspace:{workspace}",
        event=BudgetSet(monthly=spec.monthly, currency=spec.currency, thresholds=spec.thresholds),
    )
    return _budget(row, settings)


def set_staleness(ctx: ServiceContext, workspace: str, spec: StalenessSpec) -> Budget:
    ctx.begin_mutation(Action.WORKSPACES_BUDGET_WRITE, workspace, f"workspace:{workspace}")
    row = require_workspace_row(ctx, workspace)
    settings = _settings(ctx, row)
    settings.stale_after_days = spec.stale_after_days
    return _budget(row, settings)


def get_cost(
    ctx: ServiceContext, workspace: str, month: str | None = None, now: datetime | None = None
) -> CostReport:
    ctx.authorize(Action.WORKSPACES_COST_READ, workspace)
    row = require_workspace_row(ctx, workspace)
    settings = ctx.session.get(WorkspaceSettingsRow, row.id)
    return cost_report(
        ctx.session, row, settings.budget if settings else None, month, now or _now()
    )


def get_activity(ctx: ServiceContext, workspace: str, now: datetime | None = None) -> Activity:
    ctx.authorize(Action.WORKSPACES_COST_READ, workspace)
    return _activity(ctx.session, require_workspace_row(ctx, workspace), now or _now())


def run_checks(ctx: ServiceContext, workspace: str, now: datetime | None = None) -> list[str]:
    """Check one workspace now; the types of the events raised (none if already raised)."""
    ctx.begin_mutation(Action.WORKSPACES_BUDGET_WRITE, workspace, f"workspace:{workspace}")
    return _check(ctx, require_workspace_row(ctx, workspace), now or _now())


def check_all(platform: Platform, now: datetime, guard: Guard) -> int:
    """Check every workspace, each in its own transaction under the lease; events raised."""
    with platform.database.transaction() as session:
        ids = list(
            session.scalars(select(WorkspaceRow.id).where(WorkspaceRow.kind != REGISTRY_KIND))
        )
    raised = 0
    for workspace_id in ids:
        with platform.context(SYSTEM_ACTOR) as system:
            guard(system.session)
            row = system.session.get(WorkspaceRow, workspace_id)
            if row is not None:
                raised += len(_check(system, row, now))
    return raised


def _check(ctx: ServiceContext, row: WorkspaceRow, now: datetime) -> list[str]:
    settings = ctx.session.get(WorkspaceSettingsRow, row.id)
    raised = []
    if settings is not None and settings.budget:
        report = cost_report(ctx.session, row, settings.budget, None, now)
        for threshold in settings.budget.get("thresholds", []):
            if report.percent_of_budget is None or report.percent_of_budget < threshold:
                continue
            event: EventPayload = BudgetThresholdReached(
                month=report.month, threshold=threshold, cost=report.total,
                budget=report.budget or 0.0, currency=report.currency,
                percent=report.percent_of_budget,
                notify=_persona_holders(ctx.session, row.name, now),
            )  # fmt: skip
            if _raise_once(ctx, row, "budget", report.month, threshold, event, now):
                raised.append(event.event_type)
    if row.kind == "preproduction":
        activity = _activity(ctx.session, row, now)
        if activity.stale and activity.last_activity_at is not None:
            stale: EventPayload = WorkspaceStale(
                last_activity_at=activity.last_activity_at,
                idle_days=activity.idle_days or 0.0,
                stale_after_days=activity.stale_after_days,
                notify=_owners(ctx.session, row.name, now),
            )
            period = activity.last_activity_at.isoformat()
            if _raise_once(ctx, row, "stale", period, 0, stale, now):
                raised.append(stale.event_type)
    return raised


def _raise_once(
    ctx: ServiceContext, row: WorkspaceRow, kind: str, period: str, threshold: int,
    event: EventPayload, now: datetime,
) -> bool:  # fmt: skip
    """Record the alert and emit ``event``, unless this alert was raised already."""
    seen = ctx.session.scalar(
        select(WorkspaceAlertRow.id).where(
            WorkspaceAlertRow.workspace_id == row.id,
            WorkspaceAlertRow.kind == kind,
            WorkspaceAlertRow.period == period,
            WorkspaceAlertRow.threshold == threshold,
        )
    )
    if seen is not None:
        return False
    try:
        # A savepoint: a concurrent check that raised it first leaves this one a no-op.
        with ctx.session.begin_nested():
            ctx.session.add(
                WorkspaceAlertRow(
                    workspace_id=row.id, kind=kind, period=period, threshold=threshold, at=now
                )
            )
    except IntegrityError:
        return False
    ctx.record(
        Action.WORKSPACES_BUDGET_WRITE, workspace=row.name, target=f"workspace:{row.name}",
        event=event,
    )  # fmt: skip
    return True


def _activity(session: Session, row: WorkspaceRow, now: datetime) -> Activity:
    settings = session.get(WorkspaceSettingsRow, row.id)
    days = (settings.stale_after_days if settings else None) or DEFAULT_STALE_AFTER_DAYS
    last_job = _latest(
        session.scalar(select(func.max(JobRow.created_at)).where(JobRow.workspace_id == row.id)),
        session.scalar(select(func.max(JobRow.ended_at)).where(JobRow.workspace_id == row.id)),
    )
    last_traffic = session.scalar(
        select(func.max(EndpointRequestLogRow.at)).where(
            EndpointRequestLogRow.workspace == row.name
        )
    )
    last_asset = _latest(
        session.scalar(
            select(func.max(AssetVersionRow.created_at)).where(
                AssetVersionRow.workspace_id == row.id
            )
        ),
        session.scalar(
            select(func.max(AssetVersionRow.archived_at)).where(
                AssetVersionRow.workspace_id == row.id
            )
        ),
        session.scalar(
            select(func.max(AssetAliasRow.updated_at)).where(AssetAliasRow.workspace_id == row.id)
        ),
    )
    # A workspace that never saw activity is idle since its creation.
    last = _latest(last_job, in_utc(last_traffic), last_asset, in_utc(row.created_at))
    idle = (now - last).total_seconds() / 86400 if last else None
    return Activity(
        workspace=row.name,
        kind=row.kind,
        last_job_at=last_job,
        last_traffic_at=in_utc(last_traffic),
        last_asset_change_at=last_asset,
        last_activity_at=last,
        idle_days=round(idle, 2) if idle is not None else None,
        stale_after_days=days,
        stale=row.kind == "preproduction" and idle is not None and idle >= days,
    )


def _persona_holders(session: Session, workspace: str, now: datetime) -> list[str]:
    """Principals holding the project lead or product owner persona in the workspace."""
    query = _holders(f"/workspaces/{workspace}", now).where(
        RoleAssignmentRow.persona.in_(BUDGET_PERSONAS)
    )
    return sorted(set(session.scalars(query)))


def _owners(session: Session, workspace: str, now: datetime) -> list[str]:
    """Owners at the workspace's scope; the platform's Owners if it has none."""
    for scope in (f"/workspaces/{workspace}", "/"):
        names = set(session.scalars(_holders(scope, now).where(RoleAssignmentRow.role == "Owner")))
        if names:
            return sorted(names)
    return []


def _holders(scope: str, now: datetime) -> Select[str]:
    return (
        select(PrincipalRow.name)
        .join(RoleAssignmentRow, RoleAssignmentRow.principal_id == PrincipalRow.id)
        .where(
            RoleAssignmentRow.scope == scope,
            PrincipalRow.disabled_at.is_(None),
            or_(RoleAssignmentRow.expires_at.is_(None), RoleAssignmentRow.expires_at > now),
        )
    )


def _settings(ctx: ServiceContext, row: WorkspaceRow) -> WorkspaceSettingsRow:
    settings = ctx.session.get(WorkspaceSettingsRow, row.id)
    if settings is None:
        settings = WorkspaceSettingsRow(workspace_id=row.id, updated_by=str(ctx.actor))
        ctx.session.add(settings)
    settings.updated_at = _now()
    settings.updated_by = str(ctx.actor)
    ctx.session.flush()
    return settings


def _budget(row: WorkspaceRow, settings: WorkspaceSettingsRow | None) -> Budget:
    budget = (settings.budget if settings else None) or {}
    return Budget(
        workspace=row.name,
        monthly=budget.get("monthly"),
        currency=budget.get("currency", "USD"),
        thresholds=budget.get("thresholds", []),
        rates={**DEFAULT_RATES, **budget.get("rates", {})},
        stale_after_days=(settings.stale_after_days if settings else None)
        or DEFAULT_STALE_AFTER_DAYS,
    )


def _latest(*values: datetime | None) -> datetime | None:
    present = [v for v in (in_utc(v) for v in values) if v is not None]
    return max(present) if present else None


def _now() -> datetime:
    return datetime.now(UTC)
