"""The broker interface, on the in-process and Redis backends."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from channels import GAP, Broker, BrokerUnavailable, Message, create_broker
from channels.memory import MemoryBroker
from tests.support.processes import PrivateRedis
from tests.support.services import REDIS_URL, REQUIRED, reachable


@pytest.fixture(params=["memory", "redis"])
async def broker(request: pytest.FixtureRequest) -> AsyncIterator[Broker]:
    if request.param == "redis":
        if not reachable(REDIS_URL):
            if REQUIRED:
                pytest.fail("Redis is required")
            pytest.skip("Redis is not reachable")
        url: str | None = REDIS_URL
    else:
        url = None
    async with create_broker(url, prefix=f"test-{secrets.token_hex(4)}") as b:
        yield b


async def _next(sub: AsyncIterator[Message], wait: float = 5.0) -> Message:
    return await asyncio.wait_for(sub.__anext__(), wait)


async def test_subscribers_get_what_is_published_on_their_channels_in_order(broker: Broker) -> None:
    async with broker.subscribe("a") as one, broker.subscribe("a", "b") as two:
        for n in range(3):
            await broker.publish("a", b"a%d" % n)
        await broker.publish("b", b"b0")
        await broker.publish("c", b"nobody")
        assert [(await _next(one)).payload for _ in range(3)] == [b"a0", b"a1", b"a2"]
        got = [await _next(two) for _ in range(4)]
        assert got == [Message("a", b"a0"), Message("a", b"a1"), Message("a", b"a2"), Message("b", b"b0")]
        with pytest.raises(TimeoutError):
            await _next(one, 0.2)


async def test_channels_are_reference_counted(broker: Broker) -> None:
    async with broker.subscribe() as sub:
        await sub.add("x")
        await sub.add("x")
        await sub.remove("x")
        await broker.publish_many([Message("x", b"still")])
        assert (await _next(sub)).payload == b"still"
        await sub.remove("x")
        assert sub.channels == set()
        await broker.publish("x", b"gone")
        with pytest.raises(TimeoutError):
            await _next(sub, 0.2)


async def test_a_subscriber_too_far_behind_gets_a_gap_instead_of_unbounded_memory() -> None:
    async with MemoryBroker() as broker, broker.subscribe("x", maxsize=10) as sub:
        for n in range(25):
            await broker.publish("x", b"%d" % n)
        first = await _next(sub)
        assert first is GAP or first == GAP
        rest = [await _next(sub) for _ in range(4)]
        assert [m.payload for m in rest] == [b"21", b"22", b"23", b"24"]


async def test_many_channels_added_at_once_are_listened_to_in_one_call(
    broker: Broker, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[list[str]] = []
    listen = broker._listen

    async def counted(channels: list[str]) -> None:
        calls.append(list(channels))
        await listen(channels)

    monkeypatch.setattr(broker, "_listen", counted)
    names = [f"crowd-{n}" for n in range(150)]
    async with broker.subscribe("crowd-0") as sub:
        await sub.add(*names)
        # Only the channels new to the process are asked for, together.
        assert calls == [["crowd-0"], names[1:]]
        await broker.publish_many([Message(name, name.encode()) for name in names])
        got = [await _next(sub) for _ in names]
        assert [m.payload for m in got] == [name.encode() for name in names]
        await sub.remove("crowd-0")
        assert sub.channels == set(names)  # crowd-0 was added twice


async def test_a_closed_subscription_cannot_be_reused(broker: Broker) -> None:
    async with broker.subscribe() as sub:
        pass
    with pytest.raises(Exception, match="closed"):
        await sub.add("x")


async def test_redis_outage_is_reported_and_followed_by_a_gap(tmp_path: Path) -> None:
    redis = PrivateRedis(tmp_path)
    redis.start()
    try:
        async with create_broker(redis.url) as broker, broker.subscribe("x") as sub:
            assert broker.healthy
            redis.stop()
            with pytest.raises(BrokerUnavailable):
                for _ in range(50):
                    await broker.publish("x", b"lost")
                    await asyncio.sleep(0.05)
            for _ in range(100):
                if not broker.healthy:
                    break
                await asyncio.sleep(0.05)
            assert not broker.healthy
            redis.start()
            message = await _next(sub, 15)
            assert message == GAP  # whatever was published meanwhile: catch up from the log
            assert broker.healthy and broker.reconnects == 1
            await broker.publish("x", b"back")
            assert (await _next(sub)).payload == b"back"
    finally:
        redis.stop()


def test_unknown_broker_urls_are_refused() -> None:
    with pytest.raises(ValueError, match="redis://"):
        create_broker("kafka://nope")
