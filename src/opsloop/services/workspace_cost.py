"""The cost model of a workspace for one month: what its jobs and online deployments used,
in hours, times the budget's rates. Pure reading; ``services.workspace_checks`` holds the
commands and the threshold alerts.

- Jobs: every job or pipeline step that ran a process (a row with no child rows, not a
  pipeline), from ``started_at`` to ``ended_at`` (now while it runs), clipped to the month;
  one instance each (a step runs as one process), priced by its compute's rate.
- Online deployments: instance hours, the deployment's ``instance_count`` as it was over
  time: from its ``created_at`` (to now), each ``online_deployment.updated`` event starting
  a period at the count it recorded; a deleted one from its ``online_deployment.created``
  event to its ``online_deployment.deleted`` event, likewise. Events from before the count
  was recorded keep the count before them (a live deployment's current count at first; a
  deleted one's 1, its row being gone).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from opsloop.errors import ValidationError
from opsloop.schemas.workspace_checks import CostLine, CostReport
from opsloop.specs.budget import DEFAULT_RATES
from opsloop.store.tables import (
    ComputeRow,
    DeploymentRow,
    EndpointRow,
    JobRow,
    OutboxEventRow,
    WorkspaceRow,
)

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def month_window(month: str | None, now: datetime) -> tuple[str, datetime, datetime]:
    """``YYYY-MM`` (this month if None) and the instants it starts and ends."""
    if month is None:
        month = f"{now.year:04d}-{now.month:02d}"
    found = _MONTH.match(month)
    if found is None or not 1 <= int(found.group(2)) <= 12:
        raise ValidationError(f"month {month!r} is not YYYY-MM (e.g. 2026-12)", field="month")
    year, number = int(found.group(1)), int(found.group(2))
    start = datetime(year, number, 1, tzinfo=UTC)
    end = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=UTC)
    return month, start, end


def rate_for(rates: dict[str, float], key: str) -> tuple[str, float]:
    """The most specific rate set for ``key`` (``compute.local.small`` falls back to
    ``compute.local``, then ``compute``), and the key it was found under."""
    merged = {**DEFAULT_RATES, **rates}
    parts = key.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in merged:
            return candidate, merged[candidate]
        parts.pop()
    return key, 0.0


def cost_report(
    session: Session,
    workspace: WorkspaceRow,
    budget: dict[str, Any] | None,
    month: str | None,
    now: datetime,
) -> CostReport:
    month, start, end = month_window(month, now)
    rates: dict[str, float] = (budget or {}).get("rates", {})
    lines = [
        _line("job", name, hours, *rate_for(rates, key))
        for name, key, hours in _job_hours(session, workspace.id, start, min(end, now))
    ]
    lines += [
        _line("endpoint", name, hours, *rate_for(rates, "endpoint.instance"))
        for name, hours in _endpoint_hours(session, workspace, start, min(end, now))
    ]
    jobs = [line for line in lines if line.kind == "job"]
    endpoints = [line for line in lines if line.kind == "endpoint"]
    total = round(sum(line.cost for line in lines), 4)
    monthly = (budget or {}).get("monthly")
    return CostReport(
        workspace=workspace.name,
        month=month,
        currency=(budget or {}).get("currency", "USD"),
        job_hours=round(sum(line.hours for line in jobs), 4),
        job_cost=round(sum(line.cost for line in jobs), 4),
        endpoint_instance_hours=round(sum(line.hours for line in endpoints), 4),
        endpoint_cost=round(sum(line.cost for line in endpoints), 4),
        total=total,
        budget=monthly,
        percent_of_budget=round(100 * total / monthly, 2) if monthly else None,
        lines=lines,
    )


def _line(kind: str, name: str, hours: float, key: str, rate: float) -> CostLine:
    return CostLine(
        kind=kind, name=name, rate_key=key, hours=round(hours, 4), rate=rate,
        cost=round(hours * rate, 4),
    )  # fmt: skip


def _overlap_hours(begin: datetime, finish: datetime, start: datetime, end: datetime) -> float:
    return max(0.0, (min(finish, end) - max(begin, start)).total_seconds() / 3600)


def _job_hours(
    session: Session, workspace_id: str, start: datetime, end: datetime
) -> Iterator[tuple[str, str, float]]:
    """(job name, rate key, hours) of each job or step that ran in [start, end)."""
    child = aliased(JobRow)
    has_children = select(child.id).where(child.parent_id == JobRow.id).exists()
    rows = session.scalars(
        select(JobRow).where(
            JobRow.workspace_id == workspace_id,
            JobRow.type != "pipeline",
            JobRow.started_at.is_not(None),
            JobRow.started_at < end,
            ~has_children,
        )
    )
    computes = {
        c.name: c
        for c in session.scalars(select(ComputeRow).where(ComputeRow.workspace_id == workspace_id))
    }
    for row in rows:
        assert row.started_at is not None
        hours = _overlap_hours(row.started_at, row.ended_at or end, start, end)
        if hours <= 0:
            continue
        plan = row.spec.get("trial", row.spec) if row.type == "sweep" else row.spec
        yield row.name, _compute_key(plan, computes), hours


def _compute_key(plan: dict[str, Any], computes: dict[str, ComputeRow]) -> str:
    """``compute.<type>[.<size>]`` of the compute a job ran on (``local`` if none)."""
    name = (plan.get("compute") or {}).get("name", "local")
    compute = computes.get(name)
    if compute is None:
        return "compute.local"
    size = compute.spec.get("size")
    return f"compute.{compute.type}" + (f".{size}" if size else "")


_DEPLOYMENT_EVENTS = (
    "online_deployment.created",
    "online_deployment.updated",
    "online_deployment.deleted",
)
# A deployment's instance count from an instant on: (at, count), count None when unknown.
Segments = list[tuple[datetime, int | None]]


@dataclass
class _Life:
    """One deployment from its created event to its deleted event (open while it exists)."""

    segments: Segments
    deleted_at: datetime | None = None


def _endpoint_hours(
    session: Session, workspace: WorkspaceRow, start: datetime, end: datetime
) -> Iterator[tuple[str, float]]:
    """Instance hours of each deployment: every period between its events at the instance
    count it then had; a deleted deployment's under ``<name> (deleted)``."""
    lives = _deployment_lives(session, workspace.name, end)
    rows = session.execute(
        select(DeploymentRow, EndpointRow.name)
        .join(EndpointRow, EndpointRow.id == DeploymentRow.endpoint_id)
        .where(EndpointRow.workspace_id == workspace.id, EndpointRow.kind == "online")
    )
    for deployment, endpoint in rows:
        name = f"{endpoint}/{deployment.name}"
        current = int(deployment.spec.get("instance_count") or 1)
        found = lives.get(name, [])
        life = found.pop() if found and found[-1].deleted_at is None else None
        # The row's created_at is when it began; its events after that, how it changed.
        changes = (
            [(at, n) for at, n in life.segments[1:] if at > deployment.created_at] if life else []
        )
        first = life.segments[0][1] if life else None
        segments: Segments = [(deployment.created_at, first or current), *changes]
        hours = _instance_hours(segments, end, start, end)
        if hours > 0:
            yield name, hours
    for name, ended in lives.items():
        hours = sum(
            _instance_hours(life.segments, life.deleted_at or end, start, end) for life in ended
        )
        if hours > 0:
            yield f"{name} (deleted)", hours


def _instance_hours(segments: Segments, finish: datetime, start: datetime, end: datetime) -> float:
    """Hours times instances over [start, end); a count not recorded is the previous one
    (1 at first: a deleted deployment's row, and so its count, is gone)."""
    total, count = 0.0, 1
    bounds = [at for at, _ in segments[1:]] + [finish]
    for (at, recorded), until in zip(segments, bounds, strict=True):
        count = recorded if recorded is not None else count
        total += count * _overlap_hours(at, until, start, end)
    return total


def _deployment_lives(session: Session, workspace: str, end: datetime) -> dict[str, list[_Life]]:
    """Each deployment's lives (it can be deleted and made again), from its events."""
    events = session.execute(
        select(
            OutboxEventRow.type, OutboxEventRow.subject, OutboxEventRow.at, OutboxEventRow.payload
        )
        .where(
            OutboxEventRow.workspace == workspace,
            OutboxEventRow.type.in_(_DEPLOYMENT_EVENTS),
            OutboxEventRow.at < end,
        )
        .order_by(OutboxEventRow.id)
    )
    lives: dict[str, list[_Life]] = {}
    for kind, subject, at, payload in events:
        name = (subject or "").removeprefix("online-deployment:")
        count = (payload or {}).get("instance_count")
        found = lives.setdefault(name, [])
        open_life = found[-1] if found and found[-1].deleted_at is None else None
        if kind == "online_deployment.created":
            found.append(_Life([(at, count)]))
        elif open_life is None:
            continue  # its created event is older than the store's events
        elif kind == "online_deployment.updated":
            open_life.segments.append((at, count))
        else:
            open_life.deleted_at = at
    return lives
