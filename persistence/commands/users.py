"""Listing and changing an organization's users (owners and admins).

Rules a user of a texting tool expects: nobody changes their own role or
deactivates themselves (ask another owner or admin: an organization can never
lock itself out), only an owner may touch an owner or make one, and a
deactivated user can no longer log in; their tokens stop working at once
(every instance forgets what it remembered of the user when told of the
change: docs/campaigns.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from persistence.rules.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from persistence.rules.text import storable
from persistence.store.models import ROLES, User
from persistence.store.scope import Actor, require_admin, require_sweeper

__all__ = ["UserChanges", "list_users", "update_user"]


@dataclass(frozen=True, kw_only=True)
class UserChanges:
    """The fields of a PATCH; ``None`` leaves a field as is."""

    active: bool | None = None
    first_name: str | None = None
    last_name: str | None = None
    role: str | None = None


async def list_users(session: AsyncSession, actor: Actor) -> list[User]:
    """Every user of the actor's organization (sweepers only), by first then last name."""
    require_sweeper(actor)
    rows = await session.scalars(
        select(User)
        .where(User.organization_id == actor.organization_id)
        .order_by(func.lower(User.first_name), func.lower(User.last_name), User.id)
    )
    return list(rows)


async def update_user(session: AsyncSession, actor: Actor, user_id: int, changes: UserChanges) -> User:
    """Change a user of the actor's organization; returns it.

    Raises:
        NotFound: no such user in the actor's organization.
        PermissionDenied: not an owner/admin, or an admin touching an owner.
        Conflict: changing one's own role or deactivating oneself.
        InvalidInput: an unknown role or an empty first name.
    """
    require_admin(actor)
    user = await session.scalar(
        select(User)
        .where(User.id == user_id, User.organization_id == actor.organization_id)
        .with_for_update()
    )
    if user is None:
        raise NotFound(f"No user {user_id}.")
    if changes.role is not None and changes.role not in ROLES:
        raise InvalidInput(f"'role' must be one of {', '.join(ROLES)}.", code="invalid_role")
    if actor.role != "owner" and (user.role == "owner" or changes.role == "owner"):
        raise PermissionDenied("Only an owner may change an owner or make one.")
    if user.id == actor.user_id and (
        changes.active is False or (changes.role is not None and changes.role != user.role)
    ):
        raise Conflict(
            "You cannot deactivate yourself or change your own role; ask another owner or admin.",
            code="own_account",
        )
    for name in (changes.first_name, changes.last_name):
        if name is not None and not storable(name):
            raise InvalidInput("A name contains characters that cannot be stored (NUL or broken Unicode).")
    if changes.first_name is not None:
        if not changes.first_name.strip():
            raise InvalidInput("'first_name' must not be empty.")
        user.first_name = changes.first_name.strip()
    if changes.last_name is not None:
        user.last_name = changes.last_name.strip()
    if changes.role is not None:
        user.role = changes.role
    if changes.active is not None:
        user.active = changes.active
    await session.flush()
    return user
