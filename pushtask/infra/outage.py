"""Tell the operator once when a store goes away and once when it is back, not once per failed call.

While MariaDB restarts, every request and every worker cycle fails; a warning with a traceback for
each would bury the one line that matters. An `Outage` turns that storm into two lines per process:
"unavailable … what happens meanwhile, what to check" and "available again after N s".
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable


class Outage:
    """Track whether one dependency (the database, Redis) is reachable from this process (thread-safe)."""

    def __init__(
        self, name: str, log: logging.Logger, *, meanwhile: str, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.name = name
        self._log = log
        self._meanwhile = meanwhile
        self._clock = clock
        self._lock = threading.Lock()
        self._since: float | None = None
        self._last_failure = 0.0
        self.failures = 0  # failed calls during the current outage

    @property
    def down(self) -> bool:
        return self._since is not None

    def failed(self, exc: BaseException, *, announce: bool = True) -> bool:
        """Record a failed call; log and return True when it is the first of an outage.

        `announce=False`: the caller logs its own line (e.g. a process waiting for the database at start).
        """
        with self._lock:
            self.failures += 1
            self._last_failure = self._clock()
            if self._since is not None:
                return False
            self._since = self._last_failure
        if announce:
            self._log.warning("%s unavailable (%s); %s", self.name, describe(exc), self._meanwhile)
        return True

    def worth_trying(self, every_s: float) -> bool:
        """While down, say whether a call may probe the dependency (at most one attempt per `every_s`).

        Callers with a fallback skip the dependency in between, so a hung server costs one timeout
        per interval instead of one per call.
        """
        with self._lock:
            if self._since is None or self._clock() - self._last_failure >= every_s:
                self._last_failure = self._clock()
                return True
            return False

    def succeeded(self) -> float | None:
        """Record a successful call; when it ends an outage, log and return how long it lasted."""
        if self._since is None:  # the common case: no lock, no work
            return None
        with self._lock:
            if self._since is None:
                return None
            lasted, self._since = self._clock() - self._since, None
            failures, self.failures = self.failures, 0
        self._log.warning("%s available again after %.1f s (%d failed call(s) meanwhile)", self.name, lasted, failures)
        return lasted


def describe(exc: BaseException) -> str:
    """Name an error briefly: its type and the driver's first line, without the SQL."""
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).splitlines()[0] if str(orig) else ""
    return f"{type(orig).__name__}: {text}"[:300] if text else type(orig).__name__
