"""The rollback action (the endpoint from the event) and the email action, delivered to a
real local SMTP server (aiosmtpd)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from helpers import free_port
from opsloop import Client
from opsloop.config import Settings
from opsloop.security.actor import SYSTEM_ACTOR
from opsloop.services import subscriptions
from opsloop.services.context import Platform
from opsloop.specs.events import SubscriptionSpec
from subscription_helpers import FIXTURE_TYPE, alert_type, dispatcher, emit_alert

__all__ = ["alert_type"]  # a fixture


def test_rollback_restores_the_endpoint_named_by_the_event(
    client: Client, home: Path, model_dirs: dict[str, Path], alert_type: str
) -> None:
    client.workspaces.create(name="prod", kind="production")
    for version in ("v1", "v2"):
        client.models.create(name="lin", path=str(model_dirs[version]), workspace="prod")
    client.online_endpoints.create(name="fare", workspace="prod")
    client.online_deployments.create(
        name="blue", endpoint_name="fare", model="lin:1", all_traffic=True, workspace="prod"
    )
    client.online_deployments.create(
        name="green", endpoint_name="fare", model="lin:2", workspace="prod"
    )
    client.online_endpoints.update("fare", traffic={"blue": 0, "green": 100}, workspace="prod")
    client.subscriptions.create(
        name="roll-back-on-alert", types=[alert_type], workspace="prod",
        action={"type": "rollback"},
    )  # fmt: skip
    platform = Platform(Settings(home=home))
    deliver = dispatcher(platform)
    emit_alert(platform, "prod", "file:///nowhere", endpoint="fare")
    assert deliver() == 1
    restored = client.online_endpoints.get("fare", workspace="prod")
    assert restored.traffic == {"blue": 100, "green": 0}
    assert client.online_endpoints.history("fare", workspace="prod")[-1].via == "rollback"
    with platform.context(SYSTEM_ACTOR) as ctx:
        [delivery] = subscriptions.list_deliveries(ctx, "roll-back-on-alert")
    assert delivery.effect == "online-endpoint:prod/fare"


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def test_email_is_sent_through_smtp_with_a_stable_message_id(
    tmp_path: Path, smtp: tuple[Inbox, int], alert_type: str
) -> None:
    inbox, port = smtp
    settings = Settings(
        home=tmp_path / "home", smtp_host="127.0.0.1", smtp_port=port,
        smtp_from="opsloop@example.org",
    )  # fmt: skip
    platform = Platform(settings)
    spec = SubscriptionSpec.model_validate(
        {"name": "mail-oncall", "types": [alert_type],
         "action": {"type": "email", "to": ["oncall@example.org", "lead@example.org"],
                    "subject": "Drift on ${{event.data.endpoint}}"}}
    )  # fmt: skip
    with platform.context(SYSTEM_ACTOR) as ctx:
        subscriptions.create_subscription(ctx, spec)
    deliver = dispatcher(platform)
    emit_alert(platform, "prod", "file:///windows/7", endpoint="fare")
    assert deliver() == 1
    [(recipients, message)] = inbox.messages
    assert recipients == ["oncall@example.org", "lead@example.org"]
    assert message["Subject"] == "Drift on fare" and message["From"] == "opsloop@example.org"
    body = message.get_payload(decode=True).decode()
    assert f"{FIXTURE_TYPE} in prod" in body and "file:///windows/7" in body
    with platform.context(SYSTEM_ACTOR) as ctx:
        [delivery] = subscriptions.list_deliveries(ctx, "mail-oncall")
        subscriptions.redeliver(ctx, "mail-oncall", event=delivery.event)
    assert deliver() == 1
    first, again = (m for _, m in inbox.messages)
    # At least once: a second copy carries the same Message-ID, so it can be dropped.
    assert first["Message-ID"] == again["Message-ID"] and first["Message-ID"].endswith("@opsloop>")
    assert delivery.log[0].status_code == 250


def test_email_without_an_smtp_server_is_retried_with_the_reason(
    tmp_path: Path, alert_type: str
) -> None:
    platform = Platform(Settings(home=tmp_path / "home"))
    spec = SubscriptionSpec.model_validate(
        {"name": "mail", "types": [alert_type], "action": {"type": "email", "to": ["a@b.c"]}}
    )
    with platform.context(SYSTEM_ACTOR) as ctx:
        subscriptions.create_subscription(ctx, spec)
    deliver = dispatcher(platform)
    emit_alert(platform, "prod", "file:///w")
    assert deliver() == 0
    with platform.context(SYSTEM_ACTOR) as ctx:
        [delivery] = subscriptions.list_deliveries(ctx, "mail")
    assert delivery.status == "retrying" and "OPSLOOP_SMTP_HOST" in (delivery.last_error or "")


def test_email_recipients_are_read_from_the_event(
    tmp_path: Path, smtp: tuple[Inbox, int], alert_type: str
) -> None:
    inbox, port = smtp
    settings = Settings(home=tmp_path / "home", smtp_host="127.0.0.1", smtp_port=port)
    platform = Platform(settings)
    spec = SubscriptionSpec.model_validate(
        {"name": "mail-owners", "types": [alert_type],
         "action": {"type": "email", "to": [
             "ops@example.org", "${{event.data.items}}", "${{event.data.endpoint}}-lead@example.org",
         ]}}
    )  # fmt: skip
    with platform.context(SYSTEM_ACTOR) as ctx:
        subscriptions.create_subscription(ctx, spec)
    deliver = dispatcher(platform)
    owners = ["owner@example.org", "ops@example.org"]  # a repeat is sent once
    emit_alert(platform, "prod", "file:///w", endpoint="fare", items=owners)
    assert deliver() == 1
    [(recipients, message)] = inbox.messages
    assert recipients == ["ops@example.org", "owner@example.org", "fare-lead@example.org"]
    assert message["To"] == ", ".join(recipients)

    emit_alert(platform, "prod", "file:///w", endpoint="fare", items=["not an address"])
    assert deliver() == 0
    with platform.context(SYSTEM_ACTOR) as ctx:
        latest = subscriptions.list_deliveries(ctx, "mail-owners")
    failed = [d for d in latest if d.status == "retrying"]
    assert len(failed) == 1 and "'not an address'" in (failed[0].last_error or "")


@pytest.mark.parametrize(
    ("to", "words"),
    [
        (["nobody"], "or an event expression"),
        (["${{event.owner}}"], "is not an event expression"),
    ],
)
def test_an_email_recipient_is_an_address_or_an_event_expression(to: list[str], words: str) -> None:
    with pytest.raises(ValueError, match=re.escape(words)):
        SubscriptionSpec.model_validate(
            {"name": "m", "types": ["x.y"], "action": {"type": "email", "to": to}}
        )
