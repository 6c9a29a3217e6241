"""The ``opsloop`` command: one sub-command per noun."""

from __future__ import annotations

import atexit
import contextlib
import copy
import os
import sys
from typing import Annotated

import typer

from opsloop import __version__
from opsloop.cli import common
from opsloop.cli.access import admin_app, group_app, login, principal_app, token_app, whoami
from opsloop.cli.apply import apply
from opsloop.cli.assets import component_app, data_app, datastore_app, environment_app
from opsloop.cli.audit import audit_app
from opsloop.cli.batch_endpoint import batch_deployment_app, batch_endpoint_app
from opsloop.cli.compute import compute_app
from opsloop.cli.event import event_app
from opsloop.cli.init import init
from opsloop.cli.job import job_app
from opsloop.cli.labeling import labeling_app
from opsloop.cli.local_server import local_server_app
from opsloop.cli.model import model_app
from opsloop.cli.monitor import monitor_app
from opsloop.cli.online_deployment import online_deployment_app
from opsloop.cli.online_endpoint import online_endpoint_app
from opsloop.cli.personas import elevate_app, persona_app
from opsloop.cli.promotion import approval_app, promotion_app
from opsloop.cli.quickstart import quickstart
from opsloop.cli.roles import access_app, role_app
from opsloop.cli.schedule import schedule_app
from opsloop.cli.secret import secret_app
from opsloop.cli.server import server
from opsloop.cli.subscription import subscription_app
from opsloop.cli.worker import worker
from opsloop.cli.workspace import registry_app, workspace_app
from opsloop.errors import OpsloopError

app = typer.Typer(
    help="opsloop: a self-hosted MLOps platform. Embedded by default (./.opsloop); "
    "set OPSLOOP_URI=http://host:port to use a server.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(workspace_app, name="workspace")
app.add_typer(registry_app, name="registry")
app.add_typer(datastore_app, name="datastore")
app.add_typer(data_app, name="data")
app.add_typer(environment_app, name="environment")
app.add_typer(component_app, name="component")
app.add_typer(compute_app, name="compute")
app.add_typer(job_app, name="job")
app.add_typer(schedule_app, name="schedule")
app.add_typer(model_app, name="model")
app.add_typer(online_endpoint_app, name="online-endpoint")
app.add_typer(online_deployment_app, name="online-deployment")
app.add_typer(batch_endpoint_app, name="batch-endpoint")
app.add_typer(batch_deployment_app, name="batch-deployment")
app.add_typer(promotion_app, name="promotion")
app.add_typer(approval_app, name="approval")
app.add_typer(event_app, name="event")
app.add_typer(subscription_app, name="subscription")
app.add_typer(labeling_app, name="labeling")
app.add_typer(principal_app, name="principal")
app.add_typer(group_app, name="group")
app.add_typer(token_app, name="token")
app.add_typer(admin_app, name="admin")
app.add_typer(role_app, name="role")
app.add_typer(access_app, name="access")
app.add_typer(persona_app, name="persona")
app.add_typer(elevate_app, name="elevate")
app.add_typer(audit_app, name="audit")
app.add_typer(secret_app, name="secret")
app.add_typer(monitor_app, name="monitor")
app.add_typer(local_server_app, name="local-server")
app.command("apply")(apply)
app.command("login")(login)
app.command("whoami")(whoami)
app.command("server")(server)
app.command("worker")(worker)
app.command("quickstart")(quickstart)
app.command("init")(init)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(__version__)
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """opsloop: a self-hosted MLOps platform. Embedded by default (./.opsloop); set
    OPSLOOP_URI=http://host:port to use a server."""


@app.command("version")
def version() -> None:
    """Print the opsloop version."""
    typer.echo(__version__)


def app_for(args: list[str]) -> typer.Typer:
    """The app with only the noun (or top-level command) the arguments name.

    Typer turns every command of an app into a Click command before it parses anything,
    reading each function's signature and type hints: for opsloop's 170-odd commands that
    was most of a call's own time (about 0.2 s of CPU). A call runs one noun's command, so
    it is given an app holding that noun alone. Anything else (``--help``, ``--version``,
    a misspelt noun) gets the whole app, which lists the nouns or suggests one."""
    if args in ([], ["--help"]):
        return _app_listing_nouns()
    if args[0].startswith("-"):
        return app
    groups = [group for group in app.registered_groups if group.name == args[0]]
    commands = [command for command in app.registered_commands if command.name == args[0]]
    if not groups and not commands:
        return app
    slim = copy.copy(app)
    slim.registered_groups, slim.registered_commands = groups, commands
    return slim


def _app_listing_nouns() -> typer.Typer:
    """The app for ``opsloop --help``: each noun with its help, none of their commands."""
    slim = copy.copy(app)
    slim.registered_groups = []
    for group in app.registered_groups:
        noun = copy.copy(group)
        noun.typer_instance = copy.copy(group.typer_instance)
        if noun.typer_instance is not None:
            noun.typer_instance.registered_commands = []
            noun.typer_instance.registered_groups = []
        slim.registered_groups.append(noun)
    return slim


def run() -> None:
    """Run the command line in ``sys.argv``; ends with SystemExit, as a Click program does."""
    try:
        app_for(sys.argv[1:])()
    except OpsloopError as exc:
        typer.secho(f"Error: {exc}", fg=typer.colors.RED, err=True)
        sys.exit(2 if exc.status_code in (400, 422) else 1)


def main() -> None:
    """The ``opsloop`` executable: run, then end the process at once.

    Python's own teardown frees every module and object one by one: a third of the CPU of
    an embedded call that lists something. Nothing is lost by skipping it: the output is
    flushed, the exit handlers run, and every store write was committed by then."""
    try:
        run()
        code = 0
    except SystemExit as exc:
        if isinstance(exc.code, str):
            print(exc.code, file=sys.stderr)
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe (| head)
            stream.flush()
    if common.local_server_wanted is not None:
        from opsloop.app.local_server import start_local_server

        with contextlib.suppress(OSError):  # the next call runs in process, as this one did
            start_local_server(common.local_server_wanted)
    atexit._run_exitfuncs()
    os._exit(code)


if __name__ == "__main__":
    main()
