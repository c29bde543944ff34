"""Senders take conversations from the Unassigned pool themselves."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import select

from persistence.commands.self_assign import SELF_ASSIGN_CAP, SelfAssigned, self_assign
from persistence.rules.errors import InvalidInput, Locked, NotFound, PermissionDenied
from persistence.store.counters import recount, stored_counts
from persistence.store.database import Database
from persistence.store.models import Conversation
from persistence.store.scope import Actor
from server.api.reassign import SelfAssignBody
from server.parsing import parse_object
from tests.support.worlds.sweep import SweepWorld, add_conversations, build_world, snapshot


def sender(world: SweepWorld, name: str) -> Actor:
    return Actor(world.senders[name], world.organization_id, "sender")


async def take(db: Database, world: SweepWorld, name: str, body: dict[str, Any]) -> SelfAssigned:
    async with db.transaction() as session:
        # The body is checked as the endpoint checks it, then taken.
        return await self_assign(
            session, sender(world, name), world.campaign_id, parse_object(SelfAssignBody, body).count
        )


async def test_a_sender_takes_the_first_uploaded_not_started_conversations(db: Database) -> None:
    world = await build_world(db, senders=["Ana"], self_assign=True)
    await add_conversations(db, world, 2, state="needs_reply")
    await add_conversations(db, world, 1, state="opted_out")
    fresh = await add_conversations(db, world, 4)

    taken = await take(db, world, "Ana", {"count": 3})

    assert taken.to_json() == {"count": 3, "conversation_ids": fresh[:3]}
    async with db.session() as session:
        stored = {
            k: v for k, v in (await stored_counts(session, world.campaign_id)).items() if not v.is_zero()
        }
        assert stored == await recount(session, world.campaign_id)
    # Asking for more than remains takes what remains.
    assert (await take(db, world, "Ana", {"count": 50})).conversation_ids == fresh[3:]
    assert (await take(db, world, "Ana", {"count": 50})).conversation_ids == []


async def test_a_request_is_capped(db: Database) -> None:
    world = await build_world(db, senders=["Ana"], self_assign=True)
    await add_conversations(db, world, SELF_ASSIGN_CAP + 5)
    taken = await take(db, world, "Ana", {"count": 10**9})
    assert len(taken.conversation_ids) == SELF_ASSIGN_CAP


async def test_two_senders_self_assign_at_the_same_instant(db: Database) -> None:
    world = await build_world(db, senders=["Ana", "Ben"], self_assign=True)
    ids = await add_conversations(db, world, 5)

    got = await asyncio.gather(take(db, world, "Ana", {"count": 3}), take(db, world, "Ben", {"count": 3}))

    ana, ben = (set(g.conversation_ids) for g in got)
    assert not ana & ben
    assert ana | ben == set(ids)
    assert sorted([len(ana), len(ben)]) == [2, 3]
    after = await snapshot(db, world.campaign_id)
    assert {i for i, s in after.items() if s == world.senders["Ana"]} == ana
    async with db.session() as session:
        stored = {
            k: v for k, v in (await stored_counts(session, world.campaign_id)).items() if not v.is_zero()
        }
        assert stored == await recount(session, world.campaign_id)


async def test_a_sender_skips_conversations_someone_else_is_taking(db: Database) -> None:
    """PostgreSQL: rows another transaction holds are skipped, not waited for."""
    if db.dialect != "postgresql":
        pytest.skip("SQLite runs one writer at a time: there is nothing to skip")
    world = await build_world(db, senders=["Ana", "Ben"], self_assign=True)
    ids = await add_conversations(db, world, 5)
    c = Conversation
    async with db.transaction() as holder:
        # Someone is in the middle of taking the first three.
        await holder.execute(select(c.id).where(c.id.in_(ids[:3])).with_for_update())
        taken = await asyncio.wait_for(take(db, world, "Ben", {"count": 3}), 5)
    assert taken.conversation_ids == ids[3:]


async def test_self_assign_is_refused_where_the_campaign_does_not_allow_it(db: Database) -> None:
    world = await build_world(db, senders=["Ana"], self_assign=False)
    await add_conversations(db, world, 2)
    with pytest.raises(PermissionDenied) as caught:
        await take(db, world, "Ana", {"count": 1})
    assert caught.value.code == "self_assign_disabled"
    assert set((await snapshot(db, world.campaign_id)).values()) == {None}


@pytest.mark.parametrize("status", ["draft", "paused", "closed"])
async def test_self_assign_needs_an_active_campaign(db: Database, status: str) -> None:
    world = await build_world(db, senders=["Ana"], self_assign=True, status=status)
    await add_conversations(db, world, 2)
    with pytest.raises(Locked) as caught:
        await take(db, world, "Ana", {"count": 1})
    # The one refusal rule: the same code as a refused send (paused reads as closed).
    assert caught.value.code == ("campaign_not_active" if status == "draft" else "campaign_closed")
    assert set((await snapshot(db, world.campaign_id)).values()) == {None}


@pytest.mark.parametrize("count", [0, -1, 1.5, "3", None, True])
async def test_bad_counts_are_refused(db: Database, count: Any) -> None:
    world = await build_world(db, senders=["Ana"], self_assign=True)
    await add_conversations(db, world, 2)
    with pytest.raises(InvalidInput):
        await take(db, world, "Ana", {"count": count})
    assert set((await snapshot(db, world.campaign_id)).values()) == {None}


async def test_only_senders_of_the_campaign_may_take(db: Database) -> None:
    world = await build_world(db, senders=["Ana"], self_assign=True)
    other = await build_world(db, senders=["Eve"], self_assign=True)
    await add_conversations(db, world, 2)
    admin = Actor(world.owner_id, world.organization_id, "admin")
    async with db.transaction() as session:
        with pytest.raises(PermissionDenied):
            await self_assign(session, admin, world.campaign_id, 1)
    async with db.transaction() as session:
        with pytest.raises(NotFound):
            await self_assign(session, sender(other, "Eve"), world.campaign_id, 1)
