"""Login throttling: after a few failures per account or per address, make the next try wait longer.

Counts live in Redis when configured (shared by every API process), in this process otherwise —
and while Redis does not answer.
Unknown accounts are counted exactly like known ones, so the answer reveals nothing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from redis.exceptions import RedisError

from pushtask.infra.outage import Outage

FREE_FAILURES = 5
BASE_DELAY_S = 2.0
MAX_DELAY_S = 15 * 60.0
WINDOW_S = 15 * 60.0


def delay_after(failures: int) -> float:
    """Seconds the next attempt must wait after `failures` consecutive failures (0 for the first five)."""
    if failures < FREE_FAILURES:
        return 0.0
    return float(min(MAX_DELAY_S, BASE_DELAY_S * 2 ** (failures - FREE_FAILURES)))


class Counter(Protocol):
    def get(self, key: str) -> tuple[int, float]: ...

    def fail(self, key: str, now: float) -> None: ...

    def reset(self, key: str) -> None: ...


class MemoryCounter:
    """Failures per key in this process: (count, time of the last failure)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._data: dict[str, tuple[int, float]] = {}

    def get(self, key: str) -> tuple[int, float]:
        with self._lock:
            return self._data.get(key, (0, 0.0))

    def fail(self, key: str, now: float) -> None:
        with self._lock:
            count, last = self._data.get(key, (0, 0.0))
            if now - last > WINDOW_S:
                count = 0
            self._data[key] = (count + 1, now)
            if len(self._data) > 100_000:  # bound memory under a spray of random names
                oldest = sorted(self._data.items(), key=lambda kv: kv[1][1])[:50_000]
                for stale, _ in oldest:
                    del self._data[stale]

    def reset(self, key: str) -> None:
        with self._lock:
            self._data.pop(key, None)


class RedisCounter:
    """Failures per key in Redis, expiring after the window."""

    def __init__(self, client: Any, prefix: str = "pushtask:login:") -> None:
        self._redis = client
        self._prefix = prefix

    def get(self, key: str) -> tuple[int, float]:
        values = self._redis.hmget(self._prefix + key, "count", "last")
        return int(values[0] or 0), float(values[1] or 0.0)

    def fail(self, key: str, now: float) -> None:
        name = self._prefix + key
        pipe = self._redis.pipeline()
        pipe.hincrby(name, "count", 1)
        pipe.hset(name, "last", now)
        pipe.expire(name, int(WINDOW_S + MAX_DELAY_S))
        pipe.execute()

    def reset(self, key: str) -> None:
        self._redis.delete(self._prefix + key)


class FallbackCounter:
    """Redis while it answers, this process's memory while it does not: sign-in stays throttled.

    Failures counted in memory during an outage stay in this process; Redis starts afresh.
    """

    PROBE_S = 2.0  # while Redis is away, try it again at most this often

    def __init__(self, primary: Counter, fallback: Counter, outage: Outage) -> None:
        self._primary = primary
        self._fallback = fallback
        self._outage = outage

    def _call(self, name: str, *args: Any) -> Any:
        if self._outage.worth_trying(self.PROBE_S):
            try:
                result = getattr(self._primary, name)(*args)
            except (RedisError, OSError) as exc:
                self._outage.failed(exc)
            else:
                self._outage.succeeded()
                return result
        return getattr(self._fallback, name)(*args)

    def get(self, key: str) -> tuple[int, float]:
        count, last = self._call("get", key)
        return int(count), float(last)

    def fail(self, key: str, now: float) -> None:
        self._call("fail", key, now)

    def reset(self, key: str) -> None:
        self._call("reset", key)


class LoginThrottle:
    """Decide whether a sign-in may be tried now, and record its outcome."""

    def __init__(self, counter: Counter, clock: Callable[[], float] = time.time) -> None:
        self._counter = counter
        self._clock = clock

    def _keys(self, account: str, address: str) -> list[str]:
        return [f"acct:{account.strip().lower()[:64]}", f"ip:{address}"]

    def retry_after(self, account: str, address: str) -> float:
        """Seconds until a try is allowed (0 when it is)."""
        now = self._clock()
        wait = 0.0
        for key in self._keys(account, address):
            count, last = self._counter.get(key)
            wait = max(wait, last + delay_after(count) - now)
        return max(0.0, wait)

    def failed(self, account: str, address: str) -> None:
        now = self._clock()
        for key in self._keys(account, address):
            self._counter.fail(key, now)

    def succeeded(self, account: str, address: str) -> None:
        self._counter.reset(self._keys(account, address)[0])


class AddressRate:
    """At most `limit` requests per address per fixed window (public endpoints: the short links).

    Counts in the same counters as sign-in (Redis shared by every API process, this process's memory
    while Redis is away), one key per address and window.
    """

    def __init__(self, counter: Counter, limit: int, window_s: float, clock: Callable[[], float] = time.time) -> None:
        self._counter = counter
        self.limit = limit
        self.window_s = window_s
        self._clock = clock

    def hit(self, address: str) -> float:
        """Count one request; return 0 when admitted, else the seconds until the next window."""
        now = self._clock()
        window = int(now // self.window_s)
        key = f"rate:{address}:{window}"
        count, _ = self._counter.get(key)
        if count >= self.limit:
            return max(1.0, (window + 1) * self.window_s - now)
        self._counter.fail(key, now)
        return 0.0
