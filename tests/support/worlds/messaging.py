"""A campaign ready for texting, built by inserting rows directly.

The stories of the messaging tests start here: an organization with a sending
number and webhook token, an owner, senders, an active campaign and its
contacts (one conversation each), counters repaired from a recount.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from persistence.commands.accounts import create_organization, create_user
from persistence.store.counters import recount, stored_counts
from persistence.store.database import Database
from persistence.store.models import (
    Campaign,
    CampaignSender,
    Contact,
    Conversation,
    Event,
    SurveyQuestion,
)
from persistence.store.scope import Actor

from .accounts import password_hash, sync

__all__ = [
    "CONTACTS",
    "NUMBER",
    "TOKEN",
    "World",
    "add_campaign",
    "assert_counters_true",
    "build",
    "build_sync",
    "counters_true_sync",
    "events_of",
]

NUMBER = "+15005550006"
TOKEN = "webhook-token-of-texters-united"
TEMPLATE = (
    "Hi %ContactFirstName%, it's %SenderFirstName% %SenderLastName% with Texters United."
    " Can you vote Tuesday?"
)
FOLLOW_UP = "Hi %ContactFirstName%, just checking in: can we count on you Tuesday?"

CONTACTS: tuple[tuple[str, str, str], ...] = (
    ("Ada", "Lovelace", "+14155552671"),
    ("Grace", "Hopper", "+14155552672"),
    ("Alan", "Turing", "+14155552673"),
    ("Katherine", "Johnson", "+14155552674"),
    ("Edsger", "Dijkstra", "+14155552675"),
    ("Barbara", "Liskov", "+14155552676"),
)


@dataclass
class World:
    organization_id: int
    owner: Actor
    senders: dict[str, Actor]
    campaign_id: int
    conversations: list[int]
    phones: list[str]
    emails: dict[str, str] = field(default_factory=dict)


async def add_campaign(
    db: Database,
    world: World,
    *,
    contacts: Sequence[tuple[str, str, str]] = CONTACTS,
    senders: Sequence[str] | None = None,
    assign: Sequence[str | None] | None = None,
    status: str = "active",
    initial_message: str = TEMPLATE,
    follow_up_message: str | None = FOLLOW_UP,
    window: tuple[datetime | None, datetime | None] = (None, None),
    questions: Sequence[tuple[str, list[str]]] = (),
) -> tuple[int, list[int]]:
    """Another campaign in the world's organization; returns (campaign id, conversation ids).

    ``assign[i]`` names the sender of the i-th contact (None: Unassigned).
    """
    names = list(world.senders) if senders is None else list(senders)
    async with db.transaction() as session:
        campaign = Campaign(
            organization_id=world.organization_id,
            title="Get out the vote",
            initial_message=initial_message,
            follow_up_message=follow_up_message,
            status=status,
            window_start=window[0],
            window_end=window[1],
        )
        session.add(campaign)
        await session.flush()
        for name in names:
            session.add(CampaignSender(campaign_id=campaign.id, user_id=world.senders[name].user_id))
        for position, (text, answers) in enumerate(questions):
            session.add(
                SurveyQuestion(campaign_id=campaign.id, position=position, text=text, answers=answers)
            )
        ids: list[int] = []
        for i, (first, last, phone) in enumerate(contacts):
            contact = Contact(
                organization_id=world.organization_id,
                campaign_id=campaign.id,
                first_name=first,
                last_name=last,
                phone=phone,
                extra={},
            )
            session.add(contact)
            await session.flush()
            owner = assign[i] if assign is not None and i < len(assign) else None
            conversation = Conversation(
                campaign_id=campaign.id,
                contact_id=contact.id,
                assigned_to=world.senders[owner].user_id if owner else None,
            )
            session.add(conversation)
            await session.flush()
            ids.append(conversation.id)
        await recount(session, campaign.id, repair=True)
        return campaign.id, ids


async def build(
    db: Database,
    *,
    name: str = "Texters United",
    domain: str = "example.org",
    number: str | None = NUMBER,
    webhook_token: str | None = TOKEN,
    sender_names: Sequence[tuple[str, str]] = (("Sam", "Sender"), ("Sue", "Sender")),
    **campaign: Any,
) -> World:
    """An organization (owner ``owner@<domain>``, senders ``<first>@<domain>``) and one campaign."""
    hashed = await password_hash()
    async with db.transaction() as session:
        org = await create_organization(session, name, number=number, webhook_token=webhook_token)
        owner = await create_user(
            session,
            org.id,
            email=f"owner@{domain}",
            password_hash=hashed,
            first_name="Olive",
            last_name="Owner",
            role="owner",
        )
        emails = {"owner": f"owner@{domain}"}
        senders: dict[str, Actor] = {}
        for first, last in sender_names:
            email = f"{first.lower()}@{domain}"
            user = await create_user(
                session,
                org.id,
                email=email,
                password_hash=hashed,
                first_name=first,
                last_name=last,
                role="sender",
            )
            senders[first] = Actor.of(user)
            emails[first] = email
        world = World(org.id, Actor.of(owner), senders, 0, [], [], emails)
    campaign_id, ids = await add_campaign(db, world, **campaign)
    world.campaign_id = campaign_id
    world.conversations = ids
    contacts = campaign.get("contacts", CONTACTS)
    world.phones = [phone for _f, _l, phone in contacts]
    return world


def build_sync(database_url: str, **kwargs: Any) -> World:
    """:func:`build` for synchronous (TestClient) tests."""
    return sync(database_url, lambda db: build(db, **kwargs))


async def assert_counters_true(db: Database, campaign_id: int) -> None:
    """The stored counters equal a recount from scratch (zero rows ignored)."""
    async with db.session() as session:
        truth = await recount(session, campaign_id)
        stored = await stored_counts(session, campaign_id)
    stored = {slot: counts for slot, counts in stored.items() if not counts.is_zero()}
    truth = {slot: counts for slot, counts in truth.items() if not counts.is_zero()}
    assert stored == truth


def counters_true_sync(database_url: str, *campaign_ids: int) -> None:
    async def check(db: Database) -> None:
        for cid in campaign_ids:
            await assert_counters_true(db, cid)

    sync(database_url, check)


async def events_of(db: Database, channel: str) -> list[tuple[str, dict[str, object]]]:
    """(kind, data) of every event written on ``channel``, in seq order."""
    async with db.session() as session:
        rows = await session.execute(
            select(Event.kind, Event.data).where(Event.channel == channel).order_by(Event.seq)
        )
        return [(kind, data) for kind, data in rows]
