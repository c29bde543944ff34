"""Exporting one conversation's messages between two moments, as CSV or HTML.

At most seven days at once (``persistence/rules/export_range.py``), so one
read holds it. CSV cells are neutralized like the campaign export's; every
text in the HTML page is escaped, so a message can never become markup.
"""

from __future__ import annotations

import csv
import html
import io
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from persistence.outbox.notify import iso
from persistence.queries.export import neutralize
from persistence.rules.phones import mask_phone
from persistence.store.models import Contact, Message, Organization
from persistence.store.scope import Actor, conversation_for

__all__ = ["COLUMNS", "ConversationExport", "export_conversation"]

COLUMNS = ("message_id", "created_at", "direction", "from", "to", "body", "media_urls", "delivery_status")


class ConversationExport:
    """The messages of one conversation in a range, ready to render."""

    def __init__(self, conversation_id: int, contact: dict[str, str], rows: list[dict[str, Any]]) -> None:
        self.conversation_id = conversation_id
        self.contact = contact
        self.rows = rows

    def csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        for row in self.rows:
            writer.writerow([neutralize(row[column]) for column in COLUMNS])
        return out.getvalue()

    def html(self) -> str:
        e = html.escape
        name = f"{self.contact['first_name']} {self.contact['last_name']}".strip() or self.contact["phone"]
        items = "\n".join(
            f'<li class="{e(r["direction"])}"><time>{e(r["created_at"] or "")}</time> '
            f"<b>{e(r['from'])}</b>: {e(r['body'])}"
            + "".join(f' <a href="{e(u)}">{e(u)}</a>' for u in r["media_urls"].split(" ") if u)
            + "</li>"
            for r in self.rows
        )
        return (
            '<!doctype html>\n<html><head><meta charset="utf-8">'
            f"<title>Conversation with {e(name)}</title></head>\n<body>\n"
            f"<h1>Conversation with {e(name)} ({e(self.contact['phone'])})</h1>\n"
            f"<ol>\n{items}\n</ol>\n</body></html>\n"
        )


async def export_conversation(
    session: AsyncSession, actor: Actor, conversation_id: int, start: datetime, end: datetime
) -> ConversationExport:
    """The conversation's messages (notes included) created from ``start`` to ``end``, oldest first."""
    conversation, _campaign = await conversation_for(session, actor, conversation_id)
    contact = await session.get_one(Contact, conversation.contact_id)
    redact = await session.scalar(
        select(Organization.redact_phones).where(Organization.id == actor.organization_id)
    )
    phone = mask_phone(contact.phone) if redact else contact.phone
    messages = await session.scalars(
        select(Message)
        .where(
            Message.conversation_id == conversation.id, Message.created_at >= start, Message.created_at <= end
        )
        .order_by(Message.id)
    )
    rows = [
        {
            "message_id": m.id,
            "created_at": iso(m.created_at),
            "direction": m.direction,
            "from": phone if m.direction == "inbound" else "us",
            "to": "us" if m.direction == "inbound" else phone,
            "body": m.body,
            "media_urls": " ".join(m.media_urls or []),
            "delivery_status": m.delivery_status or "",
        }
        for m in messages
    ]
    names = {"first_name": contact.first_name, "last_name": contact.last_name, "phone": phone}
    return ConversationExport(conversation.id, names, rows)
