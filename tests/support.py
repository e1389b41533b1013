"""Helpers shared by the test levels: a settable clock and database URLs for the real servers."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlparse

DEFAULT_MARIADB_URL = "mysql+pymysql://root@127.0.0.1:3306/test"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"


@dataclass
class FrozenClock:
    """A clock tests set and advance; the code under test only ever calls it."""

    now: datetime = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def _reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url.replace("mysql+pymysql", "mysql"))
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=0.5):
            return True
    except OSError:
        return False


def mariadb_url() -> tuple[str | None, str]:
    """Return the MariaDB/MySQL URL to test against, or None and the reason to skip."""
    url = os.environ.get("PUSHTASK_TEST_DATABASE_URL")
    if url:
        return url, ""
    if _reachable(DEFAULT_MARIADB_URL, 3306):
        return DEFAULT_MARIADB_URL, ""
    return None, "PUSHTASK_TEST_DATABASE_URL is not set and no MariaDB/MySQL answers on 127.0.0.1:3306"


def redis_url() -> tuple[str | None, str]:
    """Return the Redis URL to test against, or None and the reason to skip."""
    url = os.environ.get("PUSHTASK_TEST_REDIS_URL")
    if url:
        return url, ""
    if _reachable(DEFAULT_REDIS_URL, 6379):
        return DEFAULT_REDIS_URL, ""
    return None, "PUSHTASK_TEST_REDIS_URL is not set and no Redis answers on 127.0.0.1:6379"
