"""A campaign keeps daily texting hours in each contact's own time zone.

"Now" is whatever it is when the test runs, so each story picks its contact
and its hours from the current time: a contact for whom it is daytime, hours
that surely hold (or surely do not) for them, and a campaign time zone where
it is the middle of the night.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from starlette.testclient import TestClient

from persistence.commands.inbound import InboundSms, receive_inbound
from persistence.commands.messaging import send_message
from persistence.commands.send_queue import claim_next
from persistence.outbox.outbox import Outbox
from persistence.rules.texting_hours import TextingHours
from persistence.store.database import Database
from persistence.store.models import Campaign, Message
from persistence.store.types import utcnow
from server.credentials import Vault
from server.delivery import deliver
from server.providers import Simulator
from server.services import Services
from server.settings import Settings
from tests.server.test_opt_out_message import text_in, thread
from tests.server.test_texting import eventually
from tests.support.worlds.accounts import login
from tests.support.worlds.messaging import NUMBER, World, build, build_sync

TOKYO = ("+81312345678", "+81312345679", "Asia/Tokyo")
NEW_YORK = ("+12125551234", "+12125551235", "America/New_York")
TOLL_FREE = "+18005551234"  # the numbering plan names many zones: the campaign's zone holds


def _daytime(now: datetime) -> tuple[str, str, ZoneInfo]:
    """Two phones of one zone where it is between 04:00 and 20:00 now (Tokyo and New York are 13+ h apart)."""
    for first, second, zone_name in (NEW_YORK, TOKYO):
        zone = ZoneInfo(zone_name)
        if 4 <= now.astimezone(zone).hour < 20:
            return first, second, zone
    raise AssertionError("Tokyo and New York cannot both be at night")


def _etc_zone_at(now: datetime, hour: int) -> str:
    """A fixed-offset zone where the wall clock shows ``hour`` (give or take the minutes) now."""
    for offset in range(-12, 15):
        if (now.astimezone(UTC).hour + offset) % 24 == hour:
            return "Etc/GMT" if offset == 0 else f"Etc/GMT{-offset:+d}"  # Etc signs are inverted
    raise AssertionError(hour)


def _hours(start: int, end: int, zone: str) -> dict[str, str]:
    return {"start": f"{start:02d}:00", "end": f"{end:02d}:00", "time_zone": zone}


def _around(local_hour: int) -> tuple[int, int]:
    """Hours that hold for three hours either side of ``local_hour`` (04 to 19)."""
    return local_hour - 3, local_hour + 4


def _away_from(local_hour: int) -> tuple[int, int]:
    """Hours that do not hold anywhere near ``local_hour`` (04 to 19)."""
    return (14, 23) if local_hour < 12 else (0, 10)


def _send(client: TestClient, who: Any, conversation_id: int, **body: Any) -> tuple[int, dict[str, Any]]:
    answer = client.post(f"/api/conversations/{conversation_id}/messages", headers=who.headers, json=body)
    return answer.status_code, answer.json()


def test_texting_hours_are_set_shown_changed_and_cleared(client: TestClient, database_url: str) -> None:
    build_sync(database_url)
    owner = login(client, "owner@example.org")
    hours = _hours(9, 21, "America/New_York")
    created = client.post(
        "/api/campaigns",
        headers=owner.headers,
        json={"title": "Night owls", "initial_message": "Hi!", "texting_hours": hours},
    )
    assert created.status_code == 201 and created.json()["texting_hours"] == hours
    url = f"/api/campaigns/{created.json()['id']}"
    later = _hours(10, 20, "America/Chicago")
    assert (
        client.patch(url, headers=owner.headers, json={"texting_hours": later}).json()["texting_hours"]
        == later
    )
    assert client.patch(url, headers=owner.headers, json={"title": "Owls"}).json()["texting_hours"] == later
    for bad in (
        _hours(21, 9, "America/New_York"),
        {"start": "9am", "end": "21:00", "time_zone": "America/New_York"},
        _hours(9, 21, "Moon/Tranquility"),
        {"start": "09:00", "end": "21:00"},
        {**later, "days": "weekdays"},
        "09:00-21:00",
    ):
        refused = client.patch(url, headers=owner.headers, json={"texting_hours": bad})
        assert refused.status_code == 422, bad
        assert refused.json()["error"]["code"] in ("invalid_texting_hours", "invalid_input", "unknown_field")
    assert client.get(url, headers=owner.headers).json()["texting_hours"] == later
    assert (
        client.patch(url, headers=owner.headers, json={"texting_hours": None}).json()["texting_hours"] is None
    )


def test_initial_and_follow_up_texts_wait_for_the_contacts_hours(
    client: TestClient, database_url: str
) -> None:
    now = datetime.now(UTC)
    first, second, zone = _daytime(now)
    local_hour = now.astimezone(zone).hour
    contacts = (("Ada", "Lovelace", first), ("Grace", "Hopper", second), ("Alan", "Turing", TOLL_FREE))
    world = build_sync(database_url, contacts=contacts, assign=["Sam"] * 3)
    owner, sam = login(client, "owner@example.org"), login(client, "sam@example.org")
    campaign = f"/api/campaigns/{world.campaign_id}"
    night_zone = _etc_zone_at(now, 0)  # where the campaign sits, it is just past midnight

    # Hours that hold for the contact's own zone: the number's zone wins over the campaign's.
    start, end = _around(local_hour)
    client.patch(campaign, headers=owner.headers, json={"texting_hours": _hours(start, end, night_zone)})
    status, sent = _send(client, sam, world.conversations[0])
    assert status == 201 and sent["kind"] == "initial" and sent["message"]["delivery_status"] == "queued"
    # A toll-free number has no zone of its own: the campaign's holds, and it is night there.
    status, refused = _send(client, sam, world.conversations[2])
    assert status == 423 and refused["error"]["code"] == "outside_texting_hours"
    assert thread(client, sam, world.conversations[2]) == []

    # Hours that do not hold for the contact now: neither the initial text nor a follow-up goes.
    start, end = _away_from(local_hour)
    client.patch(campaign, headers=owner.headers, json={"texting_hours": _hours(start, end, night_zone)})
    status, refused = _send(client, sam, world.conversations[1])
    assert status == 423 and refused["error"]["code"] == "outside_texting_hours"
    assert zone.key in refused["error"]["message"]
    status, refused = _send(client, sam, world.conversations[0], follow_up=True)
    assert status == 423 and refused["error"]["code"] == "outside_texting_hours"
    provider = client.app.state.services.provider  # type: ignore[attr-defined]
    assert isinstance(provider, Simulator)
    eventually(lambda: [s.to for s in provider.sent] == [first])

    # Once the contact writes, the sender may answer at any hour.
    text_in(client, first, "Who is this?", "SM1")
    status, answered = _send(client, sam, world.conversations[0], body="Sam, with Texters United!")
    assert status == 201 and answered["kind"] == "reply"
    overview = client.get(f"{campaign}/overview", headers=owner.headers).json()
    assert overview["not_started"] == 2


async def hand_over(svc: Services, world: World) -> tuple[str, str | None]:
    """The send queue's step for the organization's next text: claim it, then the provider call."""
    async with svc.db.transaction() as session:
        claimed = await claim_next(session, world.organization_id, now=utcnow(), lease=timedelta(seconds=30))
    assert claimed is not None
    async with httpx.AsyncClient() as client:
        return await deliver(svc, claimed, client, Vault(svc.secret))


async def _set_hours(db: Database, world: World, hours: TextingHours | None) -> None:
    async with db.transaction() as session:
        campaign = await session.get_one(Campaign, world.campaign_id)
        campaign.texting_hours = hours.to_json() if hours else None


async def test_a_text_that_reaches_the_provider_after_the_hours_fails(
    db: Database, settings: Settings
) -> None:
    now = datetime.now(UTC)
    first, second, zone = _daytime(now)
    contacts = (("Ada", "Lovelace", first), ("Grace", "Hopper", second))
    world = await build(db, contacts=contacts, assign=["Sam"] * 2)
    async with db.transaction() as session:
        out = await send_message(session, world.senders["Sam"], world.conversations[0])
    # The text waited in the queue; by the time it reaches the provider, the contact's hours have ended.
    local_hour = now.astimezone(zone).hour
    await _set_hours(db, world, TextingHours.parse("00:00", f"{local_hour:02d}:00", "UTC"))
    svc = Services(settings=settings, db=db, outbox=Outbox.of(db), secret="test-server-secret")
    simulator = Simulator()
    svc.provider = simulator
    assert await hand_over(svc, world) == ("failed", None)
    assert list(simulator.sent) == []
    async with db.session() as session:
        stored = await session.get_one(Message, out.message.id)
        assert (stored.delivery_status, stored.error_code) == ("failed", "outside_texting_hours")
        assert stored.error_message and "texting hours" in stored.error_message
    # Within the hours, the same hand-off sends.
    await _set_hours(db, world, None)
    async with db.transaction() as session:
        await send_message(session, world.senders["Sam"], world.conversations[1])
    start, end = _around(local_hour)
    await _set_hours(db, world, TextingHours.parse(f"{start:02d}:00", f"{end:02d}:00", "UTC"))
    outcome, _sid = await hand_over(svc, world)
    assert outcome == "sent" and [s.to for s in simulator.sent] == [second]


async def test_an_answer_to_a_contact_who_wrote_goes_out_after_the_hours(
    db: Database, settings: Settings
) -> None:
    now = datetime.now(UTC)
    first, _second, zone = _daytime(now)
    world = await build(db, contacts=(("Ada", "Lovelace", first),), assign=["Sam"])
    svc = Services(settings=settings, db=db, outbox=Outbox.of(db), secret="test-server-secret")
    simulator = Simulator()
    svc.provider = simulator
    async with db.transaction() as session:
        await send_message(session, world.senders["Sam"], world.conversations[0])
    assert (await hand_over(svc, world))[0] == "sent"
    async with db.transaction() as session:
        sms = InboundSms(world.organization_id, first, NUMBER, "Who is this?", "SM1")
        await receive_inbound(session, sms)
        await send_message(session, world.senders["Sam"], world.conversations[0], body="Sam, a volunteer.")
    # The hours end while the answer waits: it goes anyway, the contact is talking to us.
    local_hour = now.astimezone(zone).hour
    await _set_hours(db, world, TextingHours.parse("00:00", f"{local_hour:02d}:00", "UTC"))
    assert (await hand_over(svc, world))[0] == "sent"
    assert [s.body for s in simulator.sent][-1] == "Sam, a volunteer."


def test_no_texting_hours_means_any_time(client: TestClient, database_url: str) -> None:
    world = build_sync(database_url, contacts=(("Alan", "Turing", TOLL_FREE),), assign=["Sam"])
    sam = login(client, "sam@example.org")
    assert _send(client, sam, world.conversations[0])[0] == 201
