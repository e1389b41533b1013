"""The mini program's preview and feedback pages against a live `pushtask serve` (issue 17).

A reviewer known only by their openid and a group member sign in through the sandbox's
`POST B/_sandbox/wx-login` and `POST /api/auth/wechat` (what `wx.login` does on their phones); the
pages run in miniprogram-simulate (jest) with every request going to the live server. The reviewer
confirms the preview; the member's answer shows in the feedback report.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.acceptance.conftest import ADMIN_PASSWORD, Server

pytestmark = pytest.mark.acceptance

MINIPROGRAM = Path(__file__).resolve().parents[2] / "miniprogram"
NPX = shutil.which("npx")
REVIEWER_OPENID = "o_live_reviewer"
MEMBER_OPENID = "o_live_parent"


def _admin(url: str) -> dict[str, str]:
    body = {"wechatId": "admin", "password": ADMIN_PASSWORD}
    token = requests.post(f"{url}/api/auth/login", json=body, timeout=10).json()["token"]
    return {"Authorization": f"Bearer {token}"}


def _ok(response: requests.Response) -> Any:
    request = f"{response.request.method} {response.url}"
    assert response.status_code < 300, f"{request} → {response.status_code} {response.text}"
    return response.json()


def _pushed_feedback_token(url: str, sandbox: str, headers: dict[str, str], group: dict[str, Any]) -> str:
    """Push a task with feedback on to one group now; return the ptfb token from the group's message."""
    due = datetime.now(UTC) + timedelta(seconds=2)
    body = {
        "name": "周五家长会提醒",
        "schedule": {"type": "once", "time": due.isoformat()},
        "content": {"text": "家长您好：周五 19:00 家长会。"},
        "groups": [group["groupId"]],
        "feedbackEnabled": True,
        "status": "scheduled",
    }
    task_id = _ok(requests.post(f"{url}/api/tasks", json=body, headers=headers, timeout=10))["taskId"]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        messages = requests.get(f"{sandbox}/_sandbox/messages", params={"target": group["name"]}, timeout=10).json()
        found = re.search(r"ptfb=([A-Za-z0-9_\-.%]+)", json.dumps(messages["messages"], ensure_ascii=False))
        if found:
            return requests.utils.unquote(found.group(1)) + f"|{task_id}"
        time.sleep(0.2)
    raise AssertionError(f"no feedback link reached {group['name']}")


@pytest.mark.skipif(NPX is None, reason="node/npx is not installed: the mini program cannot run")
@pytest.mark.skipif(
    not (MINIPROGRAM / "node_modules" / "miniprogram-simulate").exists(),
    reason="miniprogram/node_modules is missing: `make test` runs npm ci there first (or run it yourself)",
)
def test_a_reviewer_confirms_and_a_member_answers_in_the_mini_program_pages(server: Server, tmp_path: Path) -> None:
    assert NPX is not None
    url = server.url
    headers = _admin(url)
    sandbox = requests.get(f"{url}/api/health", timeout=10).json()["sandbox"]["url"]
    # A group that receives at once (a customer group waits for its owner to tap 发送).
    group = next(
        g
        for g in _ok(requests.get(f"{url}/api/groups", headers=headers, timeout=10))["groups"]
        if g["channel"] != "wecom_customer_group"
    )

    reviewer = {"name": "林老师", "wechatId": "lin-live", "channel": "miniprogram", "channelUserId": REVIEWER_OPENID}
    reviewer_id = _ok(requests.post(f"{url}/api/recipients", json=reviewer, headers=headers, timeout=10))["id"]
    draft = {
        "name": "周一课程提醒",
        "status": "draft",
        "schedule": {"type": "once", "time": (datetime.now(UTC) + timedelta(days=2)).isoformat()},
        "content": {"text": "今晚 8 点上课，请准时参加 😀"},
        "groups": [group["groupId"]],
        "previewRecipients": [reviewer_id],
    }
    task_id = _ok(requests.post(f"{url}/api/tasks", json=draft, headers=headers, timeout=10))["taskId"]
    sent = requests.post(f"{url}/api/preview", json={"taskId": task_id}, headers=headers, timeout=20)
    preview_id = _ok(sent)["previewId"]

    token, pushed_task = _pushed_feedback_token(url, sandbox, headers, group).split("|")
    live = {
        "baseUrl": url,
        "sandboxUrl": sandbox,
        "previewId": preview_id,
        "taskName": draft["name"],
        "reviewerOpenid": REVIEWER_OPENID,
        "reviewerName": reviewer["name"],
        "memberOpenid": MEMBER_OPENID,
        "ptfb": token,
    }
    live_file = tmp_path / "live.json"
    live_file.write_text(json.dumps(live, ensure_ascii=False), encoding="utf-8")

    run = subprocess.run(
        [NPX, "jest", "--runInBand", "test/live/pages.test.js"],
        cwd=MINIPROGRAM,
        env={**os.environ, "PUSHTASK_LIVE": str(live_file)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, f"jest failed:\n{run.stdout}\n{run.stderr}"
    assert "2 passed" in run.stderr, run.stderr

    # What the pages did is on the server: the preview is confirmed by the reviewer …
    preview = _ok(requests.get(f"{url}/api/preview/{preview_id}", headers=headers, timeout=10))
    assert preview["status"] == "confirmed"
    assert [d["name"] for d in preview["decisions"]] == [reviewer["name"]]
    # … and the member's answer is in the feedback report.
    report = _ok(
        requests.get(f"{url}/api/reports/feedback", params={"taskId": pushed_task}, headers=headers, timeout=10)
    )
    assert report["responses"] == 1
    assert report["averageRating"] == 5
    answers = _ok(requests.get(f"{url}/api/feedback", params={"taskId": pushed_task}, headers=headers, timeout=10))
    assert "孩子很喜欢这节课" in json.dumps(answers, ensure_ascii=False)
