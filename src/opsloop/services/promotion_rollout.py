"""Rolling a promoted version out: the deployment made beside the serving one with no
traffic (provisioning proves it loads and scores), then traffic moved to it.

``blue-green`` moves all of it at once. ``canary`` moves it in steps; each step is held for
an interval and analysed on the endpoint's own traffic log (the new deployment's requests
in that interval): passed, the next step; too few requests, inconclusive, the step holds;
failed ``failure_limit`` times, the traffic goes back to what it was (``RolledBack``).
The rollout's progress is stored on the promotion, so a driver that takes over goes on
from the step it finds.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, select

from opsloop.catalogue.actions import Action
from opsloop.catalogue.promotion_events import RolloutRolledBack, RolloutStepped
from opsloop.gates.canary import analyse_interval
from opsloop.services import online_endpoints, promotions
from opsloop.services.context import Platform, ServiceContext
from opsloop.services.online_deployments import deploy_online_deployment
from opsloop.services.promotion_state import Guard, Snapshot, write_step
from opsloop.services.workspaces import require_workspace_row
from opsloop.specs.durations import duration_seconds
from opsloop.specs.endpoint import OnlineDeploymentSpec
from opsloop.store.promotion_tables import PromotionRow
from opsloop.store.tables import EndpointRequestLogRow

# How long a driver sleeps at most before looking again at a step's interval.
_NAP_S = 2.0


def roll_out(platform: Platform, now: Snapshot, guard: Guard | None) -> str:
    name = deploy_candidate(platform, now)
    if not now.rollout:
        return write_step(platform, now, guard, lambda ctx, row: first_step(ctx, row, now, name))
    rollout = now.policy.rollout
    if not interval_over(now):
        return now.state
    with platform.context(now.actor) as ctx:
        codes, durations = _requests(ctx, now, name, since=now.rollout["step_started"])
    verdict = analyse_interval(codes, durations, rollout.analysis)
    return write_step(
        platform, now, guard, lambda ctx, row: _after_analysis(ctx, row, now, name, verdict)
    )


def interval_over(now: Snapshot) -> bool:
    """Whether the step's interval has run; if not, a nap first (the driver looks again)."""
    started = datetime.fromisoformat(now.rollout["step_started"])
    held = (datetime.now(UTC) - started).total_seconds()
    interval = duration_seconds(now.policy.rollout.interval)
    if held < interval:
        time.sleep(min(interval - held, _NAP_S))
        return False
    return True


def deployment_name(now: Snapshot) -> str:
    """``<model>-<version>`` of the registry URI, made name-safe."""
    parts = (now.model or "").rstrip("/").split("/")
    base = f"{parts[-3]}-{parts[-1]}" if len(parts) >= 3 else now.name
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in base)[:60]


def deploy_candidate(platform: Platform, now: Snapshot) -> str:
    """The candidate's deployment on the policy's endpoint (made, with no traffic, unless
    it is there already: a staging test made it, or a driver that took over); its name."""
    name = now.policy.deploy.deployment or deployment_name(now)
    target = now.policy.deploy
    with platform.context(now.actor) as ctx:
        ws = require_workspace_row(ctx, now.workspace)
        endpoint = online_endpoints.require_endpoint_row(ctx, ws, target.endpoint)
        exists = any(d.name == name for d in online_endpoints.deployment_rows(ctx, endpoint))
    if not exists:  # (a driver that took over may find it made already)
        spec = OnlineDeploymentSpec.model_validate(
            target.settings | {"name": name, "endpoint_name": target.endpoint, "model": now.model}
        )
        deploy_online_deployment(platform, now.actor, now.workspace, spec, creating=True)
    return name


def first_step(ctx: ServiceContext, row: PromotionRow, now: Snapshot, name: str) -> None:
    previous = endpoint_traffic(ctx, now)
    previous.pop(name, None)
    canary = now.policy.rollout.strategy == "canary" and sum(previous.values()) == 100
    steps = now.policy.rollout.steps if canary else [100]
    row.rollout = {"previous": previous, "steps": steps, "step": 0, "failures": 0,
                   "inconclusive": 0, "checks": []}  # fmt: skip
    _move_to(ctx, row, now, name, 0)


def _after_analysis(
    ctx: ServiceContext, row: PromotionRow, now: Snapshot, name: str, verdict: Any
) -> None:
    step = row.rollout["step"]
    outcome = keep_analysis(row, now, verdict, {"step": row.rollout["steps"][step]})
    if outcome == "passed" and step + 1 < len(row.rollout["steps"]):
        _move_to(ctx, row, now, name, step + 1)
    elif outcome == "passed":
        finish(ctx, row, now, name)
    elif outcome == "stop":
        _roll_back(ctx, row, now, name, f"{verdict.verdict} analysis: {verdict.reason}")


def keep_analysis(row: PromotionRow, now: Snapshot, verdict: Any, check: dict[str, Any]) -> str:
    """Keep an interval's analysis (``check`` and ``verdict.record()``) on the rollout;
    ``passed``, ``hold`` (another interval begins) or ``stop`` (failed ``failure_limit``
    times, or inconclusive ``max_inconclusive`` times in a row)."""
    state = dict(row.rollout)
    rollout = now.policy.rollout
    at = datetime.now(UTC).isoformat()
    state["checks"] = [*state["checks"], {**check, "at": at, **verdict.record()}]
    if verdict.verdict == "passed":
        state["failures"] = state["inconclusive"] = 0
        row.rollout = state
        return "passed"
    key, limit = (
        ("failures", rollout.failure_limit)
        if verdict.verdict == "failed"
        else ("inconclusive", rollout.max_inconclusive)
    )
    state[key] += 1
    state["step_started"] = at  # hold: a new interval
    row.rollout = state
    return "stop" if state[key] >= limit else "hold"


def _move_to(ctx: ServiceContext, row: PromotionRow, now: Snapshot, name: str, step: int) -> None:
    state = dict(row.rollout)
    percent = state["steps"][step]
    traffic = _split(state["previous"], percent) | {name: percent}
    online_endpoints.update_online_endpoint(
        ctx, now.workspace, now.policy.deploy.endpoint, traffic=traffic,
        via=f"promotion:{row.name}",
    )  # fmt: skip
    state["step"], state["step_started"] = step, datetime.now(UTC).isoformat()
    row.rollout, row.deployment = state, name
    record_event(ctx, row, now, RolloutStepped(endpoint=now.policy.deploy.endpoint, deployment=name,
                                          traffic=traffic))  # fmt: skip
    if percent == 100 and len(state["steps"]) == 1:  # blue-green: nothing to analyse
        finish(ctx, row, now, name)


def finish(ctx: ServiceContext, row: PromotionRow, now: Snapshot, name: str) -> None:
    promotions.transition(
        ctx, row, now.workspace, promotions.SUCCEEDED,
        report=f"{now.model} serves all traffic of {now.policy.deploy.endpoint} as {name}",
    )  # fmt: skip


def _roll_back(
    ctx: ServiceContext, row: PromotionRow, now: Snapshot, name: str, reason: str
) -> None:
    previous = dict(row.rollout["previous"]) | {name: 0}
    endpoint = now.policy.deploy.endpoint
    online_endpoints.update_online_endpoint(
        ctx, now.workspace, endpoint, traffic=previous, via=f"promotion:{row.name}"
    )
    record_event(ctx, row, now, RolloutRolledBack(endpoint=endpoint, deployment=name,
                                             traffic=previous, reason=reason))  # fmt: skip
    promotions.transition(
        ctx, row, now.workspace, promotions.ROLLED_BACK,
        report=f"rolled back at {row.rollout['steps'][row.rollout['step']]}% ({reason}); "
        f"{endpoint} serves as before",
    )  # fmt: skip


def _split(previous: dict[str, int], percent: int) -> dict[str, int]:
    """The deployments that served before, sharing ``100 - percent`` as they shared 100."""
    rest = 100 - percent
    shares = {d: share * rest // 100 for d, share in previous.items()}
    if previous:
        largest = max(previous, key=lambda d: previous[d])
        shares[largest] += rest - sum(shares.values())
    return shares


def endpoint_traffic(ctx: ServiceContext, now: Snapshot) -> dict[str, int]:
    ws = require_workspace_row(ctx, now.workspace)
    row = online_endpoints.require_endpoint_row(ctx, ws, now.policy.deploy.endpoint)
    return {k: int(v) for k, v in row.spec.get("traffic", {}).items()}


def _requests(
    ctx: ServiceContext, now: Snapshot, name: str, *, since: str
) -> tuple[list[int], list[float]]:
    log = EndpointRequestLogRow
    query = select(log.status_code, log.duration_ms)
    rows = interval_rows(ctx, now, query, name, since=since, mirrored=False)
    return [int(code) for code, _ in rows], [float(ms) for _, ms in rows]


def interval_rows(
    ctx: ServiceContext,
    now: Snapshot,
    query: Select[*tuple[Any, ...]],
    name: str,
    *,
    since: str,
    mirrored: bool,
) -> list[Any]:
    """``query``'s rows of the traffic log: deployment ``name``'s requests on the policy's
    endpoint since ``since``, those it answered (``mirrored`` False) or shadowed."""
    ctx.authorize(Action.ONLINE_ENDPOINTS_REQUEST_LOGS_READ, now.workspace)
    log = EndpointRequestLogRow
    return list(ctx.session.execute(query.where(
        log.workspace == now.workspace, log.endpoint == now.policy.deploy.endpoint,
        log.deployment == name, log.mirrored.is_(mirrored),
        log.at >= datetime.fromisoformat(since),
    )).all())  # fmt: skip


def record_event(ctx: ServiceContext, row: PromotionRow, now: Snapshot, event: Any) -> None:
    ctx.record(Action.PROMOTIONS_WRITE, workspace=now.workspace, target=f"promotion:{row.name}",
               event=event)  # fmt: skip
