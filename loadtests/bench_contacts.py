"""Benchmark contact uploads and campaign creation through the HTTP API.

    python -m loadtests.bench_contacts --database-url postgresql://postgres@127.0.0.1:5432/shiftline_bench \\
        --create-database [--contacts 100000] [--campaign-size 1000000]

Runs the real app in process (httpx's ASGI transport, in-process broker) on
the given PostgreSQL database, so every step a client pays for is measured:
multipart parsing, CSV decoding, phone checks, staging, the set-based insert,
counters, events and the commit. Two timings:

1. ``POST /api/campaigns/{cid}/contacts`` with a CSV file of ``--contacts`` rows;
2. a campaign of ``--campaign-size`` conversations from nothing: create it,
   upload its CSV, launch it.

Each is also given as a ratio to a baseline measured in the same run: a plain
asyncpg ``COPY`` of the same rows into a scratch table (no parsing, no
checks, no indexes): the floor of what PostgreSQL can take in.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import secrets
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, nullcontext
from typing import Any

import asyncpg
import httpx
import psutil
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url

from persistence.commands.accounts import create_organization, create_user
from persistence.outbox.outbox import open_database
from persistence.rules.phones import normalize_phone
from persistence.store.migrate import upgrade
from server.app import create_app
from server.auth import hash_password
from server.settings import Settings

from .scratch import dsn, scratch_database

__all__ = ["contacts_csv", "copy_baseline", "main", "rss_growth", "run", "statement_times"]

_PASSWORD = "benchmark-password"


def contacts_csv(count: int, *, area: int = 212) -> bytes:
    """``count`` contacts with distinct valid phones in one area code."""
    exchanges = [
        e
        for e in range(200, 1000)
        if all(normalize_phone(f"+1{area}{e}{line}") for line in ("0000", "5555", "9999"))
    ]
    if count > len(exchanges) * 10_000:
        raise SystemExit(f"at most {len(exchanges) * 10_000:,} contacts per area code")
    lines = [b"first_name,last_name,phone,ward\n"]
    for i in range(count):
        exchange, line = exchanges[i // 10_000], i % 10_000
        lines.append(f"First{i},Last{i % 997},({area}) {exchange}-{line:04d},{i % 50}\n".encode())
    return b"".join(lines)


async def copy_baseline(url: str, data: bytes) -> float:
    """Seconds for a plain COPY of the same rows into a scratch temporary table."""
    rows = [tuple(line.split(",")) for line in data.decode().splitlines()[1:]]
    conn = await asyncpg.connect(dsn(url))
    try:
        await conn.execute(
            "CREATE TEMP TABLE bench_copy (first_name TEXT, last_name TEXT, phone TEXT, ward TEXT)"
        )
        started = time.perf_counter()
        await conn.copy_records_to_table("bench_copy", records=rows)
        return time.perf_counter() - started
    finally:
        await conn.close()


async def _owner(url: str) -> str:
    db = open_database(url)
    try:
        await upgrade(db)
        email = f"bench-{secrets.token_hex(4)}@example.org"
        hashed = await hash_password(_PASSWORD)
        async with db.transaction() as session:
            org = await create_organization(session, "Benchmark")
            await create_user(
                session, org.id, email=email, password_hash=hashed, first_name="B", last_name="", role="owner"
            )
        return email
    finally:
        await db.dispose()


async def _new_campaign(client: httpx.AsyncClient, title: str) -> int:
    response = await client.post("/api/campaigns", json={"title": title, "initial_message": "Hi!"})
    response.raise_for_status()
    campaign_id: int = response.json()["id"]
    return campaign_id


@asynccontextmanager
async def rss_growth(into: list[float]) -> AsyncIterator[None]:
    """Sample this process's RSS every 20 ms; append the peak growth (MB) to ``into``."""
    process = psutil.Process()
    start = process.memory_info().rss
    peak = start

    async def sample() -> None:
        nonlocal peak
        while True:
            peak = max(peak, process.memory_info().rss)
            await asyncio.sleep(0.02)

    sampler = asyncio.create_task(sample())
    try:
        yield
    finally:
        sampler.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sampler
        into.append((max(peak, process.memory_info().rss) - start) / 2**20)


async def run(url: str, contacts: int, campaign_size: int) -> list[str]:
    email = await _owner(url)
    settings = Settings(database_url=url, secret_key="benchmark", auto_migrate=False)
    app = create_app(settings)
    report: list[str] = []
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench", timeout=600) as client:
            token = (await client.post("/api/login", json={"email": email, "password": _PASSWORD})).json()[
                "token"
            ]
            client.headers["Authorization"] = f"Bearer {token}"

            data = contacts_csv(contacts)
            baseline = await copy_baseline(url, data)
            cid = await _new_campaign(client, "upload benchmark")
            growth: list[float] = []
            async with rss_growth(growth):
                started = time.perf_counter()
                response = await client.post(
                    f"/api/campaigns/{cid}/contacts", files={"file": ("contacts.csv", data, "text/csv")}
                )
                elapsed = time.perf_counter() - started
            response.raise_for_status()
            added = response.json()["added"]
            report.append(
                f"| upload {contacts:,} contacts (multipart CSV) | {elapsed:.2f} s "
                f"| {added / elapsed:,.0f} rows/s | COPY {baseline:.2f} s | {elapsed / baseline:.1f}x |"
            )
            del data

            if campaign_size:  # 0: time the upload only
                data = contacts_csv(campaign_size, area=312)
                baseline = await copy_baseline(url, data)
                async with rss_growth(growth):
                    started = time.perf_counter()
                    cid = await _new_campaign(client, "million benchmark")
                    response = await client.post(
                        f"/api/campaigns/{cid}/contacts", content=data, headers={"content-type": "text/csv"}
                    )
                    response.raise_for_status()
                    launched = await client.patch(f"/api/campaigns/{cid}", json={"status": "active"})
                    launched.raise_for_status()
                    elapsed = time.perf_counter() - started
                count = (await client.get(f"/api/campaigns/{cid}")).json()["contact_count"]
                if count != campaign_size:
                    raise SystemExit(f"expected {campaign_size} conversations, found {count}")
                report.append(
                    f"| create + upload + launch a campaign of {campaign_size:,} | {elapsed:.2f} s "
                    f"| {campaign_size / elapsed:,.0f} rows/s | COPY {baseline:.2f} s "
                    f"| {elapsed / baseline:.1f}x |"
                )
    sizes = [contacts, campaign_size][: len(growth)]
    report.append(
        "process memory growth while uploading (client and server in one process): "
        + ", ".join(f"{mb:.0f} MB for {rows:,} rows" for mb, rows in zip(growth, sizes, strict=True))
    )
    return report


def statement_times() -> dict[str, list[float]]:
    """Count and total wall time of every SQL statement the process runs, by its first 110 characters.

    The profile of docs/benchmarks.md: where an upload's time goes in the database.
    """
    times: dict[str, list[float]] = {}

    @event.listens_for(Engine, "before_cursor_execute")
    def _started(conn: Any, cursor: Any, statement: str, *_args: Any) -> None:
        conn.info.setdefault("bench_started", []).append(time.perf_counter())

    @event.listens_for(Engine, "after_cursor_execute")
    def _ended(conn: Any, cursor: Any, statement: str, *_args: Any) -> None:
        took = time.perf_counter() - conn.info["bench_started"].pop()
        entry = times.setdefault(" ".join(statement.split())[:110], [0.0, 0.0])
        entry[0] += 1
        entry[1] += took

    return times


async def _main(args: argparse.Namespace) -> None:
    name = make_url(args.database_url).database
    scratch = scratch_database(args.database_url, name=name) if args.create_database else nullcontext()
    times = statement_times() if args.statements else {}
    async with scratch:
        lines = await run(args.database_url, args.contacts, args.campaign_size)
    print("| step | time | rate | baseline (same rows) | ratio |")
    print("|---|---|---|---|---|")
    for line in lines:
        print(line)
    for statement, (count, total) in sorted(times.items(), key=lambda kv: -kv[1][1])[:10]:
        print(f"{total:8.2f} s {count:6.0f}x  {statement}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m loadtests.bench_contacts", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--database-url", required=True, help="a PostgreSQL URL (a scratch database)")
    parser.add_argument(
        "--create-database",
        action="store_true",
        help="create the URL's database first and drop it at the end",
    )
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--campaign-size", type=int, default=1_000_000)
    parser.add_argument(
        "--statements", action="store_true", help="also print the SQL statements that took the most time"
    )
    args = parser.parse_args(argv)
    if not args.database_url.startswith("postgresql"):
        sys.exit("the benchmark runs on PostgreSQL: pass --database-url postgresql://...")
    asyncio.run(_main(args))


if __name__ == "__main__":
    main()
