"""Access-token cache shared by all processes, refreshed by one process at a time.

The entry for a credential is `{token, expires_at, refresh_at}` (times from the injected clock).
- Fresh (now < refresh_at): used as is.
- Due for proactive refresh (refresh_at <= now < expires_at): whoever takes the refresh lock
  fetches; everybody else keeps using the still-valid token meanwhile.
- Missing or expired: whoever takes the lock fetches; the others wait for the entry to appear.
- A call that fails with a token errcode invalidates the entry only if it still holds the token
  that failed (compare-and-delete), so one worker's stale failure cannot throw away the token
  another worker has just fetched.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from pushtask.wechat.errors import WeChatError
from pushtask.wechat.kv import Clock, KeyValueStore

T = TypeVar("T")

Fetch = Callable[[], Awaitable[tuple[str, int]]]


@dataclass(frozen=True)
class TokenEntry:
    token: str
    expires_at: float
    refresh_at: float

    def dumps(self) -> str:
        return json.dumps({"token": self.token, "expires_at": self.expires_at, "refresh_at": self.refresh_at})

    @classmethod
    def loads(cls, raw: str) -> TokenEntry:
        data = json.loads(raw)
        return cls(str(data["token"]), float(data["expires_at"]), float(data["refresh_at"]))


class TokenCache:
    """Hand out a valid access token for one credential."""

    def __init__(
        self,
        store: KeyValueStore,
        key: str,
        fetch: Fetch,
        *,
        clock: Clock = time.time,
        refresh_margin_s: float = 300.0,
        lock_ttl_s: float = 15.0,
        wait_poll_s: float = 0.02,
    ) -> None:
        self._store = store
        self._key = key
        self._lock_key = key + ":lock"
        self._fetch = fetch
        self._clock = clock
        self._margin = refresh_margin_s
        self._lock_ttl = lock_ttl_s
        self._poll = wait_poll_s
        self._local = asyncio.Lock()
        # The last entry read or written, so a fresh token costs no store round trip per call.
        self._seen: TokenEntry | None = None
        self.fetch_count = 0  # fetches done by this instance; read by tests and metrics

    async def _read(self) -> TokenEntry | None:
        raw = await self._store.get(self._key)
        if raw is None:
            return None
        try:
            self._seen = TokenEntry.loads(raw)
        except (ValueError, KeyError, TypeError):
            return None  # a corrupt entry is as good as none: fetch a new token
        return self._seen

    async def get(self) -> str:
        """Return a valid token, fetching one (once across processes) when needed."""
        now = self._clock()
        if self._seen is not None and now < self._seen.refresh_at:
            # Another process may have replaced it since; a token error on it invalidates it (below).
            return self._seen.token
        entry = await self._read()
        if entry is not None and now < entry.refresh_at:
            return entry.token
        # Single flight inside this process first, then across processes through the store lock.
        async with self._local:
            return await self._refresh_or_wait()

    async def _refresh_or_wait(self) -> str:
        owner = uuid.uuid4().hex
        loop = asyncio.get_running_loop()
        give_up_at = loop.time() + self._lock_ttl
        while True:
            entry = await self._read()
            now = self._clock()
            if entry is not None and now < entry.refresh_at:
                return entry.token  # another task or process refreshed it meanwhile
            if await self._store.acquire_lock(self._lock_key, owner, self._lock_ttl):
                try:
                    entry = await self._read()
                    if entry is not None and self._clock() < entry.refresh_at:
                        return entry.token
                    return await self._fetch_and_store()
                finally:
                    await self._store.release_lock(self._lock_key, owner)
            if entry is not None and now < entry.expires_at:
                return entry.token  # someone else is refreshing early; the old token still works
            if loop.time() > give_up_at:
                # The lock holder died or hangs; its lock expires on its own, fetch ourselves.
                return await self._fetch_and_store()
            # Waiting on another process's network call, not on a schedule: real time is right here.
            await asyncio.sleep(self._poll)

    async def _fetch_and_store(self) -> str:
        token, expires_in = await self._fetch()
        self.fetch_count += 1
        now = self._clock()
        expires_in = max(int(expires_in), 1)
        refresh_at = now + max(expires_in - self._margin, expires_in / 2)
        entry = TokenEntry(token, now + expires_in, refresh_at)
        await self._store.set(self._key, entry.dumps(), ttl_s=expires_in)
        self._seen = entry
        return token

    async def invalidate(self, failing_token: str) -> bool:
        """Drop the cached token if it is still the one that failed; say whether it was dropped."""
        entry = await self._read()
        if self._seen is not None and self._seen.token == failing_token:
            self._seen = None
        if entry is None or entry.token != failing_token:
            return False
        raw = await self._store.get(self._key)
        if raw is None:
            return False
        return await self._store.delete_if_equals(self._key, raw)


async def call_with_token(cache: TokenCache, call: Callable[[str], Awaitable[T]]) -> T:
    """Run `call(token)`; on a token errcode refresh once and retry once."""
    token = await cache.get()
    try:
        return await call(token)
    except WeChatError as exc:
        if not exc.is_token_error:
            raise
        await cache.invalidate(token)
    return await call(await cache.get())
