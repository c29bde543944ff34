"""The Messengers' tabs: which conversations each one holds, and how many.

One filter per tab, used both by the lists (``queries.conversations``) and by
the counts the tab strip shows, so a count never disagrees with its list.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, false, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from persistence.rules.campaign import window_state
from persistence.rules.channels import UNASSIGNED_KEY
from persistence.rules.errors import PermissionDenied
from persistence.store.list_keys import follow_ups, listed, opted_out, responses
from persistence.store.models import Campaign, Conversation
from persistence.store.scope import Actor, campaign_for
from persistence.store.types import utcnow

__all__ = ["TAB_NAMES", "tab_counts", "tab_filter"]

TAB_NAMES = ("initial", "responses", "follow_ups", "opt_outs")


def tab_filter(tab: str | None, campaign: Campaign, now: datetime) -> ColumnElement[bool]:
    """The conversations of ``tab`` (None: every listed conversation) at ``now``."""
    c = Conversation
    if tab == "initial":
        if window_state(campaign.window_start, campaign.window_end, now) == "passed":
            return false()
        return and_(c.initial_sent_at.is_(None), ~c.opted_out)
    if tab == "responses":
        return responses(c)
    if tab == "follow_ups":
        if not (campaign.follow_up_message or "").strip():
            return false()
        # Sent, never answered, follow-up not yet sent: once it goes out the row leaves the tab.
        return follow_ups(c)
    if tab == "opt_outs":
        return opted_out(c)
    return listed(c)


async def tab_counts(
    session: AsyncSession, actor: Actor, campaign_id: int, sender: int | str | None = None
) -> dict[str, Any]:
    """How many conversations each tab of ``sender``'s Messenger holds (a sender: their own).

    ``sender`` is a user id, ``"unassigned"``, or None for the whole campaign.
    The answer also says whether the Initial Messages tab is shown at all: not
    when it is empty, nor once the sending window has passed.
    """
    campaign = await campaign_for(session, actor, campaign_id)
    if not actor.is_sweeper:
        if sender not in (None, actor.user_id):
            raise PermissionDenied("Senders may only count their own conversations.")
        sender = actor.user_id
    now = utcnow()
    c = Conversation
    # Archived conversations leave the lists, so they leave the counts.
    where: list[ColumnElement[bool]] = [c.campaign_id == campaign.id, ~c.archived]
    if sender == UNASSIGNED_KEY:
        where.append(c.assigned_to.is_(None))
    elif sender is not None:
        where.append(c.assigned_to == sender)
    columns = [
        func.coalesce(func.sum(case((tab_filter(tab, campaign, now), 1), else_=0)), 0).label(tab)
        for tab in TAB_NAMES
    ]
    row = (await session.execute(select(*columns).where(*where))).one()
    counts = {tab: int(row[i]) for i, tab in enumerate(TAB_NAMES)}
    passed = window_state(campaign.window_start, campaign.window_end, now) == "passed"
    return {"counts": counts, "initial_tab": counts["initial"] > 0 and not passed}
