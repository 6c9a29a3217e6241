"""The secrets vault: a workspace's named secrets, sealed with the master key.

``list`` and ``show`` give names, versions and who set them; only ``read_secret_value``
gives a value (``secrets/values/read``: the Key Vault roles and Owner), and records who
read which version. Events and audit records name secrets, never hold their values.

Jobs and deployments refer to a secret as ``${{secrets.NAME}}``
(``security.secret_references``): ``check_references`` finds unknown names when the spec
is submitted; ``open_references`` gives the values when the process or runtime starts.
Whoever may submit a job in the workspace can so use its secrets (as a workspace's
identity does in Azure ML); the values never go into what is stored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from opsloop.catalogue.actions import Action
from opsloop.catalogue.vault_events import SecretDeleted, SecretSet, SecretValueRead
from opsloop.errors import ConflictError, NotFoundError, ValidationError
from opsloop.schemas.vault import Secret, SecretValue
from opsloop.security.secret_references import SECRET_NAME, SECRET_NAME_RULE, references_in
from opsloop.security.secrets_at_rest import SecretBox
from opsloop.services.context import ServiceContext
from opsloop.services.workspaces import require_workspace_row
from opsloop.specs.vault import SecretSpec
from opsloop.store.tables import WorkspaceRow, utcnow
from opsloop.store.vault_tables import VaultSecretRow


def set_secret(ctx: ServiceContext, workspace: str, name: str, spec: SecretSpec) -> Secret:
    """Create the secret, or give it a new value (its version goes up by one)."""
    ctx.begin_mutation(Action.SECRETS_WRITE, workspace, f"secret:{name}")
    _check_name(name)
    ws = require_workspace_row(ctx, workspace)
    row = _find(ctx.session, ws.id, name, lock=True)
    sealed = ctx.platform.secret_box.seal(spec.value)
    actor, now = str(ctx.actor), utcnow()
    if row is None:
        row = VaultSecretRow(
            workspace_id=ws.id, name=name, value=sealed, version=1, created_by=actor,
            created_at=now, updated_by=actor, updated_at=now,
        )  # fmt: skip
        ctx.session.add(row)
    else:
        row.value, row.version, row.updated_by, row.updated_at = sealed, row.version + 1, actor, now
    try:
        ctx.session.flush()
    except IntegrityError:  # another call created it meanwhile (no row was there to lock)
        raise ConflictError(
            f"secret {name!r} was created by another call at the same time; set it again"
        ) from None
    ctx.record(
        Action.SECRETS_WRITE,
        workspace=workspace,
        target=f"secret:{name}",
        event=SecretSet(version=row.version),
    )
    return to_entity(row, workspace)


def list_secrets(ctx: ServiceContext, workspace: str) -> list[Secret]:
    ctx.authorize(Action.SECRETS_READ, workspace)
    ws = require_workspace_row(ctx, workspace)
    rows = ctx.session.scalars(
        select(VaultSecretRow)
        .where(VaultSecretRow.workspace_id == ws.id)
        .order_by(VaultSecretRow.name)
    )
    return [to_entity(row, workspace) for row in rows]


def get_secret(ctx: ServiceContext, workspace: str, name: str) -> Secret:
    """A secret's metadata (never its value)."""
    ctx.authorize(Action.SECRETS_READ, workspace, f"secret:{name}")
    ws = require_workspace_row(ctx, workspace)
    return to_entity(_require(ctx.session, ws, name), workspace)


def read_secret_value(ctx: ServiceContext, workspace: str, name: str) -> SecretValue:
    """The value, decrypted; the read is an event and an audit record (as an endpoint's
    keys are), so the vault's log says who read which version."""
    ctx.begin_mutation(Action.SECRETS_VALUES_READ, workspace, f"secret:{name}")
    ws = require_workspace_row(ctx, workspace)
    row = _require(ctx.session, ws, name)
    value = ctx.platform.secret_box.open(row.value)
    ctx.record(
        Action.SECRETS_VALUES_READ,
        workspace=workspace,
        target=f"secret:{name}",
        event=SecretValueRead(version=row.version),
    )
    return SecretValue(workspace=workspace, name=row.name, version=row.version, value=value)


def delete_secret(ctx: ServiceContext, workspace: str, name: str) -> None:
    """Jobs and deployments that refer to it fail to start from then on, naming it."""
    ctx.begin_mutation(Action.SECRETS_DELETE, workspace, f"secret:{name}")
    ws = require_workspace_row(ctx, workspace)
    ctx.session.delete(_require(ctx.session, ws, name))
    ctx.record(
        Action.SECRETS_DELETE, workspace=workspace, target=f"secret:{name}", event=SecretDeleted()
    )


def check_references(ctx: ServiceContext, ws: WorkspaceRow, fields: Mapping[str, str]) -> None:
    """Every ``${{secrets.NAME}}`` in ``fields`` (field -> text) names a secret of the
    workspace; else one error naming the first field that refers to an unknown one."""
    found = references_in(fields)
    if not found:
        return
    names = {n for refs in found.values() for n in refs}
    known = set(
        ctx.session.scalars(
            select(VaultSecretRow.name).where(
                VaultSecretRow.workspace_id == ws.id, VaultSecretRow.name.in_(names)
            )
        )
    )
    for field, refs in found.items():
        for name in refs:
            if not SECRET_NAME.match(name):
                raise ValidationError(
                    f"${{{{secrets.{name}}}}}: a secret's name is {SECRET_NAME_RULE}", field=field
                )
            if name not in known:
                raise ValidationError(
                    f"${{{{secrets.{name}}}}} names no secret of workspace {ws.name!r}; set it "
                    f"with `opsloop secret set {name} -w {ws.name}`",
                    field=field,
                )


def values_for_step(
    ctx: ServiceContext, workspace: str, names: Iterable[str], *, user: str
) -> dict[str, str]:
    """For a job's runner, as its step starts: the values its command and environment
    variables refer to."""
    ctx.authorize(Action.SECRETS_VALUES_READ, workspace)
    ws = require_workspace_row(ctx, workspace)
    return open_references(ctx.session, ctx.platform.secret_box, ws.id, names, user=user)


def open_references(
    session: Session, box: SecretBox, workspace_id: str, names: Iterable[str], *, user: str
) -> dict[str, str]:
    """The values of ``names`` in the workspace's vault, for the process (``user``: a job's
    step or a deployment, for the error) about to start; a name with no secret is an error."""
    sealed = sealed_values(session, workspace_id, names)
    return {name: box.open(value) for name, value in require_all(sealed, names, user).items()}


def sealed_values(session: Session, workspace_id: str, names: Iterable[str]) -> dict[str, str]:
    """Name -> sealed value, for those of ``names`` the workspace's vault holds; opened
    later, outside the transaction (``open_references`` does both at once)."""
    wanted = set(names)
    if not wanted:
        return {}
    rows = session.execute(
        select(VaultSecretRow.name, VaultSecretRow.value).where(
            VaultSecretRow.workspace_id == workspace_id, VaultSecretRow.name.in_(wanted)
        )
    )
    return {name: value for name, value in rows}


def require_all(found: dict[str, str], names: Iterable[str], user: str) -> dict[str, str]:
    """``found``, if it holds every one of ``names``; else the error naming the first missing."""
    missing = sorted(set(names) - set(found))
    if missing:
        raise NotFoundError(
            f"{user} refers to ${{{{secrets.{missing[0]}}}}}, which is not in its workspace's "
            "vault (deleted since?); set it with `opsloop secret set`"
        )
    return found


def _check_name(name: str) -> None:
    if not SECRET_NAME.match(name):
        raise ValidationError(f"a secret's name is {SECRET_NAME_RULE}", field="name")


def _require(session: Session, ws: WorkspaceRow, name: str) -> VaultSecretRow:
    row = _find(session, ws.id, name)
    if row is None:
        raise NotFoundError(
            f"secret {name!r} not found in workspace {ws.name!r}; set it with "
            f"`opsloop secret set {name} -w {ws.name}`"
        )
    return row


def _find(
    session: Session, workspace_id: str, name: str, *, lock: bool = False
) -> VaultSecretRow | None:
    query = select(VaultSecretRow).where(
        VaultSecretRow.workspace_id == workspace_id, VaultSecretRow.name == name
    )
    return session.scalar(query.with_for_update() if lock else query)


def to_entity(row: VaultSecretRow, workspace: str) -> Secret:
    return Secret(
        workspace=workspace,
        name=row.name,
        version=row.version,
        created_at=row.created_at,
        created_by=row.created_by,
        updated_at=row.updated_at,
        updated_by=row.updated_by,
    )
