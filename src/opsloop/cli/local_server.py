"""``opsloop local-server``: the embedded home's warm API process (opsloop.app.local_server)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from opsloop.config import Settings

local_server_app = typer.Typer(
    help="The home's local server: embedded calls after the first go to it, so they answer "
    "as fast as a remote server. Started on its own; ends after 15 idle minutes. "
    "OPSLOOP_LOCAL_SERVER=0 turns it off.",
    no_args_is_help=True,
)


def _home() -> tuple[Settings, Path]:
    from opsloop.config import Settings

    settings = Settings()
    if settings.is_remote():
        raise typer.BadParameter(
            "OPSLOOP_URI is set: a local server serves an embedded home only",
            param_hint="OPSLOOP_URI",
        )
    return settings, settings.resolved_home()


@local_server_app.command("status")
def status() -> None:
    """Say whether this home's local server runs, and whether this shell's calls use it.

    Example: opsloop local-server status
    """
    from opsloop.app.local_server import find_local_server, read_state, starting_pid

    settings, home = _home()
    state = read_state(home)
    if state is None:
        starting = starting_pid(home)
        if starting is not None:
            typer.echo(f"A local server for {home} is starting: pid {starting}")
        else:
            typer.echo(f"No local server runs for {home}; the next embedded call starts one.")
        return
    used = find_local_server(home) is not None
    typer.echo(f"Local server for {home}: pid {state.get('pid')}")
    if not settings.local_server:
        typer.echo("This shell does not use it: OPSLOOP_LOCAL_SERVER is off.")
    elif used:
        typer.echo("This shell's calls go to it.")
    else:
        typer.echo(
            "This shell's calls do not use it: it was started with another environment, "
            "folder or opsloop code; the next embedded call replaces it."
        )


@local_server_app.command("stop")
def stop() -> None:
    """End this home's local server now (embedded calls then run in process until the next
    one starts it again).

    Example: opsloop local-server stop
    """
    from opsloop.app.local_server import stop_local_server

    _settings, home = _home()
    pid = stop_local_server(home)
    typer.echo(f"Stopped the local server (pid {pid})." if pid else "No local server was running.")
