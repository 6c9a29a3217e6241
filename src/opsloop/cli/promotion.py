"""``opsloop model promote``, ``opsloop promotion`` and ``opsloop approval``: gated
promotion of model versions into workspaces."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from opsloop.cli.common import Output, Set, Version, Workspace, asset_reference, emit, make_client
from opsloop.cli.promotion_policy import policy_app

if TYPE_CHECKING:
    from opsloop.schemas.promotions import Promotion

promotion_app = typer.Typer(
    help="Promotions: model versions on their way into a workspace through gates.",
    no_args_is_help=True,
)
promotion_app.add_typer(policy_app, name="policy")
approval_app = typer.Typer(
    help="Approval requests that promotions open, approved or rejected by a person.",
    no_args_is_help=True,
)
PROMOTION_COLUMNS = ["name", "source", "model", "state", "endpoint", "deployment", "report",
                     "requested_by", "created_at"]  # fmt: skip
APPROVAL_COLUMNS = ["name", "promotion", "model", "role", "status", "requested_by",
                    "decided_by", "comment", "expires_at"]  # fmt: skip
GATE_COLUMNS = ["gate", "passed", "summary"]
CHECK_COLUMNS = ["interval", "at", "verdict", "reason"]
PromotionName = Annotated[str, typer.Option("--name", "-n", help="The promotion's name.")]
ApprovalName = Annotated[str, typer.Option("--name", "-n", help="The approval request's name.")]
Comment = Annotated[str | None, typer.Option("--comment", "-c", help="Why (kept with it).")]


def promote(
    name: Annotated[
        str,
        typer.Option("--name", "-n", help="name:version in -w, or azureml://registries/..."),
    ],
    to: Annotated[str, typer.Option("--to", help="The workspace it is to enter.")],
    policy: Annotated[
        str,
        typer.Option(
            "--policy",
            "-p",
            help="The promotion policy: a YAML file, or the name of a policy stored in --to "
            "(`opsloop promotion policy create`).",
        ),
    ],
    version: Version = None,
    workspace: Workspace = None,
    set_: Set = None,
    wait: Annotated[
        bool, typer.Option("--wait/--no-wait", help="Follow it until it waits or ends.")
    ] = True,
    output: Output = "table",
) -> None:
    """Promote a model version into a workspace through the policy's gates, then roll it out.

    Example: opsloop model promote -w dev -n taxi-fare-model:3 --to prod --policy mlops/promotion/to-prod.yml

    Example (a stored policy): opsloop model promote -w dev -n taxi-fare-model:3 --to prod --policy to-prod
    """
    client = make_client(workspace)
    reference = (
        name if "://" in name or name.startswith("registry:") else asset_reference(name, version)
    )
    source = _policy_source(policy)
    started = client.promotions.create(
        reference, to=to, workspace=workspace, overrides=set_, **source
    )
    if output != "table":
        emit(client.promotions.wait(started.name, workspace=to) if wait else started, output, [])
        return
    typer.echo(f"Promotion {started.name} of {started.source} into {to}: {started.state}")
    if not wait:
        typer.echo(f"Follow it with: opsloop promotion show -w {to} -n {started.name}")
        return
    printed = {"gates": 0, "checks": 0}

    def progress(promotion: Promotion) -> None:
        for result in promotion.gate_results[printed["gates"] :]:
            typer.echo(f"  [{'passed' if result.passed else 'REFUSED'}] {result.gate}: "
                       f"{result.summary}")  # fmt: skip
        checks = promotion.rollout.get("checks", [])
        for check in checks[printed["checks"] :]:
            typer.echo(f"  [{_check_label(check)}] {check['verdict']}: {check['reason']}")
        printed["gates"], printed["checks"] = len(promotion.gate_results), len(checks)

    final = client.promotions.wait(started.name, workspace=to, on_change=progress)
    report(final, to)


def _policy_source(policy: str) -> dict[str, Any]:
    """A path (as before) when it names a file or looks like one, else a stored policy."""
    path = Path(policy)
    if path.exists() or path.suffix in (".yml", ".yaml") or "/" in policy or "\\" in policy:
        if path.is_dir():
            raise typer.BadParameter(f"{policy!r} is a folder", param_hint="--policy")
        return {"policy_file": path}
    return {"policy_name": policy}


def _check_label(check: dict[str, Any]) -> str:
    """``canary 50%`` (the step's live share) or ``shadow 20%`` (the mirrored share)."""
    return f"{check.get('strategy', 'canary')} {check['step']}%"


def report(promotion: Promotion, workspace: str) -> None:
    """The promotion's state, why it stopped, and the command that moves it on."""
    typer.echo(f"{promotion.name}: {promotion.state}" + (
        f" - {promotion.report}" if promotion.report else ""))  # fmt: skip
    if promotion.state == "AwaitingApproval" and promotion.approval:
        typer.echo(
            f"Waiting for approval {promotion.approval}. Someone other than "
            f"{promotion.requested_by} approves it with:\n"
            f"  opsloop approval approve -w {workspace} -n {promotion.approval}"
        )
    if promotion.state in ("Failed", "RolledBack"):
        raise typer.Exit(1)


@promotion_app.command("list")
def list_promotions(
    workspace: Workspace = None,
    state: Annotated[str | None, typer.Option("--state", help="Only in this state.")] = None,
    output: Output = "table",
) -> None:
    """List promotions into a workspace, newest first.  Example: opsloop promotion list -w prod"""
    emit(make_client(workspace).promotions.list(state=state), output,
         ["name", "source", "state", "endpoint", "created_at"])  # fmt: skip


@promotion_app.command("show")
def show_promotion(
    name: PromotionName, workspace: Workspace = None, output: Output = "table"
) -> None:
    """Show a promotion and its gate report.  Example: opsloop promotion show -w prod -n NAME"""
    promotion = make_client(workspace).promotions.get(name)
    emit(promotion, output, PROMOTION_COLUMNS)
    if output == "table" and promotion.gate_results:
        emit(promotion.gate_results, output, GATE_COLUMNS)
    checks = promotion.rollout.get("checks", [])
    if output == "table" and checks:  # the rollout's analyses: a shadow's comparison table
        from pydantic import BaseModel

        class _Check(BaseModel):
            """One analysed interval of a rollout, as a table row."""

            interval: str
            at: str
            verdict: str
            reason: str

        rows = [_Check(interval=_check_label(c), at=c["at"], verdict=c["verdict"],
                       reason=c["reason"]) for c in checks]  # fmt: skip
        emit(rows, output, CHECK_COLUMNS)


@promotion_app.command("cancel")
def cancel_promotion(name: PromotionName, workspace: Workspace = None) -> None:
    """Stop a promotion under way.  Example: opsloop promotion cancel -w prod -n NAME"""
    promotion = make_client(workspace).promotions.cancel(name)
    typer.echo(f"{promotion.name}: {promotion.state}")


@approval_app.command("list")
def list_approvals(
    workspace: Workspace = None,
    status: Annotated[
        str | None, typer.Option("--status", help="Pending, Approved, Rejected or Expired.")
    ] = None,
    output: Output = "table",
) -> None:
    """List approval requests.  Example: opsloop approval list -w prod --status Pending"""
    emit(make_client(workspace).approvals.list(status=status), output,
         ["name", "model", "role", "status", "requested_by", "decided_by"])  # fmt: skip


@approval_app.command("show")
def show_approval(
    name: ApprovalName, workspace: Workspace = None, output: Output = "table"
) -> None:
    """Show an approval request.  Example: opsloop approval show -w prod -n NAME"""
    emit(make_client(workspace).approvals.get(name), output, APPROVAL_COLUMNS)


@approval_app.command("approve")
def approve(name: ApprovalName, comment: Comment = None, workspace: Workspace = None) -> None:
    """Approve: the promotion goes on.  Example: opsloop approval approve -w prod -n NAME"""
    decided = make_client(workspace).approvals.approve(name, comment=comment)
    typer.echo(f"{decided.name}: {decided.status} by {decided.decided_by}; promotion "
               f"{decided.promotion} goes on (opsloop promotion show -w {decided.workspace} "
               f"-n {decided.promotion})")  # fmt: skip


@approval_app.command("reject")
def reject(
    name: ApprovalName,
    comment: Annotated[str, typer.Option("--comment", "-c", help="Why (required).")],
    workspace: Workspace = None,
) -> None:
    """Reject, saying why: the promotion stops.

    Example: opsloop approval reject -w prod -n NAME -c "latency too high on the canary"
    """
    decided = make_client(workspace).approvals.reject(name, comment=comment)
    typer.echo(f"{decided.name}: {decided.status} by {decided.decided_by}")
