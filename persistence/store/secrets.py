"""The token-signing secret, created once and shared by every instance on a database."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from persistence.store.models import InstanceSecret

__all__ = ["signing_secret"]


async def signing_secret(session: AsyncSession) -> str:
    """The stored secret, made on first use (two instances racing agree on one)."""
    dialect = session.get_bind().dialect.name
    upsert = postgresql.insert(InstanceSecret) if dialect == "postgresql" else sqlite.insert(InstanceSecret)
    await session.execute(
        upsert.values(id=1, secret=secrets.token_urlsafe(48)).on_conflict_do_nothing(
            index_elements=[InstanceSecret.id]
        )
    )
    secret = await session.scalar(select(InstanceSecret.secret).where(InstanceSecret.id == 1))
    if secret is None:  # pragma: no cover - the upsert above guarantees the row
        raise RuntimeError("no signing secret")
    return secret
