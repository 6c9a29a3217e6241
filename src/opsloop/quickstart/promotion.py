"""The quickstart's outer loop: the CI/CD principal shares the trained version into the
registry and promotes it to staging, then to prod, where the project lead approves it and
it rolls out as a canary under live traffic. Each gate's result is printed as it lands."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path

from opsloop.client import Client
from opsloop.errors import ConflictError, OpsloopError
from opsloop.quickstart.endpoints import PROD_ENDPOINT
from opsloop.quickstart.identities import Identities
from opsloop.quickstart.inner import Say
from opsloop.quickstart.traffic import EndUserTraffic, trip_requests
from opsloop.schemas.entities import Model
from opsloop.schemas.promotions import Promotion


def share_to_registry(cicd: Client, model: Model, say: Say) -> str:
    """The version's registry URI, shared now or by an earlier quickstart."""
    reference = f"{model.name}:{model.version}"
    try:
        shared = cicd.models.share(reference, "shared", workspace="dev")
        say(f"    [cicd] shared dev/{reference} into registry shared (content hash checked)")
    except ConflictError:
        shared = cicd.models.get(reference, registry="shared")
        origin = shared.shared_from
        if origin is None or (origin.workspace, origin.name, origin.version) != (
            "dev",
            model.name,
            model.version,
        ):
            raise
        say(f"    [cicd] registry shared has dev/{reference} already (an earlier quickstart)")
    return f"azureml://registries/shared/models/{shared.name}/versions/{shared.version}"


def promote(
    cicd: Client,
    uri: str,
    to: str,
    policy: Path,
    report: GateReport,
    *,
    before_wait: Callable[[], None],
) -> Promotion | None:
    """Start the promotion and follow it until it waits for approval or ends; None when
    the target's endpoint serves this version already (from an earlier quickstart)."""
    for earlier in cicd.promotions.list(workspace=to, state="Succeeded"):
        if earlier.model == uri:
            report.say(f"    {to} serves {uri} already ({earlier.name}); nothing to promote")
            return None
    started = cicd.promotions.create(uri, to=to, policy_file=policy)
    report.say(f"    [cicd] promotion {started.name} into {to} under {policy.name}")
    before_wait()
    return cicd.promotions.wait(started.name, workspace=to, on_change=report.show)


class GateReport:
    """Prints each gate result and canary analysis once, as the promotion records it."""

    def __init__(self, say: Say) -> None:
        self.say = say
        self.gates = 0
        self.checks = 0
        self.state = ""

    def show(self, promotion: Promotion) -> None:
        for result in promotion.gate_results[self.gates :]:
            self.say(f"      [{'passed' if result.passed else 'REFUSED'}] {result.gate}: "
                     f"{result.summary}")  # fmt: skip
        checks = promotion.rollout.get("checks", [])
        for check in checks[self.checks :]:
            self.say(f"      [canary {check['step']}%] {check['verdict']}: {check['reason']}")
        if promotion.state != self.state:
            self.say(f"      -> {promotion.state}")
        self.gates, self.checks = len(promotion.gate_results), len(checks)
        self.state = promotion.state


def promote_to_staging(who: Identities, uri: str, example: Path, say: Say) -> Promotion | None:
    policy = example / "mlops" / "promotion" / "to-staging.yml"
    report = GateReport(say)
    promotion = promote(who.cicd, uri, "staging", policy, report, before_wait=lambda: None)
    if promotion is not None:
        _ended_well(promotion)
    return promotion


def promote_to_prod(
    who: Identities, home: Path, uri: str, example: Path, say: Say
) -> tuple[Promotion | None, int]:
    """The promotion, and how many trips end users had scored during it."""
    policy = example / "mlops" / "promotion" / "to-prod.yml"
    key = who.owner.online_endpoints.get_credentials(PROD_ENDPOINT, workspace="prod").primary_key
    # Trips like the training data's (another seed): production looks like what the model
    # learned, so the monitor created after the rollout has no drift to find in them.
    trips = trip_requests(example, rows=2000, seed=4)
    with contextlib.ExitStack() as stack:
        traffic = EndUserTraffic(home, "prod", PROD_ENDPOINT, key or "", trips)

        def serve_prod() -> None:
            stack.enter_context(traffic)
            say(f"    [end user] scoring {PROD_ENDPOINT} at {traffic.url} with the endpoint key: "
                f"generated trips, like the training data's")  # fmt: skip

        report = GateReport(say)
        promotion = promote(who.cicd, uri, "prod", policy, report, before_wait=serve_prod)
        if promotion is None:
            return None, 0
        if promotion.state == "AwaitingApproval" and promotion.approval:
            approval = who.lead.approvals.approve(
                promotion.approval, workspace="prod",
                comment="gates passed; canary under live traffic",
            )  # fmt: skip
            say(f"    [lead] approved {approval.name} (requested by {approval.requested_by})")
            promotion = who.cicd.promotions.wait(
                promotion.name, workspace="prod", on_change=report.show
            )
        codes = ", ".join(f"{n} x {code}" for code, n in sorted(traffic.status_codes.items()))
        say(f"    [end user] {sum(traffic.status_codes.values())} requests during the "
            f"rollout: {codes} ({traffic.rows_scored} trips scored)")  # fmt: skip
    _ended_well(promotion)
    return promotion, traffic.rows_scored


def _ended_well(promotion: Promotion) -> None:
    if promotion.state != "Succeeded":
        raise OpsloopError(
            f"promotion {promotion.name} ended {promotion.state}: {promotion.report or ''}"
        )
