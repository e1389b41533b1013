"""Background work steps aside while a planned push fires.

A worker's threads share one interpreter lock. When the planning of the next minute (hundreds of
tasks inserted at once), the writing of results or the finishing of pushes holds it just as a fire
is due, the fire thread waits for it after every database answer, and the push goes out tens of
milliseconds late (bench/README.md, "Fire lateness").

So the firer tells the gate when the next fire is due (`expect`) and when one is under way (`begin`,
`end`), and background threads call `wait_clear` between their transactions: it returns at once
when no fire is near, and otherwise waits until the fire is done, for at most `max_wait_s` (a
worker whose timer fires every few milliseconds still plans and writes its results).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable


class FireGate:
    """When background threads should not start work: a fire is due within `margin_s` or under way."""

    def __init__(
        self,
        *,
        margin_s: float = 0.015,
        hold_s: float = 0.02,
        max_wait_s: float = 0.05,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.margin_s = margin_s
        self.hold_s = hold_s
        self.max_wait_s = max_wait_s
        self.clock = clock
        self._cond = threading.Condition()
        self._next_fire = math.inf  # monotonic time of the nearest planned fire
        self._busy_until = -math.inf  # a fire under way, at most until then
        self.waits = 0  # how often background work stepped aside (read by tests; no log line uses it yet)

    def expect(self, at: float) -> None:
        """The nearest planned fire is at monotonic time `at` (`math.inf`: none)."""
        with self._cond:
            self._next_fire = at
            self._cond.notify_all()

    def begin(self) -> None:
        """A fire starts: background work waits until `end`, or `hold_s` at most."""
        with self._cond:
            self._busy_until = self.clock() + self.hold_s
            self._next_fire = math.inf
            self._cond.notify_all()

    def end(self) -> None:
        """The fire's sends are out: background work may go on."""
        with self._cond:
            self._busy_until = -math.inf
            self._cond.notify_all()

    def blocked_for(self, now: float) -> float:
        """How long background work should still wait at `now` (0: go)."""
        if now < self._busy_until:
            return self._busy_until - now
        if self._next_fire - now < self.margin_s:
            return max(0.0, self._next_fire - now) + self.hold_s
        return 0.0

    def wait_clear(self) -> None:
        """Return when no fire is near or under way, or after `max_wait_s` (called from worker threads)."""
        deadline = self.clock() + self.max_wait_s
        with self._cond:
            waited = False
            while True:
                now = self.clock()
                blocked = self.blocked_for(now)
                if blocked <= 0 or now >= deadline:
                    break
                waited = True
                self._cond.wait(min(blocked, deadline - now))
            if waited:
                self.waits += 1
