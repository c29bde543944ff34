"""The organization's consent message, sent before the first text to a phone.

With ``consent_required`` on and a ``consent_message`` set, the first inbox
text to a phone that has not had the consent message is preceded by it: the
consent text is written first, as its own queued automatic message (like the
opt-out message), so the send queue, which takes texts in id order, hands it
to the provider first. ``consents`` keeps when each phone of the organization
got it; the row is written in the same transaction, so two texts at once
send it once (the second insert finds the row).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from persistence.rules.segments import plain_punctuation
from persistence.store.models import Consent, Conversation, Message, Organization

__all__ = ["consent_sent_at", "queue_consent"]


async def consent_sent_at(session: AsyncSession, organization_id: int, phone: str) -> datetime | None:
    """When ``phone`` got the organization's consent message; None: never."""
    return await session.scalar(
        select(Consent.sent_at).where(Consent.organization_id == organization_id, Consent.phone == phone)
    )


async def queue_consent(
    session: AsyncSession, conversation: Conversation, organization_id: int, phone: str, *, now: datetime
) -> Message | None:
    """Queue the consent message in ``conversation`` if ``phone`` needs it; None otherwise.

    The caller writes its own text after this one and emits the ``message``
    event of the returned message.
    """
    org = await session.get_one(Organization, organization_id)
    if not org.consent_required or not (org.consent_message or "").strip():
        return None
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    claimed = await session.scalar(
        insert(Consent)
        .values(organization_id=organization_id, phone=phone, sent_at=now)
        .on_conflict_do_nothing(index_elements=[Consent.organization_id, Consent.phone])
        .returning(Consent.phone)
    )
    if claimed is None:  # the phone had it already
        return None
    text = org.consent_message or ""
    message = Message(
        organization_id=organization_id,
        conversation_id=conversation.id,
        direction="outbound",
        body=plain_punctuation(text) if org.plain_punctuation else text,
        media_urls=[],
        sender_id=None,
        automatic=True,
        delivery_status="queued",
        created_at=now,
    )
    session.add(message)
    await session.flush()
    return message
