"""Migration 0005 on a store an older opsloop wrote (keys in clear), on both backends."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from helpers import serving_runtime
from opsloop import Client
from opsloop.config import Settings
from opsloop.security.secrets_at_rest import MasterKeyError, SecretBox
from opsloop.services.online_endpoints import issue_token
from opsloop.store.database import MIGRATIONS
from opsloop.store.tables import EndpointRow, WorkspaceRow

OLD_KEYS = {
    "primary": "old-primary-key-in-clear-0123456789abcdef",
    "secondary": "old-secondary-key-in-clear-0123456789abcdef",
    "token_secret": "old-token-secret-in-clear-0123456789abcdef0123456789",
}
ROW = {"input_data": {"columns": ["a", "b", "c"], "data": [[1.0, 1.0, 1.0]]}}


def migrate_to(
    url: str, revision: str, secret_box: SecretBox | None = None, *, down: bool = False
) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["secret_box"] = secret_box
    engine = create_engine(url)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)
    engine.dispose()


def raw_keys(url: str) -> dict[str, dict[str, str]]:
    engine = create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT name, CAST(keys AS TEXT) FROM endpoints")).all()
    engine.dispose()
    return {name: json.loads(raw) for name, raw in rows}


@pytest.fixture(params=["sqlite", "postgresql"])
def old_store(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A store at revision 0003 holding a key endpoint and a token endpoint, keys in clear."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.db'}"
    else:
        url = request.getfixturevalue("postgres_url").replace(
            "postgresql://", "postgresql+psycopg://"
        )
    migrate_to(url, "0003")
    engine = create_engine(url)
    with Session(engine) as session, session.begin():
        workspace = WorkspaceRow(name="dev", kind="workspace", created_by="old")
        session.add(workspace)
        session.flush()
        for name, auth_mode in (("by-key", "key"), ("by-token", "aml_token")):
            session.add(
                EndpointRow(
                    workspace_id=workspace.id,
                    kind="online",
                    name=name,
                    auth_mode=auth_mode,
                    spec={"traffic": {}, "mirror_traffic": {}},
                    keys=OLD_KEYS,
                    created_by="old",
                )
            )
    engine.dispose()
    return url


def test_an_upgraded_store_is_sealed_and_its_old_keys_keep_working(
    old_store: str, tmp_path: Path, model_dirs: dict[str, Path]
) -> None:
    settings = Settings(home=tmp_path / "home", database_url=old_store)
    with Client(settings=settings, workspace="dev") as client:  # migrates to the head
        for keys in raw_keys(old_store).values():
            assert all(SecretBox.is_sealed(keys[name]) for name in OLD_KEYS)
            assert not any(clear in json.dumps(keys) for clear in OLD_KEYS.values())
        credentials = client.online_endpoints.get_credentials("by-key")
        assert (credentials.primary_key, credentials.secondary_key) == (
            OLD_KEYS["primary"],
            OLD_KEYS["secondary"],
        )
        client.models.create(name="lin", path=str(model_dirs["v1"]))
        for endpoint in ("by-key", "by-token"):
            client.online_deployments.create(
                name="blue", endpoint_name=endpoint, model="lin:1", all_traffic=True
            )
        with TestClient(serving_runtime(client, "by-key")) as http:
            assert _score(http, OLD_KEYS["secondary"]) == 200
            assert _score(http, "not-the-key") == 401
        # A token issued before the upgrade still verifies, as does one issued after it.
        before = issue_token(
            OLD_KEYS["token_secret"], "by-token", "old", datetime.now(UTC) + timedelta(hours=1)
        )
        after = client.online_endpoints.get_credentials("by-token").access_token
        assert after is not None
        with TestClient(serving_runtime(client, "by-token")) as http:
            assert _score(http, before) == 200 and _score(http, after) == 200
            assert _score(http, before[:-3] + "abc") == 401


def test_a_downgrade_gives_back_the_clear_keys(old_store: str, tmp_path: Path) -> None:
    box = SecretBox(tmp_path / "master.key")
    migrate_to(old_store, "head", box)
    assert raw_keys(old_store)["by-key"]["primary"] != OLD_KEYS["primary"]
    migrate_to(old_store, "0003", box, down=True)
    assert raw_keys(old_store) == {"by-key": OLD_KEYS, "by-token": OLD_KEYS}


def test_upgrading_clear_keys_without_the_master_key_is_refused(old_store: str) -> None:
    with pytest.raises(MasterKeyError, match="need the master key to be migrated"):
        migrate_to(old_store, "head")
    assert raw_keys(old_store)["by-key"] == OLD_KEYS  # nothing half-applied


def _score(http: TestClient, credential: str) -> int:
    answer = http.post("/score", json=ROW, headers={"authorization": f"Bearer {credential}"})
    return answer.status_code


def test_audit_records_written_before_the_chain_are_chained_by_the_upgrade(
    old_store: str, tmp_path: Path
) -> None:
    engine = create_engine(old_store)
    with engine.begin() as connection:
        for i in range(3):
            connection.execute(
                text(
                    "INSERT INTO audit_log (at, actor, action, workspace, target, outcome, detail)"
                    " VALUES (:at, 'old', 'workspaces/write', 'dev', :target, 'succeeded', '{}')"
                ),
                {"at": datetime(2026, 1, 1, 12, i, tzinfo=UTC), "target": f"workspace:w{i}"},
            )
    engine.dispose()
    key = SecretBox(tmp_path / "master.key")
    migrate_to(old_store, "head", key)
    url = old_store.replace("postgresql+psycopg://", "postgresql://")
    with Client(settings=Settings(home=tmp_path / "home", database_url=url)) as client:
        client.workspaces.create(name="after")  # appended to the migrated chain
        result = client.audit.verify()
    assert result.ok and result.records == 4, result
