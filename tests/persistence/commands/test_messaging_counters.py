"""A whole shift of random sends, replies, STOPs, opt-ins and moves: counters always equal a recount."""

from __future__ import annotations

import random

import pytest

from persistence.commands.inbound import InboundSms, receive_inbound
from persistence.commands.messaging import send_message
from persistence.commands.optouts import opt_in, opt_out
from persistence.commands.reassign import reassign_conversation
from persistence.rules.errors import DomainError
from persistence.store.database import Database
from persistence.store.scope import Actor
from tests.support.worlds.messaging import NUMBER, add_campaign, assert_counters_true, build

BODIES = ["Yes", "No thanks", "STOP", "start", "Who is this?", " Cancel ", "UNSTOP"]


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_counters_equal_a_recount_after_every_command(db: Database, seed: int) -> None:
    rng = random.Random(seed)
    world = await build(db, assign=["Sam", "Sam", "Sue", "Sue", None, None])
    second, second_ids = await add_campaign(db, world, assign=["Sue", None, "Sam", None, "Sam", "Sue"])
    conversations = world.conversations + second_ids
    people: list[Actor] = [world.owner, *world.senders.values()]
    sid = 0
    for _step in range(40):
        conv = rng.choice(conversations)
        action = rng.choice(["send", "send", "reply", "follow_up", "inbound", "inbound", "opt", "move"])
        try:
            async with db.transaction() as session:
                if action == "send":
                    await send_message(session, rng.choice(people), conv)
                elif action == "reply":
                    await send_message(session, world.owner, conv, body="Thanks!")
                elif action == "follow_up":
                    await send_message(session, world.owner, conv, follow_up=True)
                elif action == "inbound":
                    sid += 1
                    phone = world.phones[conversations.index(conv) % len(world.phones)]
                    sms = InboundSms(
                        world.organization_id, phone, NUMBER, rng.choice(BODIES), f"SM{seed}-{sid}"
                    )
                    await receive_inbound(session, sms)
                elif action == "opt":
                    await (opt_out if rng.random() < 0.5 else opt_in)(session, world.owner, conv)
                else:
                    to = rng.choice([None, *(a.user_id for a in world.senders.values())])
                    await reassign_conversation(session, world.owner, conv, to)
        except DomainError:
            pass  # a refusal changes nothing, which the recount checks too
        await assert_counters_true(db, world.campaign_id)
        await assert_counters_true(db, second)
