"""Passwords, login throttling and turning a bearer token into an Actor."""

from __future__ import annotations

import time
from collections import OrderedDict

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection

from persistence.models import User
from persistence.scope import Actor

from .errors import ApiError
from .services import Services, services
from .tokens import InvalidToken, read_claims

__all__ = [
    "LoginThrottle",
    "actor_and_expiry",
    "actor_for_token",
    "authenticate",
    "bearer_token",
    "hash_password",
    "verify_password",
]

_hasher = PasswordHasher()


async def hash_password(password: str) -> str:
    # argon2 takes tens of milliseconds of CPU: keep it off the event loop.
    return await run_in_threadpool(_hasher.hash, password)


async def verify_password(password_hash: str, password: str) -> bool:
    def check() -> bool:
        try:
            return _hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    return await run_in_threadpool(check)


class LoginThrottle:
    """Slows down repeated failed logins per key (an email, or a client address).

    After ``free`` failures within ``window`` seconds, each further attempt
    must wait twice as long as the last, up to ``max_delay``. State is per
    process and bounded to ``max_keys`` entries (oldest forgotten first).
    """

    def __init__(
        self, *, free: int = 5, window: float = 900.0, max_delay: float = 300.0, max_keys: int = 100_000
    ) -> None:
        self.free = free
        self.window = window
        self.max_delay = max_delay
        self.max_keys = max_keys
        self._failures: OrderedDict[str, tuple[int, float]] = OrderedDict()

    def retry_after(self, key: str, now: float | None = None) -> float:
        """Seconds the key must still wait before it may try again (0: go ahead)."""
        now = time.monotonic() if now is None else now
        count, last = self._failures.get(key, (0, 0.0))
        if count == 0 or now - last > self.window:
            return 0.0
        if count < self.free:
            return 0.0
        delay = min(self.max_delay, 2.0 ** (count - self.free))
        return max(0.0, last + delay - now)

    def failed(self, key: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        count, last = self._failures.pop(key, (0, 0.0))
        if now - last > self.window:
            count = 0
        self._failures[key] = (count + 1, now)
        while len(self._failures) > self.max_keys:
            self._failures.popitem(last=False)

    def succeeded(self, key: str) -> None:
        self._failures.pop(key, None)


def bearer_token(conn: HTTPConnection) -> str | None:
    header = conn.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


async def actor_for_token(svc: Services, token: str) -> Actor:
    """The active user a token names, or 401."""
    actor, _expires_at = await actor_and_expiry(svc, token)
    return actor


async def actor_and_expiry(svc: Services, token: str) -> tuple[Actor, int]:
    """The active user a token names and when the token expires (Unix seconds), or 401.

    A live connection uses the expiry to close itself when the token does.
    """
    try:
        claims = read_claims(svc.secret, token)
    except InvalidToken as exc:
        raise ApiError(401, "unauthorized", str(exc)) from None
    async with svc.db.session() as session:
        user = await session.scalar(select(User).where(User.id == claims.user_id))
    if user is None or not user.active or user.organization_id != claims.organization_id:
        raise ApiError(401, "unauthorized", "The token's user no longer has access.")
    return Actor.of(user), claims.expires_at


async def authenticate(conn: HTTPConnection) -> Actor:
    token = bearer_token(conn)
    if token is None:
        raise ApiError(401, "unauthorized", "Send 'Authorization: Bearer <token>' (log in first).")
    return await actor_for_token(services(conn), token)
