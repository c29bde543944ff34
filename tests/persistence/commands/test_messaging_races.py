"""A send racing a reassignment or a STOP: serialized by the row lock, counters stay true."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from functools import partial
from typing import TypeVar

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from persistence.commands.inbound import InboundSms, receive_inbound
from persistence.commands.messaging import send_message
from persistence.commands.reassign import reassign_conversation
from persistence.outbox.outbox import open_database
from persistence.rules.errors import Conflict, DomainError, PermissionDenied
from persistence.store.database import Database
from persistence.store.models import Conversation, Message
from tests.support.worlds.messaging import NUMBER, assert_counters_true, build

T = TypeVar("T")


async def _in_own_pool(database_url: str, work: Callable[[AsyncSession], Awaitable[T]]) -> T | DomainError:
    db = open_database(database_url)
    try:
        async with db.transaction() as session:
            return await work(session)
    except DomainError as exc:
        return exc
    finally:
        await db.dispose()


async def _outbound(db: Database) -> int:
    async with db.session() as session:
        n = await session.scalar(
            select(func.count()).select_from(Message).where(Message.direction == "outbound")
        )
    return int(n or 0)


async def test_send_racing_a_reassign_either_sends_first_or_is_refused(
    db: Database, database_url: str
) -> None:
    for round_ in range(5):
        world = await build(
            db, domain=f"race{round_}.org", number=f"+1500555{round_:04d}", assign=["Sam"] * 6
        )
        sam, sue = world.senders["Sam"], world.senders["Sue"]
        conv_id = world.conversations[0]
        before = await _outbound(db)
        sent, moved = await asyncio.gather(
            _in_own_pool(database_url, partial(send_message, actor=sam, conversation_id=conv_id)),
            _in_own_pool(
                database_url,
                partial(
                    reassign_conversation,
                    actor=world.owner,
                    conversation_id=conv_id,
                    to=sue.user_id,
                ),
            ),
        )
        assert not isinstance(moved, DomainError)
        async with db.session() as session:
            conv = await session.get_one(Conversation, conv_id)
        assert conv.assigned_to == sue.user_id
        if isinstance(sent, PermissionDenied):  # the move committed first
            assert conv.initial_sent_at is None and await _outbound(db) == before
        else:
            assert not isinstance(sent, DomainError)
            assert conv.initial_sent_at is not None and await _outbound(db) == before + 1
        await assert_counters_true(db, world.campaign_id)


async def test_send_racing_a_stop_never_texts_an_opted_out_contact(db: Database, database_url: str) -> None:
    for round_ in range(5):
        world = await build(
            db, domain=f"stop{round_}.org", number=f"+1500556{round_:04d}", assign=["Sam"] * 6
        )
        sam = world.senders["Sam"]
        conv_id = world.conversations[0]
        sms = InboundSms(world.organization_id, world.phones[0], NUMBER, "STOP", f"SM-stop-{round_}")
        sent, stopped = await asyncio.gather(
            _in_own_pool(database_url, partial(send_message, actor=sam, conversation_id=conv_id)),
            _in_own_pool(database_url, partial(receive_inbound, sms=sms)),
        )
        assert not isinstance(stopped, DomainError)
        assert not isinstance(sent, DomainError) or isinstance(sent, Conflict)
        async with db.session() as session:
            assert (await session.get_one(Conversation, conv_id)).opted_out
        await assert_counters_true(db, world.campaign_id)
