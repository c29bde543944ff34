"""Benchmark what authenticating a request costs: statements, pooled connections and CPU.

    python -m loadtests.bench_auth --database-url postgresql://postgres@127.0.0.1:5432/postgres

Runs the app in this process (its lifespan too, with the in-process broker)
on a scratch database with one organization, and sends ``--requests``
authenticated ``GET /api/users`` one after another through httpx's ASGI
transport, in four alternating phases of each kind:

- ``read each time`` (the baseline): the actor cache holds nothing
  (``ttl`` 0), so every request reads its user, as every request did before
  the cache;
- ``remembered``: the cache as the server runs it.

Statements (SQLAlchemy's ``before_cursor_execute``) and connections taken
from the pool are counted for the requests' own task only: the server's
background loops run beside them and are left out. CPU is the whole
process's, background loops included, in both kinds of phase alike.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event

from persistence.commands.accounts import create_organization, create_user
from persistence.outbox.outbox import open_database
from server.app import create_app
from server.services import Services
from server.settings import Settings
from server.tokens import issue_token

from .bench_sweep import Timing
from .scratch import bench_arguments, parse_bench_arguments, scratch_database

__all__ = ["main", "run"]

_SECRET = "bench-auth-secret"


async def _owner_token(url: str) -> str:
    db = open_database(url)
    try:
        async with db.transaction() as session:
            org = await create_organization(session, "Bench")
            user = await create_user(
                session,
                org.id,
                email="owner@bench.example",
                password_hash="-",  # never logs in: the token is signed here
                first_name="Olive",
                last_name="Owner",
                role="owner",
            )
            ids = (user.id, org.id)
    finally:
        await db.dispose()
    return issue_token(_SECRET, ids[0], ids[1], 3600)


class _Counter:
    """Statements and pool checkouts of one task."""

    def __init__(self, svc: Services) -> None:
        self.engine = svc.db.engine.sync_engine  # PostgreSQL: reads use it too, with options
        self.task: asyncio.Task[Any] | None = None
        self.statements = 0
        self.checkouts = 0

    def _statement(self, *args: Any) -> None:
        if asyncio.current_task() is self.task:
            self.statements += 1

    def _checkout(self, *args: Any) -> None:
        if asyncio.current_task() is self.task:
            self.checkouts += 1

    def __enter__(self) -> _Counter:
        self.task = asyncio.current_task()
        event.listen(self.engine, "before_cursor_execute", self._statement)
        event.listen(self.engine.pool, "checkout", self._checkout)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._statement)
        event.remove(self.engine.pool, "checkout", self._checkout)


async def _phase(http: httpx.AsyncClient, svc: Services, token: str, requests: int) -> tuple[float, ...]:
    """(statements, checkouts, CPU ms, wall ms) per request, and the latency samples' p50 and p99."""
    headers = {"Authorization": f"Bearer {token}"}
    samples: list[float] = []
    cpu, wall = time.process_time(), time.perf_counter()
    with _Counter(svc) as counter:
        for _ in range(requests):
            start = time.perf_counter()
            response = await http.get("/api/users", headers=headers)
            samples.append((time.perf_counter() - start) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"GET /api/users answered {response.status_code}: {response.text}")
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    timing = Timing(samples)
    return (
        counter.statements / requests,
        counter.checkouts / requests,
        cpu * 1000 / requests,
        wall * 1000 / requests,
        timing.pct(0.5),
        timing.pct(0.99),
    )


async def run(url: str, *, requests: int, rounds: int, keep: bool) -> None:
    async with scratch_database(url, keep=keep) as scratch_url:
        with tempfile.TemporaryDirectory() as data_dir:
            settings = Settings(
                database_url=scratch_url, data_dir=Path(data_dir), secret_key=_SECRET, auto_migrate=True
            )
            app = create_app(settings)
            async with app.router.lifespan_context(app):
                svc: Services = app.state.services
                token = await _owner_token(scratch_url)
                transport = httpx.ASGITransport(app=app)
                async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
                    await _measure(http, svc, token, requests, rounds)


async def _measure(http: httpx.AsyncClient, svc: Services, token: str, requests: int, rounds: int) -> None:
    remember_for = svc.actor_cache.ttl
    await _phase(http, svc, token, 50)  # warm up: connections, statement caches
    results: dict[str, list[tuple[float, ...]]] = {"read each time": [], "remembered": []}
    for _ in range(rounds):
        for label, ttl in (("read each time", 0.0), ("remembered", remember_for)):
            svc.actor_cache.ttl = ttl
            svc.actor_cache.clear()
            results[label].append(await _phase(http, svc, token, requests))
    print(f"{requests} requests a phase, {rounds} phases of each kind (GET /api/users, one user)")
    print(f"{'':<15} statements  checkouts  CPU ms/req  wall ms/req  p50 ms  p99 ms")
    mean: dict[str, tuple[float, ...]] = {}
    for label, phases in results.items():
        mean[label] = tuple(sum(column) / len(column) for column in zip(*phases, strict=True))
        st, co, cpu, wall, p50, p99 = mean[label]
        print(f"{label:<15} {st:10.2f} {co:10.2f} {cpu:11.3f} {wall:12.3f} {p50:7.3f} {p99:7.3f}")
    base, ours = mean["read each time"], mean["remembered"]
    print(f"remembered / read each time: CPU {ours[2] / base[2]:.2f}, wall {ours[3] / base[3]:.2f}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = bench_arguments(__doc__)
    parser.add_argument("--requests", type=int, default=1000, help="requests per phase")
    parser.add_argument("--rounds", type=int, default=4, help="phases of each kind, alternating")
    args = parse_bench_arguments(parser, argv)
    asyncio.run(run(args.database_url, requests=args.requests, rounds=args.rounds, keep=args.keep))


if __name__ == "__main__":
    main()
