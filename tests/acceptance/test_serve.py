"""A newcomer's first session: `pushtask serve` on SQLite, driven over HTTP from login to batch delete."""

from __future__ import annotations

import csv
import io
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from tests.acceptance.conftest import ADMIN_PASSWORD, Server, start_serve

pytestmark = pytest.mark.acceptance


def _login(url: str, password: str = ADMIN_PASSWORD) -> dict[str, str]:
    response = requests.post(f"{url}/api/auth/login", json={"wechatId": "admin", "password": password}, timeout=10)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def test_admin_manages_tasks_from_login_to_batch_delete(server: Server) -> None:
    url = server.url
    headers = _login(url)
    groups = requests.get(f"{url}/api/groups", headers=headers, timeout=10).json()
    assert groups["total"] >= 30, "the demo directory is seeded on first start"
    group_ids = [g["groupId"] for g in groups["groups"][:5]]
    reviewers = requests.get(f"{url}/api/recipients", headers=headers, timeout=10).json()["recipients"]

    soon = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0)
    task_ids = []
    for i in range(3):
        body = {
            "name": f"周{i + 1}课程提醒",
            "schedule": {"type": "once", "time": soon.isoformat(), "timezone": "Asia/Shanghai"},
            "content": {"text": f"第 {i + 1} 次提醒 📚"},
            "groups": group_ids,
            "priority": ["high", "medium", "low"][i],
            "status": "scheduled",
            "previewRecipients": [reviewers[0]["recipientId"]],
        }
        created = requests.post(f"{url}/api/tasks", json=body, headers=headers, timeout=10)
        assert created.status_code == 201, created.text
        assert created.json()["message"] == "Task created"
        task_ids.append(created.json()["taskId"])

    listed = requests.get(f"{url}/api/tasks", params={"sort": "-priority"}, headers=headers, timeout=10).json()
    assert [t["taskId"] for t in listed["tasks"]] == task_ids
    assert listed["tasks"][0]["groupNames"][0] == groups["groups"][0]["name"]

    edited = requests.put(
        f"{url}/api/tasks/{task_ids[0]}", json={"name": "周一课程提醒（改）"}, headers=headers, timeout=10
    )
    assert edited.status_code == 200
    logs = requests.get(f"{url}/api/tasks/{task_ids[0]}/logs", headers=headers, timeout=10).json()
    assert logs[0]["action"] == "update"
    assert logs[0]["changes"]["name"] == {"old": "周1课程提醒", "new": "周一课程提醒（改）"}

    export = requests.get(f"{url}/api/tasks/export", headers=headers, timeout=10)
    assert export.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert len(rows) == 1 + 3

    paused = requests.post(
        f"{url}/api/tasks/batch", json={"taskIds": task_ids, "action": "pause"}, headers=headers, timeout=10
    )
    assert paused.json()["failedTasks"] == []
    deleted = requests.post(
        f"{url}/api/tasks/batch",
        json={"taskIds": [*task_ids, "00000000-0000-0000-0000-000000000000"], "action": "delete"},
        headers=headers,
        timeout=10,
    ).json()
    assert [f["taskId"] for f in deleted["failedTasks"]] == ["00000000-0000-0000-0000-000000000000"]
    assert requests.get(f"{url}/api/tasks", headers=headers, timeout=10).json()["total"] == 0

    assert requests.post(f"{url}/api/auth/logout", headers=headers, timeout=10).status_code == 200
    assert requests.get(f"{url}/api/tasks", headers=headers, timeout=10).status_code == 401

    code, output = server.stop()
    assert code == 0, output
    assert "PushTask stopped." in output


def test_restart_keeps_data_and_does_not_recreate_the_admin(tmp_path: Path) -> None:
    first = start_serve(tmp_path / "data")
    headers = _login(first.url)
    body = {"name": "保留的草稿", "schedule": {"type": "once", "time": "2030-01-01T09:00:00+08:00"}}
    assert requests.post(f"{first.url}/api/tasks", json=body, headers=headers, timeout=10).status_code == 201
    _, output = first.stop()
    assert "Created the first organisation" in output

    second = start_serve(tmp_path / "data", env={"PUSHTASK_ADMIN_PASSWORD": "ignored-on-restart"})
    try:
        # A token issued before the restart stays valid: the generated secret was kept in the data dir.
        tasks = requests.get(f"{second.url}/api/tasks", headers=headers, timeout=10).json()
        assert [t["name"] for t in tasks["tasks"]] == ["保留的草稿"]
        assert (tmp_path / "data" / "secret_key").stat().st_mode & 0o777 == 0o600
        _login(second.url)  # the original password still works; the env var only seeds an empty database
    finally:
        _, output = second.stop()
    assert "Created the first organisation" not in output


def test_generated_admin_password_is_printed_once_and_works(tmp_path: Path) -> None:
    # The password is printed before the server starts answering, so stopping it at once is enough.
    _, output = start_serve(tmp_path / "data", env={"PUSHTASK_ADMIN_PASSWORD": ""}).stop()
    line = next(line for line in output.splitlines() if line.startswith("Admin password"))
    password = line.rsplit(": ", 1)[1].strip()
    again = start_serve(tmp_path / "data", env={"PUSHTASK_ADMIN_PASSWORD": ""})
    try:
        _login(again.url, password)
    finally:
        _, output = again.stop()
    assert "Admin password" not in output


def test_bad_setting_stops_start_up_with_a_clear_message(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="PUSHTASK_DEMO_DATA='maybe' is not a boolean"):
        start_serve(tmp_path / "data", env={"PUSHTASK_DEMO_DATA": "maybe"})


def test_health_and_api_docs_are_served(server: Server) -> None:
    health = requests.get(f"{server.url}/api/health", timeout=10).json()
    assert health["status"] == "ok"
    assert health["database"]["ok"] is True
    spec = requests.get(f"{server.url}/api/openapi.json", timeout=10).json()
    assert "/api/tasks/{task_id}" in spec["paths"]
    docs = requests.get(f"{server.url}/api/docs", timeout=10)
    assert "swagger-ui-bundle.js" in docs.text
    asset = requests.get(f"{server.url}/api/docs/assets/swagger-ui-bundle.js", timeout=10)
    assert asset.status_code == 200 and len(asset.content) > 100_000


def test_a_task_due_in_two_seconds_reaches_every_group_in_the_sandbox(server: Server) -> None:
    url = server.url
    headers = _login(url)
    health = requests.get(f"{url}/api/health", timeout=10).json()
    sandbox = health["sandbox"]["url"]
    listed = requests.get(f"{url}/api/groups", params={"limit": 20}, headers=headers, timeout=10).json()["groups"]
    # Groups whose channel sends at once: a WeCom customer group waits for its owner to confirm.
    groups = [g for g in listed if g["channel"] != "wecom_customer_group"][:3]
    due = datetime.now(UTC) + timedelta(seconds=2)
    body = {
        "name": "两秒后推送",
        "schedule": {"type": "once", "time": due.isoformat()},
        "content": {"text": "家长您好：明天 8:00 上课 📚\n请准时到校。"},
        "groups": [g["groupId"] for g in groups],
        "status": "scheduled",
    }
    task_id = requests.post(f"{url}/api/tasks", json=body, headers=headers, timeout=10).json()["taskId"]
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        detail = requests.get(f"{url}/api/tasks/{task_id}", headers=headers, timeout=10).json()
        if detail["status"] == "completed":
            break
        time.sleep(0.2)
    assert detail["status"] == "completed", detail
    result = detail["lastResult"]
    assert sorted(result["sentGroups"]) == sorted(g["groupId"] for g in groups)
    # Every group's chat in the sandbox shows the message exactly once, sent no earlier than its time.
    for group in groups:
        messages = requests.get(f"{sandbox}/_sandbox/messages", params={"target": group["name"]}, timeout=10)
        received = messages.json()["messages"]
        assert len(received) == 1, group["name"]
        assert "明天 8:00 上课" in str(received[0]["payload"])
        assert datetime.fromisoformat(received[0]["receivedAt"].replace("Z", "+00:00")) >= due
    assert requests.get(f"{url}/api/health", timeout=10).json()["scheduler"]["ok"] is True
