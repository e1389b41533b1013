"""With Redis, API processes share what they must: login failures (and one client serves them all)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from pushtask.config import load_settings
from pushtask.wiring import build_runtime
from tests.support import redis_url

pytestmark = pytest.mark.redis


def test_login_failures_counted_by_one_process_throttle_another(tmp_path: Path) -> None:
    url, reason = redis_url()
    if url is None:
        pytest.skip(reason)
    settings = load_settings({"PUSHTASK_REDIS_URL": url}, data_dir=str(tmp_path))
    first, second = build_runtime(settings), build_runtime(settings)  # two API processes
    account, address = f"shared-{uuid.uuid4().hex}", f"10.0.{uuid.uuid4().int % 250}.1"
    try:
        for _ in range(4):
            first.login_throttle.failed(account, address)
        assert second.login_throttle.retry_after(account, "192.0.2.7") == 0  # the fifth try is still free
        first.login_throttle.failed(account, address)
        assert second.login_throttle.retry_after(account, "192.0.2.7") > 0
        assert first.redis.ping() and second.redis.ping()
    finally:
        first.redis.delete(f"pushtask:login:acct:{account}", f"pushtask:login:ip:{address}")
