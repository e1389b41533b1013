"""Production mode: `pushtask api` (gunicorn, two workers) on MariaDB + Redis, set by two URLs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from pushtask.infra.fieldcrypt import KeyRing
from tests.acceptance.conftest import ADMIN_PASSWORD, free_port
from tests.support import mariadb_url, redis_url

pytestmark = [pytest.mark.acceptance, pytest.mark.mariadb, pytest.mark.redis]


@pytest.fixture
def database_url() -> Iterator[str]:
    url, reason = mariadb_url()
    if url is None:
        pytest.skip(reason)
    base = make_url(url)
    name = f"{base.database or 'test'}_api_{uuid.uuid4().hex[:8]}"
    server = create_engine(base.set(database=None), isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with server.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
        server.dispose()


def test_two_api_workers_on_mariadb_share_sign_in_and_data(database_url: str, tmp_path: Path) -> None:
    redis, reason = redis_url()
    if redis is None:
        pytest.skip(reason)
    port = free_port()
    env = {
        **os.environ,
        "PUSHTASK_DATABASE_URL": database_url,
        "PUSHTASK_REDIS_URL": redis,
        "PUSHTASK_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "PUSHTASK_SECRET_KEY": "a-shared-secret-for-every-api-process-0123456789",
        "PUSHTASK_API_WORKERS": "2",
        "PUSHTASK_ENCRYPTION_KEYS": KeyRing.generate_entry("prod"),
        "PUSHTASK_APPROVAL_REQUIRED": "0",
        "PUSHTASK_DATA_DIR": str(tmp_path),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "pushtask.cli", "api", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, process.communicate()[0]
            assert time.monotonic() < deadline, "pushtask api did not answer in 30 s"
            try:
                health = requests.get(f"{url}/api/health", timeout=1)
                break
            except (requests.ConnectionError, requests.Timeout):  # a worker still booting on a busy machine
                time.sleep(0.2)
        assert health.json()["database"]["backend"] == "mysql"
        assert health.json()["redis"]["ok"] is True

        login = requests.post(
            f"{url}/api/auth/login", json={"wechatId": "admin", "password": ADMIN_PASSWORD}, timeout=10
        )
        headers = {"Authorization": f"Bearer {login.json()['token']}"}
        # Production never seeds demo groups: an admin adds real ones.
        assert requests.get(f"{url}/api/groups", headers=headers, timeout=10).json()["total"] == 0
        group = requests.post(
            f"{url}/api/groups",
            headers=headers,
            timeout=10,
            json={"name": "三年级二班家长群", "channel": "wecom_appchat", "channelRef": "wrChat01"},
        )
        assert group.status_code == 201
        body = {
            "name": "周一课程提醒",
            "status": "scheduled",
            "groups": [group.json()["id"]],
            "schedule": {"type": "recurring", "time": "2030-01-07T18:00:00", "recurringInterval": "weekly"},
            "content": {"text": "明天上课"},
        }
        task = requests.post(f"{url}/api/tasks", json=body, headers=headers, timeout=10)
        assert task.status_code == 201, task.text
        # Many requests spread over both workers: every one sees the task and accepts the token.
        for _ in range(20):
            listed = requests.get(f"{url}/api/tasks", headers=headers, timeout=10).json()
            assert [t["name"] for t in listed["tasks"]] == ["周一课程提醒"]
            assert listed["tasks"][0]["nextFireAt"] == "2030-01-07T18:00:00+08:00"
        requests.post(f"{url}/api/auth/logout", headers=headers, timeout=10)
        # Each process keeps a sign-in lookup for 0.5 s (issue 16: a revoked token stops working within
        # 1 s on every process): after that, neither worker accepts the token.
        time.sleep(1.0)
        for _ in range(10):
            assert requests.get(f"{url}/api/tasks", headers=headers, timeout=10).status_code == 401
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
    assert process.returncode == 0
