"""Leases on both backends: one holder at a time, expiry hands over, fencing stops a stale
holder's writes."""

from __future__ import annotations

import time

import pytest

from opsloop.background.leases import Lease, LeaseLostError, lease_holders
from opsloop.store.database import Database


def test_one_holder_at_a_time_and_renewal(database: Database) -> None:
    first = Lease(database, "work", "a", ttl_s=30)
    second = Lease(database, "work", "b", ttl_s=30)
    assert first.acquire() and first.token == 1
    assert not second.acquire() and second.token is None
    assert first.acquire() and first.token == 1  # a renewal keeps the token
    assert lease_holders(database)["work"][:2] == ("a", 1)


def test_an_expired_lease_is_taken_over_with_a_new_token(database: Database) -> None:
    stale = Lease(database, "work", "a", ttl_s=0.3)
    fresh = Lease(database, "work", "b", ttl_s=30)
    assert stale.acquire()
    assert not fresh.acquire()
    time.sleep(0.4)
    assert fresh.acquire() and fresh.token == 2
    # The old holder, back from a pause, can neither write nor take the lease back.
    with pytest.raises(LeaseLostError), database.transaction() as session:
        stale.guard(session)
    assert not stale.acquire()
    with database.transaction() as session:
        fresh.guard(session)


def test_guard_refuses_a_holder_whose_lease_ran_out_unrenewed(database: Database) -> None:
    lease = Lease(database, "work", "a", ttl_s=0.2)
    assert lease.acquire()
    time.sleep(0.3)
    with pytest.raises(LeaseLostError), database.transaction() as session:
        lease.guard(session)
    assert not lease.held


def test_release_lets_the_next_holder_in_at_once(database: Database) -> None:
    first = Lease(database, "work", "a", ttl_s=60)
    second = Lease(database, "work", "b", ttl_s=60)
    assert first.acquire()
    first.release()
    assert second.acquire() and second.token == 2


def test_leases_are_independent_by_name(database: Database) -> None:
    assert Lease(database, "events", "a", ttl_s=30).acquire()
    assert Lease(database, "sweeper", "b", ttl_s=30).acquire()
