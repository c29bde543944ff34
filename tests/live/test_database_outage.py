"""PostgreSQL stops for ten seconds in the middle of traffic and comes back.

Meanwhile every request is answered at once with 503 ``unavailable``, the
health check says 503, open WebSockets stay open; afterwards every change a
client was told succeeded is there, whole, and the subscribers catch up.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
import pytest
from sqlalchemy import func, select
from websockets.exceptions import ConnectionClosed

from persistence.outbox.outbox import open_database
from persistence.store.migrate import upgrade
from persistence.store.models import Contact, Conversation
from tests.live.private_postgres import PrivatePostgres, missing_postgres_programs
from tests.support.processes import ServerProcess
from tests.support.services import REDIS_URL, REQUIRED, reachable
from tests.support.worlds.cluster import SECRET, HttpTeam, http_team, settled_log_after
from tests.support.wsclient import LiveClient, open_client

pytestmark = pytest.mark.slow

OUTAGE = 10.0  # seconds the database stays stopped
ANSWER_WITHIN = 3.0  # seconds any request may take while it is away


@pytest.fixture
def private_pg() -> Iterator[PrivatePostgres]:
    missing = missing_postgres_programs()
    if missing:
        message = f"a private PostgreSQL cluster needs {', '.join(missing)}"
        if REQUIRED:
            pytest.fail(message + " and CI requires it")
        pytest.skip(message)
    if not reachable(REDIS_URL):
        (pytest.fail if REQUIRED else pytest.skip)(f"Redis ({REDIS_URL}) is not reachable")
    pg = PrivatePostgres().init()
    try:
        pg.start()
        yield pg
    finally:
        pg.remove()


@pytest.fixture
async def database_url(private_pg: PrivatePostgres) -> AsyncIterator[str]:
    conn = await asyncpg.connect(private_pg.url())
    try:
        await conn.execute('CREATE DATABASE "shiftline"')
    finally:
        await conn.close()
    url = private_pg.url("shiftline")
    db = open_database(url)
    try:
        await upgrade(db)
    finally:
        await db.dispose()
    yield url


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[ServerProcess]:
    env = {
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "SHIFTLINE_REDIS_PREFIX": f"shiftline-test-{secrets.token_hex(4)}",
        "SHIFTLINE_SECRET_KEY": SECRET,
        "SHIFTLINE_AUTO_MIGRATE": "0",
        "SHIFTLINE_DATA_DIR": str(tmp_path),
    }
    with ServerProcess(env, tmp_path, "a") as process:
        yield process


@dataclass
class Writer:
    """Uploads three contacts per request, one request after another, and notes each answer."""

    base_url: str
    team: HttpTeam
    succeeded: list[int] = field(default_factory=list)  # request numbers answered 2xx
    refused: list[tuple[int, float, httpx.Response]] = field(default_factory=list)  # non-2xx
    next: int = 0
    progress: asyncio.Event = field(default_factory=asyncio.Event)

    @staticmethod
    def phones(number: int) -> list[str]:
        return [f"+1415555{number * 3 + i:04d}" for i in range(3)]

    async def run(self, stop: asyncio.Event) -> None:
        async with httpx.AsyncClient(base_url=self.base_url, timeout=2 * ANSWER_WITHIN) as http:
            while not stop.is_set():
                number, self.next = self.next, self.next + 1
                rows = [
                    {"first_name": "C", "last_name": str(number), "phone": p} for p in self.phones(number)
                ]
                started = time.monotonic()
                response = await http.post(
                    f"/api/campaigns/{self.team.campaign_id}/contacts",
                    headers=self.team.owner.headers,
                    json=rows,
                )
                if response.is_success:
                    self.succeeded.append(number)
                    self.progress.set()
                else:
                    self.refused.append((number, time.monotonic() - started, response))
                    await asyncio.sleep(0.05)

    async def wait_for(self, successes: int) -> None:
        target = len(self.succeeded) + successes
        async with asyncio.timeout(20):
            while len(self.succeeded) < target:
                self.progress.clear()
                await self.progress.wait()


async def _answer(client: LiveClient, kind: str, events: list[dict[str, object]]) -> dict[str, object]:
    """The next frame that is not an event (it must be ``kind``); events meanwhile go to ``events``."""
    while (frame := await client.recv(ANSWER_WITHIN))["type"] == "event":
        events.append(frame)
    assert frame["type"] == kind, frame
    return frame


async def _health(http: httpx.AsyncClient, status: int, within: float) -> float:
    """Seconds until ``GET /api/health`` answers ``status``."""
    started = time.monotonic()
    while time.monotonic() - started < within:
        if (await http.get("/api/health")).status_code == status:
            return time.monotonic() - started
        await asyncio.sleep(0.1)
    raise AssertionError(f"health never answered {status} within {within} s")


async def _stored(database_url: str, campaign_id: int) -> tuple[dict[str, int], int]:
    """The campaign's contacts by phone (with their conversation count) and its conversations."""
    db = open_database(database_url)
    try:
        async with db.session() as session:
            rows = await session.execute(
                select(Contact.phone, func.count(Conversation.id))
                .outerjoin(Conversation, Conversation.contact_id == Contact.id)
                .where(Contact.campaign_id == campaign_id)
                .group_by(Contact.phone)
            )
            conversations = await session.scalar(
                select(func.count()).select_from(Conversation).where(Conversation.campaign_id == campaign_id)
            )
        return {phone: count for phone, count in rows}, int(conversations or 0)
    finally:
        await db.dispose()


async def test_a_ten_second_database_outage_answers_503_keeps_sockets_and_loses_nothing(
    private_pg: PrivatePostgres, database_url: str, server: ServerProcess
) -> None:
    await server.ready()
    team = await http_team(server.url, database_url)
    admin = await open_client(server.ws_url, team.owner.token)
    start = (await admin.subscribe(team.campaign))["seq"]
    sam = await open_client(server.ws_url, team.sam.token)
    await sam.subscribe(team.sender(team.sam))

    seen: list[dict[str, object]] = []  # the admin's events read along the way
    writer = Writer(server.url, team)
    stop = asyncio.Event()
    writing = asyncio.create_task(writer.run(stop))
    try:
        await writer.wait_for(5)

        await asyncio.to_thread(private_pg.stop)
        stopped_at = time.monotonic()
        async with httpx.AsyncClient(base_url=server.url, timeout=2 * ANSWER_WITHIN) as http:
            await _health(http, 503, within=ANSWER_WITHIN)
            body = (await http.get("/api/health")).json()
            assert body["checks"] == {"database": False, "broker": True}

            # Open sockets stay open: a ping is answered, a subscription is refused in a frame.
            await admin.send({"type": "ping"})
            await _answer(admin, "pong", seen)
            await admin.send({"type": "subscribe", "channel": team.sender(team.ria), "since": None})
            refusal = await _answer(admin, "error", seen)
            assert refusal["code"] == "unavailable", refusal
            # A socket opened now is told to come back later, not that the server broke.
            latecomer = await open_client(server.ws_url, team.ria.token)
            with pytest.raises(ConnectionClosed):
                await latecomer.recv(ANSWER_WITHIN)
            assert latecomer.ws.close_code == 1013

            await asyncio.sleep(OUTAGE - (time.monotonic() - stopped_at))
            await asyncio.to_thread(private_pg.start)
            await _health(http, 200, within=15)
        await writer.wait_for(5)
    finally:
        stop.set()
        await writing

    # Every request was answered quickly: success, or 503 `unavailable` with Retry-After.
    assert writer.refused, "no request ran into the outage"
    for number, elapsed, response in writer.refused:
        assert response.status_code == 503, (number, response.status_code, response.text)
        assert response.json()["error"]["code"] == "unavailable"
        assert int(response.headers["retry-after"]) >= 1
        assert elapsed < ANSWER_WITHIN, (number, elapsed)

    # Nothing committed is lost and nothing is half-written: a request's three contacts
    # are all there with one conversation each, or none of them is.
    stored, conversations = await _stored(database_url, team.campaign_id)
    assert set(stored.values()) <= {1}
    assert conversations == len(stored)
    for number in range(writer.next):
        present = [phone in stored for phone in Writer.phones(number)]
        assert all(present) or not any(present), (number, present)
        if number in writer.succeeded:
            assert all(present), f"request {number} was answered 2xx but is not stored"

    # The same sockets catch up: every event of the log, in order, none twice.
    expected = await settled_log_after(database_url, team.campaign, start)
    got = seen + await admin.events(len(expected) - len(seen), wait=30)
    assert [f["seq"] for f in got] == [r.seq for r in expected]
    assert [f["seq"] for f in got] == list(range(start + 1, start + 1 + len(got)))
    await sam.send({"type": "ping"})
    await _answer(sam, "pong", [])
    await admin.close()
    await sam.close()
