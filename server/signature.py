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
from urllib.parse import urlsplit, urlunsplit

__all__ = ["compute_signature", "url_variants", "valid_signature"]


def compute_signature(token: str, url: str, params: Iterable[tuple[str, str]]) -> str:
    payload = url + "".join(name + value for name, value in sorted(params))
    # surrogateescape: a value that was not valid UTF-8 is signed as the bytes that arrived.
    digest = hmac.new(
        token.encode("utf-8"), payload.encode("utf-8", "surrogateescape"), hashlib.sha1
    ).digest()
    return base64.b64encode(digest).decode("ascii")


def url_variants(url: str) -> list[str]:
    """``url`` as given, and with its default port written out or left out.

    Providers sign the URL as configured; a proxy may add or drop ``:443`` or
    ``:80`` on the way, so both spellings are accepted (as the providers' own
    validators do).
    """
    parts = urlsplit(url)
    default = {"https": 443, "http": 80}.get(parts.scheme)
    host = parts.hostname or ""
    if default is None or not host:
        return [url]
    if ":" in host:  # an IPv6 literal
        host = f"[{host}]"
    userinfo = parts.netloc.rpartition("@")[0]
    prefix = f"{userinfo}@" if userinfo else ""
    if parts.port is None:
        other = urlunsplit(parts._replace(netloc=f"{prefix}{host}:{default}"))
    elif parts.port == default:
        other = urlunsplit(parts._replace(netloc=f"{prefix}{host}"))
    else:
        return [url]
    return [url, other]


def valid_signature(
    token: str | None, url: str, params: Iterable[tuple[str, str]], header: str | None
) -> bool:
    """Whether ``header`` is the signature of this request; False when unsigned or no token."""
    if not token or not header:
        return False
    pairs = list(params)
    given = header.strip().encode("ascii", "replace")
    return any(
        hmac.compare_digest(compute_signature(token, candidate, pairs).encode("ascii"), given)
        for candidate in url_variants(url)
    )
