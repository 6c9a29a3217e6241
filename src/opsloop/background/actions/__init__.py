"""Subscription actions: one subscriber class per action type, built from a stored
subscription by ``subscriber_for``.

webhook and email act outside the metadata store (``send``: at least once, with an
idempotency key); run_job, rollback and label act in it (``handle``: in the transaction that
records the delivery, so exactly once).
"""

from __future__ import annotations

from typing import Any

import httpx

from opsloop.background.actions.base import SubscriptionSubscriber
from opsloop.background.actions.email import EmailSubscriber
from opsloop.background.actions.label import LabelSubscriber
from opsloop.background.actions.rollback import RollbackSubscriber
from opsloop.background.actions.run_job import RunJobSubscriber
from opsloop.background.actions.webhook import WebhookSubscriber
from opsloop.services.context import Platform
from opsloop.services.subscriptions import stored_action
from opsloop.specs.events import (
    EmailAction,
    LabelAction,
    RollbackAction,
    RunJobAction,
    WebhookAction,
)
from opsloop.store.tables import EventSubscriptionRow


def subscriber_for(
    row: EventSubscriptionRow, platform: Platform, http: httpx.Client
) -> SubscriptionSubscriber[Any]:
    action = stored_action(row)
    common = (row.name, list(row.event_types), row.workspace, row.subject)
    if isinstance(action, WebhookAction):
        secret = platform.secret_box.open(row.secret) if row.secret else None
        return WebhookSubscriber(*common, action, secret=secret, http=http)
    if isinstance(action, EmailAction):
        return EmailSubscriber(*common, action, settings=platform.settings)
    if isinstance(action, RunJobAction):
        return RunJobSubscriber(*common, action)
    if isinstance(action, RollbackAction):
        return RollbackSubscriber(*common, action)
    if isinstance(action, LabelAction):
        return LabelSubscriber(*common, action)
    raise NotImplementedError(f"no subscriber for the {action.type} action")
