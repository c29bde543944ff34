"""Presence trackers: one change per real transition, expiry of dead instances."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Callable

import pytest

from presence import Tracker, create_tracker
from tests.support.services import REDIS_URL, REQUIRED, reachable

Make = Callable[[str], Tracker]


@pytest.fixture(params=["memory", "redis"])
async def make(request: pytest.FixtureRequest) -> AsyncIterator[Make]:
    """Trackers of several instances sharing one backend."""
    made: list[Tracker] = []
    prefix = f"test-{secrets.token_hex(4)}"
    shared: list[Tracker] = []
    if request.param == "redis" and not reachable(REDIS_URL):
        if REQUIRED:
            pytest.fail("Redis is required")
        pytest.skip("Redis is not reachable")

    def build(instance: str) -> Tracker:
        if request.param == "memory":
            # One process: every "instance" is the same in-memory tracker.
            if not shared:
                shared.append(create_tracker(None, instance))
            return shared[0]
        tracker = create_tracker(REDIS_URL, instance, prefix=prefix, ttl=0.5)
        made.append(tracker)
        return tracker

    yield build
    for tracker in made + shared:
        await tracker.close()


async def test_first_join_and_last_leave_are_the_only_changes(make: Make) -> None:
    a, b = make("a"), make("b")
    assert await a.join((1, 7)) is True
    if a is not b:
        assert await b.join((1, 7)) is False  # a second instance: already online
        assert await a.leave((1, 7)) is False  # still on b
        assert await b.online(1) == {7}
        assert await b.leave((1, 7)) is True
    else:
        assert await a.leave((1, 7)) is True
    assert await a.online(1) == set()
    assert await a.leave((1, 7)) is False


async def test_presence_is_per_campaign(make: Make) -> None:
    a = make("a")
    await a.join((1, 7))
    await a.join((2, 8))
    assert await a.online(1) == {7}
    assert await a.online(2) == {8}


async def test_a_dead_instances_users_expire_once(make: Make) -> None:
    a, b, c = make("a"), make("b"), make("c")
    if a is b:
        assert await a.expiring() == []  # one process: nothing outlives it
        return
    await a.join((1, 7))
    await b.join((1, 8))
    await asyncio.sleep(0.3)
    assert await b.refresh([(1, 8)]) == []  # b is alive; a stops refreshing
    await asyncio.sleep(0.35)
    assert await c.expiring() == [1]
    gone = await asyncio.gather(b.expire(1), c.expire(1))
    assert sorted(gone, key=len) == [[], [7]]  # exactly one instance reports it
    assert await c.online(1) == {8}


async def test_refresh_reports_entries_the_backend_lost(make: Make) -> None:
    a = make("a")
    assert await a.refresh([(1, 7)]) == [(1, 7)]
    await a.join((1, 7))
    assert await a.refresh([(1, 7)]) == []


def test_unknown_presence_urls_are_refused() -> None:
    with pytest.raises(ValueError, match="redis://"):
        create_tracker("kafka://nope", "a")


def test_a_dead_instances_senders_go_offline_within_the_contracts_30_seconds() -> None:
    from presence.timing import DEFAULT_TTL, heartbeat_interval, offline_within

    assert heartbeat_interval(DEFAULT_TTL) == DEFAULT_TTL / 3
    assert offline_within(DEFAULT_TTL) <= 30
    assert heartbeat_interval(0.3) == 0.5  # never a busy loop, however small the TTL
