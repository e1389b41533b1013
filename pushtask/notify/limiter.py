"""An in-process sliding-window rate limiter for the public feedback endpoint.

Process-local on purpose: the feedback form is answered by people, so a limit per API process
(N processes admit at most N× the rate) is enough to stop a flood without a Redis round trip
on the public path. Memory is bounded: idle keys are dropped as their windows pass.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Callable
from datetime import datetime


class SlidingWindowLimiter:
    """Admit at most `limit` events per key within `window_s` seconds."""

    def __init__(self, limit: int, window_s: float, clock: Callable[[], datetime], max_keys: int = 100_000) -> None:
        self.limit = limit
        self.window_s = window_s
        self.clock = clock
        self.max_keys = max_keys
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> float | None:
        """Count one event; return None when admitted, else the seconds until it would be."""
        now = self.clock().timestamp()
        with self._lock:
            events = self._events.get(key)
            if events is None:
                if len(self._events) >= self.max_keys:
                    self._sweep(now)
                events = self._events[key] = deque()
            while events and events[0] <= now - self.window_s:
                events.popleft()
            if len(events) >= self.limit:
                return max(1.0, math.ceil(events[0] + self.window_s - now))
            events.append(now)
            return None

    def _sweep(self, now: float) -> None:
        for key in [k for k, v in self._events.items() if not v or v[-1] <= now - self.window_s]:
            del self._events[key]
