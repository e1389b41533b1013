"""When to try a failed delivery again: a pure function of the attempt number and a random draw."""

from __future__ import annotations

MAX_ATTEMPTS = 4  # the first send and three retries (PRD §4.1.3)
BASE_DELAY_S = 2.0
FACTOR = 4.0
JITTER = 0.2  # ±20 %, so many deliveries failing together do not retry in lockstep


def retry_delay(attempt: int, draw: float, retry_after_s: float | None = None) -> float:
    """Return seconds to wait after failed attempt number `attempt` (1-based); `draw` is in [0, 1).

    Attempts 1, 2, 3 wait about 2 s, 8 s and 32 s: all retries finish within a minute of the fire
    time, because a push is time-critical. A server's own hint (rate limit) wins when it is longer.
    """
    nominal = BASE_DELAY_S * FACTOR ** max(0, attempt - 1)
    delay = nominal * (1 - JITTER + 2 * JITTER * draw)
    if retry_after_s is not None:
        delay = max(delay, retry_after_s)
    return delay


def should_retry(attempt: int, *, permanent: bool, may_duplicate: bool) -> bool:
    """Tell whether a failed attempt is tried again.

    Never for permanent errors; never when the failed attempt may already have reached the
    group on a channel that does not de-duplicate (that delivery becomes "uncertain" instead).
    """
    return not permanent and not may_duplicate and attempt < MAX_ATTEMPTS
