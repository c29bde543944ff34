"""Practice campaigns: simulated contacts answer, some with STOP, so volunteers can train."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

from starlette.testclient import TestClient

from loadtests.fake_twilio import running
from persistence.commands.messaging import send_message
from persistence.commands.send_queue import claim_next
from persistence.outbox.outbox import Outbox
from persistence.store.database import Database
from persistence.store.types import utcnow
from server.app import create_app
from server.practice import ANSWERS, Practice
from server.providers import Simulator
from server.services import Services
from server.settings import Settings
from tests.server.test_opt_out_message import thread
from tests.server.test_texting import connect_twilio
from tests.support.worlds.accounts import Login, login
from tests.support.worlds.messaging import build, build_sync


def _eventually(check: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "it did not happen in time"
        time.sleep(0.05)


def _practising(settings: Settings, **tuning: Any) -> TestClient:
    quick = {"practice_answer_share": 1.0, "practice_delay_seconds": 0.05, "send_poll_seconds": 0.05}
    tuned = replace(settings, **{**quick, **tuning})
    return TestClient(create_app(tuned))


def _start(client: TestClient, database_url: str, *, practice: bool) -> tuple[list[int], Login, Login]:
    world = build_sync(database_url, assign=["Sam"] * 6)
    owner, sam = login(client, "owner@example.org"), login(client, "sam@example.org")
    url = f"/api/campaigns/{world.campaign_id}"
    assert (
        client.patch(url, headers=owner.headers, json={"practice": practice}).json()["practice"] is practice
    )
    return world.conversations, owner, sam


def test_practice_contacts_answer_and_the_green_dot_appears(settings: Settings, database_url: str) -> None:
    with _practising(settings, practice_stop_share=0.0) as client:
        conversations, _owner, sam = _start(client, database_url, practice=True)
        for conversation_id in conversations[:3]:
            client.post(f"/api/conversations/{conversation_id}/messages", headers=sam.headers, json={})

        def answered() -> bool:
            return all(len(thread(client, sam, c)) == 2 for c in conversations[:3])

        _eventually(answered)
        for conversation_id in conversations[:3]:
            view = client.get(f"/api/conversations/{conversation_id}", headers=sam.headers).json()
            assert view["status"] == "needs_reply"
            assert view["messages"][-1]["direction"] == "inbound"
            assert view["messages"][-1]["body"] in ANSWERS
        assert len(thread(client, sam, conversations[3])) == 0  # never texted, never answers


def test_some_practice_contacts_text_stop(settings: Settings, database_url: str) -> None:
    with _practising(settings, practice_stop_share=1.0) as client:
        conversations, owner, sam = _start(client, database_url, practice=True)
        client.patch("/api/organization", headers=owner.headers, json={"opt_out_message": "Bye for now."})
        client.post(f"/api/conversations/{conversations[0]}/messages", headers=sam.headers, json={})
        _eventually(lambda: len(thread(client, sam, conversations[0])) == 3)
        view = client.get(f"/api/conversations/{conversations[0]}", headers=sam.headers).json()
        assert view["status"] == "opted_out"
        assert [(m["direction"], m["body"], m["automatic"]) for m in view["messages"][1:]] == [
            ("inbound", "STOP", False),
            ("outbound", "Bye for now.", True),
        ]


def test_a_real_campaign_gets_no_simulated_answers(settings: Settings, database_url: str) -> None:
    with _practising(settings) as client:
        conversations, _owner, sam = _start(client, database_url, practice=False)
        client.post(f"/api/conversations/{conversations[0]}/messages", headers=sam.headers, json={})
        _eventually(lambda: thread(client, sam, conversations[0])[0]["delivery_status"] != "queued")
        time.sleep(0.5)  # ten times the practice delay
        assert len(thread(client, sam, conversations[0])) == 1


def test_waiting_answers_are_cancelled_when_the_server_stops(settings: Settings, database_url: str) -> None:
    with _practising(settings, practice_delay_seconds=60.0) as client:
        conversations, _owner, sam = _start(client, database_url, practice=True)
        client.post(f"/api/conversations/{conversations[0]}/messages", headers=sam.headers, json={})
        practice = client.app.state.services.practice  # type: ignore[attr-defined]
        assert isinstance(practice, Practice)
        _eventually(lambda: practice.waiting == 1)  # once the send queue handed the text over
        stopping = time.monotonic()
    assert time.monotonic() - stopping < 10
    assert practice.waiting == 0
    with TestClient(create_app(settings)) as client:
        assert len(thread(client, login(client, "sam@example.org"), conversations[0])) == 1


def test_a_practice_campaign_never_texts_real_people_through_twilio(
    settings: Settings, database_url: str
) -> None:
    with running() as fake, _practising(settings, twilio_api_url=fake.url, practice_stop_share=0.0) as client:
        world = build_sync(database_url, assign=["Sam"] * 6)
        owner, sam = login(client, "owner@example.org"), login(client, "sam@example.org")
        campaign = f"/api/campaigns/{world.campaign_id}"
        client.patch(campaign, headers=owner.headers, json={"practice": True})
        connect_twilio(client, owner)
        first, second = world.conversations[:2]
        client.post(f"/api/conversations/{first}/messages", headers=sam.headers, json={})
        # The simulator takes the text and its contact answers, as on any practice night...
        _eventually(lambda: len(thread(client, sam, first)) == 2)
        simulator = client.app.state.services.provider  # type: ignore[attr-defined]
        assert isinstance(simulator, Simulator) and [s.to for s in simulator.sent] == [world.phones[0]]
        # ...but Twilio never heard of it; once the campaign is real, its texts do go through Twilio.
        assert fake.arrivals == []
        client.patch(campaign, headers=owner.headers, json={"practice": False})
        client.post(f"/api/conversations/{second}/messages", headers=sam.headers, json={})
        _eventually(lambda: len(fake.arrivals) == 1)
        assert fake.arrivals[0].field("To") == world.phones[1] and len(simulator.sent) == 1


async def test_at_most_capacity_answers_wait_at_once(db: Database, settings: Settings) -> None:
    world = await build(db, assign=["Sam"] * 6)
    outs = []
    for conversation_id in world.conversations:
        async with db.transaction() as session:
            await send_message(session, world.senders["Sam"], conversation_id)
        async with db.transaction() as session:
            claimed = await claim_next(
                session, world.organization_id, now=utcnow(), lease=timedelta(seconds=30)
            )
        assert claimed is not None
        outs.append(claimed)
    svc = Services(settings=settings, db=db, outbox=Outbox.of(db))
    async with asyncio.TaskGroup() as group:
        practice = Practice(svc, group, answer_share=1.0, stop_share=0.0, delay=60.0, capacity=2)
        assert [practice.consider(out) for out in outs] == [True, True, False, False, False, False]
        assert practice.waiting == 2
        practice.cancel()
    assert practice.waiting == 0
