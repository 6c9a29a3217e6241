"""``opsloop online-deployment``: the models behind an online endpoint."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from opsloop.cli.common import (
    Description,
    DryRun,
    File,
    Output,
    Set,
    Workspace,
    Yes,
    dry_run_note,
    emit,
    make_client,
)

online_deployment_app = typer.Typer(
    help="Online deployments: a model (and optional scoring script) behind an endpoint.",
    no_args_is_help=True,
)
COLUMNS = [
    "endpoint_name", "name", "model", "model_type", "runtime", "provisioning_state", "updated_at",
]  # fmt: skip
Name = Annotated[str, typer.Option("--name", "-n", help="Deployment name.")]
EndpointName = Annotated[str, typer.Option("--endpoint-name", "-e", help="Endpoint name.")]
OptionalName = Annotated[str | None, typer.Option("--name", "-n", help="Deployment name.")]
OptionalEndpoint = Annotated[
    str | None, typer.Option("--endpoint-name", "-e", help="Endpoint name.")
]
Model = Annotated[str | None, typer.Option("--model", "-m", help="name:version or name@latest.")]


def _emit_one(deployment: Any, output: str) -> None:
    """One deployment, and under its table why it runs on its runtime: a sentence, which a
    table column squeezed into 80 characters would break into a word per line."""
    emit(deployment, output, COLUMNS)
    if output == "table" and deployment.runtime_reason:
        typer.echo(
            f"runtime {deployment.runtime}, from inference_runtime {deployment.runtime_reason}"
        )


def _fields(
    name: str | None, endpoint_name: str | None, model: str | None, description: str | None
) -> dict[str, Any]:
    return {
        "name": name, "endpoint_name": endpoint_name, "model": model, "description": description,
    }  # fmt: skip


@online_deployment_app.command("create")
def create(
    workspace: Workspace = None,
    name: OptionalName = None,
    endpoint_name: OptionalEndpoint = None,
    model: Model = None,
    all_traffic: Annotated[
        bool, typer.Option("--all-traffic", help="Send 100% of the endpoint's traffic here.")
    ] = False,
    description: Description = None,
    file: File = None,
    set_: Set = None,
    output: Output = "table",
    dry_run: DryRun = False,
) -> None:
    """Create a deployment; it is loaded and checked before it is stored.

    Example: opsloop online-deployment create -w dev -f blue-deployment.yml --all-traffic

    Check only (model, environment and settings resolved; the model is not loaded, the code
    not uploaded): opsloop online-deployment create -w dev -f blue-deployment.yml --dry-run
    """
    deployment = make_client(workspace).online_deployments.create(
        file=file, overrides=set_, all_traffic=all_traffic, dry_run=dry_run,
        **_fields(name, endpoint_name, model, description),
    )  # fmt: skip
    _emit_one(deployment, output)
    dry_run_note(dry_run, "online deployment", deployment)


@online_deployment_app.command("update")
def update(
    workspace: Workspace = None,
    name: OptionalName = None,
    endpoint_name: OptionalEndpoint = None,
    model: Model = None,
    description: Description = None,
    file: File = None,
    set_: Set = None,
    output: Output = "table",
) -> None:
    """Change a deployment, e.g. roll out a new model version without a gap.

    With -f the file's spec replaces the deployment's; without it, the flags and --set
    change only what they name and the rest of the current spec stays.

    Example: opsloop online-deployment update -w dev -e taxi-fare -n blue -m taxi-fare-model:2
    """
    deployment = make_client(workspace).online_deployments.update(
        file=file, overrides=set_, **_fields(name, endpoint_name, model, description)
    )
    _emit_one(deployment, output)


@online_deployment_app.command("show")
def show(
    name: Name, endpoint_name: EndpointName, workspace: Workspace = None, output: Output = "table"
) -> None:
    """Show a deployment.  Example: opsloop online-deployment show -w dev -e taxi-fare -n blue"""
    client = make_client(workspace)
    _emit_one(client.online_deployments.get(name, endpoint_name=endpoint_name), output)


@online_deployment_app.command("list")
def list_(
    endpoint_name: EndpointName, workspace: Workspace = None, output: Output = "table"
) -> None:
    """List an endpoint's deployments.  Example: opsloop online-deployment list -w dev -e taxi-fare"""
    client = make_client(workspace)
    emit(client.online_deployments.list(endpoint_name=endpoint_name), output, COLUMNS)


@online_deployment_app.command("delete")
def delete(
    name: Name,
    endpoint_name: EndpointName,
    workspace: Workspace = None,
    yes: Yes = False,
) -> None:
    """Delete a deployment that takes no traffic.  Example: opsloop online-deployment delete -w dev -e taxi-fare -n blue -y"""
    if not yes:
        typer.confirm(f"Delete deployment {name!r} of {endpoint_name!r}?", abort=True)
    make_client(workspace).online_deployments.delete(name, endpoint_name=endpoint_name)
    typer.echo(f"Deleted deployment {endpoint_name}/{name}")


@online_deployment_app.command("get-logs")
def get_logs(
    name: Name,
    endpoint_name: EndpointName,
    workspace: Workspace = None,
    lines: Annotated[int, typer.Option("--lines", "-l", help="How many of the last lines.")] = 100,
) -> None:
    """What provisioning and the runtime logged.  Example: opsloop online-deployment get-logs -w dev -e taxi-fare -n blue"""
    client = make_client(workspace)
    typer.echo(client.online_deployments.get_logs(name, endpoint_name=endpoint_name, lines=lines))
