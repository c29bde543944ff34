"""Campaigns full of conversations in chosen states, for the sweeping stories.

Rows are inserted directly (one bulk INSERT per table) and the counters are
then repaired from a recount, so a story can start from "Ana has 3 waiting
replies and 2 not started" in one line. The status columns are set the way
the sending, receiving and opt-out commands set them (see persistence/rules/status.py).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import insert, select

from persistence.store.counters import recount
from persistence.store.database import Database
from persistence.store.models import Campaign, CampaignSender, Contact, Conversation, Organization, User

from .accounts import password_hash, sync

__all__ = [
    "BASE_TIME",
    "State",
    "SweepWorld",
    "add_conversations",
    "add_sender",
    "build_world",
    "build_world_sync",
    "conversation_columns",
    "snapshot",
]

State = Literal["not_started", "sent", "needs_reply", "replied", "opted_out", "opted_out_waiting"]
BASE_TIME = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)
_phones = itertools.count(1)


def conversation_columns(state: State, minute: int) -> dict[str, Any]:
    """Status columns consistent with ``state``; ``minute`` orders needs-reply waits."""
    at = BASE_TIME + timedelta(minutes=minute)
    if state == "not_started":
        return {}
    sent = {"initial_sent_at": at, "last_outbound_at": at, "last_message_at": at}
    if state == "sent":
        return sent
    replied = {**sent, "has_replied": True, "last_inbound_at": at, "last_message_at": at}
    if state == "needs_reply":
        return {**replied, "needs_reply": True, "needs_reply_since": at}
    if state == "replied":
        return {**replied, "last_outbound_at": at + timedelta(seconds=30)}
    if state == "opted_out":  # a contact who texted STOP
        return {**replied, "opted_out": True}
    # Opted out by hand while their reply was waiting: still not needing a reply.
    return {**replied, "needs_reply": True, "needs_reply_since": at, "opted_out": True}


@dataclass
class SweepWorld:
    organization_id: int
    campaign_id: int
    owner_id: int
    # First name -> user id.
    senders: dict[str, int] = field(default_factory=dict)


async def add_sender(
    db: Database, world: SweepWorld, first_name: str, last_name: str = "Sender", *, member: bool = True
) -> int:
    """A sender of the world's organization: ``<first>.<campaign id>@example.org``, PASSWORD."""
    async with db.transaction() as session:
        user = User(
            organization_id=world.organization_id,
            email=f"{first_name.lower()}.{world.campaign_id}@example.org",
            password_hash=await password_hash(),
            first_name=first_name,
            last_name=last_name,
            role="sender",
        )
        session.add(user)
        await session.flush()
        if member:
            session.add(CampaignSender(campaign_id=world.campaign_id, user_id=user.id))
        world.senders[first_name] = user.id
        return user.id


async def add_conversations(
    db: Database,
    world: SweepWorld,
    count: int,
    *,
    state: State = "not_started",
    assigned_to: int | None = None,
    first_minute: int = 0,
) -> list[int]:
    """``count`` new contacts in ``state``, uploaded in order; their conversation ids."""
    async with db.transaction() as session:
        contacts = [
            {
                "organization_id": world.organization_id,
                "campaign_id": world.campaign_id,
                "first_name": f"Contact{n}",
                "last_name": "Voter",
                "phone": f"+1202555{n:04d}",
                "extra": {},
            }
            for n in (next(_phones) % 10_000 for _ in range(count))
        ]
        contact_ids = list(await session.scalars(insert(Contact).returning(Contact.id), contacts))
        rows = [
            {
                "campaign_id": world.campaign_id,
                "contact_id": contact_id,
                "assigned_to": assigned_to,
                **conversation_columns(state, first_minute + i),
            }
            for i, contact_id in enumerate(sorted(contact_ids))
        ]
        ids = list(await session.scalars(insert(Conversation).returning(Conversation.id), rows))
        await recount(session, world.campaign_id, repair=True)
        return sorted(ids)


async def build_world(
    db: Database,
    *,
    organization_id: int | None = None,
    senders: Sequence[str] = (),
    self_assign: bool = False,
    status: str = "active",
) -> SweepWorld:
    """A campaign (in a new organization unless one is given) with these senders."""
    async with db.transaction() as session:
        if organization_id is None:
            org = Organization(name="Sweepers United")
            session.add(org)
            await session.flush()
            organization_id = org.id
            # An owner to act as: what they do is written to the audit log, which names real users.
            session.add(
                User(
                    organization_id=org.id,
                    email=f"owner.{org.id}@sweepers.example.org",
                    password_hash="!",  # no password logs in
                    first_name="Sweep",
                    last_name="Owner",
                    role="owner",
                )
            )
            await session.flush()
        owner_id = await session.scalar(
            select(User.id).where(User.organization_id == organization_id, User.role == "owner")
        )
        campaign = Campaign(
            organization_id=organization_id,
            title="Get out the vote",
            initial_message="Hi %ContactFirstName%, it's %SenderFirstName%!",
            self_assign=self_assign,
            status=status,
        )
        session.add(campaign)
        await session.flush()
        world = SweepWorld(organization_id, campaign.id, owner_id or 0)
    for name in senders:
        await add_sender(db, world, name)
    return world


def build_world_sync(database_url: str, organization_id: int, **kwargs: Any) -> SweepWorld:
    """:func:`build_world` for synchronous (TestClient) tests."""
    return sync(database_url, lambda db: build_world(db, organization_id=organization_id, **kwargs))


async def snapshot(db: Database, campaign_id: int) -> dict[int, int | None]:
    """Conversation id -> assigned sender (None: the pool)."""
    async with db.session() as session:
        rows = await session.execute(
            select(Conversation.id, Conversation.assigned_to).where(Conversation.campaign_id == campaign_id)
        )
        return {int(r[0]): r[1] for r in rows}
