"""Recently counted totals, reused for a few seconds when counting them again would be costly."""

from __future__ import annotations

import threading
from collections.abc import Callable
from time import monotonic
from typing import Any


class CountCache:
    """Recent large totals of the task list, so paging through 100,000 tasks does not count them each time.

    Counting is exact and cheap up to `exact_below` matches, and those totals are never cached. A larger
    total costs a scan of every match (about 20 ms per 100,000 on MariaDB), so it is kept for `ttl`
    seconds per organisation and filter set: such a total may lag other processes' writes by that
    much. Per process, thread-safe, bounded.
    """

    def __init__(
        self, ttl: float = 3.0, exact_below: int = 5_000, size: int = 512, timer: Callable[[], float] = monotonic
    ) -> None:
        self.ttl, self.exact_below, self.size, self._timer = ttl, exact_below, size, timer
        self._entries: dict[tuple[Any, ...], tuple[float, int]] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> int | None:
        with self._lock:
            entry = self._entries.get(key)
        if entry is None or entry[0] <= self._timer():
            return None
        return entry[1]

    def put(self, key: tuple[Any, ...], total: int) -> None:
        if total < self.exact_below:
            return
        with self._lock:
            if len(self._entries) >= self.size:
                now = self._timer()
                self._entries = {k: v for k, v in self._entries.items() if v[0] > now}
                if len(self._entries) >= self.size:
                    self._entries.pop(next(iter(self._entries)))
            self._entries[key] = (self._timer() + self.ttl, total)
