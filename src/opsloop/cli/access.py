"""``opsloop principal``, ``group``, ``token``, ``login``, ``whoami`` and ``admin``: who
may call a server, and with which token."""

from __future__ import annotations

from typing import Annotated

import typer

from opsloop.cli.common import Output, Yes, emit, make_client

principal_app = typer.Typer(
    help="Users and service principals (CI/CD, monitoring, data governance processes).",
    no_args_is_help=True,
)
group_app = typer.Typer(help="Groups of principals.", no_args_is_help=True)
token_app = typer.Typer(
    help="API tokens: shown once, stored as a SHA-256, with expiry and optional scope.",
    no_args_is_help=True,
)
admin_app = typer.Typer(help="Setting up a store's access control.", no_args_is_help=True)

PRINCIPAL_COLUMNS = ["name", "kind", "display_name", "disabled", "groups", "created_at"]
GROUP_COLUMNS = ["name", "display_name", "members", "created_at"]
TOKEN_COLUMNS = ["id", "principal", "name", "status", "workspace", "read_only", "expires_at"]
PrincipalName = Annotated[str, typer.Argument(help="Principal name.")]
GroupName = Annotated[str, typer.Argument(help="Group name.")]
# A name as a positional or as -n/--name, as other nouns' commands take it: either works.
NameArgument = Annotated[
    str | None,
    typer.Argument(
        help="The name (or give it with -n/--name).", show_default=False, metavar="NAME"
    ),
]
NameOption = Annotated[str | None, typer.Option("--name", "-n", help="The name.")]


def one_name(positional: str | None, option: str | None, flag: str = "-n/--name") -> str:
    """The name given as a positional or as ``flag``: exactly one of them."""
    if positional is not None and option is not None:
        if positional == option:
            return positional
        raise typer.BadParameter(
            f"give the name once, as an argument or as {flag}, not both "
            f"({positional!r} and {option!r})",
            param_hint=flag,
        )
    if positional is None and option is None:
        raise typer.BadParameter(f"give the name, as an argument or as {flag}", param_hint=flag)
    return positional if positional is not None else str(option)


@principal_app.command("create")
def principal_create(
    positional: NameArgument = None,
    name_option: NameOption = None,
    service_principal: Annotated[
        bool,
        typer.Option("--service-principal", help="A process (CI/CD, monitoring), not a person."),
    ] = False,
    display_name: Annotated[str | None, typer.Option(help="Display name.")] = None,
    description: Annotated[str | None, typer.Option(help="Description.")] = None,
    output: Output = "table",
) -> None:
    """Create a user (or, with --service-principal, a service principal).

    Example: opsloop principal create -n ci --service-principal --display-name "CI/CD pipeline"
    """
    name = one_name(positional, name_option)
    kind = "service_principal" if service_principal else "user"
    principal = make_client().principals.create(
        name, kind=kind, display_name=display_name, description=description
    )
    emit(principal, output, PRINCIPAL_COLUMNS)


@principal_app.command("list")
def principal_list(
    kind: Annotated[
        str | None, typer.Option(help="Only this kind: user or service_principal.")
    ] = None,
    output: Output = "table",
) -> None:
    """List users and service principals.  Example: opsloop principal list --kind user"""
    emit(make_client().principals.list(kind=kind), output, PRINCIPAL_COLUMNS)


@principal_app.command("show")
def principal_show(
    positional: NameArgument = None, name_option: NameOption = None, output: Output = "table"
) -> None:
    """Show a principal and its groups.  Example: opsloop principal show -n alice"""
    name = one_name(positional, name_option)
    emit(make_client().principals.get(name), output, [*PRINCIPAL_COLUMNS, "created_by"])


@principal_app.command("disable")
def principal_disable(
    positional: NameArgument = None,
    name_option: NameOption = None,
    yes: Yes = False,
    output: Output = "table",
) -> None:
    """Disable a principal: its tokens are refused from the next call on.

    Example: opsloop principal disable -n ci -y
    """
    name = one_name(positional, name_option)
    if not yes:
        typer.confirm(f"Disable principal {name!r}? Its tokens stop working.", abort=True)
    emit(make_client().principals.disable(name), output, PRINCIPAL_COLUMNS)


@group_app.command("create")
def group_create(
    positional: NameArgument = None,
    name_option: NameOption = None,
    display_name: Annotated[str | None, typer.Option(help="Display name.")] = None,
    description: Annotated[str | None, typer.Option(help="Description.")] = None,
    output: Output = "table",
) -> None:
    """Create a group.  Example: opsloop group create -n data-scientists"""
    name = one_name(positional, name_option)
    group = make_client().groups.create(name, display_name=display_name, description=description)
    emit(group, output, GROUP_COLUMNS)


@group_app.command("add-member")
def group_add_member(
    name: GroupName,
    principal: PrincipalName,
    output: Output = "table",
) -> None:
    """Add a principal to a group.  Example: opsloop group add-member data-scientists alice"""
    emit(make_client().groups.add_member(name, principal), output, GROUP_COLUMNS)


@group_app.command("remove-member")
def group_remove_member(
    name: GroupName,
    principal: PrincipalName,
    output: Output = "table",
) -> None:
    """Remove a principal from a group.

    Example: opsloop group remove-member data-scientists alice
    """
    emit(make_client().groups.remove_member(name, principal), output, GROUP_COLUMNS)


@group_app.command("list")
def group_list(output: Output = "table") -> None:
    """List groups and their members.  Example: opsloop group list"""
    emit(make_client().groups.list(), output, GROUP_COLUMNS)


@token_app.command("create")
def token_create(
    positional: Annotated[
        str | None,
        typer.Argument(help="The principal (or give it with -p/--principal).", show_default=False),
    ] = None,
    principal_option: Annotated[
        str | None, typer.Option("--principal", "-p", help="The principal the token is for.")
    ] = None,
    name: Annotated[str, typer.Option("--name", "-n", help="A label for the token.")] = "token",
    expires_in_days: Annotated[
        float | None, typer.Option("--expires-in-days", help="Expire after this many days.")
    ] = None,
    workspace: Annotated[
        str | None, typer.Option("--workspace", "-w", help="Valid in this workspace only.")
    ] = None,
    read_only: Annotated[bool, typer.Option("--read-only", help="Reads only.")] = False,
    output: Output = "table",
) -> None:
    """Create an API token for a principal. The token is printed once: it is stored only as
    a SHA-256 and cannot be shown again.

    Example: opsloop token create --principal ci --name github-actions --expires-in-days 90 -w prod
    """
    principal = one_name(positional, principal_option, "-p/--principal")
    token = make_client().tokens.create(
        principal,
        name=name,
        expires_in_days=expires_in_days,
        workspace=workspace,
        read_only=read_only,
    )
    emit(token, output, [*TOKEN_COLUMNS, "token"])
    if output == "table":
        typer.secho("This is the only time the token is shown.", err=True)


@token_app.command("list")
def token_list(
    principal: Annotated[str | None, typer.Option(help="Only this principal's tokens.")] = None,
    output: Output = "table",
) -> None:
    """List API tokens (never their secrets).  Example: opsloop token list --principal ci"""
    emit(make_client().tokens.list(principal=principal), output, TOKEN_COLUMNS)


@token_app.command("revoke")
def token_revoke(
    token_id: Annotated[str, typer.Argument(help="The token's id (opsloop token list).")],
    output: Output = "table",
) -> None:
    """Revoke an API token: it is refused from the next call on.

    Example: opsloop token revoke 3f2a9c...
    """
    emit(make_client().tokens.revoke(token_id), output, TOKEN_COLUMNS)


def login(
    token: Annotated[
        str, typer.Option("--token", prompt=True, hide_input=True, help="The API token.")
    ],
    uri: Annotated[
        str | None,
        typer.Option("--uri", envvar="OPSLOOP_URI", help="The server (default: OPSLOOP_URI)."),
    ] = None,
) -> None:
    """Check an API token against a server and save it in the profile (~/.opsloop/profile,
    mode 0600; OPSLOOP_PROFILE names another file), for the CLI and SDK to send there.

    Example: opsloop login --uri http://127.0.0.1:8080 --token opsloop_pat_...
    """
    from opsloop.client import Client
    from opsloop.client._profile import save_token

    if not uri or not uri.startswith(("http://", "https://")):
        raise typer.BadParameter("name the server: --uri http(s)://host:port", param_hint="--uri")
    with Client(uri, token=token) as client:
        identity = client.principals.whoami()
        path = save_token(client.settings, uri, token)
    typer.echo(f"Logged in to {uri} as {identity.name} ({identity.kind}); token saved in {path}")


def whoami(output: Output = "table") -> None:
    """Show who the server takes you for (embedded: the OS user).  Example: opsloop whoami"""
    emit(
        make_client().principals.whoami(),
        output,
        ["name", "kind", "token_id", "workspace", "read_only", "roles"],
    )


@admin_app.command("bootstrap")
def bootstrap(
    name: Annotated[str, typer.Option("--name", help="The owner's principal name.")] = "admin",
    output: Output = "table",
) -> None:
    """Create the platform owner of this store (OPSLOOP_HOME or OPSLOOP_DATABASE_URL; never a
    server at OPSLOOP_URI) and print its API token, once. Refused when it has an owner.

    Example: OPSLOOP_DATABASE_URL=postgresql://... opsloop admin bootstrap --name admin
    """
    from opsloop.client import Client
    from opsloop.config import Settings

    settings = Settings().model_copy(update={"uri": None})
    with Client(settings=settings) as client:
        token = client.principals.bootstrap(name)
    if output == "json":
        emit(token, output, [])
        return
    typer.echo(f"Created the platform owner {token.principal!r}. Its API token, shown once:")
    typer.echo(token.token)
