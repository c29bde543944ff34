"""Failed logins, counted where every instance sees them.

Counts live in Redis when ``REDIS_URL`` is set (so a throttle reached through
one instance holds on all of them) and in the process otherwise, through the
``limits`` library's moving windows. Three counts, each over 15 minutes:

- per (email, address): a few tries, so one person's typos throttle only them;
- per email: more, so a guesser spreading over many addresses is still slowed;
- per address: many more, so people behind one address (an office, a phone
  bank's network) are not locked out by one of them.

Emails are hashed before they become keys: Redis never holds the address list.
"""

from __future__ import annotations

import hashlib
import logging
import time

import redis.asyncio as aioredis
from limits import RateLimitItem, RateLimitItemPerMinute
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError

from .settings import Settings

__all__ = [
    "WINDOW_MINUTES",
    "LoginThrottle",
]

logger = logging.getLogger("shiftline.auth")

WINDOW_MINUTES = 15


def _email_key(email: str) -> str:
    return hashlib.sha256(email.encode("utf-8", "surrogatepass")).hexdigest()[:32]


class LoginThrottle:
    """Refuses logins after too many failures (see the module docstring).

    Args:
        storage: where the counts live (``limits`` async storage).
        per_email_address: failures one email may have from one address.
        per_email: failures one email may have from anywhere.
        per_address: failures one address may have, whatever the email.
    """

    def __init__(
        self,
        storage: Storage,
        *,
        per_email_address: int = 5,
        per_email: int = 20,
        per_address: int = 100,
        pool: aioredis.ConnectionPool | None = None,
    ) -> None:
        self.storage = storage
        self._pool = pool
        self._limiter = MovingWindowRateLimiter(storage)
        self._email_address = RateLimitItemPerMinute(per_email_address, WINDOW_MINUTES, "email+address")
        self._email = RateLimitItemPerMinute(per_email, WINDOW_MINUTES, "email")
        self._address = RateLimitItemPerMinute(per_address, WINDOW_MINUTES, "address")

    @classmethod
    def in_memory(cls) -> LoginThrottle:
        """Counts in this process only (one instance, scripts, tests)."""
        return cls(MemoryStorage())

    @classmethod
    def for_settings(cls, settings: Settings) -> LoginThrottle:
        """Redis-backed when ``settings.redis_url`` is set, in-process otherwise. Connects lazily."""
        if settings.redis_url is None:
            return cls.in_memory()
        # Our own pool, so that aclose() can close it.
        pool = aioredis.ConnectionPool.from_url(
            settings.redis_url, socket_timeout=5, socket_connect_timeout=5
        )
        storage = RedisStorage(
            "async+" + settings.redis_url,
            implementation="redispy",
            key_prefix=f"{settings.redis_prefix}:login-failures",
            wrap_exceptions=True,
            connection_pool=pool,  # type: ignore[arg-type]  # limits passes it on to redis-py
        )
        return cls(storage, pool=pool)

    async def aclose(self) -> None:
        """Close the Redis connections, if any. Idempotent."""
        if self._pool is not None:
            await self._pool.aclose()

    def _counts(self, email: str, address: str) -> list[tuple[RateLimitItem, tuple[str, ...]]]:
        hashed = _email_key(email)
        return [
            (self._email_address, (hashed, address)),
            (self._email, (hashed,)),
            (self._address, (address,)),
        ]

    async def retry_after(self, email: str, address: str) -> float:
        """Seconds before ``email`` may try again from ``address`` (0: go ahead).

        A storage outage lets the login through (logged): the password check
        still runs, and a throttle must not turn into a lockout.
        """
        wait = 0.0
        try:
            for item, ids in self._counts(email, address):
                if not await self._limiter.test(item, *ids):
                    stats = await self._limiter.get_window_stats(item, *ids)
                    wait = max(wait, stats.reset_time - time.time(), 1.0)
        except StorageError as exc:
            logger.warning("login throttle unavailable, not throttling: %s", exc)
            return 0.0
        return wait

    async def failed(self, email: str, address: str) -> None:
        try:
            for item, ids in self._counts(email, address):
                await self._limiter.hit(item, *ids)
        except StorageError as exc:
            logger.warning("login throttle unavailable, failure not counted: %s", exc)

    async def succeeded(self, email: str, address: str) -> None:
        """Forget this person's own typos; the email's and the address's counts remain."""
        item, ids = self._counts(email, address)[0]
        try:
            await self._limiter.clear(item, *ids)
        except StorageError as exc:
            logger.warning("login throttle unavailable: %s", exc)
