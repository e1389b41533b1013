"""`pushtask serve` starts quietly and predictably, and its sandbox survives a reset."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.acceptance.conftest import ADMIN_PASSWORD, free_port, start_serve

pytestmark = pytest.mark.acceptance


def _login(url: str) -> dict[str, str]:
    token = requests.post(
        f"{url}/api/auth/login", json={"wechatId": "admin", "password": ADMIN_PASSWORD}, timeout=10
    ).json()["token"]
    return {"Authorization": f"Bearer {token}"}


def _preview_to_every_reviewer(url: str, headers: dict[str, str]) -> dict[str, Any]:
    groups = requests.get(f"{url}/api/groups", headers=headers, timeout=10).json()["groups"]
    reviewers = requests.get(f"{url}/api/recipients", headers=headers, timeout=10).json()["recipients"]
    wecom = [r["recipientId"] for r in reviewers if r["channel"] == "wecom"]
    body = {
        "name": "重置后的预览",
        "schedule": {
            "type": "once",
            "time": (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0).isoformat(),
            "timezone": "Asia/Shanghai",
        },
        "content": {"text": "家长会通知"},
        "groups": [groups[0]["groupId"]],
        "status": "draft",
        "previewRecipients": wecom,
    }
    created = requests.post(f"{url}/api/tasks", json=body, headers=headers, timeout=10)
    assert created.status_code == 201, created.text
    sent = requests.post(f"{url}/api/preview", json={"taskId": created.json()["taskId"]}, headers=headers, timeout=20)
    assert sent.status_code == 200, sent.text
    result: dict[str, Any] = sent.json()
    return result


def test_a_sandbox_reset_leaves_the_serve_that_owns_it_working(tmp_path: Path) -> None:
    sandbox_port = free_port()
    server = start_serve(tmp_path / "data", env={"PUSHTASK_SANDBOX_PORT": str(sandbox_port)})
    try:
        sandbox = f"http://127.0.0.1:{sandbox_port}"
        before = requests.get(f"{sandbox}/_sandbox/directory", timeout=5).json()
        assert requests.post(f"{sandbox}/_sandbox/reset", timeout=10).ok
        after = requests.get(f"{sandbox}/_sandbox/directory", timeout=5).json()
        assert len(after["groups"]) == len(before["groups"]) > 30
        assert {u.get("userid") or u.get("openid") for u in after["users"]} >= {
            u.get("userid") or u.get("openid") for u in before["users"]
        }
        assert all(app["callbackUrl"].startswith(server.url) for app in after["apps"])
        sent = _preview_to_every_reviewer(server.url, _login(server.url))
        assert sent["recipients"] and {r["status"] for r in sent["recipients"]} == {"sent"}, sent
        # … and a reviewer's tap still reaches this serve.
        verified = requests.post(f"{sandbox}/_sandbox/verify-callback", json={}, timeout=5).json()
        assert verified["verified"] is True, verified
    finally:
        server.stop()


def test_two_serves_side_by_side_each_get_their_own_sandbox_port_printed(tmp_path: Path) -> None:
    # No PUSHTASK_SANDBOX_PORT: each sandbox takes the next free port after its --port.
    first = start_serve(tmp_path / "one", env={"PUSHTASK_SANDBOX_PORT": ""})
    try:
        second = start_serve(tmp_path / "two", env={"PUSHTASK_SANDBOX_PORT": ""})
        second_code, second_out = second.stop()
    finally:
        first_code, first_out = first.stop()
    ports = []
    for server_url, out in ((first.url, first_out), (second.url, second_out)):
        found = re.search(r"WeChat sandbox on http://127\.0\.0\.1:(\d+)", out)
        assert found, out
        port = int(found.group(1))
        assert port > int(server_url.rsplit(":", 1)[1]), out
        ports.append(port)
    assert ports[0] != ports[1]
    assert first_code == second_code == 0


def _serve_once(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": "/usr/bin:/bin",
        "PUSHTASK_DATA_DIR": str(tmp_path / "data"),
        "PUSHTASK_ADMIN_PASSWORD": ADMIN_PASSWORD,
    }
    return subprocess.run(
        [sys.executable, "-m", "pushtask.cli", "serve", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_taken_port_is_named_with_what_to_do(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        api = _serve_once(tmp_path, "--port", str(port), "--sandbox-port", "0")
        assert api.returncode == 2, api.stdout + api.stderr
        assert f"cannot listen on 127.0.0.1:{port}" in api.stderr and "--port" in api.stderr
        assert "Traceback" not in api.stderr
        sandbox = _serve_once(tmp_path, "--port", str(free_port()), "--sandbox-port", str(port))
        assert sandbox.returncode == 2, sandbox.stdout + sandbox.stderr
        assert f"127.0.0.1:{port}" in sandbox.stderr and "--sandbox-port" in sandbox.stderr
        assert "Traceback" not in sandbox.stderr


def test_the_admins_polling_does_not_fill_the_log_with_queue_warnings(tmp_path: Path) -> None:
    server = start_serve(tmp_path / "data", env={"PUSHTASK_API_THREADS": "1"})
    headers = _login(server.url)

    def poll(_: int) -> int:
        status: int = requests.get(f"{server.url}/api/tasks", headers=headers, timeout=20).status_code
        return status

    with ThreadPoolExecutor(max_workers=12) as pool:
        statuses = list(pool.map(poll, range(60)))
    _code, out = server.stop()
    assert set(statuses) == {200}
    assert "Task queue depth" not in out
