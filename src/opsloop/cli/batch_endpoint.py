"""``opsloop batch-endpoint`` and ``opsloop batch-deployment``: scoring jobs in mini-batches."""

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
from opsloop.cli.job import Stream, _follow, _show

batch_endpoint_app = typer.Typer(
    help="Batch endpoints: score data assets in mini-batches as jobs.", no_args_is_help=True
)
batch_deployment_app = typer.Typer(
    help="Batch deployments: the model and settings a batch endpoint runs.", no_args_is_help=True
)
COLUMNS = ["name", "default_deployment", "deployments", "auth_mode", "created_at"]
DEPLOYMENT_COLUMNS = ["endpoint_name", "name", "model", "created_at"]
JOB_COLUMNS = ["name", "display_name", "status", "created_at", "ended_at", "error"]
EndpointName = Annotated[str, typer.Option("--name", "-n", help="Batch endpoint name.")]


@batch_endpoint_app.command("create")
def create(
    workspace: Workspace = None,
    name: Annotated[str | None, typer.Option("--name", "-n", help="Endpoint name.")] = None,
    description: Description = None,
    file: File = None,
    set_: Set = None,
    output: Output = "table",
    dry_run: DryRun = False,
) -> None:
    """Create a batch endpoint.  Example: opsloop batch-endpoint create -w dev -n taxi-batch

    Check only: opsloop batch-endpoint create -w dev -f batch-endpoint.yml --dry-run"""
    fields: dict[str, Any] = {"name": name, "description": description}
    client = make_client(workspace)
    made = client.batch_endpoints.create(file=file, overrides=set_, dry_run=dry_run, **fields)
    emit(made, output, COLUMNS)
    dry_run_note(dry_run, "batch endpoint", made)


@batch_endpoint_app.command("show")
def show(name: EndpointName, workspace: Workspace = None, output: Output = "table") -> None:
    """Show a batch endpoint.  Example: opsloop batch-endpoint show -w dev -n taxi-batch"""
    emit(make_client(workspace).batch_endpoints.get(name), output, COLUMNS)


@batch_endpoint_app.command("list")
def list_(workspace: Workspace = None, output: Output = "table") -> None:
    """List batch endpoints.  Example: opsloop batch-endpoint list -w dev"""
    emit(make_client(workspace).batch_endpoints.list(), output, COLUMNS)


@batch_endpoint_app.command("delete")
def delete(
    name: EndpointName,
    workspace: Workspace = None,
    yes: Yes = False,
) -> None:
    """Delete a batch endpoint.  Example: opsloop batch-endpoint delete -w dev -n taxi-batch -y"""
    if not yes:
        typer.confirm(f"Delete batch endpoint {name!r} and its deployments?", abort=True)
    make_client(workspace).batch_endpoints.delete(name)
    typer.echo(f"Deleted batch endpoint {name}")


@batch_endpoint_app.command("invoke")
def invoke(
    name: EndpointName,
    input_: Annotated[
        str, typer.Option("--input", "-i", help="Data asset (name@latest), URL, or local path.")
    ],
    workspace: Workspace = None,
    input_type: Annotated[
        str, typer.Option("--input-type", help="uri_folder, uri_file or mltable.")
    ] = "uri_folder",
    deployment_name: Annotated[
        str | None, typer.Option("--deployment-name", "-d", help="Default: the endpoint's.")
    ] = None,
    stream: Stream = False,
    output: Output = "table",
) -> None:
    """Start a scoring job; --stream shows its progress and the summary.

    Example: opsloop batch-endpoint invoke -w dev -n taxi-batch --input taxi-data@latest --input-type uri_file --stream
    """
    client = make_client(workspace)
    job = client.batch_endpoints.invoke(
        name, input=input_, input_type=input_type, deployment_name=deployment_name
    )
    if not stream:
        _show(job, output)
        return
    typer.echo(f"Scoring job {job.name} submitted; following it (Ctrl-C stops following).")
    _follow(client, job.name, output)


@batch_endpoint_app.command("list-jobs")
def list_jobs(name: EndpointName, workspace: Workspace = None, output: Output = "table") -> None:
    """The scoring jobs of a batch endpoint.  Example: opsloop batch-endpoint list-jobs -w dev -n taxi-batch"""
    emit(make_client(workspace).batch_endpoints.list_jobs(name), output, JOB_COLUMNS)


@batch_deployment_app.command("create")
def create_deployment(
    workspace: Workspace = None,
    name: Annotated[str | None, typer.Option("--name", "-n", help="Deployment name.")] = None,
    endpoint_name: Annotated[
        str | None, typer.Option("--endpoint-name", "-e", help="Batch endpoint name.")
    ] = None,
    model: Annotated[str | None, typer.Option("--model", "-m", help="name:version.")] = None,
    set_default: Annotated[
        bool, typer.Option("--set-default", help="Make it the endpoint's default.")
    ] = False,
    file: File = None,
    set_: Set = None,
    output: Output = "table",
    dry_run: DryRun = False,
) -> None:
    """Create a batch deployment.

    Example: opsloop batch-deployment create -w dev -f batch-deployment.yml --set-default

    Check only (its code hashed, not uploaded): opsloop batch-deployment create -w dev -f
    batch-deployment.yml --dry-run
    """
    fields: dict[str, Any] = {"name": name, "endpoint_name": endpoint_name, "model": model}
    deployment = make_client(workspace).batch_deployments.create(
        file=file, overrides=set_, set_default=set_default, dry_run=dry_run, **fields
    )
    emit(deployment, output, DEPLOYMENT_COLUMNS)
    dry_run_note(dry_run, "batch deployment", deployment)


@batch_deployment_app.command("list")
def list_deployments(
    endpoint_name: Annotated[str, typer.Option("--endpoint-name", "-e", help="Batch endpoint.")],
    workspace: Workspace = None,
    output: Output = "table",
) -> None:
    """List a batch endpoint's deployments.  Example: opsloop batch-deployment list -w dev -e taxi-batch"""
    client = make_client(workspace)
    emit(client.batch_deployments.list(endpoint_name=endpoint_name), output, DEPLOYMENT_COLUMNS)


DeploymentName = Annotated[str, typer.Option("--name", "-n", help="Deployment name.")]
BatchEndpointOption = Annotated[
    str, typer.Option("--endpoint-name", "-e", help="Batch endpoint name.")
]


@batch_deployment_app.command("show")
def show_deployment(
    name: DeploymentName,
    endpoint_name: BatchEndpointOption,
    workspace: Workspace = None,
    output: Output = "table",
) -> None:
    """Show a batch deployment.  Example: opsloop batch-deployment show -w dev -e taxi-batch -n taxi-batch-dp"""
    client = make_client(workspace)
    emit(
        client.batch_deployments.get(name, endpoint_name=endpoint_name), output, DEPLOYMENT_COLUMNS
    )


@batch_deployment_app.command("delete")
def delete_deployment(
    name: DeploymentName,
    endpoint_name: BatchEndpointOption,
    workspace: Workspace = None,
    yes: Yes = False,
) -> None:
    """Delete a batch deployment.  Example: opsloop batch-deployment delete -w dev -e taxi-batch -n old -y"""
    if not yes:
        typer.confirm(f"Delete batch deployment {name!r} of {endpoint_name!r}?", abort=True)
    make_client(workspace).batch_deployments.delete(name, endpoint_name=endpoint_name)
    typer.echo(f"Deleted batch deployment {endpoint_name}/{name}")
