"""Firing schedules: what a tick creates (a handler per kind), and the fire itself.

A fire is one transaction under the scheduler's lease: check the lease (fencing), lock the
schedule's row, create what the tick creates (as the schedule's creator), record the fire
and move ``next_fire_at`` past now. A scheduler that lost its lease cannot commit, and the
fire record's unique ``(schedule, tick)`` refuses a second fire of one tick in any case.
If creating fails, a savepoint undoes what it wrote and the fire is recorded with the error:
a broken schedule fails once per tick, not once per pass.

Handlers are keyed by what a schedule creates: ``job`` here, ``monitor`` in
``services.monitor_schedules``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from opsloop.catalogue.actions import Action
from opsloop.catalogue.schedule_events import ScheduleFired
from opsloop.errors import ValidationError
from opsloop.security.actor import SYSTEM_ACTOR
from opsloop.services.context import Platform, ServiceContext
from opsloop.services.monitor_schedules import MonitorFireHandler
from opsloop.services.schedule_times import latest_due, next_tick
from opsloop.specs.loader import validate_spec
from opsloop.specs.references import is_asset_reference, is_spec_file, parse_registry_uri
from opsloop.store.schedule_tables import ScheduleFireRow, ScheduleRow
from opsloop.store.tables import WorkspaceRow

log = logging.getLogger(__name__)
Guard = Callable[[Session], None]  # Lease.guard: raises LeaseLostError
DUE_BATCH = 100


class FireHandler(Protocol):
    """What one kind of schedule creates on each tick.

    ``check`` runs when the schedule is created, as its creator: it refuses a body that
    could never fire, naming ``field``, and returns the body as stored. ``fire`` runs in
    the fire's transaction, as the creator, and returns the name of what it created."""

    def check(
        self, ctx: ServiceContext, workspace: str, name: str, body: Any, field: str
    ) -> dict[str, Any]: ...

    def fire(
        self, ctx: ServiceContext, workspace: str, schedule: ScheduleRow, tick: datetime
    ) -> str: ...


class JobFireHandler:
    """``create_job``: an inline job, or a registered component run as a command job. The
    job is named after the schedule and the tick, and tagged with both."""

    def check(
        self, ctx: ServiceContext, workspace: str, name: str, body: Any, field: str
    ) -> dict[str, Any]:
        ctx.authorize(Action.JOBS_WRITE, workspace)
        job = _job_body(body, field)
        _validated_job(job, field)
        return job

    def fire(
        self, ctx: ServiceContext, workspace: str, schedule: ScheduleRow, tick: datetime
    ) -> str:
        from opsloop.services.jobs import create_job

        spec = _validated_job(schedule.action, "create_job")
        tags = {
            **spec.tags,
            "opsloop.schedule": schedule.name,
            "opsloop.schedule_tick": tick.isoformat(),
        }
        name = f"{schedule.name}-{tick:%Y%m%d-%H%M%S}"
        spec = spec.model_copy(update={"name": name, "tags": tags})
        return create_job(ctx, workspace, spec).name


# What each kind of schedule creates.
_HANDLERS: dict[str, FireHandler] = {"job": JobFireHandler(), "monitor": MonitorFireHandler()}


def handler_for(kind: str) -> FireHandler:
    return _HANDLERS[kind]


@dataclass(frozen=True)
class Fired:
    schedule: str
    tick_at: datetime
    created: str | None
    error: str | None
    missed_ticks: int


def due_schedules(platform: Platform, now: datetime) -> list[str]:
    """Ids of enabled schedules whose next tick is at or before ``now``, oldest first."""
    with platform.database.transaction() as session:
        return list(
            session.scalars(
                select(ScheduleRow.id)
                .where(ScheduleRow.enabled.is_(True), ScheduleRow.next_fire_at <= now)
                .order_by(ScheduleRow.next_fire_at)
                .limit(DUE_BATCH)
            )
        )


def fire_schedule(
    platform: Platform, schedule_id: str, now: datetime, guard: Guard
) -> Fired | None:
    """Fire one due schedule; None if it is not due any more (disabled, deleted, fired).
    Whatever ``guard`` raises (the lease is lost) propagates, and nothing is written."""
    from opsloop.services.schedules import run_as_actor

    with platform.context(SYSTEM_ACTOR) as system:
        guard(system.session)  # locks the lease row until commit: no takeover meanwhile
        row = _lock_due(system.session, schedule_id, now)
        if row is None:
            return None
        workspace = _workspace_name(system.session, row)
        tick, missed = latest_due(_trigger(row), row.next_fire_at or now, now)
        creator = ServiceContext(session=system.session, actor=run_as_actor(row), platform=platform)
        try:
            # A savepoint: a job that cannot be created leaves nothing behind, and the
            # fire is recorded with its error in the same transaction.
            with system.session.begin_nested():
                created = _HANDLERS[row.action_kind].fire(creator, workspace, row, tick)
        except Exception as exc:
            log.warning("schedule %s could not fire: %s", row.name, exc)
            error = f"{type(exc).__name__}: {exc}"[:2000]
            return _record(system, row, workspace, tick, missed, now, error=error)
        # The job's runner starts once the fire has committed, as any job's does.
        system.committed_effects.extend(creator.committed_effects)
        return _record(system, row, workspace, tick, missed, now, created=created)


def _lock_due(session: Session, schedule_id: str, now: datetime) -> ScheduleRow | None:
    row = session.scalar(select(ScheduleRow).where(ScheduleRow.id == schedule_id).with_for_update())
    if row is None or not row.enabled or row.next_fire_at is None or row.next_fire_at > now:
        return None
    return row


def _record(
    ctx: ServiceContext, row: ScheduleRow, workspace: str, tick: datetime, missed: int,
    now: datetime, *, created: str | None = None, error: str | None = None,
) -> Fired:  # fmt: skip
    ctx.session.add(
        ScheduleFireRow(
            schedule_id=row.id,
            tick_at=tick,
            fired_at=now,
            missed_ticks=missed,
            created=created,
            error=error,
        )
    )
    row.last_fired_at = now
    row.next_fire_at = next_tick(_trigger(row), max(now, tick))
    ctx.session.flush()  # the unique (schedule, tick) speaks here, inside the transaction
    ctx.record(
        Action.SCHEDULES_WRITE,
        workspace=workspace,
        target=f"schedule:{row.name}",
        event=ScheduleFired(
            tick_at=tick,
            creates=row.action_kind,
            created=created,
            error=error,
            missed_ticks=missed,
        ),
    )
    return Fired(row.name, tick, created, error, missed)


def _trigger(row: ScheduleRow) -> Any:
    from opsloop.services.schedules import stored_trigger

    return stored_trigger(row)


def _workspace_name(session: Session, row: ScheduleRow) -> str:
    ws = session.get(WorkspaceRow, row.workspace_id)
    assert ws is not None  # the foreign key cascades
    return ws.name


def _job_body(body: Any, field: str) -> dict[str, Any]:
    """``create_job`` as stored: an inline job; a component reference (``name:version``,
    ``name@latest``, a registry URI) as a command job running it; Azure ML's
    ``{job: <reference>, inputs: ..., settings: ...}`` form likewise."""
    if isinstance(body, dict) and "job" in body:
        reference, rest = body["job"], {k: v for k, v in body.items() if k != "job"}
        return {**_job_body(reference, f"{field}.job"), **rest, "type": "command"}
    if isinstance(body, dict):
        return body
    if is_spec_file(body):
        raise ValidationError(
            f"{body!r} is a job file: the client reads it (`opsloop schedule create -f`) and "
            "sends the job inline",
            field=field,
        )
    if is_asset_reference(body) or parse_registry_uri(body, field=field, kind="component"):
        return {"type": "command", "component": body}
    raise ValidationError(
        f"{body!r} is neither a job file nor a component reference (name:version, "
        "name@latest, azureml:name:version)",
        field=field,
    )


def _validated_job(body: dict[str, Any], field: str) -> Any:
    from opsloop.specs.job import JobSpec

    try:
        return validate_spec(JobSpec, body)
    except ValidationError as exc:
        raise ValidationError(
            exc.reason, field=f"{field}.{exc.field}" if exc.field else field
        ) from None
