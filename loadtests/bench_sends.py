"""Benchmark how many sends a second one campaign takes, everything that comes with a send included.

    python -m loadtests.bench_sends --database-url postgresql://postgres@127.0.0.1:5432/postgres

Seeds one campaign as ``bench_sweep`` does, then ``--workers`` concurrent
workers, each a different sender, send initial messages for ``--seconds``
(each phase below with senders of its own):
``send_message`` then ``record_sent`` (the two transactions the server
runs around the provider), with a ``CountsFeed`` publishing the counter
events, as in the server. Every send writes its events on the campaign
channel, so this is the campaign's ceiling, whatever the number of instances.

Baseline, in the same run and with the same workers: the same row changes as
bare SQL (lock and update the conversation, insert the message, then mark it
sent), two transactions a send, without counters, events or checks.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Awaitable, Callable, Sequence

from sqlalchemy import text

from persistence.commands.messaging import send_message
from persistence.commands.send_queue import record_sent
from persistence.outbox.counts import CountsFeed
from persistence.outbox.outbox import Outbox, Subscriber, open_database
from persistence.store.database import Database
from persistence.store.migrate import upgrade
from persistence.store.scope import Actor
from server.live.counts import publish_forever

from .bench_sweep import Timing, seed
from .scratch import bench_arguments, parse_bench_arguments, scratch_database

__all__ = ["main", "run"]


async def _not_started(db: Database, senders: int) -> dict[int, list[int]]:
    """Each sender's conversations with no initial message yet."""
    async with db.session() as session:
        rows = await session.execute(
            text(
                "SELECT assigned_to, id FROM conversations WHERE initial_sent_at IS NULL"
                " AND assigned_to IS NOT NULL AND NOT opted_out ORDER BY id"
            )
        )
    todo: dict[int, list[int]] = {}
    for user_id, conversation_id in rows:
        todo.setdefault(int(user_id), []).append(int(conversation_id))
    return todo


async def _drive(
    todo: dict[int, list[int]], users: list[int], seconds: float, send: Callable[[int, int], Awaitable[None]]
) -> tuple[int, Timing, float, float]:
    """Run ``users`` at once for ``seconds``; return the sends, their latencies, the CPU and the time used.

    The time is measured, not assumed: a worker whose conversations run out
    stops early, and a rate over the nominal ``seconds`` would understate it.
    """
    began = time.perf_counter()
    deadline = began + seconds
    samples: list[float] = []
    cpu = time.process_time()

    async def worker(user_id: int) -> None:
        queue = todo[user_id]
        while queue and time.perf_counter() < deadline:
            start = time.perf_counter()
            await send(user_id, queue.pop())
            samples.append((time.perf_counter() - start) * 1000)

    await asyncio.gather(*(worker(u) for u in users))
    return len(samples), Timing(samples), time.process_time() - cpu, time.perf_counter() - began


async def run(
    url: str, *, conversations: int, senders: int, workers: int, seconds: float, keep: bool
) -> None:
    async with scratch_database(url, keep=keep) as scratch_url:
        await _measure(scratch_url, conversations, senders, workers, seconds)


async def _measure(url: str, conversations: int, senders: int, workers: int, seconds: float) -> None:
    db = open_database(url, pool_size=max(10, workers // 2))
    try:
        await upgrade(db)
        await seed(db, conversations, senders, 0)
        todo = await _not_started(db, senders)
        if len(todo) < 3 * workers:
            raise SystemExit(f"only {len(todo)} senders have conversations to start; use more senders")
        # Each phase has senders of its own, with conversations not yet started.
        users = sorted(todo)
        feed = CountsFeed(db)
        Outbox.of(db).subscribe(Subscriber(counts=feed.add))
        publishing = asyncio.create_task(publish_forever(feed))

        async def ours(user_id: int, conversation_id: int) -> None:
            async with db.transaction() as session:
                out = await send_message(session, Actor(user_id, 1, "sender"), conversation_id)
            async with db.transaction() as session:
                await record_sent(session, out.message.id, "SM" + secrets.token_hex(16))

        async def bare(user_id: int, conversation_id: int) -> None:
            async with db.engine.begin() as conn:
                await conn.execute(
                    text("SELECT id FROM conversations WHERE id = :c FOR UPDATE"), {"c": conversation_id}
                )
                await conn.execute(
                    text(
                        "UPDATE conversations SET initial_sent_at = now(), last_outbound_at = now(),"
                        " last_message_at = now() WHERE id = :c"
                    ),
                    {"c": conversation_id},
                )
                message_id = await conn.scalar(
                    text(
                        "INSERT INTO messages (organization_id, conversation_id, direction, body, media_urls,"
                        " sender_id, delivery_status, created_at)"
                        " VALUES (1, :c, 'outbound', 'Hi', '[]', :u, 'queued', now()) RETURNING id"
                    ),
                    {"c": conversation_id, "u": user_id},
                )
            async with db.engine.begin() as conn:
                await conn.execute(
                    text("UPDATE messages SET delivery_status = 'sent' WHERE id = :m"), {"m": message_id}
                )

        results: dict[str, tuple[int, Timing, float, float]] = {}
        phases = (("baseline", bare), ("shiftline", ours), ("baseline again", bare))
        for i, (label, send) in enumerate(phases):
            results[label] = await _drive(todo, users[i * workers : (i + 1) * workers], seconds, send)
            if not results[label][0]:
                raise SystemExit(f"{label}: no send finished in {seconds} s")
        publishing.cancel()
        await feed.flush()
        rates = {label: count / elapsed for label, (count, _t, _c, elapsed) in results.items()}
        base = (rates["baseline"] + rates["baseline again"]) / 2
        for label, (count, timing, cpu, _elapsed) in results.items():
            print(
                f"{label:<15} {rates[label]:7.1f} sends/s  {cpu * 1000 / count:5.2f} ms CPU/send  "
                + timing.line("").strip()
            )
        rate = rates["shiftline"]
        print(f"shiftline / baseline: {rate / base:.2f} ({workers} senders at once, one campaign)")
    finally:
        await db.dispose()


def main(argv: Sequence[str] | None = None) -> None:
    parser = bench_arguments(__doc__)
    parser.add_argument("--conversations", type=int, default=300_000)
    # Not a multiple of 3: the seed leaves every third conversation not started.
    parser.add_argument("--senders", type=int, default=100)
    parser.add_argument("--workers", type=int, default=50, help="senders sending at the same time")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each measured phase")
    args = parse_bench_arguments(parser, argv)
    if not 0 < 3 * args.workers <= args.senders:
        parser.error("need 0 < 3 * --workers <= --senders (each phase has its own senders)")
    asyncio.run(
        run(
            args.database_url,
            conversations=args.conversations,
            senders=args.senders,
            workers=args.workers,
            seconds=args.seconds,
            keep=args.keep,
        )
    )


if __name__ == "__main__":
    main()
