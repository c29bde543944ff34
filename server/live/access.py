"""Who may subscribe to which channel: the contract's rules, through persistence.store.scope."""

from __future__ import annotations

from persistence.rules.channels import ChannelName, parse_channel
from persistence.rules.errors import NotFound, PermissionDenied
from persistence.store.database import Database
from persistence.store.scope import Actor, campaign_for, user_for

from .protocol import ProtocolError

__all__ = ["authorize"]


async def authorize(db: Database, actor: Actor, channel: str) -> ChannelName:
    """The parsed channel if ``actor`` may subscribe to it.

    ``campaign:{cid}``: owners, admins and moderators of the campaign's
    organization. ``sender:{cid}:{uid}``: that sender while they are a sender
    of the campaign, or a sweeper of its organization. ``inbox:{uid}``: that
    user, or a sweeper of their organization.

    Raises:
        ProtocolError: ``invalid_channel``, ``not_found`` or ``forbidden``.
    """
    name = parse_channel(channel)
    if name is None:
        raise ProtocolError(
            "invalid_channel",
            "Channels are campaign:{id}, sender:{campaign}:{user} or inbox:{user}.",
            channel=channel,
        )
    if name.campaign_id is None:
        return await _authorize_inbox(db, actor, name, channel)
    if name.user_id is None and not actor.is_sweeper:
        raise ProtocolError(
            "forbidden", "Only owners, admins and moderators watch a campaign.", channel=channel
        )
    if name.user_id is not None and not actor.is_sweeper and name.user_id != actor.user_id:
        raise ProtocolError("forbidden", "This is another sender's channel.", channel=channel)
    try:
        async with db.session() as session:
            await campaign_for(session, actor, name.campaign_id)
    except NotFound:
        raise ProtocolError("not_found", f"No campaign {name.campaign_id}.", channel=channel) from None
    except PermissionDenied:
        raise ProtocolError("forbidden", "You are not a sender of this campaign.", channel=channel) from None
    return name


async def _authorize_inbox(db: Database, actor: Actor, name: ChannelName, channel: str) -> ChannelName:
    if name.user_id == actor.user_id:
        return name
    if not actor.is_sweeper:
        raise ProtocolError("forbidden", "This is another user's inbox.", channel=channel)
    try:
        async with db.session() as session:
            await user_for(session, actor, name.user_id or 0)
    except NotFound:
        raise ProtocolError("not_found", f"No user {name.user_id}.", channel=channel) from None
    return name
