"""Instances die, Redis restarts, a client stops reading: nothing is lost, others carry on."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import psutil
import pytest
from websockets.exceptions import ConnectionClosed

from tests.support.processes import PrivateRedis, ServerProcess
from tests.support.services import REDIS_URL
from tests.support.worlds.cluster import emitter, http_team, log_after, upload
from tests.support.wsclient import LiveClient, open_client

pytestmark = pytest.mark.slow

Spawn = Callable[..., ServerProcess]


async def _presence(client: LiveClient, wait: float) -> dict[str, object] | None:
    """The next presence event within ``wait`` seconds, or None."""
    deadline = time.monotonic() + wait
    while (left := deadline - time.monotonic()) > 0:
        try:
            frame = await client.recv(left)
        except TimeoutError:
            return None
        if frame["type"] == "event" and frame["kind"] == "presence":
            data: dict[str, object] = frame["data"]
            return data
    return None


async def test_presence_counts_people_not_tabs_and_notices_a_dead_instance(spawn: Spawn, pg_url: str) -> None:
    a, b = spawn("a"), spawn("b")
    await asyncio.gather(a.ready(), b.ready())
    team = await http_team(a.url, pg_url)
    admin = await open_client(a.ws_url, team.owner.token)
    await admin.subscribe(team.campaign)

    tab1 = await open_client(a.ws_url, team.sam.token)
    await tab1.subscribe(team.sender(team.sam))
    assert await _presence(admin, 5) == {"user_id": team.sam.user_id, "online": True}
    tab2 = await open_client(b.ws_url, team.sam.token)
    await tab2.subscribe(team.sender(team.sam))
    assert await _presence(admin, 1.5) is None  # a second tab is no news

    await tab1.close()
    assert await _presence(admin, 1.5) is None  # one tab left: still online
    async with httpx.AsyncClient(base_url=a.url) as http:
        overview = await http.get(f"/api/campaigns/{team.campaign_id}/overview", headers=team.owner.headers)
    if overview.status_code == 200:
        rows = {row["user_id"]: row for row in overview.json()["senders"]}
        assert rows[team.sam.user_id]["online"] is True

    started = time.monotonic()
    b.kill()  # the last tab's instance dies without a word
    assert await _presence(admin, 30) == {"user_id": team.sam.user_id, "online": False}
    assert time.monotonic() - started < 30
    assert await _presence(admin, 1.0) is None  # exactly one offline event
    await admin.close()


async def test_redis_restart_loses_nothing_and_health_reports_it(
    spawn: Spawn, pg_url: str, tmp_path: Path, server_env: dict[str, str]
) -> None:
    redis = PrivateRedis(tmp_path)
    redis.start()
    try:
        a, b = spawn("a", REDIS_URL=redis.url), spawn("b", REDIS_URL=redis.url)
        await asyncio.gather(a.ready(), b.ready())
        team = await http_team(a.url, pg_url)
        client = await open_client(a.ws_url, team.owner.token)
        start = (await client.subscribe(team.campaign))["seq"]
        await upload(b.url, team, 3, start=0)

        redis.stop()
        async with httpx.AsyncClient(base_url=a.url) as http:
            for _ in range(100):
                if (await http.get("/api/health")).status_code == 503:
                    break
                await asyncio.sleep(0.1)
            else:
                raise AssertionError("health never reported the broker down")
            await upload(b.url, team, 3, start=100)  # caused through the other instance, Redis down
            redis.start()
            for _ in range(200):
                if (await http.get("/api/health")).status_code == 200:
                    break
                await asyncio.sleep(0.1)
            else:
                raise AssertionError("health never recovered")
        await upload(b.url, team, 3, start=200)

        expected = await log_after(pg_url, team.campaign, start)
        got = await client.events(len(expected), wait=30)
        assert [(f["seq"], f["kind"], f["data"]) for f in got] == [(r.seq, r.kind, r.data) for r in expected]
        await client.close()
    finally:
        redis.stop()


async def test_a_client_that_never_reads_is_closed_and_delays_nobody(
    spawn: Spawn, pg_url: str, server_env: dict[str, str]
) -> None:
    a = spawn("a", SHIFTLINE_LIVE_QUEUE_LIMIT="50")
    await a.ready()
    team = await http_team(a.url, pg_url)
    assert a.proc is not None
    server = psutil.Process(a.proc.pid)
    slow = await open_client(a.ws_url, team.owner.token, max_queue=1)
    await slow.subscribe(team.campaign)
    fast = await open_client(a.ws_url, team.owner.token)
    await fast.subscribe(team.campaign)
    rss_before = server.memory_info().rss

    count = 2000  # 16 MB: more than loopback socket buffers can absorb
    lags: list[float] = []

    async def read_fast() -> None:
        while len(lags) < count:
            frame = await fast.recv(30)
            if frame["type"] == "event":
                lags.append(time.time() - frame["data"]["t"])

    reader = asyncio.create_task(read_fast())
    async with emitter(pg_url, REDIS_URL, server_env["SHIFTLINE_REDIS_PREFIX"]) as source:
        await source.cause(team.campaign, count, per_transaction=10, pad=8000, pause=0.01)
    await reader
    rss_after = server.memory_info().rss

    lags.sort()
    assert lags[int(len(lags) * 0.99)] < 0.5, lags[-10:]
    assert rss_after - rss_before < 64 * 1024 * 1024
    # The slow client, when it finally reads, finds what fitted, then the documented close.
    with pytest.raises(ConnectionClosed):
        for _ in range(count + 10):
            await slow.recv(10)
    assert slow.ws.close_code == 4008
    async with httpx.AsyncClient(base_url=a.url) as http:
        metrics = (await http.get("/metrics")).text
    assert "shiftline_live_slow_closes_total 1" in metrics
    await fast.close()
    assert await log_after(pg_url, team.campaign, 0)
