"""Processes sharing Redis: one token refresh, one robot rate limit.

Reads PUSHTASK_TEST_REDIS_URL (default redis://127.0.0.1:6379/5) and skips when Redis does not answer.
"""

from __future__ import annotations

import multiprocessing
import os
import uuid
from collections.abc import Iterator

import pytest
import redis

from pushtask.sandbox import SandboxHandle
from pushtask.wechat.clock import FakeClock

from . import redis_workers
from .helpers import ROBOT_KEY

REDIS_URL = os.environ.get("PUSHTASK_TEST_REDIS_URL", "redis://127.0.0.1:6379/5")


@pytest.fixture()
def redis_prefix() -> Iterator[str]:
    client = redis.Redis.from_url(REDIS_URL, socket_timeout=1, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis not reachable at {REDIS_URL}: {exc}")
    prefix = f"pushtask-test-wechat:{uuid.uuid4().hex}:"
    yield prefix
    for key in client.scan_iter(match=prefix + "*"):
        client.delete(key)
    client.close()


def _run(target: object, args: tuple[object, ...], processes: int) -> list[object]:
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(processes), ctx.Queue()
    children = [ctx.Process(target=target, args=(*args, barrier, results)) for _ in range(processes)]  # type: ignore[arg-type]
    for child in children:
        child.start()
    collected = [results.get(timeout=30) for _ in children]
    for child in children:
        child.join(timeout=10)
        assert child.exitcode == 0
    return collected


def test_two_processes_refresh_the_token_once(sandbox: SandboxHandle, clock: FakeClock, redis_prefix: str) -> None:
    # Slow the token endpoint so the second process arrives while the first is fetching.
    sandbox.state.add_fault(endpoint="gettoken", latency_ms=300, times=1)
    outcomes = _run(redis_workers.fetch_token, (sandbox.url, REDIS_URL, redis_prefix), processes=2)
    tokens = {token for token, _ in outcomes}  # type: ignore[misc]
    fetches = sum(count for _, count in outcomes)  # type: ignore[misc]
    assert len(tokens) == 1 and fetches == 1
    assert sandbox.state.stats["gettoken"] == 1


def test_two_processes_share_the_robot_limit(sandbox: SandboxHandle, clock: FakeClock, redis_prefix: str) -> None:
    outcomes = _run(redis_workers.robot_burst, (sandbox.url, REDIS_URL, redis_prefix, ROBOT_KEY, 15), processes=2)
    flat = [o for per_process in outcomes for o in per_process]  # type: ignore[attr-defined]
    assert sum(1 for sent, _ in flat if sent) == 20
    assert {code for sent, code in flat if not sent} == {-10006}
    assert sandbox.state.stats["webhook/send"] == 20
