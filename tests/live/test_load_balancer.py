"""Forty clients reach two instances through HAProxy; one instance is killed under them.

Round robin and no sticky sessions: every client whose instance died
reconnects through the balancer, lands on the other one and resumes with
``since``. Each ends with every event of its channel, in order, none twice.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.live.balancer import Balancer, missing_balancer_programs
from tests.support.ports import free_port
from tests.support.processes import ServerProcess
from tests.support.services import REDIS_URL, REQUIRED
from tests.support.worlds.cluster import HttpTeam, Member, emitter, http_team, log_after
from tests.support.wsclient import LiveClient, open_client

pytestmark = pytest.mark.slow

Spawn = Callable[..., ServerProcess]
CLIENTS = 40


@pytest.fixture
def balancer_for(tmp_path: Path) -> Iterator[Callable[[list[ServerProcess]], Balancer]]:
    missing = missing_balancer_programs()
    if missing:
        message = f"the load-balancer story needs {', '.join(missing)} (apt-get install -y haproxy)"
        if REQUIRED:
            pytest.fail(message + " and CI requires it")
        pytest.skip(message)
    started: list[Balancer] = []

    def start(servers: list[ServerProcess]) -> Balancer:
        balancer = Balancer(tmp_path, [(s.name, s.port) for s in servers]).start()
        started.append(balancer)
        return balancer

    yield start
    for balancer in started:
        balancer.stop()


@dataclass
class Reader:
    """One client: subscribes through the balancer, and after any disconnect reconnects with ``since``."""

    balancer: Balancer
    who: Member
    channel: str
    seqs: list[int] = field(default_factory=list)
    data: list[Any] = field(default_factory=list)
    start: int | None = None
    reconnects: int = 0
    connected: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def last(self) -> int | None:
        return self.seqs[-1] if self.seqs else self.start

    async def _connect(self) -> LiveClient:
        deadline = time.monotonic() + 20
        while True:
            try:
                client = await open_client(
                    self.balancer.ws_url, self.who.token, ssl=self.balancer.ssl_context()
                )
                frame = await client.subscribe(self.channel, since=self.last)
            except (OSError, ConnectionClosed, InvalidStatus):
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.2)
                continue
            if self.start is None:
                self.start = frame["seq"]
            return client

    async def run(self, until: asyncio.Future[dict[str, int]]) -> None:
        client = await self._connect()
        self.connected.set()
        try:
            while True:
                if until.done() and (self.last or 0) >= until.result()[self.channel]:
                    return
                try:
                    frame = await client.recv(0.5)
                except TimeoutError:
                    continue
                except ConnectionClosed:
                    self.reconnects += 1
                    client = await self._connect()
                    continue
                assert frame["type"] == "event", frame  # never a resync: the log still holds it all
                self.seqs.append(frame["seq"])
                self.data.append((frame["kind"], frame["data"]))
        finally:
            await client.close()


async def _connections(server: ServerProcess) -> int:
    async with httpx.AsyncClient(base_url=server.url) as http:
        text = (await http.get("/metrics")).text
    found = re.search(r"^shiftline_live_connections (\d+)", text, re.MULTILINE)
    assert found, text
    return int(found.group(1))


async def test_forty_clients_behind_haproxy_survive_the_kill_of_an_instance_and_miss_nothing(
    spawn: Spawn,
    pg_url: str,
    server_env: dict[str, str],
    balancer_for: Callable[[list[ServerProcess]], Balancer],
) -> None:
    a, b = spawn("a"), spawn("b")
    await asyncio.gather(a.ready(), b.ready())
    balancer = balancer_for([a, b])
    await balancer.ready()
    team: HttpTeam = await http_team(a.url, pg_url)

    # Admins watch the campaign and each sender's channel; the senders watch their own.
    plan = [
        (team.owner, team.campaign),
        (team.sam, team.sender(team.sam)),
        (team.ria, team.sender(team.ria)),
        (team.owner, team.sender(team.sam)),
    ]
    readers = [Reader(balancer, *plan[n % len(plan)]) for n in range(CLIENTS)]
    channels = sorted({r.channel for r in readers})
    targets: asyncio.Future[dict[str, int]] = asyncio.get_running_loop().create_future()
    async with asyncio.TaskGroup() as group:
        for reader in readers:
            group.create_task(reader.run(targets))
        async with asyncio.timeout(20):
            for reader in readers:
                await reader.connected.wait()
        # Round robin, no stickiness: the clients are spread over both instances.
        on_a, on_b = await _connections(a), await _connections(b)
        assert on_a + on_b == CLIENTS and min(on_a, on_b) >= CLIENTS // 4, (on_a, on_b)

        async with emitter(pg_url, REDIS_URL, server_env["SHIFTLINE_REDIS_PREFIX"]) as source:
            for channel in channels:
                await source.cause(channel, 10, per_transaction=2)
            a.kill()
            for _round in range(10):  # traffic goes on while the clients find their way back
                for channel in channels:
                    await source.cause(channel, 3)
                await asyncio.sleep(0.1)
        # A dead instance's presence entries expire (SHIFTLINE_PRESENCE_TTL=3): let that be logged.
        await asyncio.sleep(5)
        logs = {ch: await log_after(pg_url, ch, 0) for ch in channels}
        targets.set_result({ch: records[-1].seq for ch, records in logs.items()})

    moved = [r for r in readers if r.reconnects]
    assert len(moved) == on_a, "every client of the killed instance reconnected, and only those"
    assert await _connections(b) == 0  # all of them closed cleanly at the end
    for reader in readers:
        assert reader.start is not None
        expected = [r for r in logs[reader.channel] if r.seq > reader.start]
        assert reader.seqs == [r.seq for r in expected], (reader.who.user_id, reader.channel)
        assert reader.data == [(r.kind, r.data) for r in expected]
    assert all(len(r.seqs) >= 40 for r in readers)
    # The balancer's access log has the requests, and no token in them.
    access = balancer.log_path.read_text()
    assert '"GET" "/ws"' in access and "token" not in access and team.owner.token not in access


async def test_with_no_instance_up_the_balancer_answers_the_api_json_503_and_plain_http_is_redirected(
    tmp_path: Path, balancer_for: Callable[[list[ServerProcess]], Balancer]
) -> None:
    never_started = ServerProcess({}, tmp_path, "down")
    never_started.port = free_port()
    balancer = balancer_for([never_started])
    async with httpx.AsyncClient(verify=balancer.ssl_context()) as http:
        for _ in range(75):  # haproxy starts, then its first checks mark the instance down
            try:
                response = await http.get(balancer.url + "/api/health")
                if response.status_code == 503:
                    break
            except httpx.ConnectError:
                pass
            await asyncio.sleep(0.2)
        assert response.headers["content-type"] == "application/json"
        assert response.json()["error"]["code"] == "unavailable"
        plain = await http.get(f"http://127.0.0.1:{balancer.http_port}/api/health")
    assert plain.status_code == 301
    # Same host and path over https (on real ports 80 and 443 the Host carries no port).
    assert plain.headers["location"] == f"https://127.0.0.1:{balancer.http_port}/api/health"
