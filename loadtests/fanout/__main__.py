"""``python -m loadtests.fanout run|server|clients``: see the package docstring."""

from __future__ import annotations

import argparse
import json
import os
import secrets
import socket
import subprocess
import sys
import time
from dataclasses import dataclass

from . import server
from .clients import Result, measure

__all__ = ["SERVER", "Started", "main", "run"]

SERVER = [sys.executable, "-m", "loadtests.fanout", "server"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Started:
    proc: subprocess.Popen[bytes]
    port: int
    info: dict[str, str]


def _start(strategy: str, *extra: str) -> Started:
    port = _free_port()
    proc = subprocess.Popen([*SERVER, strategy, "--port", str(port), *extra], stdout=subprocess.PIPE)
    assert proc.stdout is not None
    info = json.loads(proc.stdout.readline())
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            time.sleep(0.1)
    return Started(proc, port, info)


def _stop(started: list[Started]) -> None:
    for s in started:
        s.proc.terminate()
    for s in started:
        try:
            s.proc.wait(15)
        except subprocess.TimeoutExpired:
            s.proc.kill()


def _run_one(strategy: str, instances: int, n: int, args: argparse.Namespace) -> Result:
    prefix = f"bench-{secrets.token_hex(3)}"
    extra: list[str] = []
    if strategy == "hub" and args.database_url:
        extra += ["--database-url", args.database_url]
    if instances > 1:
        extra += ["--redis-url", args.redis_url, "--redis-prefix", prefix]
    first = _start(strategy, *extra)
    started = [first]
    try:
        if instances > 1 and strategy == "hub":
            token, channel = first.info["token"], first.info["channel"]
            quiet = first.info["quiet"]
            started.append(_start(strategy, *extra, "--token", token, "--channel", channel, "--quiet", quiet))
        elif instances > 1:
            started.append(_start(strategy, *extra))
        time.sleep(1.0)
        urls = [
            f"ws://127.0.0.1:{s.port}/ws" if strategy == "hub" else f"ws://127.0.0.1:{s.port}"
            for s in started
        ]
        return measure(
            strategy,
            urls,
            f"http://127.0.0.1:{first.port}",
            first.info["token"],
            first.info["channel"],
            first.info["quiet"],
            [s.proc.pid for s in started],
            n=n,
            singles=args.singles,
            burst=args.burst,
            workers=args.workers,
        )
    finally:
        _stop(started)


def run(args: argparse.Namespace) -> None:
    instance_counts = [i for i in args.instances if i == 1 or (args.redis_url and args.database_url)]
    print(
        "| path | instances | N | p50 ms | p99 ms | deliveries/s | vs bare "
        "| server CPU µs/delivery | KB/idle conn | lost |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for instances in instance_counts:
        for n in args.n:
            results = {s: _run_one(s, instances, n, args) for s in ("bare", "hub")}
            for strategy, r in results.items():
                ratio = r.deliveries_per_s / results["bare"].deliveries_per_s
                via = " + Redis" if instances > 1 else ""
                name = ("shiftline hub" if strategy == "hub" else "bare websockets broadcast()") + via
                print(
                    f"| {name} | {instances} | {n} | {r.p50_ms:.1f} | {r.p99_ms:.1f} "
                    f"| {r.deliveries_per_s:,.0f} | {ratio:.2f} | {r.cpu_us_per_delivery:.1f} "
                    f"| {r.kb_per_connection:.1f} | {r.lost} |",
                    flush=True,
                )


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "server":
        server.main(argv[1:])
        return
    parser = argparse.ArgumentParser(prog="python -m loadtests.fanout")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("server", help="run one server (see: server --help)")
    r = sub.add_parser("run", help="measure every strategy in the same run and print a table")
    r.add_argument("--n", type=int, nargs="+", default=[1000], help="connected clients (default 1000)")
    r.add_argument("--singles", type=int, default=20, help="single events for latency (default 20)")
    r.add_argument(
        "--instances", type=int, nargs="+", default=[1, 2], choices=[1, 2], help="1 and/or 2 (via Redis)"
    )
    r.add_argument("--workers", type=int, default=2, help="client processes (default 2)")
    r.add_argument("--burst", type=int, default=50, help="events in the throughput burst (default 50)")
    r.add_argument(
        "--redis-url", default=os.environ.get("REDIS_URL"), help="also measure two instances via Redis"
    )
    r.add_argument(
        "--database-url", default=os.environ.get("DATABASE_URL"), help="PostgreSQL for two hub instances"
    )
    args = parser.parse_args(argv)
    run(args)


if __name__ == "__main__":
    main()
