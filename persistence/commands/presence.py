"""Recording a presence change: the ``presence`` event and the user's last change.

Every presence change goes through :func:`report`, in the transaction that
holds the campaign channel's lock, so the event and ``presence_states`` (when
a sender went offline, what the automatic rebalance reads) agree. Only these
transactions write ``presence_states``, each after the channel's lock, so
its rows never take part in a lock cycle.
"""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from persistence.outbox.record import emit
from persistence.rules.channels import campaign_channel
from persistence.store.models import PresenceState
from persistence.store.types import utcnow

__all__ = ["report"]


async def report(session: AsyncSession, campaign_id: int, user_id: int, *, online: bool) -> None:
    """Queue the ``presence`` event and keep the user's last change."""
    emit(session, campaign_channel(campaign_id), "presence", {"user_id": user_id, "online": online})
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    values = {"online": online, "changed_at": utcnow()}
    await session.execute(
        insert(PresenceState)
        .values(campaign_id=campaign_id, user_id=user_id, **values)
        .on_conflict_do_update(index_elements=[PresenceState.campaign_id, PresenceState.user_id], set_=values)
    )
