"""Remember uploaded media ids per credential so one image is uploaded once per ~3 days."""

from __future__ import annotations

import hashlib

from pushtask.wechat.kv import KeyValueStore

# WeCom keeps temporary media 3 days; stop reusing an id well before that.
MEDIA_TTL_S = 2.5 * 86400


class MediaCache:
    def __init__(self, store: KeyValueStore, credential: str) -> None:
        self._store = store
        self._prefix = f"media:{credential}:"

    def _key(self, data: bytes) -> str:
        return self._prefix + hashlib.sha256(data).hexdigest()

    async def get(self, data: bytes) -> str | None:
        return await self._store.get(self._key(data))

    async def put(self, data: bytes, media_id: str) -> None:
        await self._store.set(self._key(data), media_id, MEDIA_TTL_S)

    async def forget(self, data: bytes, media_id: str) -> None:
        await self._store.delete_if_equals(self._key(data), media_id)
