"""Webhook signatures as the common SMS providers compute them (pure).

``X-Twilio-Signature`` is base64(HMAC-SHA1(token, url + name1 + value1 + ...))
with the POST parameters sorted by name (and value, for repeated names). The
URL is the full URL the provider called, query string included.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable

__all__ = ["compute_signature", "valid_signature"]


def compute_signature(token: str, url: str, params: Iterable[tuple[str, str]]) -> str:
    payload = url + "".join(name + value for name, value in sorted(params))
    # surrogateescape: a value that was not valid UTF-8 is signed as the bytes that arrived.
    digest = hmac.new(
        token.encode("utf-8"), payload.encode("utf-8", "surrogateescape"), hashlib.sha1
    ).digest()
    return base64.b64encode(digest).decode("ascii")


def valid_signature(
    token: str | None, url: str, params: Iterable[tuple[str, str]], header: str | None
) -> bool:
    """Whether ``header`` is the signature of this request; False when unsigned or no token."""
    if not token or not header:
        return False
    expected = compute_signature(token, url, params)
    return hmac.compare_digest(expected.encode("ascii"), header.strip().encode("ascii", "replace"))
