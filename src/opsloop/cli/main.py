"""The ``opsloop`` command: one sub-command per noun."""

from __future__ import annotations

import atexit
import contextlib
import copy
import functools
import importlib
import os
import sys
from collections.abc import Callable
from typing import Annotated, Any

import typer

from opsloop import __version__
from opsloop.cli import common
from opsloop.errors import OpsloopError

# httpx imports its own command line when it can (rich's progress bars, pygments): a third
# of its import, for a function no opsloop process calls. Marked as missing here, that
# import fails, and httpx defines in its place a stub saying its CLI extras are not installed.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]

# Each noun's Typer app and each top-level command, as "module:attribute" under opsloop.cli,
# in the order `opsloop --help` lists them. A call imports only the module of the noun it
# names: importing all of them (and what they import) was a sixth of a remote call's time.
NOUNS = {
    "workspace": "workspace:workspace_app",
    "registry": "workspace:registry_app",
    "datastore": "assets:datastore_app",
    "data": "assets:data_app",
    "environment": "assets:environment_app",
    "component": "assets:component_app",
    "compute": "compute:compute_app",
    "job": "job:job_app",
    "schedule": "schedule:schedule_app",
    "model": "model:model_app",
    "online-endpoint": "online_endpoint:online_endpoint_app",
    "online-deployment": "online_deployment:online_deployment_app",
    "batch-endpoint": "batch_endpoint:batch_endpoint_app",
    "batch-deployment": "batch_endpoint:batch_deployment_app",
    "promotion": "promotion:promotion_app",
    "approval": "promotion:approval_app",
    "event": "event:event_app",
    "subscription": "subscription:subscription_app",
    "labeling": "labeling:labeling_app",
    "principal": "access:principal_app",
    "group": "access:group_app",
    "token": "access:token_app",
    "admin": "access:admin_app",
    "role": "roles:role_app",
    "access": "roles:access_app",
    "persona": "personas:persona_app",
    "elevate": "personas:elevate_app",
    "audit": "audit:audit_app",
    "secret": "secret:secret_app",
    "monitor": "monitor:monitor_app",
    "local-server": "local_server:local_server_app",
}
COMMANDS = {
    "apply": "apply:apply",
    "login": "access:login",
    "whoami": "access:whoami",
    "server": "server:server",
    "worker": "worker:worker",
    "quickstart": "quickstart:quickstart",
    "init": "init:init",
}


def _print_version(value: bool) -> None:
    if value:
        typer.echo(__version__)
        raise typer.Exit()


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


def version() -> None:
    """Print the opsloop version."""
    typer.echo(__version__)


def _load(target: str) -> Any:
    module, _, attribute = target.partition(":")
    return getattr(importlib.import_module(f"opsloop.cli.{module}"), attribute)


def _app_with(nouns: list[str], commands: list[str]) -> typer.Typer:
    """The ``opsloop`` app holding the given nouns and top-level commands."""
    built = typer.Typer(
        help="opsloop: a self-hosted MLOps platform. Embedded by default (./.opsloop); "
        "set OPSLOOP_URI=http://host:port to use a server.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
    )
    built.callback()(_options)
    for noun in nouns:
        built.add_typer(_load(NOUNS[noun]), name=noun)
    for name in commands:
        command: Callable[..., Any] = version if name == "version" else _load(COMMANDS[name])
        built.command(name)(command)
    return built


@functools.cache
def _whole_app() -> typer.Typer:
    return _app_with(list(NOUNS), [*COMMANDS, "version"])


def __getattr__(name: str) -> Any:
    # ``app``, the whole command line (every noun's module imported), is built on first use.
    if name == "app":
        return _whole_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def app_for(args: list[str]) -> typer.Typer:
    """The app with only the noun (or top-level command) the arguments name.

    Typer turns every command of an app into a Click command before it parses anything,
    reading each function's signature and type hints: for opsloop's 170-odd commands that
    was most of a call's own time (about 0.2 s of CPU). A call runs one noun's command, so
    it is given an app holding that noun alone, and imports that noun's module alone.
    Anything else (``--help``, ``--version``, a misspelt noun) gets the whole app, which
    lists the nouns or suggests one."""
    if args in ([], ["--help"]):
        return _app_listing_nouns()
    if args[0] in NOUNS:
        return _app_with([args[0]], [])
    if args[0] in COMMANDS or args[0] == "version":
        return _app_with([], [args[0]])
    return _whole_app()


def _app_listing_nouns() -> typer.Typer:
    """The app for ``opsloop --help``: each noun with its help, none of their commands."""
    whole = _whole_app()
    slim = copy.copy(whole)
    slim.registered_groups = []
    for group in whole.registered_groups:
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
