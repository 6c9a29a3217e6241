"""Schedules: create, list, show, enable, disable, delete.

A schedule keeps its trigger (with ``start_time`` filled in: its creation time when the
spec gives none, so recurrences count from a fixed moment), what each tick creates, and
whom the ticks act as (its creator: a job it creates is authorised and recorded as theirs,
so a creator who loses the right to submit jobs stops the schedule's jobs too).

Firing lives in ``services.schedule_fires``; what a tick creates, in its handler table.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select

from opsloop.catalogue.actions import Action
from opsloop.catalogue.schedule_events import (
    ScheduleCreated,
    ScheduleDeleted,
    ScheduleDisabled,
    ScheduleEnabled,
    ScheduleUpdated,
)
from opsloop.errors import ConflictError, NotFoundError, ValidationError
from opsloop.schemas.schedules import Schedule, ScheduleFire
from opsloop.security.actor import Actor
from opsloop.services.context import ServiceContext
from opsloop.services.schedule_fires import handler_for
from opsloop.services.schedule_times import Trigger, describe, next_tick, upcoming
from opsloop.services.workspaces import require_workspace_row
from opsloop.specs.loader import validate_spec
from opsloop.specs.schedule import ScheduleSpec, check_schedule, zone_for
from opsloop.specs.schedule import Trigger as TriggerSpec
from opsloop.store.schedule_tables import ScheduleFireRow, ScheduleRow
from opsloop.store.tables import WorkspaceRow, utcnow

SHOWN_FIRES = 10
SHOWN_TICKS = 5


def create_schedule(
    ctx: ServiceContext, workspace: str, spec: ScheduleSpec, now: datetime | None = None
) -> Schedule:
    target = f"schedule:{spec.name}"
    ctx.begin_mutation(Action.SCHEDULES_WRITE, workspace, target)
    ws = require_workspace_row(ctx, workspace)
    check_schedule(spec)
    kind = spec.action_kind
    field = f"create_{kind}"
    action = handler_for(kind).check(ctx, workspace, spec.name, spec.action_body, field)
    if _find(ctx, ws, spec.name) is not None:
        raise ConflictError(f"schedule {spec.name!r} already exists in workspace {workspace!r}")
    now = now or utcnow()
    trigger = _anchored(spec, now)
    first = next_tick(trigger, now)
    if first is None:
        raise ValidationError(
            "the trigger has no tick left: end_time has passed", field="trigger.end_time"
        )
    row = ScheduleRow(
        workspace_id=ws.id,
        name=spec.name,
        display_name=spec.display_name,
        description=spec.description,
        tags=spec.tags,
        trigger=trigger.model_dump(mode="json", exclude_none=True, by_alias=False),
        action_kind=kind,
        action=action,
        enabled=True,
        next_fire_at=first,
        run_as=_identity(ctx.actor),
        created_by=str(ctx.actor),
        created_at=now,
        updated_at=now,
    )
    ctx.session.add(row)
    ctx.session.flush()
    ctx.record(
        Action.SCHEDULES_WRITE,
        workspace=workspace,
        target=target,
        event=ScheduleCreated(trigger=trigger.type, creates=kind, next_fire_at=first),
    )
    return to_entity(row, workspace)


def update_schedule(
    ctx: ServiceContext, workspace: str, name: str, spec: ScheduleSpec, now: datetime | None = None
) -> Schedule:
    """Replace a schedule's trigger, action and descriptions with ``spec``'s (``opsloop
    apply``). Its fires stay; an enabled schedule fires from the new trigger's first tick
    after now. Its ticks act as the updater from now on: whoever changes what runs answers
    for it."""
    target = f"schedule:{name}"
    ctx.begin_mutation(Action.SCHEDULES_WRITE, workspace, target)
    ws = require_workspace_row(ctx, workspace)
    if spec.name != name:
        raise ValidationError(f"must be {name!r}: a schedule cannot be renamed", field="name")
    row = _require(ctx, ws, name, lock=True)
    check_schedule(spec)
    kind = spec.action_kind
    action = handler_for(kind).check(ctx, workspace, name, spec.action_body, f"create_{kind}")
    now = now or utcnow()
    trigger = _anchored(spec, now)
    row.display_name, row.description, row.tags = spec.display_name, spec.description, spec.tags
    row.trigger = trigger.model_dump(mode="json", exclude_none=True, by_alias=False)
    row.action_kind, row.action = kind, action
    row.run_as, row.updated_at = _identity(ctx.actor), now
    if row.enabled:
        row.next_fire_at = next_tick(trigger, now)
    ctx.record(
        Action.SCHEDULES_WRITE,
        workspace=workspace,
        target=target,
        event=ScheduleUpdated(trigger=trigger.type, creates=kind, next_fire_at=row.next_fire_at),
    )
    return to_entity(row, workspace)


def list_schedules(ctx: ServiceContext, workspace: str) -> list[Schedule]:
    ctx.authorize(Action.SCHEDULES_READ, workspace)
    ws = require_workspace_row(ctx, workspace)
    rows = ctx.session.scalars(
        select(ScheduleRow).where(ScheduleRow.workspace_id == ws.id).order_by(ScheduleRow.name)
    )
    return [to_entity(row, workspace) for row in rows]


def get_schedule(ctx: ServiceContext, workspace: str, name: str) -> Schedule:
    """The schedule with its next ticks and its latest fires."""
    ctx.authorize(Action.SCHEDULES_READ, workspace, f"schedule:{name}")
    row = _require(ctx, require_workspace_row(ctx, workspace), name)
    entity = to_entity(row, workspace)
    if row.enabled and row.next_fire_at is not None:
        later = upcoming(stored_trigger(row), row.next_fire_at, SHOWN_TICKS - 1)
        entity.upcoming = [row.next_fire_at, *later]
    fires = ctx.session.scalars(
        select(ScheduleFireRow)
        .where(ScheduleFireRow.schedule_id == row.id)
        .order_by(ScheduleFireRow.tick_at.desc())
        .limit(SHOWN_FIRES)
    )
    entity.fires = [
        ScheduleFire(
            tick_at=f.tick_at,
            fired_at=f.fired_at,
            missed_ticks=f.missed_ticks,
            created=f.created,
            error=f.error,
        )
        for f in fires
    ]
    return entity


def enable_schedule(
    ctx: ServiceContext, workspace: str, name: str, now: datetime | None = None
) -> Schedule:
    """Fires again from its first tick after now: ticks missed while disabled stay missed."""
    target = f"schedule:{name}"
    ctx.begin_mutation(Action.SCHEDULES_WRITE, workspace, target)
    row = _require(ctx, require_workspace_row(ctx, workspace), name, lock=True)
    if not row.enabled:
        row.enabled = True
        row.next_fire_at = next_tick(stored_trigger(row), now or utcnow())
        row.updated_at = utcnow()
        ctx.record(
            Action.SCHEDULES_WRITE,
            workspace=workspace,
            target=target,
            event=ScheduleEnabled(next_fire_at=row.next_fire_at),
        )
    return to_entity(row, workspace)


def disable_schedule(ctx: ServiceContext, workspace: str, name: str) -> Schedule:
    target = f"schedule:{name}"
    ctx.begin_mutation(Action.SCHEDULES_WRITE, workspace, target)
    row = _require(ctx, require_workspace_row(ctx, workspace), name, lock=True)
    if row.enabled:
        row.enabled, row.next_fire_at, row.updated_at = False, None, utcnow()
        ctx.record(
            Action.SCHEDULES_WRITE, workspace=workspace, target=target, event=ScheduleDisabled()
        )
    return to_entity(row, workspace)


def delete_schedule(ctx: ServiceContext, workspace: str, name: str) -> None:
    """The jobs it created stay; its record of fired ticks goes with it."""
    target = f"schedule:{name}"
    ctx.begin_mutation(Action.SCHEDULES_DELETE, workspace, target)
    row = _require(ctx, require_workspace_row(ctx, workspace), name, lock=True)
    ctx.session.execute(delete(ScheduleFireRow).where(ScheduleFireRow.schedule_id == row.id))
    ctx.session.delete(row)
    ctx.record(Action.SCHEDULES_DELETE, workspace=workspace, target=target, event=ScheduleDeleted())


def stored_trigger(row: ScheduleRow) -> Trigger:
    trigger: Trigger = validate_spec(TriggerSpec, row.trigger)
    return trigger


def run_as_actor(row: ScheduleRow) -> Actor:
    """The identity a schedule's ticks act as; its roles are read when each tick fires."""
    return Actor(**row.run_as)


def to_entity(row: ScheduleRow, workspace: str) -> Schedule:
    return Schedule(
        workspace=workspace,
        name=row.name,
        display_name=row.display_name,
        description=row.description,
        tags=row.tags,
        trigger=row.trigger,
        trigger_text=describe(stored_trigger(row)),
        creates=row.action_kind,
        action=row.action,
        enabled=row.enabled,
        next_fire_at=row.next_fire_at,
        last_fired_at=row.last_fired_at,
        run_as=str(run_as_actor(row)),
        created_at=row.created_at,
        created_by=row.created_by,
    )


def _anchored(spec: ScheduleSpec, now: datetime) -> Trigger:
    """The spec's trigger with ``start_time`` set: now (in its zone) when not given."""
    trigger = spec.trigger
    if trigger.start_time is not None:
        return trigger
    start = now.astimezone(zone_for(trigger.time_zone)).replace(microsecond=0)
    return trigger.model_copy(update={"start_time": start})


def _identity(actor: Actor) -> dict[str, Any]:
    # Not the token id nor the grants of this request: the principal's roles are read
    # again at each tick. A workspace-scoped token keeps the ticks to that workspace.
    return {
        "name": actor.name,
        "kind": actor.kind,
        "principal_id": actor.principal_id,
        "workspace": actor.workspace,
    }


def _find(
    ctx: ServiceContext, ws: WorkspaceRow, name: str, *, lock: bool = False
) -> ScheduleRow | None:
    query = select(ScheduleRow).where(ScheduleRow.workspace_id == ws.id, ScheduleRow.name == name)
    return ctx.session.scalar(query.with_for_update() if lock else query)


def _require(
    ctx: ServiceContext, ws: WorkspaceRow, name: str, *, lock: bool = False
) -> ScheduleRow:
    row = _find(ctx, ws, name, lock=lock)
    if row is None:
        raise NotFoundError(f"schedule {name!r} not found in workspace {ws.name!r}")
    return row
