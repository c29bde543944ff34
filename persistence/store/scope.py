"""Who may see what: the one place organization isolation and roles are enforced.

Every domain command receives an :class:`Actor` and loads campaigns and
conversations through these functions, never by a bare primary-key lookup.
Anything of another organization is reported as not found (404), so its
existence does not leak; something of the right organization that the actor's
role does not allow is reported as forbidden (403).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import exists, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from persistence.rules.errors import NotFound, PermissionDenied
from persistence.store.models import SWEEPER_ROLES, Campaign, CampaignSender, Contact, Conversation, User

__all__ = [
    "Actor",
    "campaign_for",
    "campaign_owners",
    "conversation_for",
    "require_admin",
    "require_sweeper",
    "sender_memberships",
    "user_for",
    "user_organizations",
]


@dataclass(frozen=True, slots=True)
class Actor:
    """The authenticated user a command runs for."""

    user_id: int
    organization_id: int
    role: str

    @property
    def is_sweeper(self) -> bool:
        return self.role in SWEEPER_ROLES

    @property
    def is_admin(self) -> bool:
        return self.role in ("owner", "admin")

    @classmethod
    def of(cls, user: User) -> Actor:
        return cls(user.id, user.organization_id, user.role)


def require_sweeper(actor: Actor) -> None:
    if not actor.is_sweeper:
        raise PermissionDenied("Only owners, admins and moderators may do this.")


def require_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise PermissionDenied("Only owners and admins may do this.")


async def campaign_for(
    session: AsyncSession, actor: Actor, campaign_id: int, *, for_update: bool = False
) -> Campaign:
    """The campaign, if the actor's organization owns it and the actor may see it.

    Sweepers see every campaign of their organization; a sender only the
    campaigns they were added to.
    """
    stmt = select(Campaign).where(
        Campaign.id == campaign_id, Campaign.organization_id == actor.organization_id
    )
    if for_update:
        stmt = stmt.with_for_update()
    campaign = await session.scalar(stmt)
    if campaign is None:
        raise NotFound(f"No campaign {campaign_id}.")
    if not actor.is_sweeper:
        member = await session.scalar(
            select(
                exists().where(
                    CampaignSender.campaign_id == campaign_id, CampaignSender.user_id == actor.user_id
                )
            )
        )
        if not member:
            raise PermissionDenied("You are not a sender of this campaign.")
    return campaign


async def user_for(session: AsyncSession, actor: Actor, user_id: int) -> User:
    """A user of the actor's organization (NotFound for any other)."""
    user = await session.scalar(
        select(User).where(User.id == user_id, User.organization_id == actor.organization_id)
    )
    if user is None:
        raise NotFound(f"No user {user_id}.")
    return user


async def user_organizations(session: AsyncSession, user_ids: Collection[int]) -> dict[int, int]:
    """The organization of each user that exists, in one query.

    :func:`user_for`'s rule for many users at once: a user is found for an
    actor of that organization only (the live layer's inbox checks after a
    reconnect).
    """
    if not user_ids:
        return {}
    rows = await session.execute(select(User.id, User.organization_id).where(User.id.in_(sorted(user_ids))))
    return {int(uid): int(org) for uid, org in rows}


async def conversation_for(
    session: AsyncSession, actor: Actor, conversation_id: int, *, for_update: bool = False
) -> tuple[Conversation, Campaign | None]:
    """The conversation and its campaign (None: an inbox conversation).

    The organization is the contact's, which every conversation has; a
    sender only gets the conversations assigned to them (an inbox
    conversation is its owner's).
    """
    stmt = (
        select(Conversation, Campaign)
        .join(Contact, Contact.id == Conversation.contact_id)
        .outerjoin(Campaign, Campaign.id == Conversation.campaign_id)
        .where(Conversation.id == conversation_id, Contact.organization_id == actor.organization_id)
    )
    if for_update:
        stmt = stmt.with_for_update(of=Conversation)
    row = (await session.execute(stmt)).one_or_none()
    if row is None:
        raise NotFound(f"No conversation {conversation_id}.")
    conversation, campaign = row
    if not actor.is_sweeper and conversation.assigned_to != actor.user_id:
        raise PermissionDenied("This conversation is not assigned to you.")
    return conversation, campaign


async def campaign_owners(session: AsyncSession, campaign_ids: Collection[int]) -> dict[int, int]:
    """The organization of each campaign that exists, in one query.

    With :func:`sender_memberships`, :func:`campaign_for`'s rule for many
    campaigns at once (the live layer's access checks after a reconnect).
    """
    if not campaign_ids:
        return {}
    rows = await session.execute(
        select(Campaign.id, Campaign.organization_id).where(Campaign.id.in_(sorted(campaign_ids)))
    )
    return {int(cid): int(org) for cid, org in rows}


async def sender_memberships(
    session: AsyncSession, pairs: Collection[tuple[int, int]]
) -> set[tuple[int, int]]:
    """Which (campaign, user) pairs are a sender of that campaign, in one query."""
    if not pairs:
        return set()
    rows = await session.execute(
        select(CampaignSender.campaign_id, CampaignSender.user_id).where(
            tuple_(CampaignSender.campaign_id, CampaignSender.user_id).in_(sorted(pairs))
        )
    )
    return {(int(cid), int(uid)) for cid, uid in rows}
