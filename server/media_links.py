"""Unguessable, expiring links to uploaded media: what the SMS provider fetches.

Twilio fetches an MMS's pictures from the ``MediaUrl`` it is given, without
any credentials, so the URL itself is the permission:
``{SHIFTLINE_PUBLIC_URL}/media/{token}`` where the token names the file and
an expiry and is signed with HMAC-SHA256 under a key derived from the
instance secret (the one the login tokens are signed with, so every instance
accepts every instance's links). Nothing is stored per link. A link is made
when the text is handed to the provider and lasts :data:`MEDIA_LINK_TTL`
(24 hours), far longer than the provider's fetch and its retries; the pages
get links of the same kind, made each time a thread is read.

A token that is malformed, forged, expired or names a file no longer there
is answered 404, the same for all, so a probe learns nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any, Final

__all__ = ["MEDIA_LINK_TTL", "media_path", "media_token", "read_media_token", "with_links"]

MEDIA_LINK_TTL: Final = 24 * 3600


def _key(secret: str) -> bytes:
    # A key of its own: a media link can never pass as a login token, nor the reverse.
    return hmac.new(secret.encode(), b"shiftline media link", hashlib.sha256).digest()


def _signature(secret: str, payload: str) -> str:
    digest = hmac.new(_key(secret), payload.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def media_token(secret: str, media_id: int, *, now: float | None = None, ttl: int = MEDIA_LINK_TTL) -> str:
    """A token for ``media_id`` valid for ``ttl`` seconds from ``now``."""
    expires = int((now if now is not None else time.time()) + ttl)
    payload = f"{media_id}.{expires}"
    return f"{payload}.{_signature(secret, payload)}"


def read_media_token(secret: str, token: str, *, now: float | None = None) -> int | None:
    """The media id of a valid, unexpired token, else None."""
    parts = token.split(".")
    if len(parts) != 3 or not all(p.isascii() and p for p in parts):
        return None
    media_id, expires, signature = parts
    if not hmac.compare_digest(signature, _signature(secret, f"{media_id}.{expires}")):
        return None
    if not (media_id.isdigit() and expires.isdigit()) or len(media_id) > 18:
        return None
    if int(expires) <= (now if now is not None else time.time()):
        return None
    return int(media_id)


def media_path(secret: str, media_id: int) -> str:
    """The server-relative address of a fresh link to ``media_id``."""
    return f"/media/{media_token(secret, media_id)}"


def with_links(secret: str, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``messages`` (as the API shows them) with a ``url`` on each uploaded medium, for the pages."""
    for message in messages:
        for item in message.get("media") or ():
            if "id" in item:
                item["url"] = media_path(secret, int(item["id"]))
    return messages
