"""Two real server processes share one send queue: the pace holds across both, and a
kill -9 loses no text. The provider is the local fake of Twilio's REST API."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

import httpx
import pytest

from loadtests.bench_queue import busiest_second
from loadtests.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio, running
from tests.support.processes import ServerProcess
from tests.support.worlds.cluster import HttpTeam, http_team

pytestmark = pytest.mark.slow

Spawn = Callable[..., ServerProcess]


def test_busiest_second_counts_a_sliding_window() -> None:
    assert busiest_second([0.0, 0.5, 0.99, 1.0, 1.5]) == 3
    assert busiest_second([0.0, 1.0, 2.0]) == 1
    assert busiest_second([]) == 0


async def queue_texts(base_url: str, team: HttpTeam, count: int, *, rate: int) -> list[int]:
    """``count`` contacts in an active campaign of an organization on the fake Twilio; their ids."""
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        headers = team.owner.headers
        provider = {"kind": "twilio", "account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN}
        response = await http.patch(
            "/api/organization", headers=headers, json={"provider": provider, "send_rate_per_second": rate}
        )
        assert response.status_code == 200, response.text
        rows = [{"first_name": f"C{n}", "last_name": "X", "phone": f"+1415555{n:04d}"} for n in range(count)]
        response = await http.post(f"/api/campaigns/{team.campaign_id}/contacts", headers=headers, json=rows)
        assert response.json()["added"] == count, response.text
        response = await http.patch(
            f"/api/campaigns/{team.campaign_id}", headers=headers, json={"status": "active"}
        )
        assert response.status_code == 200, response.text
        listing = await http.get(
            f"/api/campaigns/{team.campaign_id}/conversations",
            headers=headers,
            params={"sender": "unassigned", "tab": "initial", "limit": count},
        )
        return [row["id"] for row in listing.json()["conversations"]]


async def send_all(urls: Sequence[str], team: HttpTeam, conversations: Sequence[int]) -> None:
    """Send each conversation's initial message, alternately through each instance, all at once."""
    async with httpx.AsyncClient(timeout=30) as http:

        async def one(i: int, conversation_id: int) -> None:
            response = await http.post(
                f"{urls[i % len(urls)]}/api/conversations/{conversation_id}/messages",
                headers=team.owner.headers,
                json={},
            )
            assert response.status_code == 201, response.text

        await asyncio.gather(*(one(i, c) for i, c in enumerate(conversations)))


async def until(check: Callable[[], bool], seconds: float) -> None:
    for _ in range(int(seconds / 0.05)):
        if check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("not reached in time")


async def test_two_instances_together_never_exceed_the_rate(spawn: Spawn, pg_url: str) -> None:
    with running() as fake:
        env = {"SHIFTLINE_TWILIO_API_URL": fake.url, "SHIFTLINE_SEND_POLL_SECONDS": "0.1"}
        a, b = spawn("a", **env), spawn("b", **env)
        await asyncio.gather(a.ready(), b.ready())
        team = await http_team(a.url, pg_url)
        conversations = await queue_texts(a.url, team, 40, rate=10)
        await send_all([a.url, b.url], team, conversations)
        await until(lambda: len(fake.accepted) >= 40, 30)
        await asyncio.sleep(0.5)  # nothing more comes
        arrivals = fake.accepted
    assert len(arrivals) == 40
    assert len({x.field("To") for x in arrivals}) == 40
    assert busiest_second([x.at for x in arrivals]) <= 10
    # Both instances dispatched: the queue is shared, not owned by the one that took the request.
    assert {
        line for line in (a.log_path.read_text() + b.log_path.read_text()).splitlines() if "Traceback" in line
    } == set()


async def test_a_kill_9_with_a_full_queue_loses_no_text(spawn: Spawn, pg_url: str) -> None:
    fake = FakeTwilio()
    with running(fake):
        env = {"SHIFTLINE_TWILIO_API_URL": fake.url, "SHIFTLINE_SEND_POLL_SECONDS": "0.1"}
        a, b = spawn("a", **env), spawn("b", **env)
        await asyncio.gather(a.ready(), b.ready())
        team = await http_team(a.url, pg_url)
        conversations = await queue_texts(a.url, team, 30, rate=5)
        await send_all([a.url], team, conversations)
        await until(lambda: len(fake.accepted) >= 5, 10)
        a.kill()  # mid-queue, maybe mid-send
        # What a held (a text it had claimed) comes back when its lease runs out.
        await until(lambda: len({x.field("To") for x in fake.accepted}) >= 30, 60)
        await asyncio.sleep(1.0)
        arrivals = fake.accepted
    phones = [x.field("To") for x in arrivals]
    assert len(set(phones)) == 30
    # Only a text the provider took in the instant before the kill may go twice.
    assert len(phones) - len(set(phones)) <= 1
