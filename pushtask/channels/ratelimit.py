"""Client-side sliding-window rate limit shared by all processes through the store."""

from __future__ import annotations

import time

from pushtask.wechat.kv import Clock, KeyValueStore


class RateLimiter:
    """Admit at most `limit` events per `window_s` per key (e.g. 20 messages/min per robot)."""

    def __init__(
        self, store: KeyValueStore, *, limit: int, window_s: float, prefix: str, clock: Clock = time.time
    ) -> None:
        self._store = store
        self._limit = limit
        self._window = window_s
        self._prefix = prefix
        self._clock = clock

    async def acquire(self, key: str, cost: int = 1) -> float:
        """Take `cost` slots at once; return 0.0 when granted, else seconds to wait (nothing taken)."""
        if cost > self._limit:
            raise ValueError(f"cost {cost} exceeds the limit {self._limit}")
        return await self._store.admit(self._prefix + key, self._clock(), self._window, self._limit, cost)
