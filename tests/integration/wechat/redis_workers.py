"""Code run in child processes that share a Redis with the test process."""

from __future__ import annotations

import asyncio
from typing import Any

from pushtask.channels import GroupTarget, ImageRef, MediaBlob, Message, WeComRobotChannel
from pushtask.channels.ratelimit import RateLimiter
from pushtask.sandbox import directory as d
from pushtask.wechat.credentials import WeComCredentials
from pushtask.wechat.http import HttpSeam
from pushtask.wechat.kv import RedisStore
from pushtask.wechat.robot import RobotClient
from pushtask.wechat.wecom import WeComClient


def fetch_token(base_url: str, redis_url: str, prefix: str, barrier: Any, results: Any) -> None:
    async def main() -> None:
        store = RedisStore.from_url(redis_url, prefix)
        http = HttpSeam()
        client = WeComClient(
            WeComCredentials(d.DEFAULT_CORP_ID, d.DEFAULT_CORP_SECRET, d.DEFAULT_AGENT_ID, base_url=base_url),
            http,
            store,
        )
        try:
            barrier.wait(10)
            token = await client.tokens.get()
            results.put((token, client.tokens.fetch_count))
        finally:
            await http.close()
            await store.close()

    asyncio.run(main())


def _no_media(ref: ImageRef) -> MediaBlob:
    raise AssertionError("no images in this test")


def robot_burst(base_url: str, redis_url: str, prefix: str, key: str, count: int, barrier: Any, results: Any) -> None:
    async def main() -> None:
        store = RedisStore.from_url(redis_url, prefix)
        http = HttpSeam()
        channel = WeComRobotChannel(
            RobotClient(http, base_url), _no_media, RateLimiter(store, limit=20, window_s=60, prefix="robot:")
        )
        try:
            barrier.wait(10)
            outcomes = []
            for i in range(count):
                result = await channel.send(GroupTarget(1, "g", "wecom_robot", key), Message(text=f"#{i}"))
                outcomes.append((result.sent, result.errcode))
            results.put(outcomes)
        finally:
            await http.close()
            await store.close()

    asyncio.run(main())
