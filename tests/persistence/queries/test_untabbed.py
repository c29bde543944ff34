"""The whole campaign's list with no tab: every tab's rows, in one order, page after page.

It is read as the merge of its parts (``persistence.queries.untabbed``); these
stories check that the merge gives exactly the rows, and the order, of sorting
the whole campaign: rows from every tab, the never-texted ones, the rows that
sit in no list (texted and never answered, archived), and ties broken by id.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from persistence.queries.conversations import list_conversations
from persistence.store.database import Database
from persistence.store.list_keys import EPOCH
from persistence.store.models import Conversation
from tests.support.worlds.messaging import World, add_campaign, build

NOON = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
CONTACTS = tuple((f"Name{i:02d}", "Family", f"+1415555{i:04d}") for i in range(72))


def _state(i: int) -> dict[str, Any]:
    """The i-th conversation's columns: twelve situations, three ages (so times tie), a few archived."""
    at = NOON - timedelta(minutes=(i // 12) % 3)
    texted = {"initial_sent_at": at, "last_outbound_at": at, "last_message_at": at}
    answered = {"has_replied": True, "last_inbound_at": at, "last_message_at": at}
    waiting = {"needs_reply": True, "needs_reply_since": at}
    states: list[dict[str, Any]] = [
        {"archived": i % 24 == 12},  # as uploaded (some archived)
        texted,  # texted, never answered: in no list but Follow-ups
        {**texted, **answered, **waiting},
        {**texted, **answered},  # answered, and answered back
        {**texted, **answered, "opted_out": True},  # texted STOP
        {"opted_out": True},  # uploaded with a phone that had opted out
        {**answered, **waiting},  # wrote before being texted
        {"last_message_at": at},  # never texted, yet a time: no list's rule forbids it
        waiting,  # never texted, yet waiting
        {**texted, **answered, "archived": True},
        {**texted, **answered, **waiting, "opted_out": True},  # waiting, then opted out: no green dot
        {**texted, "follow_up_sent_at": at},
    ]
    return states[i % 12]


async def _campaign(db: Database) -> tuple[World, int]:
    """A campaign beside the world's first, its 72 conversations in every situation."""
    world = await build(db)
    assign = [None if i % 4 == 0 else "Sam" if i % 2 else "Sue" for i in range(len(CONTACTS))]
    campaign_id, ids = await add_campaign(db, world, contacts=CONTACTS, assign=assign)
    async with db.transaction() as session:
        for i, cid in enumerate(ids):
            conversation = await session.get_one(Conversation, cid)
            for column, value in _state(i).items():
                setattr(conversation, column, value)
    return world, campaign_id


def _moment(value: datetime | None) -> float:
    return (value or EPOCH).timestamp()


async def _sorted_by_hand(db: Database, campaign_id: int, sort: str) -> list[int]:
    """The untabbed list by its definition: every row but the texted-and-never-answered, sorted in Python."""
    async with db.session() as session:
        query = select(Conversation).where(Conversation.campaign_id == campaign_id)
        rows = list(await session.scalars(query))
    listed = [
        c for c in rows if not c.archived and (c.opted_out or c.initial_sent_at is None or c.has_replied)
    ]
    if sort == "recent":  # newest message first, then the newest id
        listed.sort(key=lambda c: (_moment(c.last_message_at), c.id), reverse=True)
    else:  # waiting first, longest waiting first, then newest message, then id
        listed.sort(
            key=lambda c: (
                0 if c.needs_reply and not c.opted_out else 1,
                _moment(c.needs_reply_since),
                -_moment(c.last_message_at),
                c.id,
            )
        )
    return [c.id for c in listed]


async def _walk(db: Database, world: World, campaign_id: int, limit: int, **query: Any) -> list[int]:
    """Every page of a list, following its cursors, as the owner sees it."""
    ids: list[int] = []
    cursor = None
    for _page in range(len(CONTACTS) + 1):  # a page of one row each at most, and the empty end
        async with db.session() as session:
            page = await list_conversations(
                session, world.owner, campaign_id, limit=limit, cursor=cursor, **query
            )
        ids.extend(row["id"] for row in page.rows)
        assert len(page.rows) <= limit
        if page.next_cursor is None:
            return ids
        cursor = page.next_cursor
    raise AssertionError(f"the pages never end: {ids}")


@pytest.mark.parametrize("sort", ["needs_reply", "recent"])
async def test_the_untabbed_list_is_the_whole_campaign_sorted_page_by_page(db: Database, sort: str) -> None:
    world, campaign_id = await _campaign(db)
    expected = await _sorted_by_hand(db, campaign_id, sort)
    assert len(expected) == 51  # the 72 less the texted-and-unanswered, followed-up and archived
    # Pages of one: every row, fresh ones included, is once the cursor.
    for limit in (1, 5, 50, 500):
        assert await _walk(db, world, campaign_id, limit, sort=sort) == expected, limit


async def test_the_untabbed_list_holds_the_tabs_rows_and_no_others(db: Database) -> None:
    world, campaign_id = await _campaign(db)
    untabbed = await _walk(db, world, campaign_id, 7)
    tabs = [await _walk(db, world, campaign_id, 50, tab=tab) for tab in ("responses", "opt_outs", "initial")]
    # Once each, though a contact who wrote before being texted is both in Responses and Initial.
    assert len(set(untabbed)) == len(untabbed)
    assert set(untabbed) == {id_ for tab in tabs for id_ in tab}
    # The default order is the needs-reply order: the waiting contacts first, the longest waiting first.
    assert untabbed == await _sorted_by_hand(db, campaign_id, "needs_reply")
    async with db.session() as session:
        first = await session.get_one(Conversation, untabbed[0])
    assert first.needs_reply and not first.opted_out
