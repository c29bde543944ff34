"""The inbox list's paging cursor (pure): where the previous page ended.

The inbox is newest first: conversations never texted (no
``last_message_at``) before all others, then by ``last_message_at`` and
``id``, both descending. A cursor names the last row of a page by those keys,
so the next page starts strictly after it (keyset paging: no row is skipped
or shown twice when new ones arrive meanwhile, and no OFFSET scan).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime

__all__ = ["InboxCursor", "decode_inbox_cursor", "encode_inbox_cursor"]

_ID_MAX = 2**63 - 1


@dataclass(frozen=True, slots=True)
class InboxCursor:
    """The keys of a page's last row."""

    last_message_at: datetime | None
    id: int


def encode_inbox_cursor(cursor: InboxCursor) -> str:
    moment = cursor.last_message_at.isoformat() if cursor.last_message_at else None
    raw = json.dumps({"t": moment, "id": cursor.id}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_inbox_cursor(text: str) -> InboxCursor:
    """The cursor ``encode_inbox_cursor`` wrote.

    Raises:
        ValueError: anything else (the caller says so to the person).
    """
    try:
        data = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        moment, ident = data["t"], data["id"]
        if set(data) != {"t", "id"}:
            raise ValueError("unexpected keys")
        if isinstance(ident, bool) or not isinstance(ident, int) or not 1 <= ident <= _ID_MAX:
            raise ValueError("bad id")
        if moment is None:
            return InboxCursor(None, ident)
        if not isinstance(moment, str):
            raise ValueError("bad time")
        parsed = datetime.fromisoformat(moment)
        if parsed.tzinfo is None:
            raise ValueError("naive time")
        return InboxCursor(parsed, ident)
    except (TypeError, KeyError, binascii.Error, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(str(exc)) from None
