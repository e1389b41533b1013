"""A response cache for list pages, kept fresh by per-organisation data versions.

Every committed write to what a list shows bumps the writing organisation's data version, or, when
the writer cannot tell which organisation it wrote for, a version that every key includes
(`EVERYONE`). A page is stored under the version read *before* its rows were read and looked up
under the current one, so a page computed before a write is never served after that write's
commit: the write bumps after it commits, and a reader that sees the new version reads after the
commit.

Versions live in Redis when it is configured, so that every process sees every other's writes (one
MGET of two small keys per list call). A version is a random token, not a counter: after a Redis
restart a counter would count up again through values that old entries were stored under. When
Redis cannot be read the cache is bypassed; a bump that failed is retried every 2 s until Redis
answers (and before this process reads again), so other processes learn of the write soon after
Redis is back; and no entry is served after `max_age` seconds whatever happens.

Without Redis the versions live in the process, which is only correct when one process does all
the writing (`pushtask serve`); `pushtask api` without Redis therefore runs without this cache.
The pages themselves are kept per process (bytes of the JSON answer, LRU, bounded).
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from typing import Any, Protocol

from pushtask.infra.outage import Outage

log = logging.getLogger("pushtask.cache")

EVERYONE = "*"
Version = tuple[Hashable, Hashable]


class Versions(Protocol):
    def read(self, org_id: str) -> Version | None:
        """Return the organisation's current data version, or None when it cannot be known now."""

    def bump(self, org_ids: Iterable[str]) -> None:
        """Mark these organisations' data (EVERYONE: all organisations') as changed."""


class MemoryVersions:
    """Versions of this process only (thread-safe): correct when this process does every write."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._orgs: dict[str, int] = {}

    def read(self, org_id: str) -> Version | None:
        orgs = self._orgs
        return orgs.get(org_id, 0), orgs.get(EVERYONE, 0)

    def bump(self, org_ids: Iterable[str]) -> None:
        with self._lock:
            for org_id in set(org_ids):
                self._orgs[org_id] = self._orgs.get(org_id, 0) + 1


class RedisVersions:
    """Versions shared by every process through Redis: `pushtask:dv:<org>` and `pushtask:dv:*`."""

    PROBE_S = 2.0  # while Redis is away, try it at most this often (reads bypass the cache meanwhile)

    def __init__(self, client: Any, outage: Outage | None = None, prefix: str = "pushtask:dv:") -> None:
        self._client = client
        self._prefix = prefix
        self._outage = outage or Outage("Redis", log, meanwhile="task lists are read from the database each time")
        self._lock = threading.Lock()
        self._pending: set[str] = set()  # bumps that failed: retried in the background and before a read
        self._retrying = False

    def _key(self, org_id: str) -> str:
        return self._prefix + org_id

    def read(self, org_id: str) -> Version | None:
        if self._pending and not self._flush_pending():
            return None
        if self._outage.down and not self._outage.worth_trying(self.PROBE_S):
            return None  # Redis is away: a request must not wait for its timeout each time
        keys = (self._key(org_id), self._key(EVERYONE))
        try:
            values = self._client.mget(keys)
            if None in values:
                # First use, expiry, or a Redis restart: start from a fresh token, never an old value.
                for key, value in zip(keys, values, strict=True):
                    if value is None:
                        self._client.set(key, secrets.token_hex(8), nx=True)
                values = self._client.mget(keys)
        except Exception as exc:  # noqa: BLE001 — any Redis failure means "unknown": read the database
            self._outage.failed(exc)
            return None
        self._outage.succeeded()
        if None in values:
            return None
        return values[0], values[1]

    def bump(self, org_ids: Iterable[str]) -> None:
        with self._lock:
            self._pending.update(org_ids)
        self._flush_pending()

    def _flush_pending(self) -> bool:
        with self._lock:
            orgs, self._pending = self._pending, set()
        if not orgs:
            return True
        if self._outage.down and not self._outage.worth_trying(self.PROBE_S):
            with self._lock:
                self._pending.update(orgs)
            return False
        try:
            pipe = self._client.pipeline(transaction=False)
            for org_id in orgs:
                pipe.set(self._key(org_id), secrets.token_hex(8))
            pipe.execute()
        except Exception as exc:  # noqa: BLE001 — kept and retried; meanwhile reads bypass the cache
            with self._lock:
                self._pending.update(orgs)
            self._outage.failed(exc)
            self._retry_later()
            return False
        self._outage.succeeded()
        return True

    def _retry_later(self) -> None:
        """Flush the failed bumps as soon as Redis answers, whether or not this process is asked again:
        other processes must not go on serving pages this process's writes made old."""
        with self._lock:
            if self._retrying:
                return
            self._retrying = True

        def retry() -> None:
            while True:
                time.sleep(self.PROBE_S)
                if self._flush_pending():
                    break
            with self._lock:
                self._retrying = False

        threading.Thread(target=retry, name="pushtask-version-retry", daemon=True).start()


class ListCache:
    """Answers of list calls by (organisation, request key), valid while the organisation's version is."""

    def __init__(
        self,
        versions: Versions,
        *,
        size: int = 2048,
        max_age: float = 60.0,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self.versions = versions
        self.size, self.max_age, self._timer = size, max_age, timer
        self._entries: OrderedDict[tuple[str, Hashable], tuple[Version, float, bytes]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def version(self, org_id: str) -> Version | None:
        """Read the version to store a page under: call it before reading the page's rows."""
        return self.versions.read(org_id)

    def get(self, org_id: str, key: Hashable, version: Version) -> bytes | None:
        with self._lock:
            entry = self._entries.get((org_id, key))
            if entry is not None and entry[0] == version and self._timer() - entry[1] < self.max_age:
                self._entries.move_to_end((org_id, key))
                self.hits += 1
                return entry[2]
            self.misses += 1
            return None

    def put(self, org_id: str, key: Hashable, version: Version, body: bytes) -> None:
        with self._lock:
            self._entries[(org_id, key)] = (version, self._timer(), body)
            self._entries.move_to_end((org_id, key))
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
