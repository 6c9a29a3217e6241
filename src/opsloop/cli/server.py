"""``opsloop server``: serve the REST API (and run submitted jobs) for a team."""

from __future__ import annotations

import os
from typing import Annotated

import typer


def server(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8080,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
    background: Annotated[
        bool,
        typer.Option(
            "--background/--no-background",
            help="Also run background work (event delivery, the job sweeper) in this "
            "server; turn off when separate `opsloop worker` processes do it.",
        ),
    ] = True,
    launch_jobs: Annotated[
        bool,
        typer.Option(
            help="Start a runner for each submitted job. --no-launch-jobs only records them "
            "(queued): for testing the API, e.g. with a fuzzer whose commands must never run."
        ),
    ] = True,
    local_artifacts: Annotated[
        bool,
        typer.Option(
            help="Allow a shared database (OPSLOOP_DATABASE_URL) with artifacts in this "
            "machine's home folder, which other servers and workers cannot read."
        ),
    ] = False,
) -> None:
    """Serve the REST API under /api/v1 (OpenAPI at /api/v1/openapi.json) and every online
    endpoint at /endpoints/<name>/score.

    Metadata goes to OPSLOOP_DATABASE_URL (PostgreSQL for a team), artifacts to
    OPSLOOP_ARTIFACT_URI (required with a shared database, unless --local-artifacts).

    Every /api/v1 route but the health check needs an API token (Authorization: Bearer).
    On a store with no owner, the first start creates the platform owner 'admin' and
    prints its token once (or make it beforehand with `opsloop admin bootstrap`).

    Example: OPSLOOP_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test
    OPSLOOP_ARTIFACT_URI=file:///srv/opsloop/artifacts opsloop server --port 8080
    """

    import uvicorn

    from opsloop.app.server import SERVER_LAUNCH_JOBS, SERVER_RUNS_WORKER, first_start
    from opsloop.config import Settings
    from opsloop.errors import OpsloopError
    from opsloop.security.oidc import oidc_config
    from opsloop.services.context import Platform

    # uvicorn's workers build the app in their own processes: the choices travel in the
    # environment, as the serving choices do (see opsloop.app.server).
    os.environ[SERVER_LAUNCH_JOBS] = "1" if launch_jobs else "0"

    settings = Settings()
    shared_database = not settings.resolved_database_url().startswith("sqlite")
    if shared_database and not settings.artifact_uri and not local_artifacts:
        raise OpsloopError(
            "OPSLOOP_DATABASE_URL names a shared database but OPSLOOP_ARTIFACT_URI is not set, "
            f"so artifacts would go to {settings.resolved_artifact_uri()} on this machine only. "
            "Set OPSLOOP_ARTIFACT_URI to storage every server and worker reaches (s3://..., "
            "file:///shared/...), or pass --local-artifacts to keep them here."
        )
    oidc = oidc_config(settings)  # a bad OIDC setup stops the start, not a sign-in
    platform = Platform(settings)  # migrate once before workers start
    owner_token = first_start(platform)
    platform.database.dispose()
    os.environ[SERVER_RUNS_WORKER] = "1" if background else "0"
    typer.echo(
        f"opsloop server on http://{host}:{port}\n"
        f"  metadata:  {_redacted(settings.resolved_database_url())}\n"
        f"  artifacts: {settings.resolved_artifact_uri()}"
    )
    if oidc is not None:
        typer.echo(
            f"  OIDC:      tokens from {oidc.issuer} for audience {oidc.audience}, "
            f"keys from {oidc.jwks}"
        )
    if owner_token is not None:
        typer.echo(
            "\nFirst start: created the platform owner 'admin'. Its API token, shown this "
            f"once:\n\n  {owner_token}\n\nKeep it safe; use it with `opsloop login --token "
            "<token>` or OPSLOOP_TOKEN, and make other principals and tokens with it "
            "(opsloop principal create, opsloop token create).\n"
        )
    uvicorn.run(
        "opsloop.app.server:create_server_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
    )


def _redacted(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
