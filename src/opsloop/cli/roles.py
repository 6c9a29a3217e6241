"""``opsloop role``, ``opsloop role assignment`` and ``opsloop access check``."""

from __future__ import annotations

from typing import Annotated

import typer

from opsloop.cli.common import File, Output, emit, make_client

role_app = typer.Typer(
    help="Roles: named sets of declared actions (built-in, or custom from YAML).",
    no_args_is_help=True,
)
assignment_app = typer.Typer(
    help="Role assignments: a role held by a principal or group at a scope.",
    no_args_is_help=True,
)
access_app = typer.Typer(help="Explain access decisions.", no_args_is_help=True)
role_app.add_typer(assignment_app, name="assignment")

ROLE_COLUMNS = ["name", "built_in", "description"]
ASSIGNMENT_COLUMNS = ["id", "principal", "principal_kind", "role", "scope", "created_by"]
DECISION_COLUMNS = ["allowed", "principal", "action", "scope", "reason", "role", "via_group"]


@role_app.command("list")
def role_list(output: Output = "table") -> None:
    """List built-in and custom roles.  Example: opsloop role list"""
    emit(make_client().roles.list(), output, ROLE_COLUMNS)


@role_app.command("show")
def role_show(
    name: Annotated[str, typer.Argument(help="Role name.")], output: Output = "table"
) -> None:
    """Show a role and every declared action it allows.

    Example: opsloop role show "Data Scientist"
    """
    role = make_client().roles.get(name)
    emit(role, output, [*ROLE_COLUMNS, "actions", "not_actions", "allowed_actions"])


@role_app.command("create")
def role_create(file: File = None, output: Output = "table") -> None:
    """Define a custom role from YAML: name, description, actions and not_actions, as
    patterns over the declared actions (* matches anything; see opsloop role actions).

    Example: opsloop role create -f model-tester.yml
    """
    if file is None:
        raise typer.BadParameter("give the role's YAML file", param_hint="--file")
    role = make_client().roles.create(file=file)
    emit(role, output, [*ROLE_COLUMNS, "allowed_actions"])


@role_app.command("actions")
def role_actions() -> None:
    """List the declared actions roles are made of.  Example: opsloop role actions"""
    from opsloop.catalogue.actions import Action, describe_action

    for action in Action:
        typer.echo(f"{action.value:<42} {describe_action(action)}")


def _scope(scope: str | None, workspace: str | None) -> str:
    if scope and workspace:
        raise typer.BadParameter("give --scope or --workspace, not both", param_hint="--scope")
    return scope or (f"/workspaces/{workspace}" if workspace else "/")


@assignment_app.command("create")
def assignment_create(
    principal: Annotated[str, typer.Option(help="A user, service principal or group.")],
    role: Annotated[str, typer.Option(help="The role's name (opsloop role list).")],
    workspace: Annotated[
        str | None, typer.Option("--workspace", "-w", help="Scope: this workspace.")
    ] = None,
    scope: Annotated[
        str | None,
        typer.Option(help="Scope: /, /workspaces/<w>, /workspaces/<w>/<type>/<name>, ..."),
    ] = None,
    output: Output = "table",
) -> None:
    """Assign a role at a scope (the platform by default).

    Example: opsloop role assignment create --principal alice --role "Data Scientist" -w dev
    """
    made = make_client().role_assignments.create(principal, role, scope=_scope(scope, workspace))
    emit(made, output, ASSIGNMENT_COLUMNS)


@assignment_app.command("list")
def assignment_list(
    principal: Annotated[str | None, typer.Option(help="Only this principal's.")] = None,
    scope: Annotated[str | None, typer.Option(help="Only at this scope.")] = None,
    output: Output = "table",
) -> None:
    """List role assignments.  Example: opsloop role assignment list --principal alice"""
    listed = make_client().role_assignments.list(principal=principal, scope=scope)
    emit(listed, output, ASSIGNMENT_COLUMNS)


@assignment_app.command("delete")
def assignment_delete(
    assignment_id: Annotated[str, typer.Argument(help="The assignment's id.")],
) -> None:
    """Remove a role assignment.  Example: opsloop role assignment delete 9c1e..."""
    make_client().role_assignments.delete(assignment_id)
    typer.echo(f"Deleted role assignment {assignment_id}")


@access_app.command("check")
def access_check(
    principal: Annotated[str, typer.Argument(help="A user, service principal or group.")],
    action: Annotated[str, typer.Argument(help="A declared action, e.g. jobs/write.")],
    resource: Annotated[str, typer.Argument(help="A scope, e.g. /workspaces/dev.")],
    output: Output = "table",
) -> None:
    """Explain whether a principal may take an action on a resource: the assignment that
    allows it, or why it is denied. Exits 1 when denied.

    Example: opsloop access check alice computes/write /workspaces/dev
    """
    decision = make_client().roles.check(principal, action, resource)
    emit(decision, output, DECISION_COLUMNS)
    if not decision.allowed:
        raise typer.Exit(1)
