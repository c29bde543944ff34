"""Benchmark the Admin Messenger's lists on a campaign of a million conversations (PostgreSQL).

    python -m loadtests.bench_lists --database-url postgresql://postgres@127.0.0.1:5432/postgres

Creates a scratch database next to the one named (dropped at the end unless
``--keep``), migrates it, fills one campaign with ``--conversations``
conversations (``INSERT ... SELECT generate_series``, the mix below), then
reads four pages of 50 of each list of ``CASES`` (following ``next_cursor``),
and of ``DEEP`` from a row halfway through, ``--rounds`` times, through
``persistence.queries.conversations.list_conversations``
(the code behind ``GET /api/campaigns/{cid}/conversations``). Baseline, in the
same run: four pages of 50 conversations read by primary key (``WHERE id > ...
ORDER BY id LIMIT 51``), the cheapest page a list could be.

``--database NAME`` uses (and keeps) the database NAME instead, filling it only
the first time: the same rows can then be measured before and after a schema
change (the run migrates it to the newest revision first).
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

import asyncpg
from sqlalchemy import func, select, text

from persistence.outbox.outbox import open_database
from persistence.queries.conversations import list_conversations, page_query
from persistence.queries.keyset import columns, encode
from persistence.store.database import Database
from persistence.store.migrate import upgrade
from persistence.store.models import Campaign, Conversation
from persistence.store.scope import Actor

from .scratch import bench_arguments, dsn, parse_bench_arguments, scratch_database

__all__ = ["CASES", "DEEP", "FILL", "fill", "halfway", "main", "pages", "run"]

# 1,000 senders with ~N/1,100 conversations each, a tenth unassigned; two thirds
# texted, a fifth replied, a tenth waiting for a reply, one in fifty opted out.
FILL = [
    "INSERT INTO organizations (id, name, redact_phones, created_at) VALUES (1, 'Bench', false, now())",
    """INSERT INTO users (id, organization_id, email, password_hash, first_name, last_name, role, active,
       created_at) SELECT g, 1, 'u' || g || '@bench.example', 'x', 'U', 'S',
       CASE WHEN g = 1 THEN 'owner' ELSE 'sender' END, true, now() FROM generate_series(1, 1001) g""",
    """INSERT INTO campaigns (id, organization_id, title, initial_message, follow_up_message, self_assign,
       status, created_at) VALUES (1, 1, 'Bench', 'Hi', 'Still there?', false, 'active', now())""",
    """INSERT INTO contacts (id, organization_id, campaign_id, first_name, last_name, phone, extra)
       SELECT g, 1, 1, 'First' || g, 'Last' || (g::bigint * 7919 % :n), '+1415' || lpad(g::text, 7, '0'),
       '{}'::jsonb FROM generate_series(1, :n) g""",
    """INSERT INTO conversations (id, campaign_id, contact_id, assigned_to, initial_sent_at, last_outbound_at,
       last_message_at, has_replied, needs_reply, needs_reply_since, opted_out, archived)
       SELECT g, 1, g, CASE WHEN g % 10 = 0 THEN NULL ELSE 2 + g % 1000 END,
         CASE WHEN g % 3 = 0 THEN NULL ELSE now() - g * interval '1 second' END,
         CASE WHEN g % 3 = 0 THEN NULL ELSE now() - g * interval '1 second' END,
         CASE WHEN g % 3 = 0 THEN NULL ELSE now() - g * interval '1 second' END,
         g % 5 = 1, g % 10 = 1, CASE WHEN g % 10 = 1 THEN now() - g * interval '1 second' END,
         g % 50 = 7, false
       FROM generate_series(1, :n) g""",
    """INSERT INTO messages (organization_id, conversation_id, direction, body, media_urls, created_at)
       SELECT 1, g, 'outbound', 'Hi, this is Sam with Texters United. Can you vote Tuesday?', '[]'::jsonb,
       now() FROM generate_series(1, :n) g WHERE g % 3 <> 0""",
    """INSERT INTO messages (organization_id, conversation_id, direction, body, media_urls, created_at)
       SELECT 1, g, 'inbound', 'Yes!', '[]'::jsonb, now() FROM generate_series(1, :n) g WHERE g % 5 = 1""",
]

CASES: list[tuple[str, dict[str, Any]]] = [
    ("one sender, Responses, needs_reply", {"sender": 3, "tab": "responses"}),
    ("one sender, Responses, recent", {"sender": 3, "tab": "responses", "sort": "recent"}),
    ("one sender, Responses, az", {"sender": 3, "tab": "responses", "sort": "az"}),
    ("one sender, Initial", {"sender": 3, "tab": "initial"}),
    ("one sender, Follow-ups", {"sender": 3, "tab": "follow_ups"}),
    ("one sender, Opt Outs", {"sender": 3, "tab": "opt_outs"}),
    ("one sender, search", {"sender": 3, "search": "first1"}),
    ("Unassigned, Initial", {"sender": "unassigned", "tab": "initial"}),
    ("Unassigned, Responses", {"sender": "unassigned", "tab": "responses"}),
    ("Unassigned, Responses, az", {"sender": "unassigned", "tab": "responses", "sort": "az"}),
    ("whole campaign, Responses", {"tab": "responses"}),
    ("whole campaign, Responses, recent", {"tab": "responses", "sort": "recent"}),
    ("whole campaign, Responses, az", {"tab": "responses", "sort": "az"}),
    ("whole campaign, Initial", {"tab": "initial"}),
    ("whole campaign, Follow-ups", {"tab": "follow_ups"}),
    ("whole campaign, Opt Outs", {"tab": "opt_outs"}),
    ("whole campaign, no tab", {}),
    ("whole campaign, no tab, az", {"sort": "az"}),
    ("whole campaign, no tab, recent", {"sort": "recent"}),
]

# Pages from halfway through a list, in the needs-reply order whose keys mix
# directions: (label, query, the row the first page starts after, as a test of
# FILL's row number g). A fresh row (never texted) and an answered one, not waiting.
DEEP: list[tuple[str, dict[str, Any], Callable[[int], bool]]] = [
    ("whole campaign, no tab, from halfway", {}, lambda g: g % 3 == 0 and g % 5 != 1 and g % 50 != 7),
    ("whole campaign, Responses, from halfway", {"tab": "responses"}, lambda g: g % 10 == 6 and g % 50 != 7),
]


async def fill(db: Database, conversations: int) -> None:
    """Fill campaign 1 with ``conversations`` conversations (the mix of ``FILL``) and analyze."""
    async with db.transaction() as session:
        for sql in FILL:
            await session.execute(text(sql), {"n": conversations})
    async with db.engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("VACUUM ANALYZE"))


async def halfway(db: Database, query: dict[str, Any], row: Callable[[int], bool]) -> tuple[int, str]:
    """The first conversation past the middle that ``row`` picks, and a cursor of ``query``'s list at it."""
    async with db.session() as session:
        campaign = await session.get_one(Campaign, 1)
        highest = await session.scalar(select(func.max(Conversation.id)).where(Conversation.campaign_id == 1))
        middle = next(g for g in range((highest or 0) // 2, highest or 0) if row(g))
        args = {"sender": None, "tab": None, "search": None, "sort": "needs_reply", **query}
        _page, keys, signature = page_query(campaign, limit=50, cursor=None, **args)
        values = (await session.execute(select(*columns(keys)).where(Conversation.id == middle))).one()
    return middle, encode(signature, list(values))


async def pages(db: Database, query: dict[str, Any], rounds: int, start: str | None = None) -> list[float]:
    """Milliseconds per page: four pages of 50 of one list (after ``start``), ``rounds`` times."""
    owner = Actor(1, 1, "owner")
    times: list[float] = []
    for _round in range(rounds):
        cursor = start
        for _page in range(4):
            started = time.perf_counter()
            async with db.session() as session:
                page = await list_conversations(session, owner, 1, limit=50, cursor=cursor, **query)
            times.append((time.perf_counter() - started) * 1000)
            cursor = page.next_cursor
            if cursor is None:
                break
    return times


async def _baseline(db: Database, rounds: int) -> list[float]:
    times: list[float] = []
    for _round in range(rounds):
        after = 0
        for _page in range(4):
            started = time.perf_counter()
            async with db.session() as session:
                ids = (
                    await session.execute(
                        text(
                            "SELECT * FROM conversations WHERE campaign_id = 1 AND id > :after "
                            "ORDER BY id LIMIT 51"
                        ),
                        {"after": after},
                    )
                ).all()
            times.append((time.perf_counter() - started) * 1000)
            after = ids[49].id
    return times


def _print_row(label: str, times: list[float], base: float) -> None:
    p50 = statistics.median(times)
    print(f"| {label} | {p50:.1f} | {max(times):.0f} | {p50 / base:.1f} |")


async def _measure(url: str, conversations: int, rounds: int, only: list[str]) -> None:
    db = open_database(url)
    try:
        await upgrade(db)
        async with db.session() as session:
            filled = await session.scalar(text("SELECT count(*) FROM conversations WHERE campaign_id = 1"))
        if not filled:
            started = time.perf_counter()
            await fill(db, conversations)
            print(f"filled {conversations:,} conversations in {time.perf_counter() - started:.0f} s")
        else:
            print(f"{filled:,} conversations already there")
        for query in (q for label, q in CASES if not only or any(o in label for o in only)):  # warm up
            await pages(db, query, 1)
        base = statistics.median(await _baseline(db, rounds))
        print("\n| list, pages of 50 | p50 ms | max ms | p50 / baseline |\n|---|---|---|---|")
        print(f"| baseline: by primary key | {base:.1f} | | 1.0 |")
        for label, query in CASES:
            if only and not any(o in label for o in only):
                continue
            _print_row(label, await pages(db, query, rounds), base)
        for label, query, row in DEEP:
            if only and not any(o in label for o in only):
                continue
            _middle, start = await halfway(db, query, row)
            await pages(db, query, 1, start)  # warm up
            _print_row(label, await pages(db, query, rounds, start), base)
    finally:
        await db.dispose()


async def _existing(url: str, name: str) -> bool:
    admin = await asyncpg.connect(dsn(url, "postgres"))
    try:
        return bool(await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name))
    finally:
        await admin.close()


async def run(
    url: str, *, conversations: int, rounds: int, keep: bool, database: str | None, only: list[str]
) -> None:
    if database is not None and await _existing(url, database):
        await _measure(dsn(url, database), conversations, rounds, only)
        return
    async with scratch_database(url, name=database, keep=keep or database is not None) as scratch_url:
        await _measure(scratch_url, conversations, rounds, only)


def main(argv: Sequence[str] | None = None) -> None:
    parser = bench_arguments(__doc__)
    parser.add_argument("--conversations", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5, help="times each list's four pages are read")
    parser.add_argument("--database", help="use and keep this database, filling it the first time")
    parser.add_argument(
        "--only", nargs="*", default=[], help="measure only the lists whose label has one of these"
    )
    args = parse_bench_arguments(parser, argv)
    asyncio.run(
        run(
            args.database_url,
            conversations=args.conversations,
            rounds=args.rounds,
            keep=args.keep,
            database=args.database,
            only=args.only,
        )
    )


if __name__ == "__main__":
    main()
