"""The ``shadow`` rollout: the candidate, deployed beside the serving deployments with no
live traffic, gets a copy of ``mirror_percent`` of the endpoint's requests. The serving
runtime logs, on each mirrored request's row of the traffic log, the candidate's answer
beside the live one (see serving/online/shadow.py). Each ``interval`` the pairs are
compared (gates/shadow.py): agreeing, the candidate takes all traffic and the mirror goes;
too few compared requests, inconclusive, it holds; disagreeing ``failure_limit`` times (or
inconclusive ``max_inconclusive`` times in a row), the mirror goes, the live traffic stays
as it was, and the promotion ends ``RolledBack`` with the comparison table as evidence.

Its progress is stored on the promotion as the canary's is, so a driver that takes over
after a restart goes on from the interval it finds.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from opsloop.catalogue.promotion_events import RolloutRolledBack, RolloutStepped
from opsloop.gates.shadow import MirroredRequest, ShadowAnalysis, analyse_shadow
from opsloop.services import online_endpoints, promotions
from opsloop.services.context import Platform, ServiceContext
from opsloop.services.promotion_rollout import (
    deploy_candidate,
    endpoint_traffic,
    first_step,
    interval_over,
    interval_rows,
    keep_analysis,
    record_event,
)
from opsloop.services.promotion_state import Guard, Snapshot, write_step
from opsloop.store.promotion_tables import PromotionRow
from opsloop.store.tables import EndpointRequestLogRow


def shadow_roll_out(platform: Platform, now: Snapshot, guard: Guard | None) -> str:
    name = deploy_candidate(platform, now)
    if not now.rollout:
        return write_step(platform, now, guard, lambda ctx, row: _start(ctx, row, now, name))
    if not interval_over(now):
        return now.state
    rollout = now.policy.rollout
    with platform.context(now.actor) as ctx:
        mirrored = _mirrored_requests(ctx, now, name, since=now.rollout["step_started"])
    verdict = analyse_shadow(mirrored, rollout.analysis, rollout.comparison)
    return write_step(
        platform, now, guard, lambda ctx, row: _after_analysis(ctx, row, now, name, verdict)
    )


def _start(ctx: ServiceContext, row: PromotionRow, now: Snapshot, name: str) -> None:
    previous = endpoint_traffic(ctx, now)
    previous.pop(name, None)
    if sum(previous.values()) != 100:  # nothing serves: no answers to compare with
        first_step(ctx, row, now, name)  # all traffic at once, as the canary does then
        return
    percent = now.policy.rollout.mirror_percent
    row.rollout = {"strategy": "shadow", "previous": previous, "mirror_percent": percent,
                   "step_started": datetime.now(UTC).isoformat(), "failures": 0,
                   "inconclusive": 0, "checks": []}  # fmt: skip
    row.deployment = name
    _set(ctx, row, now, traffic=None, mirror={name: percent})
    record_event(ctx, row, now, RolloutStepped(
        endpoint=now.policy.deploy.endpoint, deployment=name, traffic=previous,
        mirror_traffic={name: percent},
    ))  # fmt: skip


def _after_analysis(
    ctx: ServiceContext, row: PromotionRow, now: Snapshot, name: str, verdict: ShadowAnalysis
) -> None:
    check = {"step": row.rollout["mirror_percent"], "strategy": "shadow"}
    outcome = keep_analysis(row, now, verdict, check)
    if outcome == "passed":
        _switch(ctx, row, now, name, verdict)
    elif outcome == "stop":
        _stop(ctx, row, now, name, f"{verdict.verdict} comparison: {verdict.reason}")


def _switch(
    ctx: ServiceContext, row: PromotionRow, now: Snapshot, name: str, verdict: ShadowAnalysis
) -> None:
    """All live traffic to the candidate, and no more mirror, in one change."""
    traffic = {deployment: 0 for deployment in endpoint_traffic(ctx, now)} | {name: 100}
    endpoint = now.policy.deploy.endpoint
    _set(ctx, row, now, traffic=traffic, mirror={})
    record_event(ctx, row, now, RolloutStepped(endpoint=endpoint, deployment=name,
                                               traffic=traffic))  # fmt: skip
    promotions.transition(
        ctx, row, now.workspace, promotions.SUCCEEDED,
        report=f"{now.model} serves all traffic of {endpoint} as {name}: its shadow answers "
        f"agreed ({verdict.reason})",
    )  # fmt: skip


def _stop(ctx: ServiceContext, row: PromotionRow, now: Snapshot, name: str, reason: str) -> None:
    """The mirror removed; the live traffic, which never moved, stays as it is."""
    endpoint = now.policy.deploy.endpoint
    _set(ctx, row, now, traffic=None, mirror={})
    traffic = endpoint_traffic(ctx, now)
    record_event(ctx, row, now, RolloutRolledBack(endpoint=endpoint, deployment=name,
                                                  traffic=traffic, reason=reason))  # fmt: skip
    promotions.transition(
        ctx, row, now.workspace, promotions.ROLLED_BACK,
        report=f"shadow of {name} refused ({reason}); mirror removed, {endpoint} serves as "
        "before (the comparison table: opsloop promotion show)",
    )  # fmt: skip


def _set(
    ctx: ServiceContext,
    row: PromotionRow,
    now: Snapshot,
    *,
    traffic: dict[str, int] | None,
    mirror: dict[str, int],
) -> None:
    online_endpoints.update_online_endpoint(
        ctx, now.workspace, now.policy.deploy.endpoint, traffic=traffic, mirror_traffic=mirror,
        via=f"promotion:{row.name}",
    )  # fmt: skip


def _mirrored_requests(
    ctx: ServiceContext, now: Snapshot, name: str, *, since: str
) -> list[MirroredRequest]:
    """The candidate's mirrored requests in the interval, with their answers' comparison."""
    log = EndpointRequestLogRow
    query = select(log.request_id, log.status_code, log.duration_ms, log.comparison)
    rows = interval_rows(ctx, now, query, name, since=since, mirrored=True)
    return [MirroredRequest(str(rid), int(code), float(ms), comparison)
            for rid, code, ms, comparison in rows]  # fmt: skip
