"""Leases: one holder per piece of background work, with expiry and a fencing token.

A holder calls :meth:`Lease.acquire` on every tick: it renews a lease it holds, takes
one that expired, and otherwise answers False. Taking a lease increments its token; a
write made under the lease calls :meth:`Lease.guard` in the same transaction, which
locks the lease row and checks holder, token and expiry. Because a takeover has to update
that same row, a holder that paused past its expiry cannot write after its successor
took over: its guard fails and its transaction rolls back.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from opsloop.store.database import Database
from opsloop.store.tables import LeaseRow

_NEVER = datetime(1970, 1, 1, tzinfo=UTC)


class LeaseLostError(RuntimeError):
    """The lease expired or passed to another holder; the work under it must stop."""


def new_holder_name() -> str:
    """Unique per process and start: host, pid and a random suffix (pids are reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Lease:
    def __init__(self, database: Database, name: str, holder: str, ttl_s: float) -> None:
        self.database = database
        self.name = name
        self.holder = holder
        self.ttl = timedelta(seconds=ttl_s)
        self.token: int | None = None
        self._renew_after = 0.0  # monotonic time after which acquire() writes again

    @property
    def held(self) -> bool:
        return self.token is not None

    def acquire(self) -> bool:
        """Renew the lease if held, take it if free or expired; True if we hold it now.

        A held lease is renewed once a third of its time has passed, not on every call: a
        worker ticking twice a second need not write twice a second. Writes under the
        lease are checked by ``guard`` in any case."""
        if self.token is not None and time.monotonic() < self._renew_after:
            return True
        started = time.monotonic()
        now = datetime.now(UTC)
        with self.database.transaction() as session:
            self._ensure_row(session)
            row = session.scalars(
                select(LeaseRow).where(LeaseRow.name == self.name).with_for_update()
            ).one()
            if row.holder == self.holder and row.token == self.token and row.expires_at > now:
                row.expires_at = now + self.ttl
            elif row.expires_at <= now:
                row.holder, row.token = self.holder, row.token + 1
                row.expires_at, row.acquired_at = now + self.ttl, now
                session.flush()
                self.token = row.token
            else:
                self.token = None
                return False
        self._renew_after = started + self.ttl.total_seconds() / 3
        return True

    def guard(self, session: Session) -> None:
        """Check, inside the caller's transaction, that we still hold the lease; lock its
        row until that transaction ends so no one can take it over meanwhile."""
        if self.token is None:
            raise LeaseLostError(f"lease {self.name!r} is not held")
        row = session.scalars(
            select(LeaseRow).where(LeaseRow.name == self.name).with_for_update()
        ).one_or_none()
        if (
            row is None
            or row.holder != self.holder
            or row.token != self.token
            or row.expires_at <= datetime.now(UTC)
        ):
            self.token = None
            raise LeaseLostError(f"lease {self.name!r} was lost")

    def release(self) -> None:
        """Give the lease up at once (a clean stop), so another holder need not wait."""
        if self.token is None:
            return
        with self.database.transaction() as session:
            row = session.scalars(
                select(LeaseRow).where(LeaseRow.name == self.name).with_for_update()
            ).one_or_none()
            if row is not None and row.holder == self.holder and row.token == self.token:
                row.expires_at = datetime.now(UTC)
        self.token = None
        self._renew_after = 0.0

    def _ensure_row(self, session: Session) -> None:
        values = {"name": self.name, "holder": "", "token": 0, "expires_at": _NEVER}
        dialect = session.get_bind().dialect.name
        insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
        session.execute(insert(LeaseRow).values(**values).on_conflict_do_nothing())


def lease_expiries(session: Session, names: list[str]) -> dict[str, datetime]:
    """When each of the named leases lapses (a lease never taken is absent)."""
    rows = session.scalars(select(LeaseRow).where(LeaseRow.name.in_(names)))
    return {row.name: row.expires_at for row in rows}


def lease_holders(database: Database) -> dict[str, tuple[str, int, datetime]]:
    """Every lease: name -> (holder, token, expires_at); for status output and tests."""
    with database.transaction() as session:
        return {
            row.name: (row.holder, row.token, row.expires_at)
            for row in session.scalars(select(LeaseRow))
        }
