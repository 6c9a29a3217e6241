"""``opsloop secret``: a workspace's secrets vault, and rotating the master key."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from opsloop.cli.common import Output, Workspace, Yes, emit, make_client

secret_app = typer.Typer(
    help="A workspace's secrets: sealed with the master key, read only with a Key Vault "
    "role, used by jobs and deployments as ${{secrets.NAME}}.",
    no_args_is_help=True,
)
COLUMNS = ["name", "version", "updated_at", "updated_by", "created_at", "created_by"]
SecretName = Annotated[str, typer.Argument(help="Secret name, e.g. DB_PASSWORD.")]


@secret_app.command("set")
def set_(
    name: SecretName,
    value: Annotated[
        str | None,
        typer.Option("--value", help="The value (it stays in your shell's history: prefer stdin)."),
    ] = None,
    from_file: Annotated[
        Path | None,
        typer.Option(
            "--from-file", help="Read the value from this file, as it is.", dir_okay=False
        ),
    ] = None,
    workspace: Workspace = None,
    output: Output = "table",
) -> None:
    """Set a secret (a new version if it exists). Without --value or --from-file, the value
    is read from stdin (one trailing newline dropped), or asked for without echo.

    Example: printf '%s' "$DB_PASSWORD" | opsloop secret set DB_PASSWORD -w dev
    """
    secret = make_client(workspace).secrets.set(name, _value(value, from_file))
    emit(secret, output, COLUMNS)


def _value(value: str | None, from_file: Path | None) -> str:
    if value is not None and from_file is not None:
        raise typer.BadParameter("give --value or --from-file, not both", param_hint="--value")
    if value is not None:
        return value
    if from_file is not None:
        try:
            return from_file.read_text()
        except OSError as exc:
            raise typer.BadParameter(f"cannot read it: {exc}", param_hint="--from-file") from None
    if not sys.stdin.isatty():
        text = sys.stdin.read()
        return text[:-2] if text.endswith("\r\n") else text.removesuffix("\n")
    entered: str = typer.prompt("Value", hide_input=True, confirmation_prompt=True)
    return entered


@secret_app.command("get")
def get(name: SecretName, workspace: Workspace = None, output: Output = "value") -> None:
    """Print a secret's value (needs Key Vault Reader, Key Vault Administrator or Owner; the
    read is audited). -o json prints name, version and value.

    Example: export DB_PASSWORD="$(opsloop secret get DB_PASSWORD -w dev)"
    """
    secret = make_client(workspace).secrets.get(name)
    if output == "value":
        typer.echo(secret.value)
        return
    emit(secret, output, ["name", "version", "value"])


@secret_app.command("show")
def show(name: SecretName, workspace: Workspace = None, output: Output = "table") -> None:
    """Show a secret's version and who set it when (never its value).

    Example: opsloop secret show DB_PASSWORD -w dev
    """
    emit(make_client(workspace).secrets.show(name), output, ["workspace", *COLUMNS])


@secret_app.command("list")
def list_(workspace: Workspace = None, output: Output = "table") -> None:
    """List a workspace's secrets: names, versions, who set them when; never values.

    Example: opsloop secret list -w dev
    """
    emit(make_client(workspace).secrets.list(), output, COLUMNS)


@secret_app.command("delete")
def delete(name: SecretName, workspace: Workspace = None, yes: Yes = False) -> None:
    """Delete a secret; jobs and deployments that use it fail to start from then on.

    Example: opsloop secret delete DB_PASSWORD -w dev -y
    """
    if not yes:
        typer.confirm(f"Delete secret {name!r}?", abort=True)
    make_client(workspace).secrets.delete(name)
    typer.echo(f"Deleted secret {name}")


@secret_app.command("rotate-master-key")
def rotate_master_key(yes: Yes = False) -> None:
    """Re-seal every secret of this store (vault secrets, endpoint keys and token secrets)
    with a new master key, in one transaction. Runs on the store (OPSLOOP_HOME or
    OPSLOOP_DATABASE_URL), never through a server: stop the servers, runners and serving
    runtimes that open the store first, and start them with the new key afterwards.

    Example: opsloop secret rotate-master-key -y
    """
    from opsloop.config import Settings
    from opsloop.security.actor import os_user_actor
    from opsloop.services.context import Platform
    from opsloop.services.master_key import rotate_master_key as rotate

    if not yes:
        typer.confirm(
            "Re-seal every secret of this store with a new master key? Processes that hold "
            "the current key must be restarted with the new one",
            abort=True,
        )
    platform = Platform(Settings().model_copy(update={"uri": None}))
    try:
        done = rotate(platform, os_user_actor())
    finally:
        platform.database.dispose()
    typer.echo(
        f"Re-sealed {done.vault_secrets} vault secret(s), {done.endpoint_secrets} endpoint "
        f"secret(s) and {done.webhook_secrets} webhook signing secret(s) with a new master key."
    )
    if done.key_file is not None:
        typer.echo(f"The new key is in {done.key_file} (mode 0600); back it up.")
        return
    typer.echo(
        "The key comes from OPSLOOP_MASTER_KEY: set it to this new key, shown once, for every "
        "process that opens the store, then restart them:"
    )
    typer.echo(done.new_key)
