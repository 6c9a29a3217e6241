"""Endpoint secrets at rest, on both backends: the store holds them sealed, never in clear."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from opsloop import Client
from opsloop.config import Settings
from opsloop.errors import OpsloopError
from opsloop.store.database import Database


@pytest.fixture
def team_client(database: Database, home: Path) -> Iterator[Client]:
    with Client(settings=Settings(home=home, database_url=database.url), workspace="dev") as client:
        client.workspaces.create(name="dev")
        yield client


def stored_keys(database: Database) -> dict[str, str]:
    """Each endpoint's ``keys`` column as the database hands it out, read with plain SQL."""
    with database.engine.connect() as connection:
        rows = connection.execute(text("SELECT name, CAST(keys AS TEXT) FROM endpoints"))
        return {name: raw for name, raw in rows}


def test_the_store_holds_no_clear_secret(team_client: Client, database: Database) -> None:
    endpoints = team_client.online_endpoints
    endpoints.create(name="by-key")
    endpoints.create(name="by-token", auth_mode="token")
    first = endpoints.get_credentials("by-key")
    regenerated = endpoints.regenerate_keys("by-key", key_type="secondary")
    token = endpoints.get_credentials("by-token").access_token
    assert regenerated.primary_key == first.primary_key
    assert regenerated.secondary_key not in (None, first.secondary_key)
    assert endpoints.get_credentials("by-key") == regenerated

    raw = stored_keys(database)
    assert raw["by-key"].count('"fernet:') == 3 and raw["by-token"].count('"fernet:') == 3
    for key in (first.primary_key, first.secondary_key, regenerated.secondary_key):
        assert key and key not in raw["by-key"]
    # The token-signing secret: the one the token verifies with is not in the row either.
    sealed = json.loads(raw["by-token"])["token_secret"]
    secret = team_client._transport.platform.secret_box.open(sealed)
    audience = "opsloop-endpoint:by-token"
    assert token and jwt.decode(token, secret, algorithms=["HS256"], audience=audience)
    assert secret not in raw["by-token"]


def test_replicas_sharing_the_variable_share_the_secrets(
    database: Database, tmp_path: Path
) -> None:
    key = Fernet.generate_key().decode()
    replicas = [
        Settings(home=tmp_path / name, database_url=database.url, master_key=key)
        for name in ("one", "two")
    ]
    with Client(settings=replicas[0], workspace="dev") as one:
        one.workspaces.create(name="dev")
        one.online_endpoints.create(name="ep")
        keys = one.online_endpoints.get_credentials("ep")
    with Client(settings=replicas[1], workspace="dev") as two:
        assert two.online_endpoints.get_credentials("ep") == keys
    assert not any((tmp_path / name / "master.key").exists() for name in ("one", "two"))


def test_a_wrong_master_key_is_one_clear_error(database: Database, tmp_path: Path) -> None:
    home = tmp_path / "home"
    with Client(settings=Settings(home=home, database_url=database.url), workspace="dev") as client:
        client.workspaces.create(name="dev")
        client.online_endpoints.create(name="ep")
    wrong = Settings(
        home=home, database_url=database.url, master_key=Fernet.generate_key().decode()
    )
    with Client(settings=wrong, workspace="dev") as client, pytest.raises(OpsloopError) as error:
        client.online_endpoints.get_credentials("ep")
    assert error.value.status_code == 500
    assert error.value.message == (
        "the master key from OPSLOOP_MASTER_KEY does not decrypt the store's secrets: it is not "
        "the key they were encrypted with (set OPSLOOP_MASTER_KEY to that key, or restore its file)"
    )
