"""Channel names and the Unassigned pool's encodings, in one place (pure).

Channels: ``campaign:{cid}`` (the campaign's sweepers), ``sender:{cid}:{uid}``
(that sender, or a sweeper) and ``inbox:{uid}`` (a user's inbox conversations:
that user, or a sweeper of the organization). The Unassigned pool is a *slot*: ``None`` in the API
and in events, ``"unassigned"`` where a slot is a JSON key or a query value, and
``0`` as the counters' row key (SQL cannot key a primary key on NULL). The
conversions live here and nowhere else; the pages get theirs from
``web/static/js/slots.js``, which a test holds to :func:`slot_key`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, TypeAlias

__all__ = [
    "UNASSIGNED",
    "UNASSIGNED_KEY",
    "ChannelName",
    "Slot",
    "campaign_channel",
    "inbox_channel",
    "parse_channel",
    "parse_slot_key",
    "sender_channel",
    "slot_key",
    "slot_of_row",
    "slot_row",
]

# A conversation's place: a sender's user id, or None for the Unassigned pool.
Slot: TypeAlias = int | None

UNASSIGNED: Final = 0
"""The Unassigned pool's key in the counters table."""

UNASSIGNED_KEY: Final = "unassigned"
"""The Unassigned pool as a JSON key (``per_target``) or a query value (``sender=``)."""


def campaign_channel(campaign_id: int) -> str:
    return f"campaign:{campaign_id}"


def sender_channel(campaign_id: int, user_id: int) -> str:
    return f"sender:{campaign_id}:{user_id}"


def inbox_channel(user_id: int) -> str:
    return f"inbox:{user_id}"


@dataclass(frozen=True, slots=True)
class ChannelName:
    """A parsed channel: ``campaign:{cid}`` (user_id None), ``sender:{cid}:{uid}``,
    or ``inbox:{uid}`` (campaign_id None)."""

    campaign_id: int | None
    user_id: int | None

    @property
    def is_inbox(self) -> bool:
        return self.campaign_id is None

    def __str__(self) -> str:
        if self.campaign_id is None:
            if self.user_id is None:
                raise ValueError("a channel names a campaign, a user, or both")
            return inbox_channel(self.user_id)
        if self.user_id is None:
            return campaign_channel(self.campaign_id)
        return sender_channel(self.campaign_id, self.user_id)


def _positive_int(text: str) -> int | None:
    # At most 18 digits: every such number fits a signed 64-bit id.
    if not text.isdigit() or not text.isascii() or len(text) > 18 or text.startswith("0"):
        return None
    return int(text)


def parse_channel(channel: str) -> ChannelName | None:
    """The channel ``channel`` names, or None when it is no channel of ours."""
    parts = channel.split(":")
    if len(parts) == 2 and parts[0] == "campaign":
        cid = _positive_int(parts[1])
        return None if cid is None else ChannelName(cid, None)
    if len(parts) == 2 and parts[0] == "inbox":
        uid = _positive_int(parts[1])
        return None if uid is None else ChannelName(None, uid)
    if len(parts) == 3 and parts[0] == "sender":
        cid, uid = _positive_int(parts[1]), _positive_int(parts[2])
        return None if cid is None or uid is None else ChannelName(cid, uid)
    return None


def slot_key(slot: Slot) -> str:
    """A slot as a JSON key: ``"unassigned"`` or the user id."""
    return UNASSIGNED_KEY if slot is None else str(slot)


def parse_slot_key(key: str) -> Slot:
    """The inverse of :func:`slot_key`; ValueError for anything else."""
    if key == UNASSIGNED_KEY:
        return None
    user_id = _positive_int(key)
    if user_id is None:
        raise ValueError(f"not a slot key: {key!r}")
    return user_id


def slot_row(slot: Slot) -> int:
    """A slot as the counters' row key."""
    return UNASSIGNED if slot is None else slot


def slot_of_row(row: int) -> Slot:
    """The inverse of :func:`slot_row`."""
    return None if row == UNASSIGNED else row
