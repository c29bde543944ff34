"""Presence in Redis: entries per instance with expiry, transitions in Lua.

Keys (all under ``{prefix}:presence:``)::

    campaigns             SET  campaigns with someone online
    online:{cid}          SET  users announced online in the campaign
    conns:{cid}:{uid}     ZSET instance ids, scored by expiry (Redis clock, ms)

Every transition runs as one Lua script, so when two instances race only one
of them sees "came online" or "went offline". Scores use Redis's own clock,
so instances with skewed clocks agree on what has expired. The sets expire a
day after the last join or refresh, so a deployment that is gone leaves
nothing behind for long.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .base import Key, PresenceUnavailable, Tracker
from .timing import DEFAULT_TTL

try:
    import redis.asyncio as aioredis
    from redis.exceptions import RedisError
except ImportError as exc:  # pragma: no cover - redis is a hard dependency today
    raise ImportError("Redis presence requires redis: pip install 'redis>=5'") from exc

__all__ = ["RedisTracker"]

_NOW = "local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) "

# KEYS: conns, online, campaigns. ARGV: instance, ttl_ms, uid, cid.
_JOIN = (
    _NOW
    + """
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) * 4)
redis.call('SADD', KEYS[3], ARGV[4])
redis.call('PEXPIRE', KEYS[3], 86400000)
local added = redis.call('SADD', KEYS[2], ARGV[3])
redis.call('PEXPIRE', KEYS[2], 86400000)
return added
"""
)

# KEYS: conns, online. ARGV: instance, uid.
_LEAVE = (
    _NOW
    + """
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) == 0 then
  return redis.call('SREM', KEYS[2], ARGV[2])
end
return 0
"""
)

# ARGV: prefix, instance, ttl_ms, then cid, uid pairs. Returns the indexes of pairs not online.
_REFRESH = (
    _NOW
    + """
local lost = {}
local p = ARGV[1]
for i = 4, #ARGV, 2 do
  local cid, uid = ARGV[i], ARGV[i + 1]
  local k = p .. 'conns:' .. cid .. ':' .. uid
  redis.call('ZADD', k, now + tonumber(ARGV[3]), ARGV[2])
  redis.call('PEXPIRE', k, tonumber(ARGV[3]) * 4)
  redis.call('PEXPIRE', p .. 'online:' .. cid, 86400000)
  if redis.call('SISMEMBER', p .. 'online:' .. cid, uid) == 0 then
    table.insert(lost, (i - 2) / 2)
  end
end
return lost
"""
)

# ARGV: prefix. Returns campaigns where an online user has no live entry.
_EXPIRING = (
    _NOW
    + """
local out = {}
local p = ARGV[1]
for _, cid in ipairs(redis.call('SMEMBERS', p .. 'campaigns')) do
  local users = redis.call('SMEMBERS', p .. 'online:' .. cid)
  if #users == 0 then
    table.insert(out, cid)
  else
    for _, uid in ipairs(users) do
      local k = p .. 'conns:' .. cid .. ':' .. uid
      if redis.call('ZCOUNT', k, '(' .. now, '+inf') == 0 then
        table.insert(out, cid)
        break
      end
    end
  end
end
return out
"""
)

# ARGV: prefix, cid. Returns the users turned offline.
_EXPIRE = (
    _NOW
    + """
local p, cid = ARGV[1], ARGV[2]
local gone = {}
local online = p .. 'online:' .. cid
for _, uid in ipairs(redis.call('SMEMBERS', online)) do
  local k = p .. 'conns:' .. cid .. ':' .. uid
  redis.call('ZREMRANGEBYSCORE', k, '-inf', now)
  if redis.call('ZCARD', k) == 0 then
    redis.call('SREM', online, uid)
    table.insert(gone, uid)
  end
end
if redis.call('SCARD', online) == 0 then
  redis.call('SREM', p .. 'campaigns', cid)
end
return gone
"""
)


class RedisTracker(Tracker):
    """Presence shared through Redis.

    Args:
        url: ``redis://host:port/db``.
        instance_id: unique per process.
        prefix: key prefix shared with the broker's.
        ttl: seconds an entry lives without a refresh; refresh every ``timing.heartbeat_interval(ttl)``.
    """

    def __init__(
        self, url: str, instance_id: str, *, prefix: str = "shiftline", ttl: float = DEFAULT_TTL
    ) -> None:
        super().__init__(instance_id, ttl=ttl)
        self._p = f"{prefix}:presence:"
        self._ttl_ms = max(1, int(ttl * 1000))
        self._client = aioredis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
        self._join = self._client.register_script(_JOIN)
        self._leave = self._client.register_script(_LEAVE)
        self._refresh = self._client.register_script(_REFRESH)
        self._expiring = self._client.register_script(_EXPIRING)
        self._expire = self._client.register_script(_EXPIRE)

    async def close(self) -> None:
        await self._client.aclose()

    async def _call(self, script: Any, keys: list[str], args: list[Any]) -> Any:
        try:
            return await script(keys=keys, args=args)
        except (RedisError, OSError) as exc:
            raise PresenceUnavailable(f"Redis presence failed: {exc}") from None

    async def join(self, key: Key) -> bool:
        cid, uid = key
        keys = [f"{self._p}conns:{cid}:{uid}", f"{self._p}online:{cid}", f"{self._p}campaigns"]
        return bool(await self._call(self._join, keys, [self.instance_id, self._ttl_ms, uid, cid]))

    async def leave(self, key: Key) -> bool:
        cid, uid = key
        keys = [f"{self._p}conns:{cid}:{uid}", f"{self._p}online:{cid}"]
        return bool(await self._call(self._leave, keys, [self.instance_id, uid]))

    async def refresh(self, keys: Iterable[Key]) -> list[Key]:
        pairs = list(keys)
        if not pairs:
            return []
        args: list[Any] = [self._p, self.instance_id, self._ttl_ms]
        for cid, uid in pairs:
            args += [cid, uid]
        lost = await self._call(self._refresh, [], args)
        return [pairs[int(i) - 1] for i in lost]

    async def expiring(self) -> list[int]:
        return [int(cid) for cid in await self._call(self._expiring, [], [self._p])]

    async def expire(self, campaign_id: int) -> list[int]:
        return [int(uid) for uid in await self._call(self._expire, [], [self._p, campaign_id])]

    async def online(self, campaign_id: int) -> set[int]:
        try:
            members = await self._client.smembers(f"{self._p}online:{campaign_id}")
        except (RedisError, OSError) as exc:
            raise PresenceUnavailable(f"Redis presence failed: {exc}") from None
        return {int(m) for m in members}
