"""The Admin Messenger: tabs, sorts, search and paging over a sender's conversations."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest

from persistence.commands.inbound import InboundSms, receive_inbound
from persistence.commands.messaging import send_message
from persistence.queries.conversations import Page, conversation_view, list_conversations
from persistence.rules.errors import InvalidInput, PermissionDenied
from persistence.rules.phones import mask_phone
from persistence.store.database import Database
from persistence.store.models import Campaign, Organization
from persistence.store.scope import Actor
from persistence.store.types import utcnow
from tests.support.worlds.messaging import NUMBER, World, build

# Sam has Ada, Grace, Alan, Katherine; Sue has Edsger; Barbara is unassigned.
ASSIGN = ["Sam", "Sam", "Sam", "Sam", "Sue", None]


async def _shift(db: Database) -> World:
    """Sam texts Ada, Grace and Alan; Ada and Grace answer; Sam answers Grace; Edsger texts STOP."""
    world = await build(db, assign=ASSIGN)
    sam, sue = world.senders["Sam"], world.senders["Sue"]
    for i in range(3):
        async with db.transaction() as session:
            await send_message(session, sam, world.conversations[i])
    async with db.transaction() as session:
        await send_message(session, sue, world.conversations[4])
    for sid, i, body in (("SM1", 1, "Sure, who's running?"), ("SM2", 0, "Yes!"), ("SM3", 4, "STOP")):
        async with db.transaction() as session:
            await receive_inbound(
                session, InboundSms(world.organization_id, world.phones[i], NUMBER, body, sid)
            )
    async with db.transaction() as session:
        await send_message(session, sam, world.conversations[1], body="Jane Doe, for council.")
    return world


async def _list(db: Database, actor: Actor, world: World, **kw: object) -> Page:
    async with db.session() as session:
        return await list_conversations(session, actor, world.campaign_id, **kw)  # type: ignore[arg-type]


def _names(page: Page) -> list[str]:
    return [row["contact"]["first_name"] for row in page.rows]


async def test_sams_tabs(db: Database) -> None:
    world = await _shift(db)
    sam = world.senders["Sam"]
    assert _names(await _list(db, sam, world, tab="initial")) == ["Katherine"]
    assert _names(await _list(db, sam, world, tab="responses")) == ["Ada", "Grace"]
    assert _names(await _list(db, sam, world, tab="follow_ups")) == ["Alan"]
    assert _names(await _list(db, sam, world, tab="opt_outs")) == []
    # Alan was texted and never answered: listed only under Follow-ups (and in the export).
    assert _names(await _list(db, sam, world)) == ["Ada", "Grace", "Katherine"]
    ada = (await _list(db, sam, world, tab="responses")).rows[0]
    assert ada["status"] == "needs_reply" and ada["needs_reply"] is True
    assert set(ada) == {"id", "contact", "sender_id", "status", "needs_reply", "last_message_at", "archived"}


async def test_sweeper_filters_by_sender_or_the_unassigned_pool(db: Database) -> None:
    world = await _shift(db)
    sue = world.senders["Sue"].user_id
    assert _names(await _list(db, world.owner, world, sender=sue, tab="opt_outs")) == ["Edsger"]
    assert _names(await _list(db, world.owner, world, sender="unassigned")) == ["Barbara"]
    everyone = await _list(db, world.owner, world, tab="initial")
    assert _names(everyone) == ["Katherine", "Barbara"]


async def test_a_sender_lists_only_their_own(db: Database) -> None:
    world = await _shift(db)
    sam = world.senders["Sam"]
    assert _names(await _list(db, sam, world, sender=sam.user_id, tab="initial")) == ["Katherine"]
    for other in (world.senders["Sue"].user_id, "unassigned"):
        with pytest.raises(PermissionDenied):
            await _list(db, sam, world, sender=other)


async def test_sorts_of_the_responses_tab(db: Database) -> None:
    world = await _shift(db)
    sam = world.senders["Sam"]
    assert _names(await _list(db, sam, world, tab="responses", sort="needs_reply")) == ["Ada", "Grace"]
    assert _names(await _list(db, sam, world, tab="responses", sort="recent")) == ["Grace", "Ada"]
    # A to Z by the name as the list shows it, first name first (Ada Lovelace before Grace Hopper).
    assert _names(await _list(db, sam, world, tab="responses", sort="az")) == ["Ada", "Grace"]


async def test_search_by_contact_name(db: Database) -> None:
    world = await _shift(db)
    owner = world.owner
    assert _names(await _list(db, owner, world, search="LOVE")) == ["Ada"]
    assert _names(await _list(db, owner, world, search="ada lovelace")) == ["Ada"]
    assert _names(await _list(db, owner, world, search="er", sort="az")) == ["Edsger", "Grace", "Katherine"]
    assert _names(await _list(db, owner, world, search="%")) == []


async def test_initial_tab_is_empty_once_the_window_has_passed(db: Database) -> None:
    world = await _shift(db)
    async with db.transaction() as session:
        (await session.get_one(Campaign, world.campaign_id)).window_end = utcnow() - timedelta(hours=1)
    assert _names(await _list(db, world.owner, world, tab="initial")) == []


async def test_follow_ups_tab_needs_a_follow_up_message(db: Database) -> None:
    world = await _shift(db)
    async with db.transaction() as session:
        (await session.get_one(Campaign, world.campaign_id)).follow_up_message = None
    assert _names(await _list(db, world.owner, world, tab="follow_ups")) == []


async def test_follow_up_sent_leaves_the_tab(db: Database) -> None:
    world = await _shift(db)
    async with db.transaction() as session:
        await send_message(session, world.senders["Sam"], world.conversations[2], follow_up=True)
    assert _names(await _list(db, world.owner, world, tab="follow_ups")) == []


@pytest.mark.parametrize("sort", ["needs_reply", "recent", "az"])
async def test_keyset_paging_walks_every_row_once_in_order(db: Database, sort: str) -> None:
    contacts = [(f"Name{i:02d}", f"Family{(i * 7) % 23:02d}", f"+1415555{2700 + i:04d}") for i in range(23)]
    world = await build(db, contacts=contacts, assign=["Sam"] * 23)
    sam = world.senders["Sam"]
    for i in range(0, 23, 2):
        async with db.transaction() as session:
            await send_message(session, sam, world.conversations[i])
    for i in range(0, 23, 4):
        async with db.transaction() as session:
            inbound = InboundSms(world.organization_id, contacts[i][2], NUMBER, "hi", f"SM{i}")
            await receive_inbound(session, inbound)
    whole = _names(await _list(db, sam, world, sort=sort, limit=500))
    walked: list[str] = []
    cursor = None
    while True:
        page = await _list(db, sam, world, sort=sort, limit=4, cursor=cursor)
        walked += _names(page)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert walked == whole and len(whole) == len(set(whole)) == 6 + 11  # replied + not started


async def test_bad_parameters_are_refused(db: Database) -> None:
    world = await _shift(db)
    naive = {"s": f"{world.campaign_id}:None:recent", "v": ["2026-01-01T00:00:00", 5]}
    naive_cursor = base64.urlsafe_b64encode(json.dumps(naive).encode()).decode()
    for kw in ({"tab": "inbox"}, {"sort": "loudest"}, {"limit": 0}, {"cursor": "not-a-cursor"}):
        with pytest.raises(InvalidInput):
            await _list(db, world.owner, world, **kw)
    with pytest.raises(InvalidInput):
        await _list(db, world.owner, world, sort="recent", cursor=naive_cursor)
    page = await _list(db, world.owner, world, sort="az", limit=1)
    with pytest.raises(InvalidInput) as other_sort:
        await _list(db, world.owner, world, sort="recent", cursor=page.next_cursor)
    assert other_sort.value.code == "invalid_cursor"


async def test_redacted_phones_are_masked(db: Database) -> None:
    world = await _shift(db)
    async with db.transaction() as session:
        (await session.get_one(Organization, world.organization_id)).redact_phones = True
    row = (await _list(db, world.owner, world, tab="responses")).rows[0]
    assert row["contact"]["phone"] == mask_phone(world.phones[0]) != world.phones[0]


async def test_the_conversation_view_shows_the_thread_oldest_first(db: Database) -> None:
    world = await _shift(db)
    async with db.session() as session:
        view = await conversation_view(session, world.senders["Sam"], world.conversations[1])
    assert [m["direction"] for m in view["messages"]] == ["outbound", "inbound", "outbound"]
    assert view["status"] == "replied" and view["campaign_id"] == world.campaign_id
    assert view["sender"]["first_name"] == "Sam" and view["opt_out"]["opted_out"] is False
    async with db.session() as session:
        stopped = await conversation_view(session, world.owner, world.conversations[4])
        assert stopped["opted_out"] is True and stopped["opt_out"]["source"] == "keyword"
        with pytest.raises(PermissionDenied):
            await conversation_view(session, world.senders["Sue"], world.conversations[1])
