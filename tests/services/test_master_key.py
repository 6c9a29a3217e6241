"""Rotating the master key on SQLite and PostgreSQL: every sealed value (vault secrets,
endpoint keys and token secrets, webhook signing secrets) re-sealed in one transaction; a value the current key
cannot open stops the rotation with everything as it was."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from opsloop.config import Settings
from opsloop.security.actor import SYSTEM_ACTOR
from opsloop.security.secrets_at_rest import MasterKeyError, SecretBox
from opsloop.services import online_endpoints, subscriptions, vault
from opsloop.services.context import Platform
from opsloop.services.master_key import rotate_master_key
from opsloop.services.workspaces import create_workspace
from opsloop.specs.endpoint import OnlineEndpointSpec
from opsloop.specs.events import SubscriptionSpec
from opsloop.specs.vault import SecretSpec
from opsloop.specs.workspace import WorkspaceSpec
from opsloop.store.tables import EndpointRow, EventSubscriptionRow
from opsloop.store.vault_tables import VaultSecretRow


@pytest.fixture(params=["sqlite", "postgresql"])
def platform(request: pytest.FixtureRequest, tmp_path: Path) -> Platform:
    url = request.getfixturevalue("postgres_url") if request.param == "postgresql" else None
    platform = Platform(Settings(home=tmp_path / "home", database_url=url))
    with platform.context(SYSTEM_ACTOR) as ctx:
        create_workspace(ctx, WorkspaceSpec(name="dev"))
        for name in ("A", "B"):
            vault.set_secret(ctx, "dev", name, SecretSpec(value=f"value of {name}"))
        online_endpoints.create_online_endpoint(ctx, "dev", OnlineEndpointSpec(name="ep"))
        subscriptions.create_subscription(
            ctx, SubscriptionSpec(name="hook", event_types=["job.*"], webhook_url="http://h/")
        )
    return platform


def _sealed(platform: Platform) -> list[str]:
    with platform.database.transaction() as session:
        values = list(session.scalars(select(VaultSecretRow.value).order_by(VaultSecretRow.name)))
        for keys in session.scalars(select(EndpointRow.keys)):
            values += [keys[k] for k in sorted(keys)]
        values += [s or "" for s in session.scalars(select(EventSubscriptionRow.secret))]
    return values


def test_every_sealed_value_is_resealed_and_the_old_key_opens_none(platform: Platform) -> None:
    key_file = platform.secret_box.key_file
    old = SecretBox(key_file, key_file.read_text())
    before = [old.open(v) for v in _sealed(platform)]
    done = rotate_master_key(platform, SYSTEM_ACTOR)
    assert (done.vault_secrets, done.endpoint_secrets, done.webhook_secrets) == (2, 3, 1)
    assert done.key_file == key_file
    new = SecretBox(key_file, key_file.read_text())
    after = _sealed(platform)
    assert [new.open(v) for v in after] == before
    for value in after:
        with pytest.raises(MasterKeyError, match="does not decrypt"):
            old.open(value)


def test_a_value_the_key_cannot_open_leaves_the_store_and_key_as_they_were(
    platform: Platform,
) -> None:
    with platform.context(SYSTEM_ACTOR) as ctx:
        vault.set_secret(ctx, "dev", "C", SecretSpec(value="sealed elsewhere"))
    stranger = SecretBox(Path("unused"), Fernet.generate_key().decode())
    with platform.database.transaction() as session:
        row = session.scalar(select(VaultSecretRow).where(VaultSecretRow.name == "C"))
        assert row is not None
        row.value = stranger.seal("sealed elsewhere")  # the last row: the others changed first
    key_file = platform.secret_box.key_file
    key, before = key_file.read_text(), _sealed(platform)
    with pytest.raises(MasterKeyError):
        rotate_master_key(platform, SYSTEM_ACTOR)
    assert key_file.read_text() == key and _sealed(platform) == before
    assert not key_file.with_name("master.key.new").exists()


def test_a_key_left_by_a_rotation_cut_short_is_never_overwritten(platform: Platform) -> None:
    key_file = platform.secret_box.key_file
    left = key_file.with_name("master.key.new")
    left.write_text("the only copy of the key\n")
    with pytest.raises(MasterKeyError, match="an earlier rotation was cut short"):
        rotate_master_key(platform, SYSTEM_ACTOR)
    assert left.read_text() == "the only copy of the key\n"
    with pytest.raises(MasterKeyError, match=r"left its new key in .*master\.key\.new"):
        SecretBox(key_file, None).open(SecretBox(left, Fernet.generate_key().decode()).seal("x"))
