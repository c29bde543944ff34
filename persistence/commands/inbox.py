"""Inbox conversations: starting (or reusing) one, archiving and bringing back.

An inbox conversation has no campaign: it belongs to the user in
``assigned_to`` and its contact is an address-book entry. A user has at most
one per entry (``uq_conversations_inbox``): starting a conversation with a
phone that user already talks to returns that conversation, brought back
from the archive if it was archived. Archiving works on campaign
conversations too: it hides a conversation from every list (search still
finds it) and a new inbound text brings it back; it changes no status and no
counter.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from persistence.commands.address_book import entry_for_phone, parse_phone
from persistence.outbox.notify import emit_conversation
from persistence.rules.errors import InvalidInput, NotFound
from persistence.store.models import Contact, Conversation, OptOut
from persistence.store.scope import Actor, conversation_for

__all__ = ["MAX_BULK", "set_archived", "set_archived_many", "start_conversation"]

MAX_BULK = 1000


async def start_conversation(
    session: AsyncSession, actor: Actor, *, phone: str | None = None, contact_id: int | None = None
) -> tuple[Conversation, bool]:
    """The caller's inbox conversation with a phone or an address-book contact, and whether it is new.

    Raises:
        InvalidInput: neither or both of ``phone`` and ``contact_id``; a phone that is not valid.
        NotFound: no such contact in the organization.
    """
    if (phone is None) == (contact_id is None):
        raise InvalidInput("Give either 'phone' or 'contact_id'.", code="invalid_input")
    if contact_id is not None:
        e164 = await session.scalar(
            select(Contact.phone).where(
                Contact.id == contact_id, Contact.organization_id == actor.organization_id
            )
        )
        if e164 is None:
            raise NotFound(f"No contact {contact_id}.")
    else:
        e164 = parse_phone(phone or "")
    entry = await entry_for_phone(session, actor.organization_id, e164)
    opted_out = await session.scalar(
        select(OptOut.phone).where(OptOut.organization_id == actor.organization_id, OptOut.phone == e164)
    )
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    # Two starts at once (two tabs) make one conversation: the second finds the first's row.
    new_id = await session.scalar(
        insert(Conversation)
        .values(
            campaign_id=None,
            contact_id=entry.id,
            assigned_to=actor.user_id,
            opted_out=opted_out is not None,
        )
        .on_conflict_do_nothing(
            index_elements=[Conversation.assigned_to, Conversation.contact_id],
            index_where=Conversation.campaign_id.is_(None),
        )
        .returning(Conversation.id)
    )
    conversation = (
        await session.scalars(
            select(Conversation)
            .where(
                Conversation.campaign_id.is_(None),
                Conversation.assigned_to == actor.user_id,
                Conversation.contact_id == entry.id,
            )
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).one()
    created = new_id is not None
    if created or conversation.archived:
        conversation.archived = False
        await session.flush()
        emit_conversation(session, conversation)
    return conversation, created


async def set_archived(
    session: AsyncSession, actor: Actor, conversation_id: int, archived: bool
) -> Conversation:
    """Archive (or bring back) one conversation the caller may act on."""
    conversation, _campaign = await conversation_for(session, actor, conversation_id, for_update=True)
    if conversation.archived != archived:
        conversation.archived = archived
        await session.flush()
        emit_conversation(session, conversation)
    return conversation


async def set_archived_many(
    session: AsyncSession, actor: Actor, conversation_ids: Sequence[int], archived: bool
) -> list[int]:
    """Archive several conversations at once, all or none: one the caller may not act on refuses the lot."""
    ids = sorted(set(conversation_ids))
    if not ids:
        raise InvalidInput("'conversation_ids' is empty.", code="invalid_input")
    if len(ids) > MAX_BULK:
        raise InvalidInput(f"At most {MAX_BULK} conversations at once.", code="invalid_input")
    changed = []
    for conversation_id in ids:  # id order: the same lock order as every other writer
        conversation, _campaign = await conversation_for(session, actor, conversation_id, for_update=True)
        if conversation.archived != archived:
            conversation.archived = archived
            changed.append(conversation)
    await session.flush()
    for conversation in changed:
        emit_conversation(session, conversation)
    return ids
