"""``shiftline serve --demo``: a demo organization to click through.

One organization (with a sending number, a webhook token and an opt-out
message), an owner, an admin, three senders and a launched practice campaign
(simulated contacts answer its texts; docs/texting-rules.md) of 300 contacts in every state
(not started, sent, needs reply, replied, opted out), spread across the
senders and the Unassigned pool, with their messages. Seeding twice changes
nothing and prints the same logins. Contacts use fictional 555 numbers.

Rows are written directly (a few hundred; the status columns set as the
messaging commands set them), then the counters are recounted from the rows,
so every number the overview shows is right.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from persistence.commands.accounts import create_organization, create_user, user_by_email
from persistence.commands.campaigns import QuestionSpec, add_senders, create_campaign
from persistence.outbox.notify import emit_counts
from persistence.store.counters import recount
from persistence.store.database import Database
from persistence.store.models import Campaign, Contact, Conversation, Message, OptOut
from persistence.store.scope import Actor
from persistence.store.types import utcnow

from .auth import hash_password

__all__ = ["CONTACTS", "DEMO_PASSWORD", "ORG_NAME", "SENDING_NUMBER", "WEBHOOK_TOKEN", "seed_demo"]

DEMO_PASSWORD: Final = "shiftline-demo"
ORG_NAME: Final = "Demo Organization"
SENDING_NUMBER: Final = "+12025550142"
WEBHOOK_TOKEN: Final = "demo-webhook-token"
CONTACTS: Final = 300

_PEOPLE: Final = [
    ("owner", "demo-owner@example.org", "Olive", "Owner"),
    ("admin", "demo-admin@example.org", "Adam", "Admin"),
    ("sender", "demo-sender1@example.org", "Sasha", "Sender"),
    ("sender", "demo-sender2@example.org", "Tariq", "Texter"),
    ("sender", "demo-sender3@example.org", "Uma", "Unger"),
]
_FIRST: Final = ["Ana", "Ben", "Cleo", "Dev", "Eli", "Fay", "Gus", "Hana", "Ivan", "Jo", "Kai", "Lena"]
_LAST: Final = ["Lee", "Kim", "Ng", "Ortiz", "Patel", "Quinn", "Rossi", "Silva", "Tran", "Weber"]
_REPLIES: Final = ["Yes, I'll be there!", "Where is my polling place?", "Maybe, what time?", "Who is this?"]


def _lines(campaign_id: int) -> list[str]:
    lines = [f"demo organization '{ORG_NAME}', campaign {campaign_id}; every password is {DEMO_PASSWORD!r}"]
    lines += [f"  {role:<7} {email}" for role, email, _first, _last in _PEOPLE]
    lines.append(
        f"  inbound texts: POST /api/sms/inbound To={SENDING_NUMBER}, webhook token {WEBHOOK_TOKEN!r}"
    )
    lines.append(
        f"  or: shiftline sms inbound --to {SENDING_NUMBER} --from +12025551000 --body 'Yes!'"
        " (the practice campaign's contacts also answer by themselves)"
    )
    return lines


async def seed_demo(db: Database) -> list[str]:
    """Seed the demo data (idempotent) and return the lines to print."""
    async with db.session() as session:
        owner = await user_by_email(session, _PEOPLE[0][1])
        if owner is not None:
            campaign_id = await session.scalar(
                select(Campaign.id)
                .where(Campaign.organization_id == owner.organization_id)
                .order_by(Campaign.id)
                .limit(1)
            )
            return _lines(int(campaign_id or 0))
    hashed = await hash_password(DEMO_PASSWORD)
    async with db.transaction() as session:
        return _lines(await _seed(session, hashed))


async def _seed(session: AsyncSession, password_hash: str) -> int:
    org = await create_organization(session, ORG_NAME, number=SENDING_NUMBER, webhook_token=WEBHOOK_TOKEN)
    users = [
        await create_user(
            session,
            org.id,
            email=email,
            password_hash=password_hash,
            first_name=first,
            last_name=last,
            role=role,
        )
        for role, email, first, last in _PEOPLE
    ]
    owner = Actor.of(users[0])
    senders = [u.id for u in users if u.role == "sender"]
    view = await create_campaign(
        session,
        owner,
        title="Demo: Get out the vote",
        initial_message="Hi %ContactFirstName%, it's %SenderFirstName% with the Demo Organization. "
        "Can we count on you to vote on Tuesday?",
        follow_up_message="Just checking in, %ContactFirstName%: polls are open 7am to 8pm.",
        self_assign=True,
        practice=True,
        survey_questions=[
            QuestionSpec("Will you vote?", ("Yes", "No", "Maybe")),
            QuestionSpec("Needs a ride?", ("Yes", "No")),
        ],
    )
    org.opt_out_message = "You're unsubscribed from the Demo Organization. Reply START to resubscribe."
    campaign = view.campaign
    await add_senders(session, owner, campaign.id, senders)
    campaign.status = "active"
    await _conversations(session, org.id, campaign.id, senders)
    counts = await recount(session, campaign.id, repair=True)
    emit_counts(session, campaign.id, counts)
    return campaign.id


async def _conversations(session: AsyncSession, org_id: int, campaign_id: int, senders: list[int]) -> None:
    rng = random.Random(2026)
    # The last reply is answered about 137 minutes after the first text goes out
    # (300 texts 20 s apart, replies 5-35 min later, answers 2 min after): start
    # three hours ago so that every timestamp is in the past.
    started = utcnow() - timedelta(hours=3)
    contacts = [
        Contact(
            organization_id=org_id,
            campaign_id=campaign_id,
            first_name=rng.choice(_FIRST),
            last_name=rng.choice(_LAST),
            phone=f"+1202555{1000 + i:04d}",
            extra={"ward": str(1 + i % 8)},
        )
        for i in range(CONTACTS)
    ]
    session.add_all(contacts)
    await session.flush()
    # Each sender holds 80, at a different stage of their shift, so the
    # overview's sorts have something to show; the pool keeps 60.
    states = ("not_started", "sent", "needs_reply", "replied", "opted_out")
    mixes = [(30, 25, 10, 10, 5), (10, 40, 4, 20, 6), (45, 15, 15, 3, 2)]
    plan: list[tuple[int | None, str]] = []
    for sender, mix in zip(senders, mixes, strict=True):
        plan += [(sender, state) for state, n in zip(states, mix, strict=True) for _ in range(n)]
    plan += [(None, "not_started")] * 55 + [(None, "needs_reply")] * 5
    conversations = [
        Conversation(campaign_id=campaign_id, contact_id=contact.id, assigned_to=slot)
        for contact, (slot, _state) in zip(contacts, plan, strict=True)
    ]
    session.add_all(conversations)
    await session.flush()
    messages: list[Message] = []
    for n, (conversation, contact, (slot, state)) in enumerate(
        zip(conversations, contacts, plan, strict=True)
    ):
        if state == "not_started":
            continue
        sender_id = slot if slot is not None else senders[n % len(senders)]
        sent_at = started + timedelta(seconds=20 * n)
        messages.append(
            _message(org_id, conversation.id, "outbound", f"Hi {contact.first_name}!", sender_id, sent_at)
        )
        conversation.initial_sent_at = conversation.last_outbound_at = conversation.last_message_at = sent_at
        if state == "sent":
            continue
        replied_at = sent_at + timedelta(minutes=5 + n % 30)
        body = "STOP" if state == "opted_out" else rng.choice(_REPLIES)
        messages.append(_message(org_id, conversation.id, "inbound", body, None, replied_at))
        conversation.has_replied = True
        conversation.last_inbound_at = conversation.last_message_at = replied_at
        if state == "needs_reply":
            conversation.needs_reply = True
            conversation.needs_reply_since = replied_at
        elif state == "replied":
            answered_at = replied_at + timedelta(minutes=2)
            messages.append(
                _message(org_id, conversation.id, "outbound", "Thank you!", sender_id, answered_at)
            )
            conversation.last_outbound_at = conversation.last_message_at = answered_at
        else:
            conversation.opted_out = True
            session.add(
                OptOut(organization_id=org_id, phone=contact.phone, source="keyword", created_at=replied_at)
            )
    session.add_all(messages)
    await session.flush()


def _message(
    org_id: int, conversation_id: int, direction: str, body: str, sender_id: int | None, at: datetime
) -> Message:
    return Message(
        organization_id=org_id,
        conversation_id=conversation_id,
        direction=direction,
        body=body,
        sender_id=sender_id,
        delivery_status="delivered" if direction == "outbound" else "received",
        created_at=at,
    )
