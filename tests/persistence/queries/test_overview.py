"""The campaign overview reads the counters: totals, senders, search and sorts."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert
from sqlalchemy import text as text_sql

from persistence.queries.overview import RECENT, Overview, OverviewQuery, Sort, overview, pace_query
from persistence.rules.errors import NotFound, PermissionDenied
from persistence.store.database import Database
from persistence.store.models import Message
from persistence.store.scope import Actor
from persistence.store.types import utcnow
from tests.support.worlds.sweep import BASE_TIME, SweepWorld, add_conversations, add_sender, build_world


def admin(world: SweepWorld) -> Actor:
    return Actor(world.owner_id, world.organization_id, "moderator")


async def view(
    db: Database,
    world: SweepWorld,
    search: str | None = None,
    sort: Sort = "sender",
    order: str = "asc",
) -> Overview:
    query = OverviewQuery(search, sort, order == "desc")
    async with db.session() as session:
        return await overview(session, admin(world), world.campaign_id, query)


async def shift(db: Database) -> SweepWorld:
    """Ana: 4 assigned, 3 sent, 2 waiting. Ben: 2 not started. Cleo: nothing yet. Pool: 3."""
    world = await build_world(db, senders=["Ben", "Ana", "Cleo"])
    ana, ben = world.senders["Ana"], world.senders["Ben"]
    await add_conversations(db, world, 2, state="needs_reply", assigned_to=ana)
    await add_conversations(db, world, 1, state="opted_out", assigned_to=ana)
    await add_conversations(db, world, 1, assigned_to=ana)
    await add_conversations(db, world, 2, assigned_to=ben)
    await add_conversations(db, world, 2)
    await add_conversations(db, world, 1, state="needs_reply")
    return world


def names(result: Overview) -> list[str]:
    return [row.first_name for row in result.senders]


async def test_totals_and_every_sender_with_the_unassigned_row_first(db: Database) -> None:
    world = await shift(db)
    result = await view(db, world)
    assert (result.total, result.not_started, result.needs_reply) == (9, 5, 3)
    assert result.to_json({world.senders["Ana"]})["senders"] == [
        {
            "user_id": None,
            "first_name": "Unassigned",
            "last_name": "",
            "online": False,
            "assigned": 3,
            "sent": 1,
            "needs_reply": 1,
            "oldest_needs_reply_at": BASE_TIME.isoformat(),
            "last_action_at": None,
            "sent_last_10_min": 0,
        },
        {
            "user_id": world.senders["Ana"],
            "first_name": "Ana",
            "last_name": "Sender",
            "online": True,
            "assigned": 4,
            "sent": 3,
            "needs_reply": 2,
            "oldest_needs_reply_at": BASE_TIME.isoformat(),
            "last_action_at": None,
            "sent_last_10_min": 0,
        },
        {
            "user_id": world.senders["Ben"],
            "first_name": "Ben",
            "last_name": "Sender",
            "online": False,
            "assigned": 2,
            "sent": 0,
            "needs_reply": 0,
            "oldest_needs_reply_at": None,
            "last_action_at": None,
            "sent_last_10_min": 0,
        },
        {
            "user_id": world.senders["Cleo"],
            "first_name": "Cleo",
            "last_name": "Sender",
            "online": False,
            "assigned": 0,
            "sent": 0,
            "needs_reply": 0,
            "oldest_needs_reply_at": None,
            "last_action_at": None,
            "sent_last_10_min": 0,
        },
    ]


async def test_sorts_keep_unassigned_first(db: Database) -> None:
    world = await shift(db)
    assert names(await view(db, world, sort="sender", order="desc")) == ["Unassigned", "Cleo", "Ben", "Ana"]
    assert names(await view(db, world, sort="progress")) == ["Unassigned", "Cleo", "Ben", "Ana"]
    assert names(await view(db, world, sort="progress", order="desc")) == ["Unassigned", "Ana", "Ben", "Cleo"]
    # Ties (Ben and Cleo wait for nothing) go A to Z.
    assert names(await view(db, world, sort="needs_reply", order="desc")) == [
        "Unassigned",
        "Ana",
        "Ben",
        "Cleo",
    ]
    assert names(await view(db, world, sort="needs_reply")) == ["Unassigned", "Ben", "Cleo", "Ana"]


async def test_progress_sorts_by_assigned_then_sent(db: Database) -> None:
    world = await build_world(db, senders=["Ana", "Ben"])
    await add_conversations(db, world, 2, assigned_to=world.senders["Ana"])
    await add_conversations(db, world, 2, state="sent", assigned_to=world.senders["Ben"])
    assert names(await view(db, world, sort="progress", order="desc")) == ["Unassigned", "Ben", "Ana"]


async def test_search_is_a_case_insensitive_substring_of_the_name(db: Database) -> None:
    world = await shift(db)
    await add_sender(db, world, "Anabel", "Lee")
    assert names(await view(db, world, search="ana")) == ["Unassigned", "Ana", "Anabel"]
    assert names(await view(db, world, search="BEL L")) == ["Unassigned", "Anabel"]
    assert names(await view(db, world, search="%")) == ["Unassigned"]
    assert names(await view(db, world, search="nobody")) == ["Unassigned"]


async def test_only_sweepers_of_the_organization_see_it(db: Database) -> None:
    world = await shift(db)
    stranger = await build_world(db, senders=["Eve"])
    query = OverviewQuery()
    async with db.session() as session:
        with pytest.raises(PermissionDenied):
            await overview(
                session,
                Actor(world.senders["Ana"], world.organization_id, "sender"),
                world.campaign_id,
                query,
            )
        with pytest.raises(NotFound):
            await overview(session, admin(stranger), world.campaign_id, query)


async def test_the_pace_columns_read_the_last_minutes_not_the_whole_shift(db: Database) -> None:
    """An hour into a shift the overview reads each sender's recent sends, not every text of the night."""
    world = await build_world(db, senders=["Ana", "Ben"])
    ana, ben = world.senders["Ana"], world.senders["Ben"]
    [ana_conv] = await add_conversations(db, world, 1, assigned_to=ana)
    [ben_conv] = await add_conversations(db, world, 1, assigned_to=ben)
    now = utcnow()

    def text(conversation: int, sender: int, at: datetime) -> dict[str, Any]:
        return {
            "organization_id": world.organization_id,
            "conversation_id": conversation,
            "direction": "outbound",
            "body": "Hi",
            "media_urls": [],
            "sender_id": sender,
            "delivery_status": "delivered",
            "created_at": at,
        }

    earlier = [text(ana_conv, ana, now - timedelta(minutes=60, seconds=i)) for i in range(2_000)]
    earlier += [text(ben_conv, ben, now - timedelta(minutes=30, seconds=i)) for i in range(20)]
    recent = [text(ana_conv, ana, now - timedelta(minutes=m)) for m in (1, 2)]
    async with db.transaction() as session:
        await session.execute(insert(Message), earlier + recent)
    since = now - RECENT
    async with db.session() as session:
        rows = {
            uid: (last, n) for uid, last, n in (await session.execute(pace_query(world.campaign_id, since)))
        }
        assert rows[ana] == (now - timedelta(minutes=1), 2)
        assert rows[ben] == (now - timedelta(minutes=30), 0)  # idle for half an hour: the older texts tell
        if db.dialect != "postgresql":
            return
        await session.execute(text_sql("ANALYZE messages"))
        stmt = pace_query(world.campaign_id, since).compile(
            dialect=session.get_bind().dialect, compile_kwargs={"literal_binds": True}
        )
        plan = (await session.execute(text_sql(f"EXPLAIN (ANALYZE, FORMAT JSON) {stmt}"))).scalar_one()
    read = rows_read(plan[0]["Plan"], "messages")
    # Ana's two recent texts and Ben's twenty (he sent none recently), not Ana's 2,000 of an hour ago.
    assert read <= 40, f"{read} message rows read"


def rows_read(node: dict[str, Any], relation: str) -> int:
    own = node["Actual Rows"] * node["Actual Loops"] if node.get("Relation Name") == relation else 0
    return int(own + sum(rows_read(child, relation) for child in node.get("Plans", [])))
