"""``opsloop promotion policy``: a workspace's stored promotion policies."""

from __future__ import annotations

from typing import Annotated

import typer

from opsloop.cli.common import File, Output, Set, Workspace, Yes, emit, make_client

policy_app = typer.Typer(
    help="Stored promotion policies: a workspace's named policies, used as "
    "`opsloop model promote --policy NAME` and managed by `opsloop apply`.",
    no_args_is_help=True,
)
COLUMNS = ["name", "version", "updated_at", "updated_by"]
SHOWN = ["workspace", "name", "version", "spec", "created_at", "created_by", "updated_at",
         "updated_by"]  # fmt: skip
PolicyName = Annotated[str, typer.Argument(help="The policy's name.")]


@policy_app.command("create")
def create(
    file: File = None, workspace: Workspace = None, set_: Set = None, output: Output = "table"
) -> None:
    """Store a promotion policy (the YAML `model promote --policy` takes) in the workspace
    it guards; storing it again with changes makes a new version.

    Example: opsloop promotion policy create -w prod -f mlops/promotion/to-prod.yml
    """
    if file is None:
        raise typer.BadParameter("give the policy's YAML file", param_hint="--file")
    client = make_client(workspace)
    emit(client.promotion_policies.set(file=file, overrides=set_), output, SHOWN)


@policy_app.command("list")
def list_(workspace: Workspace = None, output: Output = "table") -> None:
    """List the workspace's stored promotion policies.

    Example: opsloop promotion policy list -w prod
    """
    emit(make_client(workspace).promotion_policies.list(), output, COLUMNS)


@policy_app.command("show")
def show(name: PolicyName, workspace: Workspace = None, output: Output = "table") -> None:
    """Show a stored promotion policy with its spec.

    Example: opsloop promotion policy show to-prod -w prod -o json
    """
    emit(make_client(workspace).promotion_policies.get(name), output, SHOWN)


@policy_app.command("delete")
def delete(name: PolicyName, workspace: Workspace = None, yes: Yes = False) -> None:
    """Delete a stored promotion policy; promotions under way keep their copy.

    Example: opsloop promotion policy delete to-prod -w prod -y
    """
    if not yes:
        typer.confirm(f"Delete promotion policy {name}?", abort=True)
    make_client(workspace).promotion_policies.delete(name)
    typer.echo(f"Deleted promotion policy {name}")
