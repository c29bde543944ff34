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

from persistence.outbox.notify import iso
from persistence.rules.phones import mask_phone
from persistence.rules.status import derive_status
from persistence.store.database import Database
from persistence.store.models import Contact, Conversation, Message, Organization
from persistence.store.scope import Actor, campaign_for, require_sweeper

__all__ = ["COLUMNS", "PAGE_SIZE", "authorize_export", "export_csv", "neutralize"]

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


# Spreadsheets run a cell that starts with one of these as a formula (CSV
# injection); the contract's list. defusedcsv's list differs (no tab or
# carriage return, and it rewrites '|'), so the rule is kept here.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralize(cell: Any) -> Any:
    """A text cell prefixed with ``'`` when a spreadsheet would run it; other cells as they are."""
    if isinstance(cell, str) and cell.startswith(_FORMULA_STARTS):
        return "'" + cell
    return cell


def _csv(rows: list[list[Any]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows([neutralize(cell) for cell in row] for row in rows)
    return buffer.getvalue()


async def export_csv(db: Database, campaign_id: int, *, redact: bool) -> AsyncIterator[str]:
    """Yield the CSV text page by page: a header, then one row per message
    (one row with empty message columns for a conversation without any).

    Reads plain rows, not ORM objects: on a million conversations the object
    bookkeeping would cost more than the queries. Cancel-safe: each page's
    session is closed before its text is yielded.
    """
    c, m = Conversation, Message
    yield _csv([list(COLUMNS)])
    after = 0
    while True:
        async with db.session() as session:
            page = (
                await session.execute(
                    select(
                        c.id,
                        Contact.first_name,
                        Contact.last_name,
                        Contact.phone,
                        c.assigned_to,
                        c.initial_sent_at.is_not(None),
                        c.has_replied,
                        c.needs_reply,
                        c.opted_out,
                    )
                    .join(Contact, Contact.id == c.contact_id)
                    .where(c.campaign_id == campaign_id, c.id > after)
                    .order_by(c.id)
                    .limit(PAGE_SIZE)
                )
            ).all()
            if not page:
                return
            ids = [row[0] for row in page]
            by_conversation: dict[int, list[Any]] = defaultdict(list)
            messages = await session.execute(
                select(
                    m.conversation_id,
                    m.id,
                    m.direction,
                    m.sender_id,
                    m.body,
                    m.media_urls,
                    m.delivery_status,
                    m.created_at,
                )
                # A range, not IN (...): one cached statement, one index range scan.
                .where(m.conversation_id >= ids[0], m.conversation_id <= ids[-1])
                .order_by(m.conversation_id, m.id)
            )
            wanted = set(ids)  # the range may hold other campaigns' conversations
            for row in messages:
                if row[0] in wanted:
                    by_conversation[row[0]].append(row)
        rows: list[list[Any]] = []
        for cid, first, last, phone, sender, started, replied, waiting, opted in page:
            status = derive_status(
                initial_sent=started, has_replied=replied, needs_reply=waiting, opted_out=opted
            )
            head = [
                cid,
                first,
                last,
                mask_phone(phone) if redact else phone,
                sender or "",
                status,
                _bool(opted),
            ]
            thread = by_conversation.get(cid)
            if not thread:
                rows.append([*head, "", "", "", "", "", "", ""])
                continue
            for _cid, mid, direction, author, body, media, delivery, created in thread:
                rows.append(
                    [
                        *head,
                        mid,
                        direction,
                        author or "",
                        body,
                        " ".join(media or []),
                        delivery or "",
                        iso(created),
                    ]
                )
        after = ids[-1]
        yield _csv(rows)


def _bool(value: bool) -> str:
    return "true" if value else "false"
