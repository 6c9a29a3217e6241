"""``opsloop online-endpoint``: create, route traffic, score, serve and export endpoints."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, cast

import typer

from opsloop.cli.common import (
    Description,
    DryRun,
    File,
    Output,
    Set,
    Tags,
    Workspace,
    Yes,
    check_output,
    dry_run_note,
    emit,
    make_client,
    parse_tags,
)

if TYPE_CHECKING:
    from opsloop.export.install import ExportFormat

online_endpoint_app = typer.Typer(
    help="Online endpoints: HTTP scoring with blue/green deployments.", no_args_is_help=True
)
COLUMNS = ["name", "auth_mode", "traffic", "mirror_traffic", "deployments", "scoring_path"]
# What a person scans the log for; -o json has every field (throttle_ms, auth_type, ...).
LOG_COLUMNS = ["at", "deployment", "status_code", "model_status", "duration_ms", "request_id"]
CREDENTIAL_COLUMNS = [
    "auth_mode", "primary_key", "secondary_key", "access_token", "expiry_time_utc", "token_type",
]  # fmt: skip
EndpointName = Annotated[str, typer.Option("--name", "-n", help="Endpoint name.")]


def parse_split(text: str | None, option: str) -> dict[str, int] | None:
    """``"blue=90 green=10"`` (spaces or commas) as a mapping of percentages."""
    if text is None:
        return None
    split: dict[str, int] = {}
    for item in text.replace(",", " ").split():
        name, sep, percent = item.partition("=")
        if not sep or not percent.strip().isdigit():
            raise typer.BadParameter(
                f"expected deployment=percent, got {item!r}", param_hint=option
            )
        split[name] = int(percent)
    return split


@online_endpoint_app.command("create")
def create(
    workspace: Workspace = None,
    name: Annotated[str | None, typer.Option("--name", "-n", help="Endpoint name.")] = None,
    auth_mode: Annotated[
        str | None, typer.Option("--auth-mode", help="key (default) or token.")
    ] = None,
    description: Description = None,
    tag: Tags = None,
    file: File = None,
    set_: Set = None,
    output: Output = "table",
    dry_run: DryRun = False,
) -> None:
    """Create an online endpoint.  Example: opsloop online-endpoint create -w dev -n taxi-fare

    Check only: opsloop online-endpoint create -w dev -f endpoint.yml --dry-run"""
    fields: dict[str, Any] = {
        "name": name,
        "auth_mode": auth_mode,
        "description": description,
        "tags": parse_tags(tag),
    }
    client = make_client(workspace)
    made = client.online_endpoints.create(file=file, overrides=set_, dry_run=dry_run, **fields)
    emit(made, output, COLUMNS)
    dry_run_note(dry_run, "online endpoint", made)


@online_endpoint_app.command("update")
def update(
    workspace: Workspace = None,
    name: Annotated[
        str | None, typer.Option("--name", "-n", help="Endpoint name (or the file's).")
    ] = None,
    traffic: Annotated[
        str | None, typer.Option("--traffic", "-t", help='Split, e.g. "blue=90 green=10".')
    ] = None,
    mirror_traffic: Annotated[
        str | None, typer.Option("--mirror-traffic", help='Shadow copy, e.g. "green=10".')
    ] = None,
    description: Description = None,
    tag: Tags = None,
    file: File = None,
    set_: Set = None,
    output: Output = "table",
) -> None:
    """Change traffic or mirror traffic; served requests are never dropped.

    From a spec file (-f), the keys it has are applied; a file without traffic leaves the
    split alone, and -n (if given) overrides the file's name. --set applies to the file, or
    without one to the endpoint's current settings.

    Example: opsloop online-endpoint update -w dev -n taxi-fare --traffic "blue=90 green=10"

    Example: opsloop online-endpoint update -w dev -n taxi-fare --set traffic.blue=90 --set traffic.green=10
    """
    if name is None and file is None:
        raise typer.BadParameter("give the endpoint's --name or its spec --file", param_hint="-n")
    endpoint = make_client(workspace).online_endpoints.update(
        name,
        file=file,
        overrides=set_,
        traffic=parse_split(traffic, "--traffic"),
        mirror_traffic=parse_split(mirror_traffic, "--mirror-traffic"),
        description=description,
        tags=parse_tags(tag),
    )
    emit(endpoint, output, COLUMNS)


@online_endpoint_app.command("show")
def show(name: EndpointName, workspace: Workspace = None, output: Output = "table") -> None:
    """Show an endpoint.  Example: opsloop online-endpoint show -w dev -n taxi-fare"""
    emit(make_client(workspace).online_endpoints.get(name), output, COLUMNS)


@online_endpoint_app.command("history")
def history(name: EndpointName, workspace: Workspace = None, output: Output = "table") -> None:
    """What served when: each traffic split, the models then serving, who changed it.

    Example: opsloop online-endpoint history -w prod -n taxi-fare
    """
    emit(make_client(workspace).online_endpoints.history(name), output,
         ["at", "traffic", "models", "actor", "via"])  # fmt: skip


@online_endpoint_app.command("rollback")
def rollback(name: EndpointName, workspace: Workspace = None, output: Output = "table") -> None:
    """Restore the traffic split the endpoint had before its last change.

    Example: opsloop online-endpoint rollback -w prod -n taxi-fare
    """
    emit(make_client(workspace).online_endpoints.rollback(name), output, COLUMNS)


@online_endpoint_app.command("list")
def list_(workspace: Workspace = None, output: Output = "table") -> None:
    """List endpoints.  Example: opsloop online-endpoint list -w dev"""
    emit(make_client(workspace).online_endpoints.list(), output, COLUMNS)


@online_endpoint_app.command("delete")
def delete(
    name: EndpointName,
    workspace: Workspace = None,
    yes: Yes = False,
) -> None:
    """Delete an endpoint and its deployments.  Example: opsloop online-endpoint delete -w dev -n taxi-fare -y"""
    if not yes:
        typer.confirm(f"Delete online endpoint {name!r} and all its deployments?", abort=True)
    make_client(workspace).online_endpoints.delete(name)
    typer.echo(f"Deleted online endpoint {name}")


@online_endpoint_app.command("invoke")
def invoke(
    name: EndpointName,
    request_file: Annotated[
        Path, typer.Option("--request-file", "-r", help="JSON body to score.", dir_okay=False)
    ],
    workspace: Workspace = None,
    deployment_name: Annotated[
        str | None, typer.Option("--deployment-name", "-d", help="Pin one deployment.")
    ] = None,
    route: Annotated[
        str, typer.Option("--route", help="/score, /invocations or /v2/models/<m>/infer.")
    ] = "/score",
) -> None:
    """Score a request file and print the answer.

    Example: opsloop online-endpoint invoke -w dev -n taxi-fare -r sample-request.json
    """
    answer = make_client(workspace).online_endpoints.invoke(
        name, request_file=request_file, deployment_name=deployment_name, route=route
    )
    typer.echo(json.dumps(answer))


@online_endpoint_app.command("get-credentials")
def get_credentials(
    name: EndpointName,
    workspace: Workspace = None,
    output: Output = "json",
    query: Annotated[
        str | None,
        typer.Option(
            "--query",
            help="Print only this value, bare: primaryKey, secondaryKey or accessToken.",
        ),
    ] = None,
) -> None:
    """Print the keys (key auth) or a token valid for an hour (token auth), as JSON spelt
    as az ml spells it (or -o table).

    Example: KEY=$(opsloop online-endpoint get-credentials -w dev -n taxi-fare --query primaryKey)
    """
    check_output(output)
    credentials = make_client(workspace).online_endpoints.get_credentials(name)
    if query is not None:
        values = credentials.model_dump(mode="json", by_alias=True, exclude_none=True)
        if query not in values:
            raise typer.BadParameter(
                f"{query!r} is not in these credentials; choose from {', '.join(sorted(values))}",
                param_hint="--query",
            )
        typer.echo(values[query])
        return
    if output == "table":
        present = credentials.model_dump(exclude_none=True)
        emit(credentials, output, [field for field in CREDENTIAL_COLUMNS if field in present])
        return
    typer.echo(
        json.dumps(credentials.model_dump(mode="json", by_alias=True, exclude_none=True), indent=2)
    )


@online_endpoint_app.command("regenerate-keys")
def regenerate_keys(
    name: EndpointName,
    workspace: Workspace = None,
    key_type: Annotated[str, typer.Option("--key-type", help="primary or secondary.")] = "primary",
) -> None:
    """Replace one key; the other keeps working.  Example: opsloop online-endpoint regenerate-keys -w dev -n taxi-fare --key-type secondary"""
    make_client(workspace).online_endpoints.regenerate_keys(name, key_type=key_type)
    typer.echo(f"Regenerated the {key_type} key of {name}")


@online_endpoint_app.command("logs")
def logs(
    name: EndpointName,
    workspace: Workspace = None,
    deployment: Annotated[
        str | None, typer.Option("--deployment-name", "-d", help="Only this deployment.")
    ] = None,
    status_code: Annotated[
        int | None, typer.Option("--status-code", help="Only this status.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="How many, newest first.")] = 50,
    output: Output = "table",
) -> None:
    """The traffic log: one line per scored request.  Example: opsloop online-endpoint logs -w dev -n taxi-fare --status-code 429"""
    entries = make_client(workspace).online_endpoints.request_logs(
        name, deployment=deployment, status_code=status_code, limit=limit
    )
    emit(entries, output, LOG_COLUMNS)


@online_endpoint_app.command("feedback")
def feedback(
    name: EndpointName,
    file: Annotated[
        Path,
        typer.Option(
            "--file",
            "-f",
            help="Ground truth: .jsonl (one {correlation_id, ground_truth, row_index?} a line) "
            "or .csv with a header correlation_id,ground_truth[,row_index].",
        ),
    ],
    workspace: Workspace = None,
) -> None:
    """Post ground truth for scored requests (by the x-request-id each answer carried), for
    model_performance monitors.  Example: opsloop online-endpoint feedback -w prod -n taxi-fare --file truth.jsonl"""
    receipts = make_client(workspace).online_endpoints.feedback(name, file=file)
    total = sum(r.rows for r in receipts)
    typer.echo(f"Stored {total} ground-truth rows for {name} ({len(receipts)} post(s))")


@online_endpoint_app.command("serve")
def serve(
    name: Annotated[str | None, typer.Option("--name", "-n", help="Endpoint to serve.")] = None,
    workspace: Workspace = None,
    bundle: Annotated[
        Path | None, typer.Option("--bundle", help="Serve an exported bundle folder instead.")
    ] = None,
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    workers: Annotated[
        int | None, typer.Option(help="Worker processes (default: the largest instance_count).")
    ] = None,
) -> None:
    """Serve one endpoint alone, at / and /endpoints/<name>/ (score, invocations, v2, metrics).

    Example: opsloop online-endpoint serve -w dev -n taxi-fare --port 8000
    """
    import uvicorn

    from opsloop.serving.online import app as serving_app

    if (name is None) == (bundle is None):
        raise typer.BadParameter("give --name or --bundle", param_hint="--name")
    if bundle is not None:
        os.environ[serving_app.SERVE_BUNDLE] = str(bundle.resolve())
    else:
        assert name is not None
        with make_client(workspace) as client:
            endpoint = client.online_endpoints.get(name)  # fails early if unknown
            if workers is None:
                deployments = client.online_deployments.list(endpoint_name=name)
                workers = max(
                    (int(d.spec.get("instance_count", 1)) for d in deployments), default=1
                )
        os.environ[serving_app.SERVE_ENDPOINT] = name
        os.environ[serving_app.SERVE_WORKSPACE] = endpoint.workspace
    if (workers or 1) > 1:
        # Each worker counts its own requests; this folder lets /metrics add them up.
        import tempfile

        metrics_dir = tempfile.mkdtemp(prefix="opsloop-metrics-")
        os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", metrics_dir)
    typer.echo(f"Serving {name or bundle} on http://{host}:{port}/score ({workers or 1} worker(s))")
    # No access log (the traffic log has every request), no X-Forwarded-For rewriting (the
    # runtime never reads the client address) and no `server` header: per-request work
    # that single-row scoring would otherwise pay for.
    uvicorn.run(
        "opsloop.serving.online.app:create_serving_app",
        factory=True, host=host, port=port, workers=workers or 1, log_level="warning",
        access_log=False, proxy_headers=False, server_header=False,
    )  # fmt: skip


@online_endpoint_app.command("export")
def export(
    name: EndpointName,
    workspace: Workspace = None,
    format_: Annotated[str, typer.Option("--format", help="k8s or kserve.")] = "k8s",
    output_dir: Annotated[Path, typer.Option("--output-dir", "-o", help="Folder to write.")] = Path(
        "export"
    ),
    image_registry: Annotated[
        str | None, typer.Option("--image-registry", help="e.g. registry.example.com/ml")
    ] = None,
) -> None:
    """Write a Dockerfile per deployment and Kubernetes or KServe manifests.

    Example: opsloop online-endpoint export -w dev -n taxi-fare --format kserve -o ./deploy
    """
    if format_ not in ("k8s", "kserve"):
        raise typer.BadParameter("must be k8s or kserve", param_hint="--format")
    with make_client(workspace) as client:
        result = client.online_endpoints.export(
            name, cast("ExportFormat", format_), output_dir, image_registry=image_registry
        )
    typer.echo(f"Wrote {len(result.files)} files to {result.destination}; see README.md there")
    for note in result.notes:
        typer.echo(f"note: {note}")
