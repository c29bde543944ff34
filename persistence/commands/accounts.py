"""Organizations and users."""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from persistence.rules.errors import Conflict, InvalidInput
from persistence.rules.phones import normalize_phone
from persistence.store.models import ROLES, Organization, User
from persistence.store.scope import Actor, require_admin

__all__ = ["create_organization", "create_user", "user_by_email", "validate_email"]

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def validate_email(email: str) -> str:
    email = email.strip().lower()
    if not _EMAIL.match(email) or len(email) > 320:
        raise InvalidInput(f"{email!r} is not an email address.", code="invalid_email")
    return email


async def create_organization(
    session: AsyncSession, name: str, *, number: str | None = None, webhook_token: str | None = None
) -> Organization:
    """A new organization; ``number`` is the sending number its inbound texts arrive on."""
    if not name.strip():
        raise InvalidInput("The organization needs a name.")
    sending_number = None
    if number is not None:
        sending_number = normalize_phone(number)
        if sending_number is None:
            raise InvalidInput(f"{number!r} is not a valid phone number.", code="invalid_phone")
        taken = await session.scalar(
            select(Organization.id).where(Organization.sending_number == sending_number)
        )
        if taken is not None:
            raise Conflict(f"The number {sending_number} already belongs to an organization.")
    org = Organization(name=name.strip(), sending_number=sending_number, webhook_token=webhook_token)
    session.add(org)
    await session.flush()
    return org


async def user_by_email(session: AsyncSession, email: str) -> User | None:
    return await session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


async def create_user(
    session: AsyncSession,
    organization_id: int,
    *,
    email: str,
    password_hash: str,
    first_name: str,
    last_name: str,
    role: str,
    actor: Actor | None = None,
) -> User:
    """A new user of ``organization_id``.

    With an ``actor`` (the API), only owners and admins may add users, only to
    their own organization, and only an owner may make another owner.
    """
    if role not in ROLES:
        raise InvalidInput(f"'role' must be one of {', '.join(ROLES)}.", code="invalid_role")
    if actor is not None:
        require_admin(actor)
        organization_id = actor.organization_id
        if role == "owner" and actor.role != "owner":
            raise InvalidInput("Only an owner may create another owner.", code="invalid_role")
    email = validate_email(email)
    if await user_by_email(session, email) is not None:
        raise Conflict(f"A user with the email {email} already exists.", code="email_taken")
    user = User(
        organization_id=organization_id,
        email=email,
        password_hash=password_hash,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        role=role,
    )
    session.add(user)
    try:
        await session.flush()
    except IntegrityError:  # a concurrent request took the email first
        raise Conflict(f"A user with the email {email} already exists.", code="email_taken") from None
    return user
