"""Data versions through Redis: a write whose bump failed during an outage still makes pages old."""

from __future__ import annotations

import logging
from typing import Any

from redis.exceptions import ConnectionError as RedisConnectionError

from pushtask.infra.listcache import ListCache, MemoryVersions, RedisVersions
from pushtask.infra.outage import Outage
from pushtask.wechat.clock import FakeClock


class FakeRedis:
    """Just what RedisVersions uses; `down` makes every call fail as a stopped server does."""

    def __init__(self) -> None:
        self.values: dict[str, bytes] = {}
        self.down = False

    def _check(self) -> None:
        if self.down:
            raise RedisConnectionError("refused")

    def mget(self, keys: Any) -> list[bytes | None]:
        self._check()
        return [self.values.get(k) for k in keys]

    def set(self, key: str, value: str, nx: bool = False) -> None:
        self._check()
        if not (nx and key in self.values):
            self.values[key] = value.encode()

    def pipeline(self, transaction: bool = False) -> Any:
        redis = self

        class Pipe:
            def __init__(self) -> None:
                self.ops: list[tuple[str, str]] = []

            def set(self, key: str, value: str) -> None:
                self.ops.append((key, value))

            def execute(self) -> None:
                redis._check()
                for key, value in self.ops:
                    redis.set(key, value)

        return Pipe()


def test_a_bump_lost_to_an_outage_is_applied_when_redis_is_back() -> None:
    clock = FakeClock()
    redis = FakeRedis()
    versions = RedisVersions(redis, Outage("Redis", logging.getLogger("test"), meanwhile="…", clock=clock))
    cache = ListCache(versions)
    before = versions.read("org")
    assert before is not None
    cache.put("org", "page 1", before, b"old page")
    redis.down = True
    versions.bump(["org"])  # a write while Redis is away
    assert versions.read("org") is None  # the cache is bypassed meanwhile
    redis.down = False
    clock.advance(2.0)
    after = versions.read("org")  # the lost bump goes first
    assert after is not None and after != before
    assert cache.get("org", "page 1", after) is None


def test_a_restarted_redis_never_brings_back_an_old_version() -> None:
    redis = FakeRedis()
    versions = RedisVersions(redis)
    first = versions.read("org")
    redis.values.clear()  # restarted without persistence
    assert versions.read("org") != first


def test_in_process_versions_are_per_organisation_and_everyone() -> None:
    versions = MemoryVersions()
    a, b = versions.read("a"), versions.read("b")
    versions.bump(["a"])
    assert versions.read("a") != a and versions.read("b") == b
    versions.bump(["*"])
    assert versions.read("b") != b
