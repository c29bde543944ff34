"""The campaign overview: totals and one row per sender, read from the counters.

Two small queries whatever the campaign's size: the campaign totals and the
Unassigned row from ``conversation_counts`` (one row per slot), and the
senders of the campaign left-joined to their counter rows (so a sender with no
conversation still appears, with zeros). Conversations are never counted here.

The shift columns take two grouped queries more, never one per row: the
oldest waiting reply of each slot (the partial ``ix_conversations_waiting``
holds only the waiting rows of a slot, their wait in order), and each sender's
last send and sends of the last ten minutes (read per sender, newest first,
from ``ix_messages_sender_recent``: see :func:`pace_query`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import Select, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from persistence.rules.channels import UNASSIGNED
from persistence.store.list_keys import waiting_rows
from persistence.store.models import CampaignSender, Conversation, ConversationCount, Message, User
from persistence.store.scope import Actor, campaign_for, require_sweeper
from persistence.store.types import utcnow

__all__ = [
    "MAX_SEARCH",
    "RECENT",
    "SORTS",
    "Overview",
    "OverviewQuery",
    "SenderRow",
    "Sort",
    "oldest_waiting_query",
    "overview",
    "pace_query",
]

Sort = Literal["sender", "progress", "needs_reply"]
SORTS: tuple[Sort, ...] = ("sender", "progress", "needs_reply")
MAX_SEARCH = 200
# "Sent in the last 10 minutes": the window of a sender's recent pace.
RECENT = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class OverviewQuery:
    search: str | None = None
    sort: Sort = "sender"
    descending: bool = False


@dataclass(frozen=True, slots=True)
class SenderRow:
    user_id: int | None
    first_name: str
    last_name: str
    assigned: int
    sent: int
    needs_reply: int
    oldest_needs_reply_at: datetime | None = None
    # The sender's last send in this campaign (None for the Unassigned row).
    last_action_at: datetime | None = None
    sent_last_10_min: int = 0

    def to_json(self, online: bool) -> dict[str, Any]:
        return {
            "user_id": self.user_id,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "online": online,
            "assigned": self.assigned,
            "sent": self.sent,
            "needs_reply": self.needs_reply,
            "oldest_needs_reply_at": _iso(self.oldest_needs_reply_at),
            "last_action_at": _iso(self.last_action_at),
            "sent_last_10_min": self.sent_last_10_min,
        }


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


@dataclass(frozen=True, slots=True)
class Overview:
    total: int
    not_started: int
    needs_reply: int
    # The Unassigned row first, then the senders in the asked order.
    senders: list[SenderRow]
    # Texts the carriers filtered as spam (error 30007).
    carrier_filtered: int = 0
    # The campaign's longest-waiting reply, and when a wait counts as too long.
    oldest_needs_reply_at: datetime | None = None
    waiting_alert_minutes: int = 10

    def to_json(self, online: set[int]) -> dict[str, Any]:
        return {
            "total": self.total,
            "not_started": self.not_started,
            "needs_reply": self.needs_reply,
            "carrier_filtered": self.carrier_filtered,
            "oldest_needs_reply_at": _iso(self.oldest_needs_reply_at),
            "waiting_alert_minutes": self.waiting_alert_minutes,
            "senders": [row.to_json(row.user_id in online) for row in self.senders],
        }


def _like_pattern(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def overview(session: AsyncSession, actor: Actor, campaign_id: int, query: OverviewQuery) -> Overview:
    """The overview of a campaign, for sweepers.

    ``search`` keeps the senders whose "first last" name holds it (any case);
    the Unassigned row is always there, and always first.

    Raises:
        PermissionDenied: the actor is a sender.
        NotFound: no such campaign in the actor's organization.
    """
    require_sweeper(actor)
    campaign = await campaign_for(session, actor, campaign_id)
    cc = ConversationCount
    totals = (
        await session.execute(
            select(
                func.coalesce(func.sum(cc.assigned), 0),
                func.coalesce(func.sum(cc.not_started), 0),
                func.coalesce(func.sum(cc.needs_reply), 0),
                func.coalesce(func.sum(case((cc.slot == UNASSIGNED, cc.assigned), else_=0)), 0),
                func.coalesce(func.sum(case((cc.slot == UNASSIGNED, cc.sent), else_=0)), 0),
                func.coalesce(func.sum(case((cc.slot == UNASSIGNED, cc.needs_reply), else_=0)), 0),
            ).where(cc.campaign_id == campaign_id)
        )
    ).one()
    total, not_started, needs_reply, pool_assigned, pool_sent, pool_needs = (int(v) for v in totals)
    rows = [SenderRow(None, "Unassigned", "", pool_assigned, pool_sent, pool_needs)]
    rows.extend(await _sender_rows(session, campaign_id, query))
    oldest = await _oldest_waiting(session, campaign_id)
    pace = await _pace(session, campaign_id)
    rows = [
        replace(
            row,
            oldest_needs_reply_at=oldest.get(row.user_id),
            last_action_at=pace.get(row.user_id, (None, 0))[0],
            sent_last_10_min=pace.get(row.user_id, (None, 0))[1],
        )
        for row in rows
    ]
    return Overview(
        total,
        not_started,
        needs_reply,
        rows,
        campaign.carrier_filtered,
        min(oldest.values(), default=None),
        campaign.waiting_alert_minutes,
    )


def oldest_waiting_query(campaign_id: int) -> Select[int | None, datetime | None]:
    """Each slot's longest-waiting reply (``None``: the pool), as one grouped query.

    Written with ``waiting_rows`` so the partial ``ix_conversations_waiting``
    serves it: a few rows per slot, not the whole campaign.
    """
    c = Conversation
    return (
        select(c.assigned_to, func.min(c.needs_reply_since))
        .where(c.campaign_id == campaign_id, waiting_rows(c), c.needs_reply_since.is_not(None))
        .group_by(c.assigned_to)
    )


async def _oldest_waiting(session: AsyncSession, campaign_id: int) -> dict[int | None, datetime]:
    rows = (await session.execute(oldest_waiting_query(campaign_id))).all()
    return {slot: at for slot, at in rows if at is not None}


def pace_query(campaign_id: int, since: datetime) -> Select[Any]:
    """Each sender's last send in the campaign and their sends since ``since``.

    Read per sender from ``ix_messages_sender_recent`` (sender, time), in the
    range since ``since``; only a sender with no send in it has their older
    messages read, for the last one. So the overview's cost follows the last
    minutes' pace, not the shift's length (grouping every message of the
    campaign's senders took seconds an hour into a busy shift).
    """
    m, c, cs = Message, Conversation, CampaignSender

    def sends(what: Any, *since_when: ColumnElement[bool]) -> Any:
        return (
            select(what)
            .select_from(m)
            .join(c, c.id == m.conversation_id)
            .where(
                m.sender_id == cs.user_id,
                *since_when,
                m.direction == "outbound",
                c.campaign_id == campaign_id,
            )
            .scalar_subquery()
        )

    recent = m.created_at >= since
    # COALESCE reads its second subquery only for a sender the first found nothing for.
    last = func.coalesce(sends(func.max(m.created_at), recent), sends(func.max(m.created_at)))
    return select(cs.user_id, last, sends(func.count(), recent)).where(cs.campaign_id == campaign_id)


async def _pace(session: AsyncSession, campaign_id: int) -> dict[int | None, tuple[datetime | None, int]]:
    """Each sender's last send in the campaign and their sends of the last ten minutes."""
    result = await session.execute(pace_query(campaign_id, utcnow() - RECENT))
    return {int(uid): (last, int(recent)) for uid, last, recent in result.all() if last is not None}


async def _sender_rows(session: AsyncSession, campaign_id: int, query: OverviewQuery) -> list[SenderRow]:
    cc, u, cs = ConversationCount, User, CampaignSender
    assigned = func.coalesce(cc.assigned, 0)
    sent = func.coalesce(cc.sent, 0)
    needs = func.coalesce(cc.needs_reply, 0)
    first, last = func.lower(u.first_name), func.lower(u.last_name)
    names: list[ColumnElement[Any]] = [first, last, u.id.expression]
    keys: list[ColumnElement[Any]]
    if query.sort == "progress":
        keys = [assigned, sent]
    elif query.sort == "needs_reply":
        keys = [needs]
    else:
        keys = names
    ordering = [k.desc() if query.descending else k.asc() for k in keys]
    if keys is not names:
        # Ties: A to Z by name, then id, so the order is total and stable.
        ordering += [k.asc() for k in names]
    stmt = (
        select(u.id, u.first_name, u.last_name, assigned, sent, needs)
        .select_from(cs)
        .join(u, u.id == cs.user_id)
        .outerjoin(cc, (cc.campaign_id == cs.campaign_id) & (cc.slot == cs.user_id))
        .where(cs.campaign_id == campaign_id)
        .order_by(*ordering)
    )
    if query.search is not None:
        full_name = func.lower(u.first_name + " " + u.last_name)
        stmt = stmt.where(full_name.like(_like_pattern(query.search), escape="\\"))
    result = await session.execute(stmt)
    return [SenderRow(int(r[0]), r[1], r[2], int(r[3]), int(r[4]), int(r[5])) for r in result]
