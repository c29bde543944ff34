"""Webhook signatures as the common SMS providers compute them.

``X-Twilio-Signature`` is base64(HMAC-SHA1(token, url + name1 + value1 + ...))
with the POST parameters sorted by name (and value, for repeated names). The
URL is the full URL the provider called, query string included.

Checked by the official ``twilio`` library's ``RequestValidator`` (it also
accepts the URL with and without its default port). Kept here only what it
cannot do: the URL the provider called when shiftline runs behind a proxy
(``SHIFTLINE_PUBLIC_URL``), and parameters that are not valid UTF-8, which
are checked over the bytes that arrived so that a signed but undecodable
request is answered 400, not 403.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable, Iterator
from urllib.parse import urlsplit, urlunsplit

from twilio.request_validator import RequestValidator

__all__ = ["compute_signature", "public_variant", "url_variants", "valid_signature"]


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


def public_variant(url: str, public_url: str | None) -> str | None:
    """``url`` as the provider called it through ``public_url`` (scheme, host and prefix swapped)."""
    if not public_url:
        return None
    parts = urlsplit(url)
    query = f"?{parts.query}" if parts.query else ""
    return f"{public_url.rstrip('/')}{parts.path}{query}"


class _Form:
    """Repeated form fields as the validator reads them (``getall``)."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self._pairs = pairs

    def __iter__(self) -> Iterator[str]:
        return iter({name for name, _value in self._pairs})

    def getall(self, name: str) -> list[str]:
        return [value for key, value in self._pairs if key == name]


def _utf8(pairs: list[tuple[str, str]]) -> bool:
    try:
        for name, value in pairs:
            name.encode("utf-8")
            value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def valid_signature(
    token: str | None,
    url: str,
    params: Iterable[tuple[str, str]],
    header: str | None,
    *,
    public_url: str | None = None,
) -> bool:
    """Whether ``header`` is the signature of this request; False when unsigned or no token.

    ``public_url``: the server's URL as the provider reaches it, when a proxy
    stands between (the request's own URL is tried too).
    """
    if not token or not header:
        return False
    pairs = list(params)
    candidates = [url]
    public = public_variant(url, public_url)
    if public is not None and public != url:
        candidates.append(public)
    if _utf8(pairs):
        validator = RequestValidator(token)
        form = _Form(pairs)
        return any(validator.validate(candidate, form, header.strip()) for candidate in candidates)
    given = header.strip().encode("ascii", "replace")
    return any(
        hmac.compare_digest(compute_signature(token, variant, pairs).encode("ascii"), given)
        for candidate in candidates
        for variant in url_variants(candidate)
    )
