"""``typing``: someone types in a conversation; the others who can see it are told.

An ephemeral frame like ``viewing`` (no seq, not logged, not replayed). The
typer names a channel they watch (``campaign:{cid}`` for a sweeper, their
``sender:{cid}:{uid}`` for a sender) and a conversation of that campaign they
may see; the ``typing`` event (``user_id``, ``conversation_id`` and the
typer's name) goes to the campaign's sweepers and the conversation's sender,
except the typer. Pages send it at most every couple of seconds while typing.
"""

from __future__ import annotations

from sqlalchemy import select

from persistence.rules.channels import campaign_channel, sender_channel
from persistence.rules.errors import NotFound, PermissionDenied
from persistence.store.models import User
from persistence.store.scope import conversation_for

from .connection import Connection
from .hub import Hub
from .protocol import ProtocolError, Typing

__all__ = ["typing"]


async def typing(hub: Hub, conn: Connection, frame: Typing) -> None:
    """Check the frame against ``conn``'s access and tell the others.

    Raises:
        ProtocolError: a channel ``conn`` may not watch, or a conversation not of
            that campaign or not theirs to see (``not_found``).
    """
    name = await hub.access.authorize(conn.actor, frame.channel)
    missing = ProtocolError("not_found", f"No conversation {frame.conversation_id}.", channel=frame.channel)
    async with hub.db.session() as session:
        try:
            conversation, _ = await conversation_for(session, conn.actor, frame.conversation_id)
        except (NotFound, PermissionDenied):
            raise missing from None
        who = (
            await session.execute(
                select(User.first_name, User.last_name).where(User.id == conn.actor.user_id)
            )
        ).one()
    # Typing is a campaign's warning: an inbox channel (no campaign) has none.
    if name.campaign_id is None or conversation.campaign_id != name.campaign_id:
        raise missing
    channels = [campaign_channel(name.campaign_id)]
    if conversation.assigned_to is not None:
        channels.append(sender_channel(name.campaign_id, conversation.assigned_to))
    data = {
        "user_id": conn.actor.user_id,
        "conversation_id": frame.conversation_id,
        "first_name": who[0],
        "last_name": who[1],
    }
    await hub.publish_ephemeral(channels, conn.actor.user_id, "typing", data)
