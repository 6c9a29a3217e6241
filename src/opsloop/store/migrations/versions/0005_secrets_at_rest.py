"""secrets at rest: endpoint keys and token secrets encrypted with the master key

An older store kept them in clear; each is encrypted in place, so its endpoints keep
their keys (clients need no new ones). The master key comes from the Platform that runs
the migration (``OPSLOOP_MASTER_KEY`` or the home's master.key, created if need be).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 18:40:00
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from alembic import context, op

from opsloop.security.secrets_at_rest import MasterKeyError, SecretBox

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

SECRET_FIELDS = ("primary", "secondary", "token_secret")
endpoints = sa.table("endpoints", sa.column("id", sa.String), sa.column("keys", sa.JSON))
# ``endpoints.c.keys`` is the column collection's own method, not this column.
keys_column = endpoints.c["keys"]


def upgrade() -> None:
    _rewrite(lambda value: not SecretBox.is_sealed(value), SecretBox.seal)


def downgrade() -> None:
    _rewrite(SecretBox.is_sealed, SecretBox.open)


def _rewrite(needs_change: Callable[[str], bool], change: Callable[[SecretBox, str], str]) -> None:
    connection = op.get_bind()
    box: SecretBox | None = context.config.attributes.get("secret_box")
    for id_, keys in connection.execute(sa.select(endpoints.c.id, keys_column)).all():
        stored: dict[str, Any] = keys or {}
        names = [
            name
            for name in SECRET_FIELDS
            if isinstance(stored.get(name), str) and needs_change(stored[name])
        ]
        if not names:
            continue
        if box is None:
            raise MasterKeyError(
                "this store's endpoint secrets need the master key to be migrated; open the "
                "store through opsloop (Platform), which brings it"
            )
        changed = {**stored, **{name: change(box, stored[name]) for name in names}}
        connection.execute(sa.update(endpoints).where(endpoints.c.id == id_).values(keys=changed))
