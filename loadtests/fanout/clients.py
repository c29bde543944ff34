"""The clients: N idle connections in worker processes, then single events and a burst.

Clients are spread over ``workers`` processes and use a minimal protocol
(:mod:`.rawclient`) so that they, not the server, are never the bottleneck.
Latency is receipt time minus the ``t`` the server stamped when the event was
triggered (the hub's includes committing it to the event log). Deliveries per
second come from a burst of events sent back to back; server CPU and memory
are read from the server processes with psutil.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import time
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

import httpx
import msgpack
import psutil
from websockets.sync.client import connect as sync_connect
from websockets.typing import Subprotocol

from .rawclient import RawClient, open_raw

__all__ = ["Result", "measure"]


@dataclass
class Result:
    n: int
    p50_ms: float
    p99_ms: float
    deliveries_per_s: float
    cpu_us_per_delivery: float
    kb_per_connection: float
    lost: int


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


class _Sink:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.received = 0
        self.last_at = 0.0
        self.target = 0
        self.done: asyncio.Event = asyncio.Event()
        self.subscribed = 0

    def feed(self, raw: bytes) -> None:
        frame = msgpack.unpackb(raw)
        kind = frame.get("type")
        if kind == "subscribed":
            self.subscribed += 1
            return
        if kind != "event":
            return
        now = time.time()
        self.latencies.append(now - frame["data"]["t"])
        self.received += 1
        self.last_at = now
        if self.received >= self.target:
            self.done.set()


async def _work(
    pipe: Connection, urls: Sequence[str], token: str, channel: str, first: int, count: int
) -> None:
    sink = _Sink()
    clients: list[RawClient] = []
    gate = asyncio.Semaphore(25)  # connection storms leave transient garbage in the RSS
    subscribe = msgpack.packb({"type": "subscribe", "channel": channel, "since": None})

    async def one(i: int) -> None:
        async with gate:
            url = urls[i % len(urls)]
            client = await open_raw(f"{url}?token={token}" if token != "-" else url, sink.feed)
            client.send(subscribe)
            clients.append(client)

    await asyncio.gather(*(one(first + i) for i in range(count)))
    for _ in range(6000):  # up to 5 minutes for every subscription to be confirmed
        if sink.subscribed >= count:
            break
        await asyncio.sleep(0.05)
    loop = asyncio.get_running_loop()
    pipe.send(("ready", count))
    while True:
        command: tuple[Any, ...] = await loop.run_in_executor(None, pipe.recv)
        if command[0] == "stop":
            break
        _, expected, wait = command
        sink.latencies, sink.received, sink.target = [], 0, expected
        sink.done.clear()
        pipe.send(("armed",))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(sink.done.wait(), wait)
        pipe.send(("done", sink.latencies, sink.received, sink.last_at))
    for client in clients:
        client.close()


def _worker(pipe: Connection, urls: Sequence[str], token: str, channel: str, first: int, count: int) -> None:
    import uvloop

    uvloop.run(_work(pipe, urls, token, channel, first, count))


def _rss(pids: Sequence[int]) -> int:
    return sum(psutil.Process(pid).memory_info().rss for pid in pids)


def _cpu(pids: Sequence[int]) -> float:
    total = 0.0
    for pid in pids:
        times = psutil.Process(pid).cpu_times()
        total += times.user + times.system
    return total


class _Trigger:
    def __init__(self, strategy: str, http_url: str, ws_url: str) -> None:
        self.strategy = strategy
        self.http_url = http_url
        self.control = (
            None if strategy == "hub" else sync_connect(ws_url, subprotocols=[Subprotocol("msgpack")])
        )

    def __call__(self, count: int) -> None:
        if self.control is None:
            httpx.post(f"{self.http_url}/bench/emit", params={"count": count}, timeout=120).raise_for_status()
        else:
            self.control.send(f"emit:{count}")

    def close(self) -> None:
        if self.control is not None:
            self.control.close()


def measure(
    strategy: str,
    ws_urls: Sequence[str],
    http_url: str,
    token: str,
    channel: str,
    quiet: str,
    pids: Sequence[int],
    *,
    n: int,
    warm: int = 1000,
    singles: int = 20,
    burst: int = 50,
    workers: int = 2,
) -> Result:
    """Connect ``n`` clients spread over ``ws_urls``, then measure (see the module docstring)."""
    ctx = multiprocessing.get_context("spawn")
    pipes: list[Connection] = []
    procs = []
    # Warm-up clients on a channel without events stay connected throughout,
    # so one-time allocations (caches, pools) are not counted per connection.
    warm_pipe, there = ctx.Pipe()
    warmer = ctx.Process(target=_worker, args=(there, list(ws_urls), token, quiet, n, warm), daemon=True)
    warmer.start()
    if not warm_pipe.poll(300):
        raise TimeoutError("warm-up clients did not connect in time")
    warm_pipe.recv()
    time.sleep(1.0)
    rss_before = _rss(pids)
    share = [n // workers + (1 if i < n % workers else 0) for i in range(workers)]
    first = 0
    for count in share:
        here, there = ctx.Pipe()
        proc = ctx.Process(
            target=_worker, args=(there, list(ws_urls), token, channel, first, count), daemon=True
        )
        proc.start()
        pipes.append(here)
        procs.append(proc)
        first += count
    trigger: _Trigger | None = None
    try:
        for pipe in pipes:
            if not pipe.poll(300):
                raise TimeoutError("clients did not connect in time")
            pipe.recv()
        time.sleep(1.0)
        kb_per_conn = (_rss(pids) - rss_before) / n / 1024
        trigger = _Trigger(strategy, http_url, ws_urls[0])

        def round_trip(events: int, wait: float) -> tuple[list[float], int, float, float]:
            for pipe, count in zip(pipes, share, strict=True):
                pipe.send(("expect", count * events, wait))
            for pipe in pipes:
                pipe.recv()
            started = time.time()
            trigger(events)
            latencies: list[float] = []
            received, last = 0, 0.0
            for pipe in pipes:
                _, lats, got, last_at = pipe.recv()
                latencies += lats
                received += got
                last = max(last, last_at)
            return latencies, received, started, last

        latencies: list[float] = []
        lost = 0
        for _ in range(singles):
            lats, received, _, _ = round_trip(1, 30)
            latencies += lats
            lost += n - received
            time.sleep(0.2)
        cpu_before = _cpu(pids)
        _, received, started, last = round_trip(burst, 120)
        cpu = _cpu(pids) - cpu_before
        lost += n * burst - received
        delivered = max(1, received)
        elapsed = max(1e-9, last - started)
    finally:
        if trigger is not None:
            trigger.close()
        for pipe in [*pipes, warm_pipe]:
            pipe.send(("stop",))
        for proc in [*procs, warmer]:
            proc.join(10)
            if proc.is_alive():
                proc.kill()
    return Result(
        n=n,
        p50_ms=_pct(latencies, 0.5) * 1000,
        p99_ms=_pct(latencies, 0.99) * 1000,
        deliveries_per_s=delivered / elapsed,
        cpu_us_per_delivery=cpu / delivered * 1e6,
        kb_per_connection=kb_per_conn,
        lost=lost,
    )
