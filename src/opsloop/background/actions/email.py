"""The email action: mail the event through the SMTP settings, at least once.

The Message-ID is derived from the idempotency key, so the copies a redelivery may send
carry the same Message-ID and a receiver (or a mail client) can drop the second.
"""

from __future__ import annotations

import hashlib
import json
import smtplib
from email.message import EmailMessage

from opsloop.background.actions.base import DeliveryError, SubscriptionSubscriber, render
from opsloop.config import Settings
from opsloop.schemas.events import CloudEvent
from opsloop.specs.events import EmailAction, is_email


def message_id(idempotency_key: str) -> str:
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:40]
    return f"<{digest}@opsloop>"


def compose(
    action: EmailAction, event: CloudEvent, idempotency_key: str, sender: str
) -> EmailMessage:
    message = EmailMessage()
    subject = (
        str(render(action.subject, event))
        if action.subject
        else f"[opsloop] {event.type} {event.subject or ''}".strip()
    )
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = ", ".join(recipients(action, event))
    message["Message-ID"] = message_id(idempotency_key)
    message["X-Opsloop-Idempotency-Key"] = idempotency_key
    lines = [
        f"{event.type} in {event.workspace or 'the platform'}",
        "",
        f"subject:  {event.subject or '-'}",
        f"time:     {event.time.isoformat()}",
        f"actor:    {event.actor or '-'}",
        f"event id: {event.id}",
        "",
        "data:",
        json.dumps(event.data, indent=2, sort_keys=True, default=str),
    ]
    message.set_content("\n".join(lines) + "\n")
    return message


def recipients(action: EmailAction, event: CloudEvent) -> list[str]:
    """``to`` with its event expressions read: each address once, in the order given. An
    expression that reads no address is a delivery error (retried, then dead-lettered)
    rather than a mail that silently misses someone."""
    found: dict[str, None] = {}
    for entry in action.to:
        value = render(entry, event)
        values = value if isinstance(value, list) else [value]
        for address in values:
            if not isinstance(address, str) or not is_email(address):
                raise DeliveryError(f"recipient {entry!r} read {address!r}, not an email address")
            found[address] = None
    return list(found)


class EmailSubscriber(SubscriptionSubscriber[EmailAction]):
    def __init__(
        self,
        subscription: str,
        patterns: list[str],
        workspace: str | None,
        subject: str | None,
        action: EmailAction,
        *,
        settings: Settings,
    ) -> None:
        super().__init__(subscription, patterns, workspace, subject, action)
        self.settings = settings

    def send(self, event: CloudEvent, idempotency_key: str) -> int | None:
        settings = self.settings
        if not settings.smtp_host:
            raise DeliveryError("no SMTP server is set (OPSLOOP_SMTP_HOST)")
        message = compose(self.action, event, idempotency_key, settings.smtp_from)
        try:
            with smtplib.SMTP(
                settings.smtp_host, settings.smtp_port, timeout=settings.webhook_timeout_s
            ) as smtp:
                if settings.smtp_starttls:
                    smtp.starttls()
                if settings.smtp_username:
                    password = settings.smtp_password
                    smtp.login(
                        settings.smtp_username, password.get_secret_value() if password else ""
                    )
                smtp.send_message(message)
        except smtplib.SMTPResponseException as exc:
            raise DeliveryError(f"SMTP server answered {exc.smtp_code}", exc.smtp_code) from None
        return 250
