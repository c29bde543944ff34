"""Passwords, login throttling (:mod:`.login_throttle`) and turning a bearer token into an Actor."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection

from persistence.store.models import User
from persistence.store.scope import Actor

from .errors import ApiError
from .services import Services, services
from .tokens import InvalidToken, read_claims

__all__ = [
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


async def actor_and_expiry(
    svc: Services, token: str, *, user_of: Callable[[int], Awaitable[User | None]] | None = None
) -> tuple[Actor, int]:
    """The active user a token names and when the token expires (Unix seconds), or 401.

    The user comes from the process's actor cache when it remembers them
    (server/actor_cache.py: forgotten on revocation), else from the database.
    A live connection uses the expiry to close itself when the token does, and
    passes ``user_of`` to read the user with other connections' (batched).
    """
    try:
        claims = read_claims(svc.secret, token)
    except InvalidToken as exc:
        raise ApiError(401, "unauthorized", str(exc)) from None
    actor = await _active_user(svc, claims.user_id, user_of)
    if actor is None or actor.organization_id != claims.organization_id:
        raise ApiError(401, "unauthorized", "The token's user no longer has access.")
    return actor, claims.expires_at


async def _active_user(
    svc: Services, user_id: int, user_of: Callable[[int], Awaitable[User | None]] | None
) -> Actor | None:
    """``user_id`` as an Actor if active: remembered, or read (and remembered while nothing is revoked)."""
    cache = svc.actors
    if cache is not None and (actor := cache.get(user_id)) is not None:
        return actor
    generation = cache.generation if cache is not None else 0
    if user_of is not None:
        user = await user_of(user_id)
    else:
        async with svc.db.session() as session:
            user = await session.scalar(select(User).where(User.id == user_id))
    if user is None or not user.active:
        return None
    actor = Actor.of(user)
    if cache is not None:
        cache.remember(actor, generation)
    return actor


async def authenticate(conn: HTTPConnection) -> Actor:
    token = bearer_token(conn)
    if token is None:
        raise ApiError(401, "unauthorized", "Send 'Authorization: Bearer <token>' (log in first).")
    return await actor_for_token(services(conn), token)
