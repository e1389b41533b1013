"""Keep Python's full garbage collections out of the moments a planned push fires.

A full (generation 2) collection walks every tracked object the process holds and stops every
thread meanwhile: with a minute of planned occurrences in memory (1,000 pushes × 10 groups) it took
50–170 ms on the benchmark machine, every 4–6 s, and each one showed up as a push fired that much
late (bench/README.md, "Fire lateness").

So a worker:
- freezes what it built at start-up (modules, the ORM's mappers, compiled statements: never garbage)
  with `gc.freeze()`, so later collections do not walk it;
- leaves the young generations to the interpreter (they are small and quick), but never lets it start
  a full collection on its own;
- runs the full collection itself from the firer, when nothing is due to fire for a while, and in any
  case once `max_interval_s` has passed, so cyclic garbage that reached the old generation is still
  freed (it only waits a little longer).
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable

log = logging.getLogger("pushtask.worker")

# Generation 2 threshold high enough that the interpreter never starts a full collection by itself.
NEVER = 1_000_000_000


class FullCollections:
    """Full collections at quiet moments (see the module doc); `clock` is monotonic seconds."""

    def __init__(
        self,
        *,
        quiet_s: float = 0.25,
        min_interval_s: float = 10.0,
        max_interval_s: float = 120.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.quiet_s = quiet_s
        self.min_interval_s = min_interval_s
        self.max_interval_s = max_interval_s
        self.clock = clock
        self.last = clock()
        self.runs = 0
        self._thresholds: tuple[int, int, int] | None = None

    def start(self) -> None:
        """Collect once, freeze the survivors of start-up, stop automatic full collections."""
        gc.collect()
        gc.freeze()
        self._thresholds = gc.get_threshold()
        young, middle, _full = self._thresholds
        gc.set_threshold(young, middle, NEVER)
        self.last = self.clock()

    def stop(self) -> None:
        """Give the interpreter its automatic full collections back (a worker run in a test process)."""
        if self._thresholds is not None:
            gc.set_threshold(*self._thresholds)
            gc.unfreeze()
            self._thresholds = None

    def due(self, quiet_for_s: float) -> bool:
        """Whether to run a full collection now, with nothing due to fire for `quiet_for_s` seconds."""
        since = self.clock() - self.last
        if since >= self.max_interval_s:
            return True
        return since >= self.min_interval_s and quiet_for_s >= self.quiet_s

    def maybe(self, quiet_for_s: float) -> bool:
        """Run the full collection if `due`; return whether it ran."""
        if self._thresholds is None or not self.due(quiet_for_s):
            return False
        started = time.perf_counter()
        found = gc.collect(2)
        self.last = self.clock()
        self.runs += 1
        log.debug(
            "full garbage collection: %d unreachable, %.1f ms, nothing due for %.0f ms",
            found,
            (time.perf_counter() - started) * 1000,
            quiet_for_s * 1000,
        )
        return True
