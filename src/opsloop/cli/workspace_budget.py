"""``opsloop workspace budget|cost|activity|stale-after|check``: a workspace's cost against
its monthly budget, and its staleness."""

from __future__ import annotations

from typing import Annotated

import typer

from opsloop.cli.common import Output, Workspace, emit, make_client
from opsloop.errors import ValidationError

budget_app = typer.Typer(
    help="A workspace's monthly budget, alert thresholds and hourly rates.", no_args_is_help=True
)
BUDGET_COLUMNS = ["workspace", "monthly", "currency", "thresholds", "rates", "stale_after_days"]
LINE_COLUMNS = ["kind", "name", "rate_key", "hours", "rate", "cost"]
ACTIVITY_COLUMNS = [
    "workspace", "kind", "last_job_at", "last_traffic_at", "last_asset_change_at",
    "last_activity_at", "idle_days", "stale_after_days", "stale",
]  # fmt: skip


@budget_app.command("set")
def set_(
    workspace: Workspace = None,
    monthly: Annotated[float, typer.Option("--monthly", help="Budget per calendar month.")] = 0.0,
    currency: Annotated[str, typer.Option("--currency", help="Currency code.")] = "USD",
    thresholds: Annotated[
        str | None, typer.Option("--thresholds", help="Alert at these percentages (50,80,100).")
    ] = None,
    rate: Annotated[
        list[str] | None,
        typer.Option(
            "--rate",
            help="KEY=AMOUNT/h, an hourly rate (repeatable): compute, "
            "compute.<type>, compute.<type>.<size>, endpoint.instance.",
        ),
    ] = None,
    output: Output = "table",
) -> None:
    """Set a workspace's monthly budget; an event is raised once when each threshold is reached.

    Example: opsloop workspace budget set -w prod --monthly 500 --currency USD
    --thresholds 50,80,100 --rate compute.local=0.10/h --rate endpoint.instance=0.25/h
    """
    client = make_client(workspace)
    budget = client.workspaces.set_budget(
        client.workspace_name(workspace),
        monthly=monthly,
        currency=currency,
        thresholds=parse_thresholds(thresholds),
        rates=parse_rates(rate or []),
    )
    emit(budget, output, BUDGET_COLUMNS)


@budget_app.command("show")
def show(workspace: Workspace = None, output: Output = "table") -> None:
    """Show a workspace's budget and the rates in force.  Example: opsloop workspace budget show -w prod"""
    client = make_client(workspace)
    emit(client.workspaces.get_budget(client.workspace_name(workspace)), output, BUDGET_COLUMNS)


def cost(
    workspace: Workspace = None,
    month: Annotated[
        str | None, typer.Option("--month", help="YYYY-MM (default: this month).")
    ] = None,
    output: Output = "table",
) -> None:
    """Show a month's cost: jobs' compute hours, endpoints' instance hours, total, % of budget.

    Example: opsloop workspace cost -w prod --month 2026-12
    """
    from opsloop.schemas.workspace_checks import CostLine

    client = make_client(workspace)
    report = client.workspaces.cost(client.workspace_name(workspace), month=month)
    if output == "json":
        emit(report, output, [])
        return
    emit(report.lines, output, LINE_COLUMNS)
    summary = [
        CostLine(kind="jobs", name="(all)", rate_key="", hours=report.job_hours, rate=0,
                 cost=report.job_cost),
        CostLine(kind="endpoints", name="(all)", rate_key="", hours=report.endpoint_instance_hours,
                 rate=0, cost=report.endpoint_cost),
    ]  # fmt: skip
    emit(summary, output, ["kind", "name", "hours", "cost"])
    share = f"{report.percent_of_budget}% of {report.budget}" if report.budget else "no budget set"
    typer.echo(f"{report.month} total {report.total} {report.currency} ({share})")


def activity(workspace: Workspace = None, output: Output = "table") -> None:
    """Show the last job run, endpoint request and asset change, and whether it is stale.

    Example: opsloop workspace activity -w staging
    """
    client = make_client(workspace)
    emit(client.workspaces.activity(client.workspace_name(workspace)), output, ACTIVITY_COLUMNS)


def stale_after(
    workspace: Workspace = None,
    days: Annotated[int, typer.Option("--days", help="Idle days that make it stale.")] = 30,
    output: Output = "table",
) -> None:
    """Set how many idle days make a preproduction workspace stale (30 by default).

    Example: opsloop workspace stale-after -w staging --days 14
    """
    client = make_client(workspace)
    emit(client.workspaces.set_stale_after(client.workspace_name(workspace), days), output,
         BUDGET_COLUMNS)  # fmt: skip


def check(workspace: Workspace = None) -> None:
    """Run the cost and staleness checks of a workspace now (the worker runs them hourly).

    Example: opsloop workspace check -w prod
    """
    client = make_client(workspace)
    raised = client.workspaces.check(client.workspace_name(workspace))
    typer.echo("Raised: " + ", ".join(raised) if raised else "Nothing new to raise")


def parse_thresholds(text: str | None) -> list[int] | None:
    if text is None:
        return None
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ValidationError(
            f"{text!r} is not a list of percentages such as 50,80,100", field="thresholds"
        ) from None


def parse_rates(items: list[str]) -> dict[str, float]:
    """``compute.local=0.10/h`` -> {"compute.local": 0.1}."""
    rates = {}
    for item in items:
        key, _, amount = item.partition("=")
        try:
            rates[key.strip()] = float(amount.strip().removesuffix("/h"))
        except ValueError:
            raise ValidationError(
                f"{item!r} is not KEY=AMOUNT/h, e.g. compute.local=0.10/h", field="rate"
            ) from None
    return rates
