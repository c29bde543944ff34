"""Two real server processes share PostgreSQL and Redis; clients move between them."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from persistence.outbox.outbox import open_database
from persistence.outbox.record import emit
from tests.support.processes import ServerProcess
from tests.support.services import REDIS_URL
from tests.support.worlds.cluster import emitter, http_team, settled_log_after, upload
from tests.support.wsclient import LiveClient, open_client

pytestmark = pytest.mark.slow

Spawn = Callable[..., ServerProcess]


def _triples(frames: list[dict[str, Any]]) -> list[tuple[int, str, Any]]:
    return [(f["seq"], f["kind"], f["data"]) for f in frames]


async def _nothing_more(client: LiveClient, wait: float = 0.5) -> None:
    try:
        frame = await client.recv(wait)
    except TimeoutError:
        return
    raise AssertionError(f"unexpected extra frame {frame}")


async def test_a_client_on_one_instance_sees_every_event_caused_through_the_other(
    spawn: Spawn, pg_url: str
) -> None:
    a, b = spawn("a"), spawn("b")
    await asyncio.gather(a.ready(), b.ready())
    team = await http_team(a.url, pg_url)
    admin = await open_client(a.ws_url, team.owner.token)
    sam = await open_client(a.ws_url, team.sam.token, fmt="msgpack")
    start = (await admin.subscribe(team.campaign))["seq"]
    await sam.subscribe(team.sender(team.sam))

    await upload(b.url, team, 10)

    expected = await settled_log_after(pg_url, team.campaign, start)
    assert {"stats", "sender_stats"} <= {r.kind for r in expected}
    got = await admin.events(len(expected))
    assert _triples(got) == [(r.seq, r.kind, r.data) for r in expected]
    await _nothing_more(admin)
    await admin.close()
    await sam.close()


async def test_reconnecting_with_since_replays_every_event_once_even_after_kill_9(
    spawn: Spawn, pg_url: str, server_env: dict[str, str]
) -> None:
    a, b = spawn("a"), spawn("b")
    await asyncio.gather(a.ready(), b.ready())
    team = await http_team(a.url, pg_url)
    async with emitter(pg_url, REDIS_URL, server_env["SHIFTLINE_REDIS_PREFIX"]) as source:
        client = await open_client(a.ws_url, team.owner.token)
        last = (await client.subscribe(team.campaign))["seq"]
        await source.cause(team.campaign, 5)
        last = (await client.events(5))[-1]["seq"]
        await client.close()

        # Away: 100 events happen.
        await source.cause(team.campaign, 100, per_transaction=3)
        client = await open_client(a.ws_url, team.owner.token)
        await client.subscribe(team.campaign, since=last)
        got = await client.events(100)
        assert [f["seq"] for f in got] == list(range(last + 1, last + 101))
        assert [f["data"]["n"] for f in got] == list(range(100))
        await _nothing_more(client)
        last = got[-1]["seq"]

        # The instance dies under the client: it reconnects to the other one.
        a.kill()
        with pytest.raises(ConnectionClosed):
            await client.recv(10)
        await source.cause(team.campaign, 100, per_transaction=7)
        client = await open_client(b.ws_url, team.owner.token)
        await client.subscribe(team.campaign, since=last)
        got = await client.events(100)
        assert [f["seq"] for f in got] == list(range(last + 1, last + 101))
        await source.cause(team.campaign, 3)  # and it continues live with no seam
        live = await client.events(3)
        assert [f["seq"] for f in live] == [last + 101, last + 102, last + 103]
        await _nothing_more(client)
        await client.close()


async def test_removing_a_sender_through_one_instance_ends_their_subscription_on_the_other(
    spawn: Spawn, pg_url: str
) -> None:
    a, b = spawn("a"), spawn("b")
    await asyncio.gather(a.ready(), b.ready())
    team = await http_team(a.url, pg_url)
    sam = await open_client(a.ws_url, team.sam.token)
    await sam.subscribe(team.sender(team.sam))
    async with httpx.AsyncClient(base_url=b.url) as http:
        response = await http.delete(
            f"/api/campaigns/{team.campaign_id}/senders/{team.sam.user_id}", headers=team.owner.headers
        )
        assert response.status_code in (200, 204), response.text
    while (frame := await sam.recv(10))["type"] != "error":
        pass
    assert frame["code"] == "access_revoked" and frame["channel"] == team.sender(team.sam)
    await sam.close()


async def test_events_committed_but_never_published_are_relayed(spawn: Spawn, pg_url: str) -> None:
    a = spawn("a")
    await a.ready()
    team = await http_team(a.url, pg_url)
    client = await open_client(a.ws_url, team.owner.token)
    start = (await client.subscribe(team.campaign))["seq"]
    crashed = open_database(pg_url)  # an instance that commits, then dies before publishing
    try:
        for n in range(3):
            async with crashed.transaction() as session:
                emit(session, team.campaign, "conversation", {"n": n})
    finally:
        await crashed.dispose()
    got = await client.events(3, wait=15)
    assert [f["seq"] for f in got] == [start + 1, start + 2, start + 3]
    assert [f["data"]["n"] for f in got] == [0, 1, 2]
    await client.close()
