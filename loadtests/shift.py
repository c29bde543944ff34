"""The ``shift`` and ``reconnect`` scenarios: a whole texting shift, optionally losing an instance.

Phases: start servers and set up the world; connect every client (at most
``connect_rate`` a second) and load their first screens; work for
``duration`` seconds with the admin's bulk moves at mid-shift (and, for
``reconnect``, a SIGKILL of one instance before them); drain; compare every
client's view with the server's truth; report.
"""

from __future__ import annotations

import asyncio
import os
import random
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from .actions import ActionLog
from .admin import SimAdmin
from .api import Api, ApiFailure
from .config import Config
from .contacts import Contacts
from .figures import Figures
from .live import LiveClient, close_all
from .pgwait import PgWaits
from .profile import Profiler
from .progress import Progress
from .provision import World, provision
from .report import Goal, Outcome
from .sender import SimSender
from .servers import Cluster, cluster, database_exists
from .simulated import Shared
from .verify import quiesce, verify_views
from .watch import watch_cluster
from .worlds import load_world, save_world, template_name, world_path

__all__ = [
    "CATCH_UP_GOAL",
    "SOAK_DRIFT",
    "config_json",
    "connect_all",
    "run_shift",
    "say",
    "server_failures",
    "soak_drift",
]

CATCH_UP_GOAL = 10.0
SOAK_DRIFT = 1.2  # a long shift's latency is flat when its last p99 stays within this of its first


def say(text: str) -> None:
    """A phase of the run, on stderr next to the progress line."""
    print(f"{time.strftime('%H:%M:%S')} {text}", file=sys.stderr, flush=True)


async def connect_all(clients: Sequence[LiveClient], rate: int, tasks: list[asyncio.Task[None]]) -> None:
    """Start every client's connection, ``rate`` a second at most; wait until all are subscribed."""
    for i, client in enumerate(clients):
        tasks.append(asyncio.create_task(client.run(), name=client.name))
        if (i + 1) % max(1, rate // 10) == 0:
            await asyncio.sleep(0.1)
    timeout = 120.0 + 4 * len(clients) / rate
    await asyncio.wait_for(asyncio.gather(*(c.ready.wait() for c in clients)), timeout)


async def _bounded(limit: int, jobs: Sequence[Callable[[], Awaitable[None]]]) -> None:
    gate = asyncio.Semaphore(limit)

    async def one(job: Callable[[], Awaitable[None]]) -> None:
        async with gate:
            await job()

    await asyncio.gather(*(one(j) for j in jobs))


async def _bulk_moves(api: Api, world: World, rng: random.Random, figures: Figures) -> None:
    """Mid-shift, an admin redistributes: some of one sender's work to two others, one sender
    unassigned entirely (had to leave), then the Unassigned pool spread over the rest."""
    senders = [p.user_id for p in world.senders]
    if len(senders) < 2:
        return
    token = world.admins[0].token if world.admins else world.owner.token
    url = f"{world.url(rng)}/api/campaigns/{world.campaign_id}/reassign"
    leaving = senders[-1]
    staying = senders[:-1]
    moves: list[dict[str, Any]] = []
    if len(staying) >= 2:
        moves.append(
            {
                "action": "reassign_some",
                "from": [staying[0]],
                "to": staying[1:3],
                "status": "not_started",
                "count": 5,
            }
        )
    moves.append({"action": "unassign_all", "from": [leaving], "to": "unassigned"})
    moves.append({"action": "reassign_all", "from": [None], "status": "any", "to": staying})
    for body in moves:
        try:
            await api.call("POST", url, "/api/campaigns/{cid}/reassign", token=token, json=body)
            figures.action("bulk_reassign")
        except ApiFailure as exc:
            figures.notes.setdefault("bulk_reassign_failures", []).append(
                f"{body['action']}: {exc.kind} {exc.body}"
            )


async def _verify(
    api: Api, world: World, senders: Sequence[SimSender], admins: Sequence[SimAdmin], rng: random.Random
) -> list[str]:
    try:
        async with asyncio.timeout(600):
            return await verify_views(api, world, senders, admins, rng)
    except TimeoutError:
        return ["the server did not answer the end-of-run checks within 600 s"]
    except ApiFailure as exc:
        return [f"the end-of-run checks failed: {exc.kind}"]


def server_failures(figures: Figures, *, expect_transport_errors: bool) -> list[str]:
    """Errors that fail a run whatever the scenario: 5xx answers, refused subscriptions, bad frames."""
    out = []
    for kind, n in sorted(figures.errors.items()):
        fatal = kind.startswith(("http 5", "ws error frame")) or kind == "ws undecodable frame"
        if fatal or (kind.startswith("transport") and not expect_transport_errors):
            out.append(f"{n} x {kind}")
    return out


async def _kill(c: Cluster, world: World, figures: Figures) -> tuple[int, float]:
    """SIGKILL one instance; with a single instance, start it again (clients reconnect to it)."""
    index = len(c.instances) - 1
    killed_at = time.monotonic()
    c.kill(index)
    figures.notes["killed_instance"] = index
    figures.notes["killed_at_second"] = round(figures.now(), 1)
    if len(c.instances) > 1:
        world.dead.add(index)
    else:
        c.start(c.instances[index])
        await c.wait_healthy(c.instances[index])
    return index, killed_at


def _catch_up(
    clients: Sequence[LiveClient], killed_at: float, figures: Figures
) -> tuple[list[float], list[str]]:
    """Each client that lost its connection at the kill: seconds until it had caught up."""
    times: list[float] = []
    failures: list[str] = []
    for client in clients:
        outages = [o for o in client.outages if o[0] is not None and o[0] >= killed_at - 0.5]
        if not outages:
            continue
        end = outages[-1][1]
        if end is None:
            failures.append(f"{client.name} never caught up after the kill")
            continue
        times.append(end - killed_at)
        figures.record_latency("kill→caught up", end - killed_at)
        resubscribed = outages[-1][2]
        if resubscribed is not None:
            figures.record_latency("kill→resubscribed", resubscribed - killed_at)
    return times, failures


async def run_shift(cfg: Config, directory: Path, run: str, command: str, *, kill: bool = False) -> Outcome:
    figures = Figures()
    rng = random.Random(cfg.seed)
    failures: list[str] = []
    checks: dict[str, Any] = {}
    tasks: list[asyncio.Task[None]] = []
    saved = load_world(world_path(cfg, cfg.world), cfg) if cfg.world else None
    template = template_name(cfg.world) if cfg.world else None
    if (
        saved is not None
        and template is not None
        and not await database_exists(cfg.extra_env["postgres"], template)
    ):
        saved = None
    async with (
        cluster(
            cfg,
            directory,
            template=template if saved else None,
            secret=saved[1] if saved else None,
        ) as c,
        Api(figures, max_connections=min(2048, 32 + cfg.senders + cfg.admins)) as api,
    ):
        t_setup = time.monotonic()
        if saved is not None:
            world = saved[0]
            world.urls = list(c.urls)
            figures.notes["world"] = f"copied from saved world {cfg.world!r}"
        else:
            n = cfg.senders * cfg.contacts_per_sender
            say(f"setting up {cfg.senders:,} senders, {cfg.admins} admins, {n:,} contacts")
            world = await provision(api, c, cfg, run, cfg.senders * cfg.contacts_per_sender)
            if cfg.world and template and c.secret:
                await c.snapshot(template)
                save_world(world_path(cfg, cfg.world), world, c.secret, cfg)
                figures.notes["world"] = f"set up and saved as world {cfg.world!r}"
        if cfg.send_rate is not None:
            await api.call(
                "PATCH",
                f"{world.urls[0]}/api/organization",
                "/api/organization",
                token=world.owner.token,
                json={"send_rate_per_second": cfg.send_rate},
            )
        figures.notes["setup_seconds"] = round(time.monotonic() - t_setup, 1)
        actions = ActionLog(figures)
        contacts = Contacts(api, world, cfg, figures, actions, rng)
        shared = Shared(world, cfg, api, figures, actions)
        senders = [
            SimSender(i, p, shared, contacts, random.Random(rng.random()))
            for i, p in enumerate(world.senders)
        ]
        admins = [SimAdmin(i, p, shared, random.Random(rng.random())) for i, p in enumerate(world.admins)]
        clients = [a.live for a in admins] + [s.live for s in senders]
        stop = asyncio.Event()
        background: list[asyncio.Task[None]] = []
        work: list[asyncio.Task[None]] = []
        try:
            t_connect = time.monotonic()
            say(f"connecting {len(clients):,} clients")
            await connect_all(clients, cfg.connect_rate, tasks)
            figures.notes["connect_seconds"] = round(time.monotonic() - t_connect, 1)
            say("loading first screens")
            await _bounded(32, [a.load for a in admins] + [s.load for s in senders])
            # Coming online is itself a burst of presence events: let it pass before measuring.
            figures.notes["settle_seconds"] = round(await quiesce(clients, quiet=2.0, limit=180.0), 1)
            say(f"shift running for {cfg.duration:g} s")
            figures.restart_clock()
            profiler = None
            if cfg.profile:
                pids = {f"server {i.index}": i.process.pid for i in c.instances if i.process is not None}
                profiler = Profiler(directory, {**pids, "harness": os.getpid()}, cfg.duration)
            watcher = watch_cluster(figures, c)
            background.append(asyncio.create_task(watcher.run()))
            if c.database is not None and c.admin_dsn is not None:
                pg = PgWaits(c.admin_dsn, c.database)
                background.append(asyncio.create_task(pg.run()))
                figures.notes["postgres_activity"] = pg
            background.append(asyncio.create_task(Progress(figures, cfg.duration).run()))
            work += [asyncio.create_task(s.work(stop)) for s in senders]
            work += [asyncio.create_task(a.work(stop)) for a in admins]
            killed_at: float | None = None
            if kill:
                await asyncio.sleep(cfg.duration * 0.4)
                _, killed_at = await _kill(c, world, figures)
                await asyncio.sleep(cfg.duration * 0.1)
            else:
                await asyncio.sleep(cfg.duration / 2)
            # The admin's moves run beside the shift: on a slow server they must not stretch it.
            work.append(asyncio.create_task(_bulk_moves(api, world, rng, figures)))
            await asyncio.sleep(max(0.0, cfg.duration - figures.now()))
            stop.set()
            elapsed = figures.now()
            # Requests under way finish (people finish their click), within reason.
            _, stuck = await asyncio.wait(work, timeout=60)
            for task in stuck:
                task.cancel()
            await asyncio.gather(*work, return_exceptions=True)
            if stuck:
                failures.append(
                    f"{len(stuck)} people still waiting for the server 60 s after the shift ended"
                )
            figures.notes["shift_end_wait_seconds"] = round(figures.now() - elapsed, 1)
            figures.checking()
            if profiler is not None:
                figures.notes["profile"] = await asyncio.to_thread(profiler.finish)
            say("shift over: draining and checking every client's view")
            await contacts.close()
            for s in senders:
                await s.settle()
            figures.notes["quiesce_seconds"] = round(await quiesce(clients), 1)
            for s in senders:
                await s.settle()
            mismatches = await _verify(api, world, senders, admins, rng)
            if mismatches:
                # An event may still be in flight: look once more before calling it a loss.
                await asyncio.sleep(3.0)
                mismatches = await _verify(api, world, senders, admins, rng)
            failures += mismatches
            checks["views_checked"] = len(clients)
            checks["view_mismatches"] = len(mismatches)
            if killed_at is not None:
                times, late = _catch_up(clients, killed_at, figures)
                failures += late
                checks["clients_reconnected"] = len(times)
                if times:
                    figures.notes["catch_up_seconds"] = {
                        "max": round(max(times), 2),
                        "median": round(sorted(times)[len(times) // 2], 2),
                    }
                if times and max(times) > CATCH_UP_GOAL:
                    failures.append(
                        f"slowest client caught up {max(times):.1f} s after the kill "
                        f"(goal {CATCH_UP_GOAL:.0f} s)"
                    )
                if not times:
                    failures.append("no client was on the killed instance")
        finally:
            # Nothing may outlive the HTTP client and the servers (an interrupted run included).
            owned = background + work + contacts.tasks() + [t for s in senders for t in s.tasks()]
            for task in owned:
                task.cancel()
            await asyncio.gather(*owned, return_exceptions=True)
            await close_all(clients, tasks)
        anomalies = [a for client in clients for a in client.checker.finish()]
        by_kind: dict[str, int] = {}
        for a in anomalies:
            by_kind[a.kind] = by_kind.get(a.kind, 0) + 1
        checks["seq_anomalies"] = by_kind or 0
        failures = [str(a) for a in anomalies[:200]] + failures
        failures += server_failures(figures, expect_transport_errors=kill)
        data = figures.to_json(elapsed)
    return Outcome(
        scenario="reconnect" if kill else "shift",
        run_name=run,
        command=command,
        config=config_json(cfg),
        figures=data,
        failures=failures,
        checks=checks,
        goals=_goals(cfg, data, anomalies=len(anomalies), kill=kill),
    )


def config_json(cfg: Config) -> dict[str, Any]:
    hidden = {"owner_password", "webhook_token", "extra_env"}
    return {k: v for k, v in vars(cfg).items() if k not in hidden}


def soak_drift(windows: list[dict[str, Any]]) -> float | None:
    """The last whole five-minute window's p99 over the first's; None for a run shorter than two."""
    if len(windows) < 2 or not windows[0].get("p99"):
        return None
    return float(windows[-1]["p99"]) / float(windows[0]["p99"])


def _goals(cfg: Config, data: dict[str, Any], *, anomalies: int, kill: bool) -> list[Goal]:
    acts = data.get("actions", {})
    moved = sum(acts.get(k, 0) for k in ("initial", "reply", "inbound", "stop"))
    rate = moved / data["elapsed_seconds"] if data["elapsed_seconds"] else 0.0
    lat = data["latency_ms"].get("commit→receipt") or data["latency_ms"].get("action→sender") or {}
    p99 = lat.get("p99")
    goals = [
        Goal("lost, duplicated or misordered events", "0", str(anomalies), anomalies == 0),
        Goal(
            "p99 delivery latency",
            "< 250 ms",
            f"{p99:,.1f} ms" if p99 is not None else "-",
            p99 is not None and p99 < 250,
        ),
        Goal("sends + replies per second", "≥ 200", f"{rate:,.1f}", rate >= 200),
        Goal("sustained for", "≥ 600 s", f"{data['elapsed_seconds']:.0f} s", data["elapsed_seconds"] >= 600),
        Goal(
            "senders + admins connected",
            "2,000 + 20",
            f"{cfg.senders:,} + {cfg.admins}",
            cfg.senders >= 2000 and cfg.admins >= 20,
        ),
    ]
    drift = soak_drift(data.get("latency_windows_ms", []))
    if drift is not None:
        goals.append(
            Goal(
                "p99 of the last five minutes / the first five",
                f"≤ {SOAK_DRIFT}x",
                f"{drift:.2f}x",
                drift <= SOAK_DRIFT,
            )
        )
    if kill:
        catch = data["notes"].get("catch_up_seconds", {}).get("max")
        goals.append(
            Goal(
                "every client caught up after the kill",
                "≤ 10 s",
                f"{catch} s" if catch is not None else "-",
                catch is not None and catch <= CATCH_UP_GOAL,
            )
        )
    return goals
