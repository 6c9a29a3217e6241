"""Migration 0018 on a store an older opsloop wrote, on both backends: webhook
subscriptions keep their progress under their new subscriber names, failed deliveries
become dead letters, and the old webhooks (no secret) are still delivered, unsigned."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text

from opsloop.background.dispatcher import EventDispatcher
from opsloop.background.leases import Lease
from opsloop.config import Settings
from opsloop.security.actor import Actor
from opsloop.security.secrets_at_rest import SecretBox
from opsloop.services import registries, subscriptions
from opsloop.services.context import Platform
from opsloop.specs.workspace import RegistrySpec
from opsloop.store.database import MIGRATIONS
from webhooks import webhook_receiver


def _migrate(url: str, revision: str, key_file: Path) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["secret_box"] = SecretBox(key_file)
    engine = create_engine(url)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def old_store(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'old.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url.replace("postgresql://", "postgresql+psycopg://")


def test_old_webhooks_keep_their_progress_and_are_delivered(old_store: str, tmp_path: Path) -> None:
    home = tmp_path / "home"
    _migrate(old_store, "0019", home / "master.key")
    with webhook_receiver() as receiver:
        engine = create_engine(old_store)
        with engine.begin() as connection:
            now = datetime.now(UTC)
            connection.execute(
                text(
                    "INSERT INTO event_subscriptions (id, name, workspace, event_types, "
                    "webhook_url, created_at, created_by) VALUES ('s1', 'ci', NULL, "
                    "'[\"registry.*\"]', :url, :now, 'old')"
                ),
                {"url": receiver.url, "now": now},
            )
            connection.execute(
                text("INSERT INTO event_cursors (subscriber, position, updated_at) "
                     "VALUES ('webhook:ci', 0, :now)"),
                {"now": now},
            )  # fmt: skip
            connection.execute(
                text(
                    "INSERT INTO event_deliveries (subscriber, event_id, idempotency_key, "
                    "status, attempts, updated_at) VALUES ('webhook:ci', 0, 'webhook:ci/old', "
                    "'failed', 8, :now)"
                ),
                {"now": now},
            )
        engine.dispose()
        url = old_store.replace("postgresql+psycopg://", "postgresql://")
        platform = Platform(Settings(home=home, database_url=url))  # migrates to the head
        with platform.context(Actor(name="me")) as ctx:
            before = subscriptions.get_subscription(ctx, "ci")
            [dead] = subscriptions.list_deliveries(ctx, "ci", status="dead_letter")
            registries.create_registry(ctx, RegistrySpec(name="shared"))
        assert before.action == {"type": "webhook", "url": receiver.url}
        assert before.dead_letters == 1 and dead.idempotency_key == "subscription:ci/old"
        lease = Lease(platform.database, EventDispatcher.lease_name, "test", ttl_s=60)
        assert lease.acquire()
        assert EventDispatcher(platform).run_once(lease) == 1
    [(headers, _)] = receiver.raw
    assert headers["idempotency-key"].startswith("subscription:ci/")
    assert "webhook-signature" not in headers
