"""Benchmark the send queue: two server instances sharing one pace, against a fake Twilio on loopback.

    python -m loadtests.bench_queue --database-url postgresql://postgres@127.0.0.1:5432/postgres \\
        [--texts 3000] [--rate 100] [--samples 50] [--redis-url redis://127.0.0.1:6379/0]

Starts two real ``shiftline serve`` processes on a scratch PostgreSQL database,
sharing the pace through Redis, with the organization connected to
``loadtests/fake_twilio.py`` (``SHIFTLINE_TWILIO_API_URL``). Then:

1. latency, the queue empty: ``--samples`` texts one at a time, alternately
   through each instance; from the moment the send request leaves the client to
   the moment the provider call arrives at the fake (p50/p99);
2. pace: ``--texts`` texts queued as fast as the instances take them, at
   ``--rate`` a second; the most arrivals at the fake in any one-second window
   and the mean rate, against the setting; the servers' CPU (user + system,
   psutil over both processes) per text, everything a text costs a server
   included: its send request, the claim, the pace, the provider call,
   recording ``sent``.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx
import psutil
import redis.asyncio as aioredis

from persistence.commands.accounts import create_organization, create_user
from persistence.outbox.outbox import open_database
from persistence.store.migrate import upgrade
from server.tokens import issue_token

from .fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio, running
from .provision import contact_phone
from .scratch import bench_arguments, parse_bench_arguments, scratch_database
from .servers import Cluster, Instance, free_port

__all__ = ["BenchError", "QueueFigures", "busiest_second", "main", "mean_rate", "percentile", "run"]

_NUMBER = "+15005550006"

_UPLOAD_CHUNK = 1000
# Send requests in flight at once while the queue fills (each instance takes half).
_IN_FLIGHT = 16


class BenchError(Exception):
    """The run cannot give its figures (a refused send, texts that never arrived)."""


def busiest_second(times: Sequence[float]) -> int:
    """The most arrivals in any one-second window [t, t + 1)."""
    ordered = sorted(times)
    most, start = 0, 0
    for end, t in enumerate(ordered):
        while ordered[start] <= t - 1.0:
            start += 1
        most = max(most, end - start + 1)
    return most


def mean_rate(times: Sequence[float]) -> float:
    """Arrivals a second from the first to the last (0 with fewer than two)."""
    if len(times) < 2 or max(times) == min(times):
        return 0.0
    return (len(times) - 1) / (max(times) - min(times))


def percentile(values: Sequence[float], q: float) -> float:
    """The nearest-rank ``q``-th percentile (0 < q <= 100)."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), -(-len(ordered) * q // 100)))
    return ordered[int(rank) - 1]


@dataclass(frozen=True)
class QueueFigures:
    texts: int
    rate: int
    busiest_second: int
    mean_rate: float
    duplicates: int
    cpu_ms_per_text: float
    # The time the send requests took to queue every text; then the rest of the queue, dispatch alone.
    queue_seconds: float
    drain_texts: int
    drain_rate: float
    drain_cpu_ms_per_text: float
    latency_samples: int
    latency_p50_ms: float
    latency_p99_ms: float

    def table(self) -> list[str]:
        return [
            "| figure | value |",
            "|---|---|",
            f"| texts dispatched (pace phase) | {self.texts:,} (duplicates: {self.duplicates}) |",
            f"| setting | {self.rate} texts/s |",
            f"| most in any one-second window | {self.busiest_second} |",
            f"| mean rate | {self.mean_rate:.1f} texts/s ({self.mean_rate / self.rate:.0%} of the setting) |",
            f"| server CPU per text, send request + dispatch (both instances) "
            f"| {self.cpu_ms_per_text:.2f} ms |",
            f"| time to queue them all (send requests) | {self.queue_seconds:.1f} s |",
            f"| after that, dispatch alone: texts, mean rate "
            f"| {self.drain_texts:,}, {self.drain_rate:.1f} texts/s |",
            f"| after that, server CPU per dispatched text | {self.drain_cpu_ms_per_text:.2f} ms |",
            f"| send request → provider call, queue empty (n={self.latency_samples}) "
            f"| p50 {self.latency_p50_ms:.0f} ms, p99 {self.latency_p99_ms:.0f} ms |",
        ]


async def _seed(url: str, secret: str) -> str:
    """Migrate; an organization with a number and its owner; the owner's token."""
    db = open_database(url)
    try:
        await upgrade(db)
        async with db.transaction() as session:
            org = await create_organization(session, "Queue benchmark", number=_NUMBER)
            owner = await create_user(
                session,
                org.id,
                email="bench@example.org",
                password_hash="unused: the benchmark signs its own token",
                first_name="B",
                last_name="",
                role="owner",
            )
            return issue_token(secret, owner.id, org.id, 3600)
    finally:
        await db.dispose()


async def _campaign(http: httpx.AsyncClient, count: int, rate: int) -> list[tuple[int, str]]:
    """The organization on the fake Twilio at ``rate``; an active campaign of ``count``: (id, phone)."""
    provider = {"kind": "twilio", "account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN}
    answer = await http.patch("/api/organization", json={"provider": provider, "send_rate_per_second": rate})
    answer.raise_for_status()
    answer = await http.post("/api/campaigns", json={"title": "Queue benchmark", "initial_message": "Hi!"})
    answer.raise_for_status()
    cid = answer.json()["id"]
    rows = [{"first_name": f"C{n}", "last_name": "X", "phone": contact_phone(n)} for n in range(count)]
    for start in range(0, count, _UPLOAD_CHUNK):
        answer = await http.post(f"/api/campaigns/{cid}/contacts", json=rows[start : start + _UPLOAD_CHUNK])
        answer.raise_for_status()
    (await http.patch(f"/api/campaigns/{cid}", json={"status": "active"})).raise_for_status()
    found: list[tuple[int, str]] = []
    cursor: str | None = None
    while True:
        params: dict[str, str | int] = {"sender": "unassigned", "tab": "initial", "limit": 500}
        if cursor:
            params["cursor"] = cursor
        answer = await http.get(f"/api/campaigns/{cid}/conversations", params=params)
        answer.raise_for_status()
        body = answer.json()
        found += [(row["id"], row["contact"]["phone"]) for row in body["conversations"]]
        cursor = body["next_cursor"]
        if not cursor:
            return found


async def _send(http: httpx.AsyncClient, base: str, conversation_id: int) -> None:
    answer = await http.post(f"{base}/api/conversations/{conversation_id}/messages", json={})
    if answer.status_code != 201:
        raise BenchError(f"send refused: {answer.status_code} {answer.text}")


async def _arrived(fake: FakeTwilio, count: int, within: float) -> None:
    deadline = time.monotonic() + within
    while len(fake.accepted) < count:
        if time.monotonic() > deadline:
            raise BenchError(f"{len(fake.accepted)} of {count} texts reached the provider in {within:.0f} s")
        await asyncio.sleep(0.002)


def _cpu_seconds(processes: Sequence[psutil.Process]) -> float:
    return sum(sum(p.cpu_times()[:2]) for p in processes)


async def _measure(
    http: httpx.AsyncClient, fake: FakeTwilio, cluster: Cluster, texts: int, rate: int, samples: int
) -> QueueFigures:
    urls = cluster.urls
    conversations = await _campaign(http, samples + texts, rate)
    # 1. Latency with an empty queue: one text at a time.
    latencies: list[float] = []
    for i, (conversation_id, phone) in enumerate(conversations[:samples]):
        before = time.time()
        await _send(http, urls[i % len(urls)], conversation_id)
        await _arrived(fake, i + 1, 30)
        arrival = fake.accepted[i]
        if arrival.field("To") != phone:
            raise BenchError(f"expected a text to {phone}, the provider got one to {arrival.field('To')}")
        latencies.append((arrival.at - before) * 1000)
        await asyncio.sleep(2 / rate)  # past the pace's next slot: each sample finds the queue empty
    # 2. The pace: everything queued at once, through both instances.
    processes = [psutil.Process(i.process.pid) for i in cluster.instances if i.process is not None]
    cpu = _cpu_seconds(processes)
    limit = asyncio.Semaphore(_IN_FLIGHT)

    async def one(i: int, conversation_id: int) -> None:
        async with limit:
            await _send(http, urls[i % len(urls)], conversation_id)

    started = time.time()
    await asyncio.gather(*(one(i, c) for i, (c, _) in enumerate(conversations[samples:])))
    # From here on the servers only dispatch: what is left of the queue shows the dispatch alone.
    queued, cpu_queued = time.time(), _cpu_seconds(processes)
    await _arrived(fake, samples + texts, texts / rate * 3 + 30)
    cpu_end = _cpu_seconds(processes)
    await asyncio.sleep(0.5)  # anything sent twice arrives too
    arrivals = fake.accepted[samples:]
    times = [a.at for a in arrivals]
    drained = [t for t in times if t > queued]
    return QueueFigures(
        texts=texts,
        rate=rate,
        busiest_second=busiest_second(times),
        mean_rate=mean_rate(times),
        duplicates=len(arrivals) - len({a.field("To") for a in arrivals}),
        cpu_ms_per_text=(cpu_end - cpu) / texts * 1000,
        queue_seconds=queued - started,
        drain_texts=len(drained),
        drain_rate=mean_rate(drained),
        drain_cpu_ms_per_text=(cpu_end - cpu_queued) / max(1, len(drained)) * 1000,
        latency_samples=samples,
        latency_p50_ms=percentile(latencies, 50),
        latency_p99_ms=percentile(latencies, 99),
    )


async def _forget_keys(url: str, prefix: str) -> None:
    """Delete the run's own Redis keys (its unique prefix, never anything else)."""
    client = aioredis.from_url(url)
    try:
        async for key in client.scan_iter(match=f"{prefix}*", count=1000):
            await client.delete(key)
    finally:
        await client.aclose()


async def run(
    url: str, *, texts: int, rate: int, samples: int, redis_url: str, keep: bool = False
) -> QueueFigures:
    secret = secrets.token_hex(32)
    prefix = f"shiftline-bench-queue-{secrets.token_hex(4)}"
    async with scratch_database(url, keep=keep) as database_url:
        token = await _seed(database_url, secret)
        with running() as fake, tempfile.TemporaryDirectory(prefix="bench-queue-") as directory:
            env = {
                "DATABASE_URL": database_url,
                "REDIS_URL": redis_url,
                "SHIFTLINE_REDIS_PREFIX": prefix,
                "SHIFTLINE_SECRET_KEY": secret,
                "SHIFTLINE_TWILIO_API_URL": fake.url,
                "SHIFTLINE_AUTO_MIGRATE": "0",
                "SHIFTLINE_DATA_DIR": directory,
                "PYTHONUNBUFFERED": "1",
            }
            instances = [Instance(i, f"http://127.0.0.1:{port}", port) for i, port in enumerate(_ports(2))]
            cluster = Cluster(instances, env, Path(directory))
            try:
                for instance in instances:
                    cluster.start(instance)
                await asyncio.gather(*(cluster.wait_healthy(i) for i in instances))
                headers = {"Authorization": f"Bearer {token}"}
                async with httpx.AsyncClient(base_url=instances[0].url, headers=headers, timeout=60) as http:
                    return await _measure(http, fake, cluster, texts, rate, samples)
            finally:
                cluster.stop()
                await _forget_keys(redis_url, prefix)


def _ports(count: int) -> list[int]:
    ports: set[int] = set()
    while len(ports) < count:
        ports.add(free_port())
    return sorted(ports)


def main(argv: Sequence[str] | None = None) -> None:
    parser = bench_arguments(__doc__.split("\n")[0] if __doc__ else None)
    parser.prog = "python -m loadtests.bench_queue"
    parser.add_argument("--texts", type=int, default=3000, help="texts of the pace phase")
    parser.add_argument("--rate", type=int, default=100, help="the organization's send_rate_per_second")
    parser.add_argument("--samples", type=int, default=50, help="texts of the latency phase")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0", help="the shared pace's Redis")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parse_bench_arguments(parser, argv)
    if min(args.texts, args.rate, args.samples) < 1:
        parser.error("--texts, --rate and --samples must be at least 1")
    try:
        figures = asyncio.run(
            run(
                args.database_url,
                texts=args.texts,
                rate=args.rate,
                samples=args.samples,
                redis_url=args.redis_url,
                keep=args.keep,
            )
        )
    except BenchError as error:
        raise SystemExit(f"bench_queue: {error}") from None
    print("\n".join(figures.table()))
    if args.json is not None:
        args.json.write_text(json.dumps(asdict(figures), indent=2) + "\n")


if __name__ == "__main__":
    main()
