"""Clocks: the wall clock in production, a hand-driven one in tests and rehearsals."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

Clock = Callable[[], float]

wall_clock: Clock = time.time


class FakeClock:
    """A clock that moves only when told to; safe to share between threads."""

    def __init__(self, start: float = 1_767_225_600.0) -> None:  # 2026-01-01T00:00:00Z
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds

    def set(self, now: float) -> None:
        with self._lock:
            self._now = now
