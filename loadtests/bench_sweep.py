"""Benchmark the campaign overview and bulk reassignment on PostgreSQL.

    python -m loadtests.bench_sweep --database-url postgresql://postgres@127.0.0.1:5432/postgres

Creates a scratch database next to the one named (dropped at the end unless
``--keep``), fills one campaign with ``--conversations`` conversations and
``--senders`` senders with bulk ``INSERT ... SELECT generate_series``, then
measures, each next to a baseline taken in the same run:

- the overview (``persistence.queries.overview.overview``, the code the endpoint runs,
  and the endpoint itself through an in-process HTTP client, token check and
  JSON included) against a plain ``SELECT count(*)`` over the campaign's
  conversations;
- moving ``--move`` conversations from the Unassigned pool to ``--targets``
  senders (``persistence.commands.reassign.reassign``, one transaction with counters
  and events) against a plain ``UPDATE`` of the same rows.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text

from persistence.commands.reassign import reassign
from persistence.outbox.outbox import open_database
from persistence.queries.overview import OverviewQuery, overview
from persistence.store.counters import recount
from persistence.store.database import Database
from persistence.store.migrate import upgrade
from persistence.store.scope import Actor
from server.api.reassign import parse_reassign
from server.auth import hash_password
from server.settings import Settings

from .scratch import bench_arguments, parse_bench_arguments, scratch_database

__all__ = ["Timing", "main", "run", "seed"]


@dataclass(frozen=True, slots=True)
class Timing:
    """Wall-clock milliseconds of repeated calls."""

    samples: list[float]

    def pct(self, q: float) -> float:
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]

    def line(self, name: str) -> str:
        return (
            f"{name:<44} n={len(self.samples):<4} p50={self.pct(0.5):8.1f} ms  "
            f"p99={self.pct(0.99):8.1f} ms  max={max(self.samples):8.1f} ms"
        )


async def _timed(calls: int, fn: Callable[[], Awaitable[object]]) -> Timing:
    samples = []
    for _ in range(calls):
        start = time.perf_counter()
        await fn()
        samples.append((time.perf_counter() - start) * 1000)
    return Timing(samples)


_SEED = """
INSERT INTO organizations (id, name, redact_phones, created_at) VALUES (1, 'Bench', false, now());
INSERT INTO users (id, organization_id, email, password_hash, first_name, last_name, role, active, created_at)
    VALUES (1, 1, 'owner@bench.example', 'x', 'Olive', 'Owner', 'owner', true, now());
INSERT INTO users (id, organization_id, email, password_hash, first_name, last_name, role, active, created_at)
    SELECT 1 + s, 1, 'sender' || s || '@bench.example', 'x', 'Sender' || s, 'Number' || s, 'sender',
        true, now()
    FROM generate_series(1, {senders}) AS s;
INSERT INTO campaigns (id, organization_id, title, initial_message, self_assign, status, created_at)
    VALUES (1, 1, 'Bench', 'Hi %ContactFirstName%', false, 'active', now());
INSERT INTO campaign_senders (campaign_id, user_id, added_at)
    SELECT 1, 1 + s, now() FROM generate_series(1, {senders}) AS s;
INSERT INTO contacts (id, organization_id, campaign_id, first_name, last_name, phone, extra)
    SELECT s, 1, 1, 'Contact' || s, 'Voter', '+1202' || lpad(s::text, 7, '0'), '{{}}'::jsonb
    FROM generate_series(1, {conversations}) AS s;
-- The first {pool} conversations are unassigned and not started, the rest are
-- spread over the senders in a mix of statuses.
INSERT INTO conversations (id, campaign_id, contact_id, assigned_to, initial_sent_at, last_outbound_at,
        last_inbound_at, last_message_at, has_replied, needs_reply, needs_reply_since, opted_out, archived)
    SELECT s, 1, s,
        CASE WHEN s <= {pool} THEN NULL ELSE 2 + (s % {senders}) END,
        CASE WHEN s > {pool} AND s % 3 <> 0 THEN t END,
        CASE WHEN s > {pool} AND s % 3 <> 0 THEN t END,
        CASE WHEN s > {pool} AND s % 3 <> 0 AND s % 5 = 0 THEN t END,
        CASE WHEN s > {pool} AND s % 3 <> 0 THEN t END,
        s > {pool} AND s % 3 <> 0 AND s % 5 = 0,
        s > {pool} AND s % 3 <> 0 AND s % 10 = 0,
        CASE WHEN s > {pool} AND s % 3 <> 0 AND s % 10 = 0 THEN t END,
        s > {pool} AND s % 97 = 0,
        false
    FROM generate_series(1, {conversations}) AS s,
        LATERAL (SELECT timestamptz '2026-11-03 09:00+00' + s * interval '1 second' AS t) AS times;
SELECT setval(pg_get_serial_sequence('users', 'id'), 10 + {senders});
SELECT setval(pg_get_serial_sequence('contacts', 'id'), 10 + {conversations});
SELECT setval(pg_get_serial_sequence('conversations', 'id'), 10 + {conversations});
"""


async def seed(db: Database, conversations: int, senders: int, pool: int) -> None:
    sql = _SEED.format(conversations=conversations, senders=senders, pool=pool)
    async with db.engine.begin() as conn:
        for statement in (s.strip() for s in sql.split(";")):
            if statement:
                await conn.execute(text(statement))
    async with db.transaction() as session:
        await recount(session, 1, repair=True)
    await _vacuum(db)


async def _vacuum(db: Database) -> None:
    async with db.engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("VACUUM ANALYZE"))


async def _reset_pool(db: Database, pool: int) -> None:
    """Put the first ``pool`` conversations back in the pool (not timed)."""
    async with db.transaction() as session:
        await session.execute(
            text("UPDATE conversations SET assigned_to = NULL WHERE id <= :pool"), {"pool": pool}
        )
        await recount(session, 1, repair=True)
    await _vacuum(db)


_PASSWORD = "bench-password"


def _http_overview(database_url: str, calls: int) -> Timing:
    """The endpoint itself: token check, overview, presence, JSON of every row."""
    from starlette.testclient import TestClient

    from server.app import create_app

    with tempfile.TemporaryDirectory() as data_dir:
        settings = Settings(
            database_url=database_url,
            data_dir=Path(data_dir),
            secret_key="bench-secret",
            auto_migrate=False,
        )
        with TestClient(create_app(settings)) as client:
            login = client.post("/api/login", json={"email": "owner@bench.example", "password": _PASSWORD})
            headers = {"Authorization": f"Bearer {login.json()['token']}"}
            samples = []
            for i in range(calls + 5):
                start = time.perf_counter()
                response = client.get(
                    "/api/campaigns/1/overview?sort=needs_reply&order=desc", headers=headers
                )
                if response.status_code != 200 or len(response.json()["senders"]) < 2:
                    raise RuntimeError(f"overview failed: {response.status_code} {response.text[:200]}")
                if i >= 5:
                    samples.append((time.perf_counter() - start) * 1000)
    return Timing(samples)


async def run(
    url: str, *, conversations: int, senders: int, move: int, targets: int, calls: int, keep: bool
) -> None:
    async with scratch_database(url, keep=keep) as scratch_url:
        await _measure(scratch_url, conversations, senders, move, targets, calls)


async def _measure(url: str, conversations: int, senders: int, move: int, targets: int, calls: int) -> None:
    db = open_database(url)
    admin = Actor(1, 1, "owner")
    try:
        await upgrade(db)
        start = time.perf_counter()
        await seed(db, conversations, senders, move)
        took = time.perf_counter() - start
        print(f"seeded {conversations:,} conversations, {senders:,} senders in {took:.1f} s")

        async def read_overview() -> object:
            async with db.session() as session:
                return await overview(session, admin, 1, OverviewQuery(sort="needs_reply", descending=True))

        async def plain_count() -> object:
            async with db.session() as session:
                return await session.scalar(text("SELECT count(*) FROM conversations WHERE campaign_id = 1"))

        await _timed(5, read_overview)
        ours = await _timed(calls, read_overview)
        base = await _timed(max(5, calls // 10), plain_count)
        print(ours.line(f"overview (counters, {senders + 1:,} rows)"))
        print(base.line("baseline: SELECT count(*) over the campaign"))
        async with db.transaction() as session:
            await session.execute(
                text("UPDATE users SET password_hash = :h WHERE id = 1"),
                {"h": await hash_password(_PASSWORD)},
            )
        http = await asyncio.to_thread(_http_overview, url, calls)
        print(http.line("GET .../overview over HTTP (in-process)"))

        target_ids = list(range(2, 2 + targets))
        body = {"action": "reassign_all", "from": None, "to": target_ids}

        async def ours_move() -> object:
            async with db.transaction() as session:
                result = await reassign(session, admin, 1, parse_reassign(body))
            if result.moved != move:
                raise RuntimeError(f"moved {result.moved}, expected {move}")
            return result

        async def plain_update() -> object:
            async with db.transaction() as session:
                return await session.execute(
                    text("UPDATE conversations SET assigned_to = 2 + (id % :k) WHERE id <= :pool"),
                    {"k": targets, "pool": move},
                )

        moves: list[float] = []
        plains: list[float] = []
        for _ in range(3):
            plains += (await _timed(1, plain_update)).samples
            await _reset_pool(db, move)
            moves += (await _timed(1, ours_move)).samples
            await _reset_pool(db, move)
        print(Timing(moves).line(f"reassign {move:,} to {targets} senders"))
        print(Timing(plains).line("baseline: plain UPDATE of the same rows"))
    finally:
        await db.dispose()


def main(argv: Sequence[str] | None = None) -> None:
    parser = bench_arguments(__doc__)
    parser.add_argument("--conversations", type=int, default=1_000_000)
    parser.add_argument("--senders", type=int, default=1_000)
    parser.add_argument("--move", type=int, default=100_000, help="conversations moved from the pool")
    parser.add_argument("--targets", type=int, default=100, help="senders they are divided among")
    parser.add_argument("--calls", type=int, default=300, help="overview calls measured")
    args = parse_bench_arguments(parser, argv)
    if not 0 < args.move <= args.conversations or not 0 < args.targets <= args.senders:
        parser.error("need 0 < --move <= --conversations and 0 < --targets <= --senders")
    asyncio.run(
        run(
            args.database_url,
            conversations=args.conversations,
            senders=args.senders,
            move=args.move,
            targets=args.targets,
            calls=args.calls,
            keep=args.keep,
        )
    )


if __name__ == "__main__":
    main()
