"""Reassignment as organizers use it during a shift, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from persistence.commands.reassign import MoveResult, reassign, reassign_conversation, remove_sender
from persistence.rules.channels import UNASSIGNED
from persistence.rules.errors import InvalidInput, NotFound, PermissionDenied
from persistence.rules.status import Counts
from persistence.store.counters import recount, stored_counts
from persistence.store.database import Database
from persistence.store.models import CampaignSender, Event
from persistence.store.scope import Actor
from server.api.reassign import parse_reassign
from tests.support.worlds.sweep import SweepWorld, add_conversations, build_world, snapshot


def admin(world: SweepWorld) -> Actor:
    return Actor(world.owner_id, world.organization_id, "admin")


async def move(db: Database, world: SweepWorld, body: dict[str, Any]) -> MoveResult:
    async with db.transaction() as session:
        return await reassign(session, admin(world), world.campaign_id, parse_reassign(body))


async def assert_counters_true(db: Database, campaign_id: int) -> None:
    async with db.session() as session:
        stored = {k: v for k, v in (await stored_counts(session, campaign_id)).items() if not v.is_zero()}
        assert stored == await recount(session, campaign_id)


async def test_an_admin_distributes_six_unassigned_conversations_to_two_senders(db: Database) -> None:
    world = await build_world(db, senders=["Ana", "Ben"])
    ana, ben = world.senders["Ana"], world.senders["Ben"]
    ids = await add_conversations(db, world, 6)

    result = await move(db, world, {"action": "reassign_all", "from": None, "to": [ana, ben]})

    assert result.to_json() == {"moved": 6, "per_target": {str(ana): 3, str(ben): 3}}
    after = await snapshot(db, world.campaign_id)
    assert sorted(after[i] or 0 for i in ids) == [ana] * 3 + [ben] * 3
    async with db.session() as session:
        stored = await stored_counts(session, world.campaign_id)
    assert stored[ana] == stored[ben] == Counts(assigned=3, not_started=3)
    assert stored[UNASSIGNED].is_zero()
    await assert_counters_true(db, world.campaign_id)


async def test_an_admin_moves_one_not_started_conversation_from_one_sender_to_another(db: Database) -> None:
    world = await build_world(db, senders=["Ana", "Ben"])
    ana, ben = world.senders["Ana"], world.senders["Ben"]
    waiting = await add_conversations(db, world, 2, state="needs_reply", assigned_to=ana)
    fresh = await add_conversations(db, world, 3, assigned_to=ana)

    result = await move(
        db,
        world,
        {"action": "reassign_some", "from": [ana], "status": "not_started", "count": 1, "to": [ben]},
    )

    assert result.to_json() == {"moved": 1, "per_target": {str(ben): 1}}
    after = await snapshot(db, world.campaign_id)
    # The first uploaded of Ana's not-started conversations moves; her waiting replies stay.
    assert after[fresh[0]] == ben
    assert [after[i] for i in fresh[1:] + waiting] == [ana] * 4
    await assert_counters_true(db, world.campaign_id)


async def test_an_admin_reassigns_one_contact_to_a_friends_sender(db: Database) -> None:
    world = await build_world(db, senders=["Ana", "Cam"])
    ana, cam = world.senders["Ana"], world.senders["Cam"]
    [friend] = await add_conversations(db, world, 1, state="needs_reply", assigned_to=ana)

    async with db.transaction() as session:
        result = await reassign_conversation(session, admin(world), friend, cam)

    assert result.to_json() == {"moved": 1, "per_target": {str(cam): 1}}
    assert (await snapshot(db, world.campaign_id))[friend] == cam
    async with db.session() as session:
        stored = await stored_counts(session, world.campaign_id)
        kinds = (await session.execute(select(Event.channel, Event.kind).order_by(Event.id))).all()
    assert stored[cam] == Counts(assigned=1, sent=1, needs_reply=1)
    assert stored[ana].is_zero()
    assert (f"sender:{world.campaign_id}:{ana}", "reassigned") in kinds
    assert (f"sender:{world.campaign_id}:{cam}", "reassigned") in kinds
    assert (f"campaign:{world.campaign_id}", "stats") in kinds
    await assert_counters_true(db, world.campaign_id)


async def test_moving_a_conversation_to_its_own_sender_moves_nothing(db: Database) -> None:
    world = await build_world(db, senders=["Ana"])
    [conv] = await add_conversations(db, world, 1, assigned_to=world.senders["Ana"])
    async with db.transaction() as session:
        result = await reassign_conversation(session, admin(world), conv, world.senders["Ana"])
    assert result.moved == 0


async def test_an_admin_unassigns_everything_from_a_sender_who_had_to_leave(db: Database) -> None:
    world = await build_world(db, senders=["Ana", "Dee"])
    dee = world.senders["Dee"]
    mine = await add_conversations(db, world, 2, state="needs_reply", assigned_to=dee)
    mine += await add_conversations(db, world, 2, state="sent", assigned_to=dee)
    mine += await add_conversations(db, world, 1, state="opted_out", assigned_to=dee)
    others = await add_conversations(db, world, 2, assigned_to=world.senders["Ana"])

    # The status filter does not apply: unassign_all moves every status.
    result = await move(db, world, {"action": "unassign_all", "from": [dee], "status": "needs_reply"})

    assert result.to_json() == {"moved": 5, "per_target": {"unassigned": 5}}
    after = await snapshot(db, world.campaign_id)
    assert [after[i] for i in mine] == [None] * 5
    assert [after[i] for i in others] == [world.senders["Ana"]] * 2
    async with db.session() as session:
        stored = await stored_counts(session, world.campaign_id)
    assert stored[UNASSIGNED] == Counts(assigned=5, sent=5, needs_reply=2, opted_out=1)
    await assert_counters_true(db, world.campaign_id)


async def test_removing_a_sender_sends_their_conversations_back_to_the_pool(db: Database) -> None:
    world = await build_world(db, senders=["Ana", "Dee"])
    dee = world.senders["Dee"]
    mine = await add_conversations(db, world, 3, state="needs_reply", assigned_to=dee)

    async with db.transaction() as session:
        result = await remove_sender(session, admin(world), world.campaign_id, dee)

    assert result.to_json() == {"moved": 3, "per_target": {"unassigned": 3}}
    assert [(await snapshot(db, world.campaign_id))[i] for i in mine] == [None] * 3
    async with db.session() as session:
        still = await session.scalar(
            select(func.count()).where(CampaignSender.campaign_id == world.campaign_id)
        )
    assert still == 1
    await assert_counters_true(db, world.campaign_id)
    async with db.transaction() as session:
        with pytest.raises(NotFound):
            await remove_sender(session, admin(world), world.campaign_id, dee)


async def test_pick_order_is_longest_waiting_then_upload_order_then_the_rest(db: Database) -> None:
    world = await build_world(db, senders=["Ana", "Ben"])
    ana, ben = world.senders["Ana"], world.senders["Ben"]
    sent = await add_conversations(db, world, 1, state="sent", assigned_to=ana)
    fresh = await add_conversations(db, world, 2, assigned_to=ana)
    # Uploaded later but waiting longer (minute 0 < minute 50).
    late_wait = await add_conversations(db, world, 1, state="needs_reply", assigned_to=ana, first_minute=50)
    early_wait = await add_conversations(db, world, 1, state="needs_reply", assigned_to=ana, first_minute=0)

    for expected in (early_wait, late_wait, fresh[:1], fresh[1:], sent):
        result = await move(db, world, {"action": "reassign_some", "from": [ana], "count": 1, "to": [ben]})
        assert result.moved == 1
        assert (await snapshot(db, world.campaign_id))[expected[0]] == ben


async def test_opted_out_conversations_move_only_with_status_any(db: Database) -> None:
    world = await build_world(db, senders=["Ana", "Ben"])
    ana, ben = world.senders["Ana"], world.senders["Ben"]
    stopped = await add_conversations(db, world, 1, state="opted_out_waiting", assigned_to=ana)
    await add_conversations(db, world, 1, state="opted_out", assigned_to=ana)

    for status in ("needs_reply", "not_started"):
        result = await move(
            db, world, {"action": "reassign_all", "from": [ana], "status": status, "to": [ben]}
        )
        assert result.moved == 0
    result = await move(db, world, {"action": "reassign_all", "from": [ana], "to": [ben]})
    assert result.moved == 2
    assert (await snapshot(db, world.campaign_id))[stopped[0]] == ben
    await assert_counters_true(db, world.campaign_id)


async def test_campaign_wide_moves_and_all_senders(db: Database) -> None:
    world = await build_world(db, senders=["Ana", "Ben", "Cam"])
    ana, ben, cam = (world.senders[n] for n in ("Ana", "Ben", "Cam"))
    await add_conversations(db, world, 4, state="needs_reply", assigned_to=ana)
    await add_conversations(db, world, 2, state="needs_reply")

    # "from" left out: every sender and the pool, except the target itself.
    result = await move(db, world, {"action": "reassign_all", "status": "needs_reply", "to": [cam]})
    assert result.to_json() == {"moved": 6, "per_target": {str(cam): 6}}

    # "all_senders" is every sender except those named in "from".
    result = await move(db, world, {"action": "reassign_all", "from": [cam], "to": "all_senders"})
    assert result.to_json() == {"moved": 6, "per_target": {str(ana): 3, str(ben): 3}}
    await assert_counters_true(db, world.campaign_id)


async def test_a_huge_count_moves_what_is_there(db: Database) -> None:
    world = await build_world(db, senders=["Ana", "Ben", "Cam"])
    await add_conversations(db, world, 5)
    result = await move(
        db,
        world,
        {
            "action": "reassign_some",
            "from": None,
            "count": 2**63 - 1,  # the largest count the API takes (64-bit)
            "to": [world.senders["Cam"], world.senders["Ana"]],
        },
    )
    # 5 to two targets: the extra one to the first named.
    assert result.per_target == {str(world.senders["Cam"]): 3, str(world.senders["Ana"]): 2}


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"action": "shuffle", "to": "all_senders"}, "invalid_action"),
        ({"action": "reassign_all", "status": "maybe", "to": "all_senders"}, "invalid_status"),
        ({"action": "reassign_some", "to": "all_senders"}, "invalid_count"),
        ({"action": "reassign_some", "count": 0, "to": "all_senders"}, "invalid_count"),
        ({"action": "reassign_some", "count": -3, "to": "all_senders"}, "invalid_count"),
        ({"action": "reassign_some", "count": 2.5, "to": "all_senders"}, "invalid_count"),
        ({"action": "reassign_some", "count": "2", "to": "all_senders"}, "invalid_count"),
        ({"action": "reassign_some", "count": True, "to": "all_senders"}, "invalid_count"),
        ({"action": "reassign_all", "to": [999_999]}, "not_a_sender"),
        ({"action": "reassign_all", "from": [999_999], "to": "unassigned"}, "not_a_sender"),
        ({"action": "reassign_all", "to": "everyone"}, "invalid_input"),
        ({"action": "reassign_all", "to": []}, "invalid_input"),
        ({"action": "reassign_all", "from": [], "to": "unassigned"}, "invalid_input"),
        ({"action": "reassign_all", "from": None, "to": "unassigned"}, "source_is_target"),
        ({"action": "unassign_all", "to": "all_senders"}, "invalid_input"),
    ],
)
async def test_bad_requests_are_refused_and_nothing_moves(
    db: Database, body: dict[str, Any], code: str
) -> None:
    world = await build_world(db, senders=["Ana"])
    await add_conversations(db, world, 3, state="needs_reply")
    await add_conversations(db, world, 2, assigned_to=world.senders["Ana"])
    before = await snapshot(db, world.campaign_id)
    with pytest.raises(InvalidInput) as caught:
        await move(db, world, body)
    assert caught.value.code == code
    assert await snapshot(db, world.campaign_id) == before


async def test_a_target_from_another_campaign_is_refused(db: Database) -> None:
    world = await build_world(db, senders=["Ana", "Ben"])
    other = await build_world(db, organization_id=world.organization_id, senders=["Zed"])
    await add_conversations(db, world, 2)
    before = await snapshot(db, world.campaign_id)
    with pytest.raises(InvalidInput) as caught:
        await move(
            db,
            world,
            {"action": "reassign_all", "from": None, "to": [world.senders["Ana"], other.senders["Zed"]]},
        )
    assert caught.value.code == "not_a_sender"
    assert await snapshot(db, world.campaign_id) == before


async def test_senders_cannot_sweep_and_other_organizations_see_nothing(db: Database) -> None:
    world = await build_world(db, senders=["Ana"])
    stranger = await build_world(db, senders=["Eve"])
    [conv] = await add_conversations(db, world, 1)
    ana = Actor(world.senders["Ana"], world.organization_id, "sender")
    body = {"action": "reassign_all", "from": None, "to": "all_senders"}
    async with db.transaction() as session:
        with pytest.raises(PermissionDenied):
            await reassign(session, ana, world.campaign_id, parse_reassign(body))
    async with db.transaction() as session:
        with pytest.raises(NotFound):
            await reassign(session, admin(stranger), world.campaign_id, parse_reassign(body))
    async with db.transaction() as session:
        with pytest.raises(NotFound):
            await reassign_conversation(session, admin(stranger), conv, None)
    assert (await snapshot(db, world.campaign_id))[conv] is None


async def test_a_move_tells_the_loser_the_gainer_and_the_sweepers(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = await build_world(db, senders=["Ana", "Ben"])
    ana, ben = world.senders["Ana"], world.senders["Ben"]
    ids = await add_conversations(db, world, 5, assigned_to=ana)
    monkeypatch.setattr("persistence.commands.reassign.EVENT_CHUNK", 2)

    await move(db, world, {"action": "reassign_some", "from": [ana], "count": 3, "to": [ben]})

    async with db.session() as session:
        events = (
            await session.execute(
                select(Event.channel, Event.kind, Event.data).where(Event.kind != "stats").order_by(Event.id)
            )
        ).all()
    cid = world.campaign_id
    moved = [(channel, data["conversation_ids"]) for channel, kind, data in events if kind == "reassigned"]
    # Three conversations, at most two per event, to the campaign and both senders.
    for channel in (f"campaign:{cid}", f"sender:{cid}:{ana}", f"sender:{cid}:{ben}"):
        assert [i for ch, chunk in moved if ch == channel for i in chunk] == ids[:3]
        assert all(len(chunk) <= 2 for ch, chunk in moved if ch == channel)
    assert all(data["from"] == ana and data["to"] == ben for _c, kind, data in events if kind == "reassigned")
    stats = {(ch, data["user_id"]): data for ch, kind, data in events if kind == "sender_stats"}
    assert stats[(f"campaign:{cid}", ana)]["assigned"] == 2
    assert stats[(f"campaign:{cid}", ben)]["assigned"] == 3
    assert stats[(f"sender:{cid}:{ben}", ben)]["assigned"] == 3
