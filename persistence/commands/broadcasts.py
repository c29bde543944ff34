"""Broadcasts: one message from a sweeper to every sender of a campaign, acknowledged.

A broadcast is a row and a ``broadcast`` event on every sender channel of the
campaign (and the campaign channel, for the other sweepers); a sender's "Got
it" is a row and a ``broadcast_ack`` event on the campaign channel. A sender
who connects later reads the broadcasts they have not acknowledged from
:func:`list_broadcasts`, so none is lost to a closed tab.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from persistence.outbox.notify import iso
from persistence.outbox.record import emit
from persistence.rules.channels import campaign_channel, sender_channel
from persistence.rules.errors import NotFound, PermissionDenied
from persistence.store.models import Broadcast, BroadcastAck, CampaignSender, User
from persistence.store.scope import Actor, campaign_for, require_sweeper

__all__ = ["MAX_BODY", "acknowledge", "list_broadcasts", "post_broadcast"]

MAX_BODY: Final = 1000


def _person(user: User) -> dict[str, Any]:
    return {"id": user.id, "first_name": user.first_name, "last_name": user.last_name}


async def post_broadcast(session: AsyncSession, actor: Actor, campaign_id: int, body: str) -> dict[str, Any]:
    """Send ``body`` to every sender of the campaign; the broadcast as JSON.

    Raises:
        PermissionDenied: the actor is a sender.
        NotFound: no such campaign in the actor's organization.
    """
    require_sweeper(actor)
    await campaign_for(session, actor, campaign_id)
    author = await session.get_one(User, actor.user_id)
    broadcast = Broadcast(campaign_id=campaign_id, author_id=actor.user_id, body=body)
    session.add(broadcast)
    await session.flush()
    data = {"id": broadcast.id, "body": body, "from": _person(author)}
    senders = await session.scalars(
        select(CampaignSender.user_id)
        .where(CampaignSender.campaign_id == campaign_id)
        .order_by(CampaignSender.user_id)
    )
    for user_id in senders:
        emit(session, sender_channel(campaign_id, user_id), "broadcast", data)
    emit(session, campaign_channel(campaign_id), "broadcast", data)
    return {**data, "created_at": iso(broadcast.created_at), "acknowledged_by": []}


async def acknowledge(session: AsyncSession, actor: Actor, campaign_id: int, broadcast_id: int) -> bool:
    """A sender's "Got it". Acknowledging twice changes nothing (returns False).

    Raises:
        NotFound: no such campaign the actor sees, or no such broadcast in it.
        PermissionDenied: the actor is not a sender of the campaign.
    """
    await campaign_for(session, actor, campaign_id)
    broadcast = await session.scalar(
        select(Broadcast).where(Broadcast.id == broadcast_id, Broadcast.campaign_id == campaign_id)
    )
    if broadcast is None:
        raise NotFound(f"No broadcast {broadcast_id} in this campaign.")
    member = await session.scalar(
        select(CampaignSender.user_id).where(
            CampaignSender.campaign_id == campaign_id, CampaignSender.user_id == actor.user_id
        )
    )
    if member is None:
        raise PermissionDenied("Only the campaign's senders acknowledge its broadcasts.")
    if await session.get(BroadcastAck, (broadcast_id, actor.user_id)) is not None:
        return False
    session.add(BroadcastAck(broadcast_id=broadcast_id, user_id=actor.user_id))
    await session.flush()
    emit(
        session,
        campaign_channel(campaign_id),
        "broadcast_ack",
        {"id": broadcast_id, "user_id": actor.user_id},
    )
    return True


async def list_broadcasts(session: AsyncSession, actor: Actor, campaign_id: int) -> list[dict[str, Any]]:
    """The campaign's broadcasts, newest first, each with who acknowledged it.

    A sender sees only their own acknowledgement (``acknowledged_by`` holds
    them or nobody): enough for the page to show what they have not seen.
    """
    await campaign_for(session, actor, campaign_id)
    rows = (
        await session.execute(
            select(Broadcast, User)
            .join(User, User.id == Broadcast.author_id)
            .where(Broadcast.campaign_id == campaign_id)
            .order_by(Broadcast.id.desc())
        )
    ).all()
    acks_stmt = (
        select(BroadcastAck.broadcast_id, BroadcastAck.acked_at, User)
        .join(User, User.id == BroadcastAck.user_id)
        .join(Broadcast, Broadcast.id == BroadcastAck.broadcast_id)
        .where(Broadcast.campaign_id == campaign_id)
        .order_by(BroadcastAck.acked_at, User.id)
    )
    if not actor.is_sweeper:
        acks_stmt = acks_stmt.where(BroadcastAck.user_id == actor.user_id)
    acks: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for broadcast_id, acked_at, user in (await session.execute(acks_stmt)).all():
        acks[broadcast_id].append({**_person(user), "user_id": user.id, "acked_at": iso(acked_at)})
    return [
        {
            "id": b.id,
            "body": b.body,
            "from": _person(author),
            "created_at": iso(b.created_at),
            "acknowledged_by": acks.get(b.id, []),
        }
        for b, author in rows
    ]
