"""``opsloop persona`` (the reference architecture's persona templates) and ``opsloop
elevate`` (just-in-time elevation)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from opsloop.cli.common import Output, Workspace, check_output, console, emit, make_client

if TYPE_CHECKING:
    from opsloop.schemas.personas import Persona

persona_app = typer.Typer(
    help="Persona templates: the roles each persona of the reference architecture holds in "
    "production and preproduction workspaces.",
    no_args_is_help=True,
)
elevate_app = typer.Typer(
    help="Just-in-time elevation: hold a role you are eligible for, for a while, once "
    "another Owner approves.",
    no_args_is_help=True,
)

PERSONA_COLUMNS = ["id", "title", "type", "description"]
ELEVATION_COLUMNS = ["id", "principal", "role", "workspace", "status", "expires_at", "reason"]
ELEVATION_FIELDS = [
    "id", "principal", "role", "roles", "scope", "duration_s", "reason", "ticket", "status",
    "requested_at", "decided_by", "decided_at", "comment", "starts_at", "expires_at",
]  # fmt: skip


def _required_workspace(workspace: str | None) -> str:
    if not workspace:
        raise typer.BadParameter("give the workspace", param_hint="--workspace")
    return workspace


@persona_app.command("list")
def persona_list(output: Output = "table") -> None:
    """List the personas.  Example: opsloop persona list"""
    emit(make_client().personas.list(), output, PERSONA_COLUMNS)


@persona_app.command("show")
def persona_show(
    persona: Annotated[str, typer.Argument(help="A persona, e.g. project_lead.")],
    output: Output = "table",
) -> None:
    """Show the roles a persona holds on each resource family, in production and
    preproduction workspaces (the reference tables' cells, and the roles opsloop assigns).

    Example: opsloop persona show data_scientist
    """
    found = make_client().personas.get(persona)
    check_output(output)
    if output == "json":
        emit(found, output, [])
        return
    _print_persona(found)


def _print_persona(persona: Persona) -> None:
    console.print(f"[bold]{persona.title}[/bold] ({persona.id}, {persona.type})")
    console.print(persona.description)
    for template in persona.templates:
        table = Table(title=f"{template.kind} workspace: {template.access} access")
        for column in ("family", "reference cell", "opsloop roles"):
            table.add_column(column, overflow="fold")
        for cell in template.cells:
            table.add_row(cell.family_title, ", ".join(cell.codes), ", ".join(cell.roles))
        if not template.cells:
            table.add_row("(none)", "", "")
        console.print(table)
    console.print(f"Source: {persona.source}")


@persona_app.command("assign")
def persona_assign(
    persona: Annotated[str, typer.Argument(help="A persona, e.g. project_lead.")],
    principal: Annotated[str, typer.Argument(help="A user, service principal or group.")],
    workspace: Workspace = None,
    output: Output = "table",
) -> None:
    """Give a principal the roles the persona holds in a workspace of this workspace's
    kind (production or preproduction), at the workspace's scope; a just-in-time persona
    (platform technical support) is made eligible instead. Idempotent.

    Example: opsloop persona assign project_lead lena -w prod
    """
    done = make_client().personas.assign(
        persona, principal, workspace=_required_workspace(workspace)
    )
    emit(done, output, ["persona", "principal", "workspace", "kind", "access"])
    if output == "table":
        for assignment in done.assigned:
            typer.echo(f"assigned  {assignment.role} at {assignment.scope} ({assignment.id})")
        for role in done.eligible:
            typer.echo(f"eligible  {role} at /workspaces/{done.workspace}")
        for role in done.unchanged:
            typer.echo(f"unchanged {role} (held already)")


@elevate_app.command("request")
def elevate_request(
    role: Annotated[
        str, typer.Option("--role", help="Owner, or one family role, e.g. 'Owner (key vault)'.")
    ],
    duration: Annotated[str, typer.Option("--for", help="How long: 30m, 2h (8h at most).")],
    reason: Annotated[str, typer.Option(help="Why the elevation is needed.")],
    workspace: Workspace = None,
    ticket: Annotated[str | None, typer.Option(help="The incident or change ticket.")] = None,
    output: Output = "table",
) -> None:
    """Ask to hold a role you are eligible for in a workspace for a while; another Owner
    approves it (opsloop elevate approve ID).

    Example: opsloop elevate request --role Owner -w prod --for 2h --reason "restart the
    scoring endpoint" --ticket INC-1234
    """
    asked = make_client().elevations.request(
        role,
        workspace=_required_workspace(workspace),
        duration=duration,
        reason=reason,
        ticket=ticket,
    )
    emit(asked, output, ELEVATION_FIELDS)


@elevate_app.command("list")
def elevate_list(
    workspace: Workspace = None,
    status: Annotated[
        str | None, typer.Option(help="pending, active, expired or rejected.")
    ] = None,
    output: Output = "table",
) -> None:
    """List elevation requests (yours only, unless you may read everyone's).

    Example: opsloop elevate list --status pending
    """
    emit(
        make_client().elevations.list(workspace=workspace, status=status), output, ELEVATION_COLUMNS
    )


@elevate_app.command("show")
def elevate_show(
    elevation_id: Annotated[str, typer.Argument(help="The request's id.")],
    output: Output = "table",
) -> None:
    """Show one elevation request.  Example: opsloop elevate show 3f2a..."""
    emit(make_client().elevations.get(elevation_id), output, ELEVATION_FIELDS)


@elevate_app.command("approve")
def elevate_approve(
    elevation_id: Annotated[str, typer.Argument(help="The request's id.")],
    comment: Annotated[str | None, typer.Option(help="A note for the record.")] = None,
    output: Output = "table",
) -> None:
    """Approve someone else's request (as an Owner of its workspace): its roles hold from
    now for the requested time.

    Example: opsloop elevate approve 3f2a... --comment "go ahead"
    """
    emit(make_client().elevations.approve(elevation_id, comment=comment), output, ELEVATION_FIELDS)


@elevate_app.command("reject")
def elevate_reject(
    elevation_id: Annotated[str, typer.Argument(help="The request's id.")],
    comment: Annotated[str, typer.Option(help="Why it is rejected.")],
    output: Output = "table",
) -> None:
    """Reject someone else's request.  Example: opsloop elevate reject 3f2a... --comment
    "use the runbook"
    """
    emit(make_client().elevations.reject(elevation_id, comment=comment), output, ELEVATION_FIELDS)
