"""The Admin Messenger and the export on a big campaign (PostgreSQL).

Also the export benchmark of docs/benchmarks.md ("Admin Messenger and export";
the lists alone: ``python -m loadtests.bench_lists``, which shares its rows):

    SHIFTLINE_BENCH_CONVERSATIONS=1000000 .venv/bin/pytest \\
        tests/persistence/queries/test_listing_scale.py -k postgres -s --timeout 1800

prints the table; by default it runs on 20,000 conversations as a plain test.
"""

from __future__ import annotations

import os
import resource
import statistics
import time

import pytest
from sqlalchemy import func, select, text

from loadtests.bench_lists import CASES, DEEP, FILL, halfway, pages
from persistence.queries.conversations import list_conversations
from persistence.queries.export import export_csv
from persistence.store.database import Database
from persistence.store.models import Message
from persistence.store.scope import Actor

N = int(os.environ.get("SHIFTLINE_BENCH_CONVERSATIONS", "20000"))


async def test_lists_and_export_on_a_big_campaign(db: Database, backend: str) -> None:
    if backend != "postgres":
        pytest.skip("fills the campaign with generate_series (PostgreSQL)")
    async with db.transaction() as session:
        for sql in FILL:
            await session.execute(text(sql), {"n": N})
        await session.execute(text("ANALYZE"))
    owner = Actor(1, 1, "owner")
    print(f"\n{N:,} conversations\n\n| list (pages of 50) | p50 ms | max ms |\n|---|---|---|")
    for label, query in CASES:
        times: list[float] = []
        for _round in range(3):
            cursor = None
            for _page in range(4):
                started = time.perf_counter()
                async with db.session() as session:
                    page = await list_conversations(session, owner, 1, limit=50, cursor=cursor, **query)
                times.append((time.perf_counter() - started) * 1000)
                assert len(page.rows) <= 50
                cursor = page.next_cursor
                if cursor is None:
                    break
        print(f"| {label} | {statistics.median(times):.0f} | {max(times):.0f} |")
    for label, query, row in DEEP:
        # A page from halfway is the very rows that follow that row when the list is read through.
        middle, start = await halfway(db, query, row)
        times = await pages(db, query, 3, start)
        print(f"| {label} | {statistics.median(times):.0f} | {max(times):.0f} |")
        listed: list[int] = []
        cursor = None
        while True:
            async with db.session() as session:
                page = await list_conversations(session, owner, 1, limit=500, cursor=cursor, **query)
            listed += [r["id"] for r in page.rows]
            if (cursor := page.next_cursor) is None:
                break
        async with db.session() as session:
            deep = await list_conversations(session, owner, 1, limit=50, cursor=start, **query)
        at = listed.index(middle)
        assert [r["id"] for r in deep.rows] == listed[at + 1 : at + 51], label

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    lines = size = 0
    async for chunk in export_csv(db, 1, redact=False):
        size += len(chunk)
        lines += chunk.count("\r\n")
    seconds = time.perf_counter() - started
    growth_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024
    async with db.session() as session:
        messages = await session.scalar(select(func.count()).select_from(Message))
    without_messages = sum(
        1 for g in range(1, N + 1) if g % 3 == 0 and g % 5 != 1
    )  # never texted nor texting
    print(f"\nexport: {seconds:.1f} s, {size / 1e6:.0f} MB of CSV, peak RSS grew {growth_mb:.0f} MB")
    assert lines == 1 + int(messages or 0) + without_messages  # header, each message, each silent contact
    assert growth_mb < 64  # paged: memory does not grow with the campaign
