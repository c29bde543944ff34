"""The Admin Messenger and the export on a big campaign (PostgreSQL).

Also the benchmark of docs/benchmarks.md ("Admin Messenger and export"):

    SHIFTLINE_BENCH_CONVERSATIONS=1000000 .venv/bin/pytest \\
        tests/persistence/test_listing_scale.py -k postgres -s --timeout 1800

prints the table; by default it runs on 20,000 conversations as a plain test.
"""

from __future__ import annotations

import os
import resource
import statistics
import time
from typing import Any

import pytest
from sqlalchemy import func, select, text

from persistence.queries.conversations import list_conversations
from persistence.queries.export import export_csv
from persistence.store.database import Database
from persistence.store.models import Message
from persistence.store.scope import Actor

N = int(os.environ.get("SHIFTLINE_BENCH_CONVERSATIONS", "20000"))

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
    ("whole campaign, Responses", {"tab": "responses"}),
    ("whole campaign, Responses, az", {"tab": "responses", "sort": "az"}),
    ("whole campaign, no tab", {}),
]


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
