"""Uploaded media: storing a checked file, attaching media to a message, reading a file back.

The upload route has read the file with a hard bound and sniffed its type
(``persistence/rules/media.py``); what is stored here is already accepted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from persistence.rules.errors import InvalidInput
from persistence.rules.media import MAX_MEDIA_BYTES, MAX_MEDIA_PER_MESSAGE
from persistence.store.models import Media
from persistence.store.scope import Actor
from persistence.store.types import utcnow

__all__ = ["MediaFile", "attachments", "read_media", "store_media"]


async def store_media(
    session: AsyncSession, actor: Actor, data: bytes, content_type: str, *, storage_key: str | None = None
) -> Media:
    """Record an uploaded file of the actor's organization: its bytes, or the key a store keeps them under."""
    media = Media(
        organization_id=actor.organization_id,
        uploaded_by=actor.user_id,
        content_type=content_type,
        size=len(data),
        data=None if storage_key is not None else data,
        storage_key=storage_key,
        created_at=utcnow(),
    )
    session.add(media)
    await session.flush()
    return media


async def attachments(session: AsyncSession, actor: Actor, media_ids: list[int]) -> list[dict[str, Any]]:
    """The message's media list for ``media_ids``, in their order.

    Raises:
        InvalidInput: more than Twilio takes, together over 5 MB, or an id that
            is not a file of the actor's organization (``unknown_media``; another
            organization's file is answered as if it did not exist).
    """
    if len(media_ids) > MAX_MEDIA_PER_MESSAGE:
        raise InvalidInput(
            f"A message carries at most {MAX_MEDIA_PER_MESSAGE} pictures or videos.", code="too_many_media"
        )
    if len(set(media_ids)) != len(media_ids):
        raise InvalidInput("'media_ids' names the same file twice.", code="invalid_input")
    rows = {
        m.id: m
        for m in await session.scalars(
            select(Media).where(Media.id.in_(media_ids), Media.organization_id == actor.organization_id)
        )
    }
    missing = [i for i in media_ids if i not in rows]
    if missing:
        raise InvalidInput(f"No uploaded file has the id {missing[0]}.", code="unknown_media")
    total = sum(rows[i].size for i in media_ids)
    if total > MAX_MEDIA_BYTES:
        raise InvalidInput("The files are over 5 MB together, more than one MMS can carry.", code="too_large")
    return [{"id": i, "content_type": rows[i].content_type, "size": rows[i].size} for i in media_ids]


@dataclass(frozen=True, slots=True)
class MediaFile:
    content_type: str
    data: bytes | None
    storage_key: str | None


async def read_media(session: AsyncSession, media_id: int) -> MediaFile | None:
    """One stored file with its bytes (or its storage key), or None."""
    media = await session.scalar(select(Media).where(Media.id == media_id).options(undefer(Media.data)))
    if media is None:
        return None
    return MediaFile(media.content_type, media.data, media.storage_key)
