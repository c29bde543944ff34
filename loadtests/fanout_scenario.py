"""The ``fanout`` scenario (one change, seen live by N admin tabs, round after round).

Each round reassigns one conversation (a single small transaction that emits
a handful of campaign events) and waits until every connection has its
``reassigned`` event. Figures: per-delivery latency (from the trigger, in this
process's clock, and from the commit when frames carry its time), deliveries
per second over each round's burst, and the servers' CPU and memory.
(Named apart from ``loadtests/fanout/``, the raw fan-out benchmark.)
"""

from __future__ import annotations

import asyncio
import random
import time
from pathlib import Path
from typing import Any

from .api import Api
from .config import Config
from .figures import Figures
from .live import LiveClient, close_all
from .progress import Progress
from .provision import provision
from .report import Goal, Outcome
from .servers import cluster
from .shift import config_json, connect_all, server_failures
from .watch import watch_cluster

__all__ = ["run_fanout"]


class _Round:
    def __init__(self, clients: int) -> None:
        self.started = 0.0
        self.pending = clients
        self.last = 0.0
        self.done = asyncio.Event()

    def got(self, received: float, figures: Figures) -> None:
        figures.record_latency("trigger→receipt", max(0.0, received - self.started), timeline=True)
        self.last = received
        self.pending -= 1
        if self.pending == 0:
            self.done.set()


async def run_fanout(cfg: Config, directory: Path, run: str, command: str) -> Outcome:
    figures = Figures()
    rng = random.Random(cfg.seed)
    small = Config(**{**vars(cfg), "senders": 2, "admins": 1, "contacts_per_sender": 2})
    failures: list[str] = []
    tasks: list[asyncio.Task[None]] = []
    async with cluster(cfg, directory) as c, Api(figures) as api:
        world = await provision(api, c, small, run, 4)
        admin = world.admins[0]
        current: list[_Round] = []

        def on_event(channel: str, seq: int, kind: str, data: dict[str, Any], received: float) -> None:
            if kind == "reassigned" and current:
                current[-1].got(received, figures)

        clients = [
            LiveClient(
                f"tab {i}",
                world.urls,
                admin.token,
                [f"campaign:{world.campaign_id}"],
                figures,
                on_event,
                wire=cfg.wire,
                first=i,
            )
            for i in range(cfg.clients)
        ]
        background: list[asyncio.Task[None]] = []
        conversation = min(world.contacts)
        # Out to the pool and back: every round is a real move (a no-op would emit nothing).
        targets: list[int | None] = [None, world.senders[0].user_id]
        spans: list[float] = []
        try:
            await connect_all(clients, cfg.connect_rate, tasks)
            figures.restart_clock()
            watcher = watch_cluster(figures, c)
            background.append(asyncio.create_task(watcher.run()))
            background.append(asyncio.create_task(Progress(figures, cfg.duration).run()))
            for r in range(cfg.rounds):
                if figures.now() > cfg.duration:
                    break
                rnd = _Round(len(clients))
                current.append(rnd)
                rnd.started = time.time()
                await api.call(
                    "POST",
                    f"{world.url(rng)}/api/conversations/{conversation}/reassign",
                    "/api/conversations/{id}/reassign",
                    token=admin.token,
                    json={"to": targets[r % 2]},
                )
                figures.action("reassign")
                try:
                    await asyncio.wait_for(rnd.done.wait(), 10.0)
                except TimeoutError:
                    failures.append(
                        f"round {r}: {rnd.pending} of {len(clients)} clients had no event after 10 s"
                    )
                spans.append(max(1e-6, rnd.last - rnd.started))
                await asyncio.sleep(0.2)
            elapsed = figures.now()
            figures.checking()
        finally:
            for task in background:
                task.cancel()
            await close_all(clients, tasks + background)
        anomalies = [a for client in clients for a in client.checker.finish()]
        failures = (
            [str(a) for a in anomalies[:200]]
            + failures
            + server_failures(figures, expect_transport_errors=False)
        )
        data = figures.to_json(elapsed)
    # Every frame of a round counts (a move emits several events to each tab),
    # over the time from the request to the last tab's reassigned event.
    deliveries = sum(data["events_received"].values())
    burst = deliveries / sum(spans) if spans else 0.0
    data["fanout"] = {
        "clients": len(clients),
        "rounds": len(spans),
        "deliveries_per_second_burst": round(burst, 1),
    }
    lat = data["latency_ms"].get("trigger→receipt", {})
    p99 = lat.get("p99")
    goals = [
        Goal("lost, duplicated or misordered events", "0", str(len(anomalies)), not anomalies),
        Goal(
            f"p99 latency, one event to {len(clients):,} clients",
            "< 100 ms (at 1,000)",
            f"{p99:,.1f} ms" if p99 is not None else "-",
            p99 is not None and p99 < 100,
        ),
        Goal("deliveries per second (burst)", "reported", f"{burst:,.0f}", True),
    ]
    return Outcome(
        scenario="fanout",
        run_name=run,
        command=command,
        config=config_json(cfg),
        figures=data,
        failures=failures,
        checks={"clients": len(clients), "rounds": len(spans)},
        goals=goals,
    )
