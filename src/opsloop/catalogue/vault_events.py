"""Event types of the secrets vault. Payloads name a secret, never hold its value."""

from __future__ import annotations

from opsloop.catalogue.events import EventPayload


class SecretSet(EventPayload):
    event_type = "secret.set"
    resource_type = "secrets"
    description = "A secret was set in a workspace's vault (its value is never recorded)."
    version: int


class SecretDeleted(EventPayload):
    event_type = "secret.deleted"
    resource_type = "secrets"
    description = "A secret was deleted from a workspace's vault."


class SecretValueRead(EventPayload):
    event_type = "secret.value_read"
    resource_type = "secrets/values"
    description = "Someone read a secret's value (who, and which version; never the value)."
    version: int


class MasterKeyRotated(EventPayload):
    event_type = "master_key.rotated"
    resource_type = "master-key"
    description = "Every sealed value of the store was re-sealed with a new master key."
    vault_secrets: int
    endpoint_secrets: int
    webhook_secrets: int = 0
