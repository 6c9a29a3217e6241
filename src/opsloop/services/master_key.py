"""Rotating the master key: every sealed value of the store (the vault's secrets, endpoint
keys and token secrets, webhook signing secrets) opened with the current key and sealed again with a new one, in
one transaction.

Run on the store itself with the servers stopped (``opsloop secret rotate-master-key``):
a process that still holds the old key cannot open what the new one sealed. The new key
file is written (0600) before the transaction and put in place only once it committed,
so a failure leaves the old key and every value as they were.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet
from sqlalchemy import select

from opsloop.catalogue.actions import Action
from opsloop.catalogue.vault_events import MasterKeyRotated
from opsloop.security.actor import Actor
from opsloop.security.private_files import make_private_dir
from opsloop.security.secrets_at_rest import MASTER_KEY_ENV, MasterKeyError, SecretBox
from opsloop.services.context import Platform, ServiceContext
from opsloop.store.tables import EndpointRow, EventSubscriptionRow
from opsloop.store.vault_tables import VaultSecretRow


@dataclass(frozen=True)
class Rotation:
    vault_secrets: int
    endpoint_secrets: int
    webhook_secrets: int
    key_file: Path | None  # where the new key now is; None: it came from the variable
    new_key: str | None  # only when the key is OPSLOOP_MASTER_KEY: the user must set it


def rotate_master_key(platform: Platform, actor: Actor) -> Rotation:
    current = platform.secret_box
    new_key = Fernet.generate_key().decode()
    from_variable = current.source == MASTER_KEY_ENV
    draft = None if from_variable else _write_draft(current.key_file, new_key)
    try:
        with platform.context(actor) as ctx:
            counts = _reseal(ctx, current, SecretBox(current.key_file, new_key))
    except BaseException:
        if draft is not None:
            draft.unlink(missing_ok=True)
        raise
    if draft is None:
        return Rotation(*counts, key_file=None, new_key=new_key)
    try:
        os.replace(draft, current.key_file)
    except OSError as exc:
        raise MasterKeyError(
            f"the store was re-sealed with the new key in {draft}, but it could not be moved "
            f"to {current.key_file} ({exc}); move it there before starting opsloop"
        ) from None
    return Rotation(*counts, key_file=current.key_file, new_key=None)


def _reseal(ctx: ServiceContext, old: SecretBox, new: SecretBox) -> tuple[int, int, int]:
    ctx.begin_mutation(Action.MASTER_KEY_ROTATE, None, "master-key")
    vault = 0
    for secret in ctx.session.scalars(
        select(VaultSecretRow)
        .order_by(VaultSecretRow.workspace_id, VaultSecretRow.name)
        .with_for_update()
    ):
        secret.value = new.seal(old.open(secret.value))
        vault += 1
    endpoint = 0
    for row in ctx.session.scalars(select(EndpointRow).with_for_update()):
        keys = dict(row.keys or {})
        sealed = [k for k, v in keys.items() if isinstance(v, str) and SecretBox.is_sealed(v)]
        for name in sealed:
            keys[name] = new.seal(old.open(keys[name]))
        if sealed:
            row.keys = keys  # a new dict: the JSON column sees the change
            endpoint += len(sealed)
    webhooks = 0
    for subscription in ctx.session.scalars(
        select(EventSubscriptionRow)
        .where(EventSubscriptionRow.secret.is_not(None))
        .with_for_update()
    ):
        subscription.secret = new.seal(old.open(subscription.secret or ""))
        webhooks += 1
    ctx.session.flush()
    ctx.record(
        Action.MASTER_KEY_ROTATE,
        workspace=None,
        target="master-key",
        event=MasterKeyRotated(
            vault_secrets=vault, endpoint_secrets=endpoint, webhook_secrets=webhooks
        ),
    )
    return vault, endpoint, webhooks


def _write_draft(key_file: Path, key: str) -> Path:
    """The new key beside the current one, 0600, to be renamed over it after the commit."""
    make_private_dir(key_file.parent)
    draft = key_file.with_name(f"{key_file.name}.new")
    try:
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        # Left by a rotation cut short: it may be the only copy of the key the store is
        # sealed with now, so it is never overwritten.
        raise MasterKeyError(
            f"{draft} exists: an earlier rotation was cut short. If the store opens with "
            f"{key_file}, delete it; if not, move it over {key_file}. Then rotate again"
        ) from None
    with os.fdopen(descriptor, "w") as out:
        out.write(key + "\n")
        out.flush()
        os.fsync(out.fileno())
    return draft
