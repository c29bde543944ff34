"""Who a bearer token's user is, remembered for a few seconds so a request need not read it.

Every authenticated request used to read its user (active? which organization
and role?) in a session of its own. This process remembers the answer instead,
for active users only, and forgets it:

- when the user's access is revoked (deactivated, role changed, removed from a
  campaign), on every instance: the live hub hears of it through the broker
  (:meth:`server.live.hub.Hub.revoke`) and calls :meth:`ActorCache.forget`;
- when the hub's broker subscription had a gap (revocations may be lost in it):
  :meth:`ActorCache.clear`;
- after :data:`REMEMBER_FOR` seconds in any case.

A process without a hub listening to the broker has nothing to tell it of a
revocation, so it keeps no cache (:attr:`server.services.Services.actors`).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

from persistence.store.scope import Actor

__all__ = ["LIMIT", "REMEMBER_FOR", "ActorCache"]

# The longest a revocation the broker lost (Redis restarting, a publish that
# failed) can leave a user's access alive on another instance. Revocations the
# broker delivers take effect at once; this only bounds the rare miss.
REMEMBER_FOR = 5.0

# Users remembered per process; past it the least recently used go first.
LIMIT = 10_000


class ActorCache:
    """Active users' actors by user id: least recently used first out, each for ``ttl`` seconds.

    Not thread-safe: used from the event loop only.
    """

    def __init__(
        self,
        *,
        ttl: float = REMEMBER_FOR,
        limit: int = LIMIT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self.limit = limit
        self._clock = clock
        self._actors: OrderedDict[int, tuple[Actor, float]] = OrderedDict()  # user -> (actor, until)
        # Bumped by every forget: an answer read from the database before it may
        # predate the revocation, so it is not kept (see ``remember``).
        self.generation = 0

    def __len__(self) -> int:
        return len(self._actors)

    def get(self, user_id: int) -> Actor | None:
        """The remembered actor of ``user_id``, or None (never seen, forgotten or too old)."""
        entry = self._actors.get(user_id)
        if entry is None:
            return None
        actor, until = entry
        if until <= self._clock():
            del self._actors[user_id]
            return None
        self._actors.move_to_end(user_id)
        return actor

    def remember(self, actor: Actor, generation: int) -> None:
        """Keep ``actor`` of an active user, read from the database when ``generation`` was current.

        Ignored if anything was forgotten since: the read may have raced a revocation.
        """
        if generation != self.generation:
            return
        self._actors[actor.user_id] = (actor, self._clock() + self.ttl)
        self._actors.move_to_end(actor.user_id)
        while len(self._actors) > self.limit:
            self._actors.popitem(last=False)

    def forget(self, user_id: int) -> None:
        """``user_id``'s access changed: the next request reads the user again."""
        self.generation += 1
        self._actors.pop(user_id, None)

    def clear(self) -> None:
        """Forget everyone (revocations may have been lost)."""
        self.generation += 1
        self._actors.clear()
