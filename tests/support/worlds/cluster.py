"""Set-up steps for stories against real server processes (HTTP + an event emitter)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from channels import create_broker
from persistence.outbox.log import read_after
from persistence.outbox.outbox import Outbox, Subscriber, open_database
from persistence.outbox.record import emit
from persistence.rules.channels import campaign_channel, sender_channel
from persistence.rules.events import EventRecord
from persistence.store.database import Database
from server.live.protocol import encode_event
from server.tokens import issue_token

from .team import seed_team

SECRET = "live-test-secret"

__all__ = ["HttpTeam", "emitter", "http_team", "log_after", "upload"]


@dataclass(frozen=True)
class Member:
    user_id: int
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass(frozen=True)
class HttpTeam:
    owner: Member
    sam: Member
    ria: Member
    campaign_id: int

    @property
    def campaign(self) -> str:
        return campaign_channel(self.campaign_id)

    def sender(self, who: Member) -> str:
        return sender_channel(self.campaign_id, who.user_id)


async def http_team(base_url: str, database_url: str, secret: str = SECRET) -> HttpTeam:
    """An organization, two senders and a campaign they are on (users straight in the database)."""
    db = open_database(database_url)
    try:
        org_id, ids = await seed_team(db)
    finally:
        await db.dispose()
    members = {key: Member(uid, issue_token(secret, uid, org_id, 3600)) for key, uid in ids.items()}
    owner = members["owner"]
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        response = await http.post(
            "/api/campaigns", headers=owner.headers, json={"title": "GOTV", "initial_message": "Hi!"}
        )
        assert response.status_code == 201, response.text
        cid = response.json()["id"]
        response = await http.post(
            f"/api/campaigns/{cid}/senders",
            headers=owner.headers,
            json={"user_ids": [ids["sam"], ids["ria"]]},
        )
        assert response.status_code in (200, 201), response.text
    # Adding senders publishes their counters a moment later: let that pass
    # before a test starts counting events.
    await settled_log_after(database_url, f"campaign:{cid}", 0)
    return HttpTeam(owner, members["sam"], members["ria"], cid)


async def upload(base_url: str, team: HttpTeam, count: int, start: int = 0) -> None:
    """Upload ``count`` contacts one request at a time (each emits live events)."""
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        for number in range(start, start + count):
            rows = [{"first_name": f"C{number}", "last_name": "X", "phone": f"+1415555{number:04d}"}]
            response = await http.post(
                f"/api/campaigns/{team.campaign_id}/contacts", headers=team.owner.headers, json=rows
            )
            assert response.status_code in (200, 201), response.text


async def log_after(database_url: str, channel: str, after: int) -> list[EventRecord]:
    db = open_database(database_url)
    try:
        async with db.session() as session:
            return await read_after(session, channel, after, limit=100_000)
    finally:
        await db.dispose()


async def settled_log_after(
    database_url: str, channel: str, after: int, *, quiet: float = 0.5
) -> list[EventRecord]:
    """The log after ``after`` once the counters' ``stats`` is in and nothing more comes for ``quiet`` s.

    Counter events follow a change by about 0.1 s (the server's counts feed).
    """
    records: list[EventRecord] = []
    stable_since = time.monotonic()
    deadline = stable_since + 10.0
    while time.monotonic() < deadline:
        latest = await log_after(database_url, channel, after)
        if len(latest) != len(records):
            records, stable_since = latest, time.monotonic()
        elif any(r.kind == "stats" for r in records) and time.monotonic() - stable_since >= quiet:
            return records
        await asyncio.sleep(0.05)
    raise AssertionError(f"the log of {channel} after seq {after} did not settle: {records[-3:]}")


class Emitter:
    """Commits events like another instance would: in the log, then published on Redis."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def cause(
        self, channel: str, count: int, *, per_transaction: int = 1, pad: int = 0, pause: float = 0.0
    ) -> None:
        done = 0
        while done < count:
            batch = min(per_transaction, count - done)
            async with self.db.transaction() as session:
                for number in range(done, done + batch):
                    data: dict[str, Any] = {"n": number, "t": time.time()}
                    if pad:
                        data["pad"] = "x" * pad
                    emit(session, channel, "conversation", data)
            done += batch
            if pause:
                await asyncio.sleep(pause)


@asynccontextmanager
async def emitter(database_url: str, redis_url: str, prefix: str) -> AsyncIterator[Emitter]:
    db = open_database(database_url)
    broker = create_broker(redis_url, prefix=prefix)
    async with broker:

        async def publish(records: list[EventRecord]) -> None:
            from channels import Message

            await broker.publish_many(Message(r.channel, encode_event(r)) for r in records)

        Outbox.of(db).subscribe(Subscriber(events=publish))
        try:
            yield Emitter(db)
        finally:
            await db.dispose()
