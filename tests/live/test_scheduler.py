"""Two real server processes share one scheduler: texts scheduled over a few seconds all go,
each once, though one instance is killed with SIGKILL among them. The provider is the local
fake of Twilio's REST API."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from loadtests.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio, running
from server.dispatcher import PROVIDER_TIMEOUT
from tests.live.test_send_queue import until
from tests.support.processes import ServerProcess
from tests.support.worlds.cluster import HttpTeam, http_team

pytestmark = pytest.mark.slow

Spawn = Callable[..., ServerProcess]
COUNT = 30
# The send queue's shortest lease on a claimed text (server/dispatcher.py).
LEASE = PROVIDER_TIMEOUT + 1


async def _inbox(http: httpx.AsyncClient, team: HttpTeam) -> list[int]:
    """The owner on the fake Twilio, with COUNT inbox conversations; their ids."""
    provider = {"kind": "twilio", "account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN}
    response = await http.patch(
        "/api/organization",
        headers=team.owner.headers,
        json={"provider": provider, "send_rate_per_second": 20},
    )
    assert response.status_code == 200, response.text
    ids = []
    for n in range(COUNT):
        response = await http.post(
            "/api/inbox/conversations", headers=team.owner.headers, json={"phone": f"+1415555{n:04d}"}
        )
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    return ids


async def test_scheduled_texts_go_once_each_though_an_instance_is_killed(spawn: Spawn, pg_url: str) -> None:
    fake = FakeTwilio()
    with running(fake):
        # The shortest lease the send queue allows: a text the killed instance had
        # claimed waits it out before the other instance sends it.
        env = {
            "SHIFTLINE_TWILIO_API_URL": fake.url,
            "SHIFTLINE_SEND_POLL_SECONDS": "0.1",
            "SHIFTLINE_SEND_LEASE_SECONDS": "1",
        }
        a, b = spawn("a", **env), spawn("b", **env)
        await asyncio.gather(a.ready(), b.ready())
        team = await http_team(a.url, pg_url)
        async with httpx.AsyncClient(timeout=30) as http:
            http.base_url = httpx.URL(a.url)
            conversations = await _inbox(http, team)
            # Room to schedule all of them before the first is due, on a busy machine too.
            start = datetime.now(UTC) + timedelta(seconds=3)
            # Due one every 0.15 s over four and a half seconds, scheduled through both instances.
            for n, cid in enumerate(conversations):
                url = (a.url, b.url)[n % 2]
                send_at = (start + timedelta(seconds=0.15 * n)).isoformat()
                response = await http.post(
                    f"{url}/api/conversations/{cid}/messages",
                    headers=team.owner.headers,
                    json={"body": f"Reminder {n}", "send_at": send_at},
                )
                assert response.status_code == 201, response.text
            await until(lambda: len(fake.accepted) >= 8, 20)
            a.kill()  # in the middle: some texts sent, some due, most still ahead
            await until(lambda: len({x.field("Body") for x in fake.accepted}) >= COUNT, 60)
            await asyncio.sleep(2.0)  # nothing more comes
            arrivals = fake.accepted
            # Each scheduled text became exactly one message (the scheduler's own guarantee) ...
            for cid in conversations:
                thread = await http.get(f"{b.url}/api/conversations/{cid}", headers=team.owner.headers)
                outbound = [m for m in thread.json()["messages"] if m["direction"] == "outbound"]
                assert len(outbound) == 1, outbound
                pending = await http.get(
                    f"{b.url}/api/conversations/{cid}/scheduled", headers=team.owner.headers
                )
                assert pending.json()["scheduled"] == []
    bodies = [x.field("Body") for x in arrivals]
    assert sorted(set(bodies), key=lambda b: int((b or "0").split()[-1])) == [
        f"Reminder {n}" for n in range(COUNT)
    ]
    # ... and reached the provider once. Only a text the provider took in the instant
    # before the kill, before its instance recorded it, may go twice (the send queue's
    # one window, persistence/commands/send_queue.py).
    assert len(bodies) - len(set(bodies)) <= 1
    # On time: never early, and within seconds though an instance died among them;
    # only a text the dead instance had claimed may wait out its lease first.
    late = []
    for x in arrivals:
        due = (start + timedelta(seconds=0.15 * int((x.field("Body") or "0").split()[-1]))).timestamp()
        assert due - 0.05 <= x.at < due + LEASE + 5, (x.field("Body"), x.at - due)
        if x.at >= due + 8:
            late.append(x.field("Body"))
    assert len(late) <= 5, late  # the few in flight at the kill
    # Each went to its own contact: the text scheduled in a conversation went there.
    assert {(x.field("To"), x.field("Body")) for x in arrivals} == {
        (f"+1415555{n:04d}", f"Reminder {n}") for n in range(COUNT)
    }


async def test_texts_due_while_every_instance_was_down_go_at_the_next_start(
    spawn: Spawn, pg_url: str
) -> None:
    fake = FakeTwilio()
    with running(fake):
        env = {"SHIFTLINE_TWILIO_API_URL": fake.url, "SHIFTLINE_SEND_POLL_SECONDS": "0.1"}
        a = spawn("a", **env)
        await a.ready()
        team = await http_team(a.url, pg_url)
        async with httpx.AsyncClient(base_url=a.url, timeout=30) as http:
            conversations = (await _inbox(http, team))[:10]
            send_at = (datetime.now(UTC) + timedelta(seconds=3)).isoformat()
            for n, cid in enumerate(conversations):
                response = await http.post(
                    f"/api/conversations/{cid}/messages",
                    headers=team.owner.headers,
                    json={"body": f"Reminder {n}", "send_at": send_at},
                )
                assert response.status_code == 201, response.text
        a.kill()  # the only instance, before any is due
        await asyncio.sleep(4.0)
        assert fake.accepted == []
        b = spawn("b", **env)
        await b.ready()
        await until(lambda: len(fake.accepted) >= 10, 30)
        await asyncio.sleep(2.0)  # nothing more comes
        bodies = sorted(x.field("Body") or "" for x in fake.accepted)
    assert bodies == sorted(f"Reminder {n}" for n in range(10))
