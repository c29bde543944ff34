"""Signed, expiring bearer tokens (HMAC-SHA256; no state on the server).

A token names the user and its expiry. Whether the user still exists and is
active is checked against the database on every use, so deactivating a user
ends their access at once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass

from persistence.rules.errors import ShiftlineError

__all__ = ["Claims", "InvalidToken", "issue_token", "read_claims", "read_token"]


class InvalidToken(ShiftlineError):
    """The token is malformed, forged or expired."""

    code = "invalid_token"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(secret: str, payload: str) -> str:
    return _b64(hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest())


def issue_token(
    secret: str, user_id: int, organization_id: int, ttl_seconds: int, *, now: float | None = None
) -> str:
    issued = int(now if now is not None else time.time())
    claims = {"uid": user_id, "org": organization_id, "exp": issued + ttl_seconds}
    payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
    return f"{payload}.{_sign(secret, payload)}"


@dataclass(frozen=True, slots=True)
class Claims:
    """What a valid token says: whose it is and when it stops being valid (Unix seconds)."""

    user_id: int
    organization_id: int
    expires_at: int


def read_claims(secret: str, token: str, *, now: float | None = None) -> Claims:
    """The claims of a valid, unexpired token, else raise InvalidToken."""
    payload, _, signature = token.partition(".")
    # Tokens are ASCII; anything else (a lone surrogate from a JSON auth frame)
    # would make the signing or the comparison raise instead of refusing.
    if not (payload and signature and payload.isascii() and signature.isascii()) or not hmac.compare_digest(
        signature, _sign(secret, payload)
    ):
        raise InvalidToken("The token is not valid.")
    try:
        claims = json.loads(_unb64(payload))
        user_id, org_id, expires = int(claims["uid"]), int(claims["org"]), int(claims["exp"])
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidToken("The token is not valid.") from exc
    if expires <= (now if now is not None else time.time()):
        raise InvalidToken("The token has expired; log in again.")
    return Claims(user_id, org_id, expires)


def read_token(secret: str, token: str, *, now: float | None = None) -> tuple[int, int]:
    """Return ``(user_id, organization_id)`` of a valid token, else raise InvalidToken."""
    claims = read_claims(secret, token, now=now)
    return claims.user_id, claims.organization_id
