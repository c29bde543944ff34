"""The end-of-run check: every client's live view against the server's truth over HTTP."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Sequence
from typing import Any

from .admin import SimAdmin, overview
from .api import Api
from .live import LiveClient
from .provision import World, iter_pages
from .sender import SimSender
from .views import SenderTruth, compare_admin, compare_sender

__all__ = ["quiesce", "verify_views"]


async def quiesce(clients: Sequence[LiveClient], *, quiet: float = 1.5, limit: float = 30.0) -> float:
    """Wait until no client has received an event for ``quiet`` seconds (at most ``limit``).

    Returns the seconds waited.
    """
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit:
        last = max((c.last_event_at for c in clients), default=0.0)
        if time.monotonic() - last >= quiet and all(c.checker.caught_up() for c in clients):
            break
        await asyncio.sleep(0.25)
    return time.monotonic() - t0


async def _sender_truth(
    api: Api, world: World, rng: random.Random, uid: int, row: dict[str, Any]
) -> SenderTruth:
    base, token, cid = world.url(rng), world.owner.token, world.campaign_id
    initial = await iter_pages(api, base, token, cid, {"sender": uid, "tab": "initial"})
    responses = await iter_pages(api, base, token, cid, {"sender": uid, "tab": "responses"})
    return SenderTruth(
        row=row,
        not_started=frozenset(int(r["id"]) for r in initial if r.get("status") == "not_started"),
        needs_reply=frozenset(int(r["id"]) for r in responses if r.get("status") == "needs_reply"),
        replied=frozenset(int(r["id"]) for r in responses if r.get("status") == "replied"),
    )


async def verify_views(
    api: Api, world: World, senders: Sequence[SimSender], admins: Sequence[SimAdmin], rng: random.Random
) -> list[str]:
    """One line per difference between a client's view and the server (empty: all agree)."""
    truth = await overview(api, world.url(rng), world.owner.token, world.campaign_id)
    rows = {row.get("user_id"): row for row in truth.get("senders", [])}
    out: list[str] = []
    for admin in admins:
        out += compare_admin(f"admin {admin.person.user_id}", admin.view, truth)
    gate = asyncio.Semaphore(16)

    async def one(sender: SimSender) -> list[str]:
        uid = sender.person.user_id
        async with gate:
            t = await _sender_truth(api, world, rng, uid, rows.get(uid, {}))
        return compare_sender(f"sender {uid}", sender.view, t)

    for lines in await asyncio.gather(*(one(s) for s in senders)):
        out += lines
    return out
