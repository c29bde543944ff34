"""A campaign as its pages see it, and the ``campaign`` event that carries it live.

The event's ``data`` is exactly what ``GET /api/campaigns/{cid}`` answers, so a
page applies it the way it applies a fresh read. It goes to the campaign's
sweepers (``campaign:{cid}``) and to every sender of the campaign
(``sender:{cid}:{uid}``), in the transaction that changed the campaign.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from persistence.outbox.notify import iso
from persistence.outbox.record import emit
from persistence.rules.channels import campaign_channel, sender_channel
from persistence.rules.segments import template_segments
from persistence.store.models import Campaign, CampaignSender, SurveyQuestion

__all__ = ["campaign_data", "emit_campaign"]


def campaign_data(
    campaign: Campaign, questions: Sequence[SurveyQuestion], contact_count: int, *, plain: bool = False
) -> dict[str, Any]:
    """The campaign's JSON form (the API's answer and the ``campaign`` event's data).

    ``plain``: the organization sends with plain punctuation (the segment count follows).
    """
    window = None
    if campaign.window_start is not None and campaign.window_end is not None:
        window = {"start": iso(campaign.window_start), "end": iso(campaign.window_end)}
    return {
        "id": campaign.id,
        "title": campaign.title,
        "status": campaign.status,
        "messages": {"initial": campaign.initial_message, "follow_up": campaign.follow_up_message},
        "initial_message": campaign.initial_message,
        "follow_up_message": campaign.follow_up_message,
        "self_assign": campaign.self_assign,
        "waiting_alert_minutes": campaign.waiting_alert_minutes,
        "auto_rebalance_after_minutes": campaign.auto_rebalance_after_minutes,
        "sending_window": window,
        "texting_hours": campaign.texting_hours,
        "practice": campaign.practice,
        "segments": template_segments(campaign.initial_message, plain=plain),
        "survey_questions": [{"id": q.id, "text": q.text, "answers": list(q.answers)} for q in questions],
        "contact_count": contact_count,
        "created_at": iso(campaign.created_at),
    }


async def emit_campaign(session: AsyncSession, campaign_id: int, data: dict[str, Any]) -> None:
    """Queue the ``campaign`` event for the campaign's sweepers and each of its senders."""
    emit(session, campaign_channel(campaign_id), "campaign", data)
    senders = await session.scalars(
        select(CampaignSender.user_id)
        .where(CampaignSender.campaign_id == campaign_id)
        .order_by(CampaignSender.user_id)
    )
    for user_id in senders:
        emit(session, sender_channel(campaign_id, user_id), "campaign", data)
