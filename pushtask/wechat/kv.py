"""A small shared key-value store: tokens, media ids, locks and rate windows live here.

`RedisStore` shares them between all processes; `MemoryStore` is the in-process store when no
Redis is configured (embedded mode) and the fake for unit tests; `FallbackStore` puts the two
together so that losing Redis degrades sharing and never stops a send.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from typing import Any, Protocol

from redis.exceptions import RedisError

Clock = Callable[[], float]


class OutageTracker(Protocol):
    """What FallbackStore reports to (pushtask.infra.outage.Outage, built by the composition root)."""

    def worth_trying(self, every_s: float) -> bool: ...

    def failed(self, exc: BaseException) -> bool: ...

    def succeeded(self) -> float | None: ...


class KeyValueStore(Protocol):
    """What the token cache, media cache and rate limiter need from a store."""

    async def get(self, key: str) -> str | None: ...

    async def set(self, key: str, value: str, ttl_s: float) -> None: ...

    async def delete_if_equals(self, key: str, value: str) -> bool: ...

    async def acquire_lock(self, key: str, owner: str, ttl_s: float) -> bool: ...

    async def release_lock(self, key: str, owner: str) -> None: ...

    async def admit(self, key: str, now: float, window_s: float, limit: int, cost: int = 1) -> float:
        """Record `cost` events in a sliding window if they fit under `limit`, all or none.

        Return 0.0 when admitted, else the seconds until enough events leave the window.
        """
        ...

    async def close(self) -> None: ...


class MemoryStore:
    """In-process store; thread-safe. Expiry follows the injected clock."""

    def __init__(self, clock: Clock = time.time) -> None:
        self._clock = clock
        self._values: dict[str, tuple[str, float]] = {}
        self._windows: dict[str, list[float]] = {}
        self._mutex = threading.Lock()

    def _live(self, key: str) -> str | None:
        item = self._values.get(key)
        if item is None:
            return None
        if item[1] <= self._clock():
            del self._values[key]
            return None
        return item[0]

    async def get(self, key: str) -> str | None:
        with self._mutex:
            return self._live(key)

    async def set(self, key: str, value: str, ttl_s: float) -> None:
        with self._mutex:
            self._values[key] = (value, self._clock() + ttl_s)

    async def delete_if_equals(self, key: str, value: str) -> bool:
        with self._mutex:
            if self._live(key) == value:
                del self._values[key]
                return True
            return False

    async def acquire_lock(self, key: str, owner: str, ttl_s: float) -> bool:
        with self._mutex:
            if self._live(key) is not None:
                return False
            self._values[key] = (owner, self._clock() + ttl_s)
            return True

    async def release_lock(self, key: str, owner: str) -> None:
        await self.delete_if_equals(key, owner)

    async def admit(self, key: str, now: float, window_s: float, limit: int, cost: int = 1) -> float:
        with self._mutex:
            events = [t for t in self._windows.get(key, []) if t > now - window_s]
            if len(events) + cost > limit:
                self._windows[key] = events
                return max(events[len(events) + cost - limit - 1] + window_s - now, 0.001)
            events.extend([now] * cost)
            self._windows[key] = events
            return 0.0

    async def close(self) -> None:
        """Nothing to release."""


_DELETE_IF_EQUALS = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

# Sliding log in a sorted set scored by the caller's clock (so tests can drive time).
_ADMIT = """
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
local cost = tonumber(ARGV[5])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
if count + cost > limit then
  local idx = count + cost - limit - 1
  local oldest = redis.call('ZRANGE', KEYS[1], idx, idx, 'WITHSCORES')
  return tostring(math.max(tonumber(oldest[2]) + window - now, 0.001))
end
for i = 1, cost do
  redis.call('ZADD', KEYS[1], now, ARGV[4] .. ':' .. i)
end
redis.call('PEXPIRE', KEYS[1], math.ceil(window * 1000) + 1000)
return '0'
"""


class RedisStore:
    """Redis-backed store shared by every process; keys are prefixed to share a database safely."""

    def __init__(self, redis: Any, prefix: str = "pushtask:wechat:") -> None:
        # `redis` is a redis.asyncio.Redis created in the event loop that uses this store.
        self._redis = redis
        self._prefix = prefix

    @classmethod
    def from_url(cls, url: str, prefix: str = "pushtask:wechat:") -> RedisStore:
        """Connect lazily to the Redis at `url`."""
        import redis.asyncio as aioredis

        return cls(aioredis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=3), prefix)

    async def close(self) -> None:
        await self._redis.aclose()

    async def get(self, key: str) -> str | None:
        value = await self._redis.get(self._prefix + key)
        if value is None:
            return None
        return value.decode("utf-8") if isinstance(value, bytes) else str(value)

    async def set(self, key: str, value: str, ttl_s: float) -> None:
        await self._redis.set(self._prefix + key, value, px=max(int(ttl_s * 1000), 1))

    async def delete_if_equals(self, key: str, value: str) -> bool:
        deleted = await self._redis.eval(_DELETE_IF_EQUALS, 1, self._prefix + key, value)
        return bool(deleted)

    async def acquire_lock(self, key: str, owner: str, ttl_s: float) -> bool:
        ok = await self._redis.set(self._prefix + key, owner, px=max(int(ttl_s * 1000), 1), nx=True)
        return bool(ok)

    async def release_lock(self, key: str, owner: str) -> None:
        await self._redis.eval(_DELETE_IF_EQUALS, 1, self._prefix + key, owner)

    async def admit(self, key: str, now: float, window_s: float, limit: int, cost: int = 1) -> float:
        member = f"{now:.6f}:{uuid.uuid4().hex}"
        wait = await self._redis.eval(
            _ADMIT, 1, self._prefix + key, repr(now), repr(window_s), str(limit), member, str(cost)
        )
        text = wait.decode("ascii") if isinstance(wait, bytes) else str(wait)
        return float(text)


class FallbackStore:
    """Redis while it answers, this process's memory while it does not: sends never wait on Redis.

    While Redis is away, tokens are cached and rate windows counted per process (N workers may
    then admit N× a robot's limit, and each fetches its own token) — degraded, never stopped.
    """

    PROBE_S = 2.0  # while Redis is away, try it again at most this often

    def __init__(self, primary: KeyValueStore, fallback: KeyValueStore, outage: OutageTracker) -> None:
        self._primary = primary
        self._fallback = fallback
        self._outage = outage

    async def _call(self, name: str, *args: Any) -> Any:
        if self._outage.worth_trying(self.PROBE_S):
            try:
                result = await getattr(self._primary, name)(*args)
            except (RedisError, OSError) as exc:
                self._outage.failed(exc)
            else:
                self._outage.succeeded()
                return result
        return await getattr(self._fallback, name)(*args)

    async def get(self, key: str) -> str | None:
        value: str | None = await self._call("get", key)
        return value

    async def set(self, key: str, value: str, ttl_s: float) -> None:
        await self._call("set", key, value, ttl_s)

    async def delete_if_equals(self, key: str, value: str) -> bool:
        return bool(await self._call("delete_if_equals", key, value))

    async def acquire_lock(self, key: str, owner: str, ttl_s: float) -> bool:
        return bool(await self._call("acquire_lock", key, owner, ttl_s))

    async def release_lock(self, key: str, owner: str) -> None:
        await self._call("release_lock", key, owner)

    async def admit(self, key: str, now: float, window_s: float, limit: int, cost: int = 1) -> float:
        return float(await self._call("admit", key, now, window_s, limit, cost))

    async def close(self) -> None:
        await self._primary.close()
        await self._fallback.close()
