"""Who may subscribe to which channel: the contract's rules, answered from what this instance knows.

The rule is :func:`persistence.store.scope.campaign_for`'s: a campaign of
another organization is not found; sweepers see every campaign of their
organization; a sender only the campaigns they are a sender of. When a crowd
reconnects after an instance died, each check would otherwise take a pooled
connection and a round trip of its own. So the instance remembers which
organization owns each campaign (that never changes) and which senders it has
seen to be senders of a campaign, and asks the database only about what it
does not know, for many checks in one query (:class:`Batcher`). The user a
connecting client's token names, and the organization of a user whose inbox a
sweeper watches, are read in batches too, but never kept.

A remembered sender is forgotten when their access is revoked (on every
instance, through the broker: :meth:`Access.forget`), and after
``MEMBER_TTL`` seconds in any case, for a revocation the broker lost.
"""

from __future__ import annotations

import time

from sqlalchemy import select

from persistence.rules.channels import ChannelName, parse_channel
from persistence.store.database import Database
from persistence.store.models import User
from persistence.store.scope import Actor, campaign_owners, sender_memberships, user_organizations

from .batching import Batcher
from .protocol import ProtocolError

__all__ = ["MEMBER_TTL", "Access"]

MEMBER_TTL = 60.0
_LIMIT = 50_000  # remembered campaigns and memberships, each: past it, start afresh


class Access:
    """Access checks for subscriptions, from memory where possible, batched otherwise."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._owner: dict[int, int] = {}  # campaign -> organization
        self._members: dict[tuple[int, int], float] = {}  # (campaign, sender) -> known until
        self._generation = 0  # bumped by every forget: answers read before it are not kept
        self._lookups: Batcher[tuple[int, int | None], tuple[int | None, bool]] = Batcher(self._read)
        self._users: Batcher[int, User | None] = Batcher(self._read_users)
        self._inboxes: Batcher[int, int | None] = Batcher(self._read_organizations)

    async def user(self, user_id: int) -> User | None:
        """The user a connecting client's token names, read with other connections' (never kept
        here: server/actor_cache.py keeps the answer and forgets it when access is revoked)."""
        return await self._users.get(user_id)

    async def authorize(self, actor: Actor, channel: str) -> ChannelName:
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
            return await self._authorize_inbox(actor, name, channel)
        if name.user_id is None and not actor.is_sweeper:
            raise ProtocolError(
                "forbidden", "Only owners, admins and moderators watch a campaign.", channel=channel
            )
        if name.user_id is not None and not actor.is_sweeper and name.user_id != actor.user_id:
            raise ProtocolError("forbidden", "This is another sender's channel.", channel=channel)
        cid = name.campaign_id
        owner = self._owner.get(cid)
        member = actor.is_sweeper or self._members.get((cid, actor.user_id), 0.0) > time.monotonic()
        if owner is None or not member:
            generation = self._generation
            owner, member = await self._lookups.get((cid, None if actor.is_sweeper else actor.user_id))
            self._remember(cid, owner, None if actor.is_sweeper or not member else actor.user_id, generation)
            member = member or actor.is_sweeper
        if owner != actor.organization_id:
            raise ProtocolError("not_found", f"No campaign {cid}.", channel=channel)
        if not member:
            raise ProtocolError("forbidden", "You are not a sender of this campaign.", channel=channel)
        return name

    def forget(self, user_id: int, campaign_id: int | None) -> None:
        """``user_id`` lost access to ``campaign_id`` (None: to everything)."""
        self._generation += 1
        for key in [k for k in self._members if k[1] == user_id and campaign_id in (None, k[0])]:
            del self._members[key]

    async def _authorize_inbox(self, actor: Actor, name: ChannelName, channel: str) -> ChannelName:
        if name.user_id == actor.user_id:
            return name
        if not actor.is_sweeper:
            raise ProtocolError("forbidden", "This is another user's inbox.", channel=channel)
        if await self._inboxes.get(name.user_id or 0) != actor.organization_id:
            raise ProtocolError("not_found", f"No user {name.user_id}.", channel=channel)
        return name

    async def close(self) -> None:
        await self._lookups.close()
        await self._users.close()
        await self._inboxes.close()

    def _remember(self, campaign_id: int, owner: int | None, member: int | None, generation: int) -> None:
        if owner is not None:
            if len(self._owner) >= _LIMIT:
                self._owner.clear()
            self._owner[campaign_id] = owner
        if member is not None and generation == self._generation:
            if len(self._members) >= _LIMIT:
                self._members.clear()
            self._members[(campaign_id, member)] = time.monotonic() + MEMBER_TTL

    async def _read_users(self, user_ids: list[int]) -> dict[int, User | None]:
        async with self.db.session() as session:
            found = {u.id: u for u in await session.scalars(select(User).where(User.id.in_(user_ids)))}
        return {user_id: found.get(user_id) for user_id in user_ids}

    async def _read_organizations(self, user_ids: list[int]) -> dict[int, int | None]:
        async with self.db.session() as session:
            found = await user_organizations(session, user_ids)
        return {user_id: found.get(user_id) for user_id in user_ids}

    async def _read(
        self, keys: list[tuple[int, int | None]]
    ) -> dict[tuple[int, int | None], tuple[int | None, bool]]:
        """(owner organization or None, is a sender) of each (campaign, sender or None), in one session."""
        async with self.db.session() as session:
            owners = await campaign_owners(session, {cid for cid, _ in keys})
            pairs = {(cid, uid) for cid, uid in keys if uid is not None}
            members = await sender_memberships(session, pairs) if pairs else set()
        return {(cid, uid): (owners.get(cid), (cid, uid) in members) for cid, uid in keys}
