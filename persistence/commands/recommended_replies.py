"""Recommended replies: canned answers per campaign, or for the whole organization."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from persistence.commands.messaging import MAX_BODY_CHARS
from persistence.outbox.notify import iso
from persistence.rules.errors import InvalidInput, NotFound
from persistence.rules.text import storable
from persistence.store.models import RecommendedReply
from persistence.store.scope import Actor, campaign_for, require_sweeper

__all__ = ["MAX_TITLE_CHARS", "create_reply", "delete_reply", "list_replies", "reply_data", "update_reply"]

MAX_TITLE_CHARS = 200


def reply_data(reply: RecommendedReply) -> dict[str, Any]:
    return {
        "id": reply.id,
        "campaign_id": reply.campaign_id,
        "title": reply.title,
        "body": reply.body,
        "created_at": iso(reply.created_at),
    }


def _checked(title: str, body: str) -> tuple[str, str]:
    title, body = title.strip(), body.strip()
    if not (storable(title) and storable(body)):
        raise InvalidInput("The reply has characters that cannot be stored (NUL or a lone surrogate).")
    if not title or len(title) > MAX_TITLE_CHARS:
        raise InvalidInput(f"'title' must have 1 to {MAX_TITLE_CHARS} characters.")
    if not body or len(body) > MAX_BODY_CHARS:
        raise InvalidInput(f"'body' must have 1 to {MAX_BODY_CHARS} characters.")
    return title, body


async def _own_reply(session: AsyncSession, actor: Actor, reply_id: int) -> RecommendedReply:
    require_sweeper(actor)
    reply = await session.scalar(
        select(RecommendedReply)
        .where(RecommendedReply.id == reply_id, RecommendedReply.organization_id == actor.organization_id)
        .with_for_update()
    )
    if reply is None:
        raise NotFound(f"No recommended reply {reply_id}.")
    return reply


async def create_reply(
    session: AsyncSession, actor: Actor, *, campaign_id: int | None, title: str, body: str
) -> RecommendedReply:
    """A new recommended reply (sweepers); ``campaign_id`` None: organization-wide."""
    require_sweeper(actor)
    if campaign_id is not None:
        await campaign_for(session, actor, campaign_id)
    title, body = _checked(title, body)
    reply = RecommendedReply(
        organization_id=actor.organization_id, campaign_id=campaign_id, title=title, body=body
    )
    session.add(reply)
    await session.flush()
    return reply


async def list_replies(
    session: AsyncSession, actor: Actor, *, campaign_id: int | None
) -> list[RecommendedReply]:
    """Organization-wide replies; for a campaign, its own first, then the organization's.

    Any member of the campaign (senders included) may read them.
    """
    where = [RecommendedReply.organization_id == actor.organization_id]
    if campaign_id is None:
        where.append(RecommendedReply.campaign_id.is_(None))
    else:
        await campaign_for(session, actor, campaign_id)
        where.append((RecommendedReply.campaign_id == campaign_id) | RecommendedReply.campaign_id.is_(None))
    rows = await session.scalars(
        select(RecommendedReply)
        .where(*where)
        .order_by(RecommendedReply.campaign_id.is_(None), RecommendedReply.title, RecommendedReply.id)
    )
    return list(rows)


async def update_reply(
    session: AsyncSession, actor: Actor, reply_id: int, *, title: str | None, body: str | None
) -> RecommendedReply:
    """Change a reply's title or text (sweepers); ``None`` keeps a field as it is.

    Raises:
        NotFound: no such reply in the actor's organization.
    """
    reply = await _own_reply(session, actor, reply_id)
    reply.title, reply.body = _checked(
        reply.title if title is None else title, reply.body if body is None else body
    )
    await session.flush()
    return reply


async def delete_reply(session: AsyncSession, actor: Actor, reply_id: int) -> None:
    """Delete a reply (sweepers).

    Raises:
        NotFound: no such reply in the actor's organization.
    """
    await session.delete(await _own_reply(session, actor, reply_id))
    await session.flush()
