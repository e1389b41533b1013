"""When the database or Redis goes away: what is logged, what stands in, and when it is tried again."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pymysql
import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy.exc import OperationalError, ProgrammingError

from pushtask.db import is_unavailable
from pushtask.infra.outage import Outage
from pushtask.infra.throttle import FallbackCounter, LoginThrottle, MemoryCounter
from pushtask.wechat.clock import FakeClock
from pushtask.wechat.kv import FallbackStore, MemoryStore
from pushtask.worker.runner import failure_backoff

LOG = logging.getLogger("test.outage")


def outage(clock: FakeClock) -> Outage:
    return Outage("Redis", LOG, meanwhile="carrying on; check the Redis server", clock=clock)


def test_an_outage_is_logged_once_when_it_starts_and_once_when_it_ends(caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    redis = outage(clock)
    caplog.set_level(logging.WARNING, logger="test.outage")
    assert redis.failed(RedisConnectionError("refused")) is True
    for _ in range(50):
        assert redis.failed(RedisConnectionError("refused")) is False
    clock.advance(7.5)
    assert redis.succeeded() == 7.5
    assert redis.succeeded() is None
    assert [r.getMessage() for r in caplog.records] == [
        "Redis unavailable (ConnectionError: refused); carrying on; check the Redis server",
        "Redis available again after 7.5 s (51 failed call(s) meanwhile)",
    ]


def test_while_down_the_dependency_is_probed_once_per_interval() -> None:
    clock = FakeClock()
    redis = outage(clock)
    assert redis.worth_trying(2.0) is True  # up: always
    redis.failed(OSError("refused"))
    assert redis.worth_trying(2.0) is False
    clock.advance(1.9)
    assert redis.worth_trying(2.0) is False
    clock.advance(0.1)
    assert redis.worth_trying(2.0) is True
    assert redis.worth_trying(2.0) is False  # that probe was the one


def _mysql_error(code: int, message: str) -> OperationalError:
    return OperationalError("SELECT 1", {}, pymysql.err.OperationalError(code, message))


@pytest.mark.parametrize(
    ("error", "unavailable"),
    [
        (_mysql_error(2003, "Can't connect to MySQL server"), True),
        (_mysql_error(2013, "Lost connection to MySQL server during query"), True),
        (_mysql_error(1053, "Server shutdown in progress"), True),
        (_mysql_error(1213, "Deadlock found when trying to get lock"), False),  # a retry helps; the server is there
        (ProgrammingError("SELECT", {}, pymysql.err.ProgrammingError(1146, "Table doesn't exist")), False),
        (ValueError("not a database error"), False),
    ],
)
def test_only_errors_of_reaching_the_server_count_as_the_database_being_away(
    error: BaseException, unavailable: bool
) -> None:
    assert is_unavailable(error) is unavailable


def test_worker_backs_off_half_a_second_doubling_to_two() -> None:
    assert [failure_backoff(n) for n in range(1, 6)] == [0.5, 1.0, 2.0, 2.0, 2.0]


class DeadStore(MemoryStore):
    """A Redis that refuses every call, counting them."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    async def get(self, key: str) -> str | None:
        self.calls += 1
        raise RedisConnectionError("Error 111 connecting to 127.0.0.1:6379")

    async def admit(self, key: str, now: float, window_s: float, limit: int, cost: int = 1) -> float:
        self.calls += 1
        raise RedisConnectionError("Error 111 connecting to 127.0.0.1:6379")


def test_store_falls_back_to_memory_while_redis_is_away_and_probes_it_every_two_seconds() -> None:
    clock = FakeClock()
    dead, memory = DeadStore(), MemoryStore(clock)
    store = FallbackStore(dead, memory, outage(clock))

    async def scenario() -> list[Any]:
        await memory.set("token", "t-1", 60)
        got = [await store.get("token") for _ in range(10)]
        # The rate limit keeps counting in memory: 20 a minute per robot, within this process.
        admitted = [await store.admit("robot:k", clock(), 60, 20) for _ in range(21)]
        clock.advance(2.0)
        got.append(await store.get("token"))
        return [got, admitted]

    got, admitted = asyncio.run(scenario())
    assert got == ["t-1"] * 11
    assert admitted[:20] == [0.0] * 20 and admitted[20] > 0
    assert dead.calls == 2, "one failed call, then one probe two seconds later"


def test_store_uses_redis_again_once_it_answers() -> None:
    clock = FakeClock()
    redis, memory = MemoryStore(clock), MemoryStore(clock)
    watch = outage(clock)
    store = FallbackStore(redis, memory, watch)
    watch.failed(OSError("refused"))
    clock.advance(2.0)

    async def scenario() -> str | None:
        await store.set("token", "shared", 60)
        return await redis.get("token")

    assert asyncio.run(scenario()) == "shared" and not watch.down


class DeadCounter(MemoryCounter):
    def get(self, key: str) -> tuple[int, float]:
        raise RedisConnectionError("refused")

    def fail(self, key: str, now: float) -> None:
        raise RedisConnectionError("refused")

    def reset(self, key: str) -> None:
        raise RedisConnectionError("refused")


def test_sign_in_is_still_throttled_in_this_process_while_redis_is_away() -> None:
    clock = FakeClock()
    throttle = LoginThrottle(FallbackCounter(DeadCounter(), MemoryCounter(), outage(clock)), clock=clock)
    for _ in range(5):
        assert throttle.retry_after("li", "192.0.2.7") == 0
        throttle.failed("li", "192.0.2.7")
    assert throttle.retry_after("li", "192.0.2.7") == 2.0
    throttle.succeeded("li", "192.0.2.7")
    assert throttle.retry_after("li", "192.0.2.8") == 0
