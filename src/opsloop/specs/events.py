"""Subscription spec: which events (types, workspace, subject) and the ONE action they get.

```yaml
name: retrain-on-drift
types: [monitor.alerted]
workspace: prod
subject: "online-endpoint:*"
action:
  type: run_job
  workspace: dev
  job: ../pipelines/train.yml
  inputs:
    fresh_data: ${{event.data.production_data}}
```

The older flat form (``event_types`` and ``webhook_url``) is read as a webhook action, so
``opsloop event subscription create -n -t --webhook`` and its SDK call keep working.
"""

from __future__ import annotations

import fnmatch
import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)

from opsloop.catalogue.events import EVENT_TYPES
from opsloop.specs.base import AssetName, SpecModel

# ${{event.subject}}, ${{event.data.production_data}}, ${{event.data.a.b}}
EVENT_EXPRESSION = re.compile(r"\$\{\{\s*([^}]*?)\s*\}\}")
_EVENT_PATH = re.compile(r"^event\.(id|type|subject|workspace|time|data(\.[A-Za-z0-9_-]+)+)$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


def _check_webhook_url(value: str) -> str:
    if not value.startswith(("http://", "https://")) or len(value) > 2000:
        raise ValueError("must be an http:// or https:// URL")
    return value


def _check_expressions(value: str) -> str:
    for match in EVENT_EXPRESSION.finditer(value):
        if not _EVENT_PATH.match(match.group(1)):
            raise ValueError(
                f"{match.group(0)!r} is not an event expression: use ${{{{event.data.<field>}}}}"
                ", ${{event.subject}}, ${{event.id}}, ${{event.type}} or ${{event.workspace}}"
            )
    return value


def _check_email(value: str) -> str:
    if not is_email(value):
        raise ValueError("must be an email address (name@host)")
    return value


def is_email(value: str) -> bool:
    return bool(_EMAIL.match(value)) and len(value) <= 320


def _check_recipient(value: str) -> str:
    # An address, or one read from the event (checked once the event is known).
    if EVENT_EXPRESSION.search(value):
        return _check_expressions(value)
    try:
        return _check_email(value)
    except ValueError:
        raise ValueError(
            "must be an email address (name@host) or an event expression such as "
            "${{event.data.owner}}"
        ) from None


WebhookUrl = Annotated[str, AfterValidator(_check_webhook_url)]
EventText = Annotated[str, AfterValidator(_check_expressions)]
EmailAddress = Annotated[str, AfterValidator(_check_email)]
Recipient = Annotated[str, AfterValidator(_check_recipient)]


class WebhookAction(SpecModel):
    """POST the CloudEvent, signed (Standard Webhooks), retried, at least once."""

    type: Literal["webhook"]
    url: WebhookUrl


class EmailAction(SpecModel):
    """Mail the event to ``to`` through the SMTP settings, at least once. A recipient is an
    address or an expression read from the event (``${{event.data.owner}}``; a list value
    adds each of its addresses), as run_job reads its inputs."""

    type: Literal["email"]
    to: list[Recipient] = Field(min_length=1, max_length=50)
    subject: EventText | None = None  # default: "[opsloop] <type> <subject>"


class RunJobAction(SpecModel):
    """Submit the job in ``job`` (a path relative to the subscription file) with inputs
    taken from the event; once per event, in the transaction that records the delivery."""

    type: Literal["run_job"]
    workspace: AssetName | None = None  # default: the event's workspace
    job: str = Field(min_length=1, max_length=1000)
    inputs: dict[str, EventText] = Field(default_factory=dict)
    # The job file as the client read and resolved it at creation (code uploaded): the
    # subscription keeps it, so a later edit or move of the file changes nothing.
    job_spec: dict[str, Any] | None = None


class RollbackAction(SpecModel):
    """Restore an online endpoint's previous traffic split, once per event."""

    type: Literal["rollback"]
    workspace: AssetName | None = None  # default: the event's workspace
    # default: the event's data.endpoint, else its subject online-endpoint:<name>
    endpoint: EventText | None = None


class LabelAction(SpecModel):
    """Open (or extend) the labeling task ``task`` with the event's items, once per event."""

    type: Literal["label"]
    workspace: AssetName | None = None  # default: the event's workspace
    task: AssetName
    limit: int = Field(default=1000, ge=1, le=100_000)  # rows read from data.production_data


_ACTION_MEMBERS = {
    "webhook": "WebhookAction",
    "email": "EmailAction",
    "run_job": "RunJobAction",
    "rollback": "RollbackAction",
    "label": "LabelAction",
}
# Member tags named by class, so error locations read ``action.url`` (the loader drops
# member names), not ``action.webhook.url``.
ACTION_MEMBER_NAMES = frozenset(_ACTION_MEMBERS.values())


def _action_kind(value: Any) -> str | None:
    kind = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    return _ACTION_MEMBERS.get(kind) if isinstance(kind, str) else None


SubscriptionAction = Annotated[
    Annotated[WebhookAction, Tag("WebhookAction")]
    | Annotated[EmailAction, Tag("EmailAction")]
    | Annotated[RunJobAction, Tag("RunJobAction")]
    | Annotated[RollbackAction, Tag("RollbackAction")]
    | Annotated[LabelAction, Tag("LabelAction")],
    Discriminator(
        _action_kind,
        custom_error_type="action_type",
        custom_error_message="type must be one of: webhook, email, run_job, rollback, label",
    ),
]
# Actions whose effect is in the metadata store: committed with the delivery, exactly once.
STORE_ACTIONS = frozenset({"run_job", "rollback", "label"})


class SubscriptionSpec(SpecModel):
    """Events whose type matches one of ``types`` (``job.*``, or a type from
    ``docs/events.md``), optionally of one ``workspace`` and with a ``subject`` matching a
    glob, each get the ``action``."""

    name: AssetName
    types: list[str] = Field(min_length=1, max_length=50)
    workspace: AssetName | None = None
    subject: str | None = Field(default=None, min_length=1, max_length=1000)
    action: SubscriptionAction

    @model_validator(mode="before")
    @classmethod
    def _flat_webhook_form(cls, data: Any) -> Any:
        """``event_types`` / ``webhook_url`` (the first form) mean types / a webhook."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        if "event_types" in data and "types" not in data:
            data["types"] = data.pop("event_types")
        if "webhook_url" in data and "action" not in data:
            data["action"] = {"type": "webhook", "url": data.pop("webhook_url")}
        return data

    @field_validator("types")
    @classmethod
    def _declared_types(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            if not any(fnmatch.fnmatchcase(t, pattern) for t in EVENT_TYPES):
                raise ValueError(f"{pattern!r} matches no event type; see `opsloop event types`")
        return patterns


# The name the first (webhook-only) form had; the SDK and API still use it.
EventSubscriptionSpec = SubscriptionSpec
