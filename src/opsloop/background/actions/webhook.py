"""The webhook action: POST the CloudEvent, signed as Standard Webhooks define it."""

from __future__ import annotations

import time

import httpx

from opsloop.background.actions.base import DeliveryError, SubscriptionSubscriber
from opsloop.schemas.events import CloudEvent
from opsloop.security.webhook_signing import signed_headers
from opsloop.specs.events import WebhookAction


class WebhookSubscriber(SubscriptionSubscriber[WebhookAction]):
    """Any 2xx answer is a delivery. ``secret`` is None only for the subscriptions made
    before signing existed."""

    def __init__(
        self,
        subscription: str,
        patterns: list[str],
        workspace: str | None,
        subject: str | None,
        action: WebhookAction,
        *,
        secret: str | None,
        http: httpx.Client,
    ) -> None:
        super().__init__(subscription, patterns, workspace, subject, action)
        self.secret = secret
        self.http = http

    def send(self, event: CloudEvent, idempotency_key: str) -> int | None:
        body = event.model_dump_json().encode()
        headers = {
            "content-type": "application/cloudevents+json",
            "idempotency-key": idempotency_key,
        }
        if self.secret is not None:
            # Signed at each attempt: the timestamp is when this call was made, so a
            # receiver's replay window counts from the call it sees.
            headers |= signed_headers(self.secret, idempotency_key, int(time.time()), body)
        response = self.http.post(self.action.url, content=body, headers=headers)
        if not response.is_success:
            raise DeliveryError(f"webhook answered {response.status_code}", response.status_code)
        return response.status_code
