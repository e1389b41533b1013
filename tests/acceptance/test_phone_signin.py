"""On the phone, against `pushtask serve`: WeChat sign-in through the sandbox's wx-login, a reviewer
confirms a preview (and sees its picture), a group member's feedback reaches the report.

Personas: the admin (password); 小林, a mini-program reviewer known only by openid; a parent in a
group, known to nobody, who answers a push from the link it carried.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from tests.acceptance.conftest import ADMIN_PASSWORD, Server
from tests.images import png

pytestmark = pytest.mark.acceptance

REVIEWER_OPENID = "o_sandbox_reviewer_01"  # in the sandbox's default directory
PTFB = re.compile(r"ptfb=([A-Za-z0-9_\-.]+)")
SHORT_LINK = re.compile(r"https?://[^\s'\"]+/l/[0-9A-Za-z]{12}")


def admin(url: str) -> dict[str, str]:
    response = requests.post(
        f"{url}/api/auth/login", json={"wechatId": "admin", "password": ADMIN_PASSWORD}, timeout=10
    )
    assert response.status_code == 200, response.text
    assert response.json()["scope"] == "operator"
    return {"Authorization": f"Bearer {response.json()['token']}"}


def wechat_sign_in(url: str, sandbox: str, openid: str) -> dict[str, Any]:
    """What the mini program does: wx.login() (here: the sandbox's wx-login), then POST /api/auth/wechat."""
    code = requests.post(f"{sandbox}/_sandbox/wx-login", json={"openid": openid}, timeout=10).json()["code"]
    response = requests.post(f"{url}/api/auth/wechat", json={"code": code}, timeout=10)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    again = requests.post(f"{url}/api/auth/wechat", json={"code": code}, timeout=10)
    assert again.status_code == 401 and "wx.login" in again.json()["reason"]
    return body


def test_a_reviewer_signs_in_with_wechat_subscribes_and_confirms_a_preview(server: Server) -> None:
    url = server.url
    headers = admin(url)
    sandbox = requests.get(f"{url}/api/health", timeout=10).json()["sandbox"]["url"]
    reviewer = requests.post(
        f"{url}/api/recipients",
        json={"name": "审核人 小林", "wechatId": "xiaolin", "channel": "miniprogram", "channelUserId": REVIEWER_OPENID},
        headers=headers,
        timeout=10,
    ).json()["id"]

    # A first-time reviewer: signs in, sees they must subscribe, taps "订阅" in the mini program.
    session = wechat_sign_in(url, sandbox, REVIEWER_OPENID)
    assert session["scope"] == "reviewer" and session["reviewer"]["recipientId"] == reviewer
    mine = {"Authorization": f"Bearer {session['token']}"}
    state = requests.get(f"{url}/api/me/previews", headers=mine, timeout=10).json()
    assert state["previews"] == [] and state["subscription"]["needsSubscribe"] is True
    template = state["subscription"]["templateId"]
    requests.post(f"{sandbox}/_sandbox/subscribe", json={"openid": REVIEWER_OPENID, "templateId": template}, timeout=10)
    answer = {"errMsg": "requestSubscribeMessage:ok", template: "accept"}
    subscribed = requests.post(
        f"{url}/api/me/subscriptions", json={"templateIds": [template], "result": answer}, headers=mine, timeout=10
    ).json()
    assert subscribed["remaining"] == 1 and subscribed["needsSubscribe"] is False
    assert requests.get(f"{url}/api/tasks", headers=mine, timeout=10).status_code == 403

    # The operator sends a preview with a picture; the service notice opens the preview page by id.
    poster = requests.post(
        f"{url}/api/media", files={"file": ("开放日海报.png", png(90, 60))}, headers=headers, timeout=10
    ).json()
    groups = requests.get(f"{url}/api/groups", params={"limit": 2}, headers=headers, timeout=10).json()["groups"]
    later = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)
    task = requests.post(
        f"{url}/api/tasks",
        json={
            "name": "开放日通知",
            "schedule": {"type": "once", "time": later.isoformat()},
            "content": {"text": "周六开放日，欢迎参加", "image": poster["mediaId"]},
            "groups": [g["groupId"] for g in groups],
            "previewRecipients": [reviewer],
            "status": "draft",
        },
        headers=headers,
        timeout=10,
    ).json()["taskId"]
    sent = requests.post(f"{url}/api/preview", json={"taskId": task}, headers=headers, timeout=15).json()
    assert sent["warnings"] == [] and sent["recipients"][0]["status"] == "sent"
    notice = requests.get(f"{sandbox}/_sandbox/messages", params={"target": REVIEWER_OPENID}, timeout=10).json()
    page = notice["messages"][-1]["payload"]["page"]
    assert page == f"pages/preview/preview?id={sent['previewId']}"

    # The reviewer's preview page: the server's fields, and a picture an <image> loads without a header.
    shown = requests.get(f"{url}/api/preview/{sent['previewId']}", headers=mine, timeout=10).json()
    assert shown["status"] == "pending" and shown["stale"] is False
    assert shown["content"]["imageName"] == "开放日海报.png"
    picture = requests.get(shown["content"]["imageUrl"], timeout=10)
    assert picture.status_code == 200 and picture.headers["Content-Type"] == "image/png"
    decided = requests.post(
        f"{url}/api/preview/confirm",
        json={"previewId": sent["previewId"], "response": "confirm"},
        headers=mine,
        timeout=10,
    )
    assert decided.status_code == 200, decided.text
    seen = requests.get(f"{url}/api/preview/{sent['previewId']}", headers=headers, timeout=10).json()
    assert seen["status"] == "confirmed" and seen["decisions"][0]["name"] == "审核人 小林"
    after = requests.get(f"{url}/api/me/previews", headers=mine, timeout=10).json()
    assert after["pending"] == 0 and after["subscription"]["needsSubscribe"] is True

    # The reviewer's session is renewed before it ends, not cut off.
    renewed = requests.post(f"{url}/api/auth/refresh", headers=mine, timeout=10).json()
    assert renewed["scope"] == "reviewer" and renewed["token"] != session["token"]


def test_a_group_member_answers_a_push_and_the_answer_is_in_the_report(server: Server) -> None:
    url = server.url
    headers = admin(url)
    sandbox = requests.get(f"{url}/api/health", timeout=10).json()["sandbox"]["url"]
    # A group that receives at once (a customer group waits for its owner to tap 发送).
    group = next(
        g
        for g in requests.get(f"{url}/api/groups", headers=headers, timeout=10).json()["groups"]
        if g["channel"] != "wecom_customer_group"
    )
    due = datetime.now(UTC) + timedelta(seconds=2)
    task = requests.post(
        f"{url}/api/tasks",
        json={
            "name": "活动反馈",
            "schedule": {"type": "once", "time": due.isoformat()},
            "content": {"text": "请为本周活动打分", "link": "https://school.example/activity?id=3"},
            "groups": [group["groupId"]],
            "status": "scheduled",
            "feedbackEnabled": True,
        },
        headers=headers,
        timeout=10,
    ).json()["taskId"]
    tokens: list[str] = []
    deadline = time.monotonic() + 20
    while not tokens and time.monotonic() < deadline:
        received = requests.get(f"{sandbox}/_sandbox/messages", params={"target": group["name"]}, timeout=10).json()
        texts = [str(m["payload"]) for m in received["messages"]]
        # The group received its short link (issue 19): a member taps it in the sandbox, which leads on
        # to the page with the group's feedback token.
        for link in {u for t in texts for u in SHORT_LINK.findall(t)}:
            tapped = requests.post(
                f"{sandbox}/_sandbox/click",
                json={"group": group["name"], "member": "o_parent_in_group", "url": link},
                timeout=10,
            ).json()
            assert tapped["status"] == 302, tapped
            texts.append(tapped["location"])
        tokens = [t for text in texts for t in PTFB.findall(text)]
        time.sleep(0.2)
    assert tokens, "the push reached the group with its feedback link"

    member = wechat_sign_in(url, sandbox, "o_parent_in_group")
    assert member["scope"] == "member" and member["memberId"].startswith("m_")
    bearer = {"Authorization": f"Bearer {member['token']}"}
    answered = requests.post(
        f"{url}/api/feedback", json={"token": tokens[0], "rating": 5, "content": "活动很好"}, headers=bearer, timeout=10
    )
    assert answered.status_code == 200 and answered.json()["duplicate"] is False
    assert requests.get(f"{url}/api/tasks", headers=bearer, timeout=10).status_code == 403

    report = requests.get(f"{url}/api/reports/feedback", params={"taskId": task}, headers=headers, timeout=10).json()
    assert report["responses"] == 1 and report["ratings"]["5"] == 1
    listed = requests.get(f"{url}/api/feedback", params={"taskId": task}, headers=headers, timeout=10).json()
    assert [(f["userId"], f["content"]) for f in listed["feedback"]] == [(member["memberId"], "活动很好")]
