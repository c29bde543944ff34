"""The campaign export: every conversation with its messages, as CSV rows.

Pages through conversations by id (keyset), one short read session per page,
so memory stays flat and no transaction is held open on a million rows.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import select

from .database import Database
from .models import Contact, Conversation, Message, Organization
from .notify import iso
from .phones import mask_phone
from .scope import Actor, campaign_for, require_sweeper
from .status import derive_status

__all__ = ["COLUMNS", "PAGE_SIZE", "authorize_export", "export_csv"]

PAGE_SIZE = 500

COLUMNS = (
    "conversation_id",
    "contact_first_name",
    "contact_last_name",
    "contact_phone",
    "sender_id",
    "status",
    "opted_out",
    "message_id",
    "direction",
    "message_sender_id",
    "body",
    "media_urls",
    "delivery_status",
    "created_at",
)


async def authorize_export(db: Database, actor: Actor, campaign_id: int) -> bool:
    """Check the export may run (sweepers, own organization); return whether phones are masked."""
    require_sweeper(actor)
    async with db.session() as session:
        await campaign_for(session, actor, campaign_id)
        redact = await session.scalar(
            select(Organization.redact_phones).where(Organization.id == actor.organization_id)
        )
    return bool(redact)


def _csv(rows: list[list[Any]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


async def export_csv(db: Database, campaign_id: int, *, redact: bool) -> AsyncIterator[str]:
    """Yield the CSV text page by page: a header, then one row per message
    (one row with empty message columns for a conversation without any).

    Cancel-safe: each page's session is closed before its text is yielded.
    """
    yield _csv([list(COLUMNS)])
    after = 0
    while True:
        async with db.session() as session:
            page = (
                await session.execute(
                    select(Conversation, Contact.first_name, Contact.last_name, Contact.phone)
                    .join(Contact, Contact.id == Conversation.contact_id)
                    .where(Conversation.campaign_id == campaign_id, Conversation.id > after)
                    .order_by(Conversation.id)
                    .limit(PAGE_SIZE)
                )
            ).all()
            if not page:
                return
            ids = [row[0].id for row in page]
            by_conversation: dict[int, list[Message]] = defaultdict(list)
            for message in await session.scalars(
                select(Message)
                .where(Message.conversation_id.in_(ids))
                .order_by(Message.conversation_id, Message.id)
            ):
                by_conversation[message.conversation_id].append(message)
        rows: list[list[Any]] = []
        for conversation, first, last, phone in page:
            head = [
                conversation.id,
                first,
                last,
                mask_phone(phone) if redact else phone,
                conversation.assigned_to or "",
                derive_status(
                    initial_sent=conversation.initial_sent_at is not None,
                    has_replied=conversation.has_replied,
                    needs_reply=conversation.needs_reply,
                    opted_out=conversation.opted_out,
                ),
                "true" if conversation.opted_out else "false",
            ]
            messages = by_conversation.get(conversation.id) or []
            if not messages:
                rows.append([*head, "", "", "", "", "", "", ""])
            for m in messages:
                rows.append(
                    [
                        *head,
                        m.id,
                        m.direction,
                        m.sender_id or "",
                        m.body,
                        " ".join(m.media_urls or []),
                        m.delivery_status or "",
                        iso(m.created_at),
                    ]
                )
        after = ids[-1]
        yield _csv(rows)
