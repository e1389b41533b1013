"""A small per-process cache of recent answers that are allowed to be a fraction of a second old."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class Recent(Generic[V]):
    """Values kept for at most `ttl` seconds of `timer` (thread-safe, LRU-bounded).

    An entry also stops counting when the timer goes backwards past its creation, so a clock
    set back never stretches its life.
    """

    def __init__(self, ttl: float, timer: Callable[[], float], size: int = 4096) -> None:
        self.ttl, self.size, self._timer = ttl, size, timer
        self._entries: OrderedDict[Hashable, tuple[float, V]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> V | None:
        now = self._timer()
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if not entry[0] <= now < entry[0] + self.ttl:
                del self._entries[key]
                return None
            return entry[1]

    def put(self, key: Hashable, value: V) -> None:
        now = self._timer()
        with self._lock:
            self._entries[key] = (now, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def discard_if(self, predicate: Callable[[V], bool]) -> None:
        """Forget every entry whose value matches (e.g. a signed-out token, a removed user)."""
        with self._lock:
            for key in [k for k, (_, v) in self._entries.items() if predicate(v)]:
                del self._entries[key]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
