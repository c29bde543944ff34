"""Two real server processes: access taken away through one is gone on the other at once,
although each remembers its users for a few seconds (server/actor_cache.py)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import httpx
import pytest

from server.actor_cache import REMEMBER_FOR
from tests.support.processes import ServerProcess
from tests.support.worlds.cluster import Member, http_team

pytestmark = pytest.mark.slow

Spawn = Callable[..., ServerProcess]

# Well under REMEMBER_FOR: refused this soon, the other instance was told; it did not just forget.
PROMPTLY = 1.5


async def _refused_within(http: httpx.AsyncClient, who: Member, path: str, status: int) -> float:
    """Seconds until ``who``'s GET of ``path`` answers ``status`` (asked every 20 ms)."""
    start = time.monotonic()
    while (response := await http.get(path, headers=who.headers)).status_code != status:
        assert response.status_code == 200, response.text
        assert time.monotonic() - start < REMEMBER_FOR + 2, f"still {response.status_code}"
        await asyncio.sleep(0.02)
    return time.monotonic() - start


async def test_a_user_deactivated_through_one_instance_is_refused_by_the_other_promptly(
    spawn: Spawn, pg_url: str
) -> None:
    assert PROMPTLY < REMEMBER_FOR - 2
    a, b = spawn("a"), spawn("b")
    await asyncio.gather(a.ready(), b.ready())
    team = await http_team(a.url, pg_url)
    async with (
        httpx.AsyncClient(base_url=a.url, timeout=10) as on_a,
        httpx.AsyncClient(base_url=b.url, timeout=10) as on_b,
    ):
        # Instance B knows Sam (and now remembers them) just before the owner acts on A.
        assert (await on_b.get("/api/campaigns", headers=team.sam.headers)).status_code == 200
        known = time.monotonic()
        response = await on_a.patch(
            f"/api/users/{team.sam.user_id}", headers=team.owner.headers, json={"active": False}
        )
        assert response.status_code == 200, response.text
        assert time.monotonic() - known < 1.0, "too slow to tell the event from the expiry"
        assert await _refused_within(on_b, team.sam, "/api/campaigns", 401) < PROMPTLY


async def test_an_owner_lowered_to_sender_through_one_instance_stops_sweeping_on_the_other(
    spawn: Spawn, pg_url: str
) -> None:
    a, b = spawn("a"), spawn("b")
    await asyncio.gather(a.ready(), b.ready())
    team = await http_team(a.url, pg_url)
    async with (
        httpx.AsyncClient(base_url=a.url, timeout=10) as on_a,
        httpx.AsyncClient(base_url=b.url, timeout=10) as on_b,
    ):
        response = await on_a.patch(
            f"/api/users/{team.sam.user_id}", headers=team.owner.headers, json={"role": "admin"}
        )
        assert response.status_code == 200, response.text
        assert (await on_b.get("/api/users", headers=team.sam.headers)).status_code == 200
        known = time.monotonic()
        response = await on_a.patch(
            f"/api/users/{team.sam.user_id}", headers=team.owner.headers, json={"role": "sender"}
        )
        assert response.status_code == 200, response.text
        assert time.monotonic() - known < 1.0, "too slow to tell the event from the expiry"
        assert await _refused_within(on_b, team.sam, "/api/users", 403) < PROMPTLY
