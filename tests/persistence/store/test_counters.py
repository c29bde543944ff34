"""The stored per-sender counters agree with a recount from the conversations."""

from __future__ import annotations

from typing import Any

from persistence.rules.channels import UNASSIGNED
from persistence.rules.status import Counts
from persistence.store.counters import apply_deltas, recount, stored_counts
from persistence.store.database import Database
from persistence.store.models import Campaign, Contact, Conversation, Organization, User
from persistence.store.types import utcnow


async def _campaign_with_conversations(db: Database) -> tuple[int, int]:
    async with db.transaction() as session:
        org = Organization(name="Org")
        session.add(org)
        await session.flush()
        sam = User(
            organization_id=org.id,
            email="sam@example.org",
            password_hash="x",
            first_name="Sam",
            last_name="S",
            role="sender",
        )
        campaign = Campaign(organization_id=org.id, title="GOTV", initial_message="Hi", status="active")
        session.add_all([sam, campaign])
        await session.flush()
        states: list[dict[str, Any]] = [
            {},  # not started, unassigned
            {"assigned_to": sam.id},  # not started
            {"assigned_to": sam.id, "initial_sent_at": utcnow()},  # sent
            {"assigned_to": sam.id, "initial_sent_at": utcnow(), "has_replied": True, "needs_reply": True},
            {"assigned_to": sam.id, "initial_sent_at": utcnow(), "has_replied": True, "opted_out": True},
        ]
        for i, state in enumerate(states):
            contact = Contact(organization_id=org.id, campaign_id=campaign.id, phone=f"+1415555{i:04d}")
            session.add(contact)
            await session.flush()
            session.add(Conversation(campaign_id=campaign.id, contact_id=contact.id, **state))
        return campaign.id, sam.id


async def test_a_recount_sees_every_status_in_its_slot(db: Database) -> None:
    campaign_id, sam = await _campaign_with_conversations(db)
    async with db.session() as session:
        truth = await recount(session, campaign_id)
    assert truth == {
        UNASSIGNED: Counts(assigned=1, not_started=1),
        sam: Counts(assigned=4, not_started=1, sent=3, needs_reply=1, opted_out=1),
    }


async def test_repair_stores_the_recount_and_deltas_add_up(db: Database) -> None:
    campaign_id, sam = await _campaign_with_conversations(db)
    async with db.transaction() as session:
        truth = await recount(session, campaign_id, repair=True)
    async with db.transaction() as session:
        await apply_deltas(
            session,
            campaign_id,
            {sam: Counts(assigned=-1, not_started=-1), UNASSIGNED: Counts(assigned=1, not_started=1)},
        )
    async with db.session() as session:
        stored = await stored_counts(session, campaign_id)
    assert stored[UNASSIGNED] == truth[UNASSIGNED] + Counts(assigned=1, not_started=1)
    assert stored[sam] == truth[sam] - Counts(assigned=1, not_started=1)
