"""Previews and approval through the real sandbox over HTTP: send, confirm three ways, the gate, templates."""

from __future__ import annotations

import asyncio
import secrets
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.serving import make_server

from pushtask.config import Settings
from pushtask.infra import fieldcrypt
from pushtask.infra.fieldcrypt import KeyRing
from pushtask.models import CallbackReceipt, Group, Organization, PreviewDecision, Recipient, Task
from pushtask.runtime import Runtime
from pushtask.sandbox import SandboxHandle, SandboxState, start_in_thread
from pushtask.sandbox import directory as d
from pushtask.services.keys import rotate
from pushtask.wechat.crypto import WXBizMsgCrypt, signature
from pushtask.wiring import build_sender
from pushtask.worker import planner
from pushtask.worker.runner import Worker, WorkerConfig
from tests.images import gif, photo, png
from tests.integration.conftest import World, create_task, task_body
from tests.support import FrozenClock

LINK = "https://school.example.com/notice/7"


@pytest.fixture(scope="module")
def sandbox_server() -> Iterator[SandboxHandle]:
    handle = start_in_thread("127.0.0.1", 0, SandboxState(seed=5))
    yield handle
    handle.stop()


@pytest.fixture
def served(app: Flask) -> Iterator[str]:
    """The app on a real port, so the sandbox can deliver callbacks to it."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def sandbox(
    sandbox_server: SandboxHandle, world: World, sessions: sessionmaker[Session], runtime: Runtime, served: str
) -> Iterator[SandboxHandle]:
    """The sandbox, reset, knowing the school's groups and reviewers, with callbacks to this app."""
    state = sandbox_server.state
    state.reset()
    with sessions() as db:
        for group in db.scalars(select(Group)):
            state.register_group(group.channel, group.channel_ref, group.name, group.member_count)
        users = [
            {"userid" if r.channel == "wecom" else "openid": r.channel_user_id, "name": r.name}
            for r in db.scalars(select(Recipient))
        ]
    apps = d.default_entries()["apps"]
    for entry in apps:
        entry["callbackUrl"] = f"{served}/wechat/callback/{'wecom' if entry['kind'] == 'wecom' else 'miniprogram'}"
    state.apply_directory({"users": users, "apps": apps})
    runtime.sandbox_url = sandbox_server.url
    yield sandbox_server
    if runtime.wechat_link is not None:
        runtime.wechat_link.close()


@pytest.fixture
def approval(world: World, sessions: sessionmaker[Session]) -> None:
    """The school requires a confirmed preview before scheduling (the default for new organisations)."""
    with sessions() as db:
        db.execute(update(Organization).where(Organization.id == world.olga.org_id).values(approval_required=True))
        db.commit()


def draft(client: FlaskClient, world: World, **overrides: Any) -> str:
    body = task_body(world, status="draft", **overrides)
    return create_task(client, world.olga, body)


def preview(client: FlaskClient, world: World, task_id: str, **extra: Any) -> dict[str, Any]:
    response = client.post("/api/preview", json={"taskId": task_id, **extra}, headers=world.olga.headers)
    assert response.status_code == 200, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


def reply(sandbox: SandboxHandle, **body: Any) -> dict[str, Any]:
    answer = requests.post(f"{sandbox.url}/_sandbox/reply", json=body, timeout=10)
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def task_of(client: FlaskClient, world: World, task_id: str) -> dict[str, Any]:
    detail: dict[str, Any] = client.get(f"/api/tasks/{task_id}", headers=world.olga.headers).get_json()
    return detail


def upload(client: FlaskClient, world: World, data: bytes, filename: str) -> Any:
    """POST a multipart upload built by hand (the test client's own builder spools big files to temp files)."""
    boundary = secrets.token_hex(8)
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return client.post(
        "/api/media", data=body, content_type=f"multipart/form-data; boundary={boundary}", headers=world.olga.headers
    )


def wait_for(condition: Any, timeout: float = 3.0) -> None:
    """Background follow-ups (card relabels) run on the WeChat loop; poll for them briefly."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


# ---- sending -----------------------------------------------------------------------------------


def test_a_wecom_reviewer_gets_the_message_as_the_group_will_then_a_card_to_decide(
    client: FlaskClient, world: World, sandbox: SandboxHandle
) -> None:
    task_id = draft(client, world, content={"text": "明天 8:00 上课 [微笑]", "link": LINK})
    sent = preview(client, world, task_id)
    assert sent["validation"] == {"isValid": True, "errors": []}
    assert [(r["name"], r["status"]) for r in sent["recipients"]] == [("张老师", "sent")]
    received = sandbox.state.messages("zhang")
    assert [m["msgtype"] for m in received] == ["text", "news", "template_card"]
    assert received[0]["payload"]["text"]["content"] == "明天 8:00 上课 [微笑]"
    card = received[2]["payload"]["template_card"]
    assert card["card_type"] == "button_interaction"
    assert card["main_title"]["title"] == "预览：周一课程提醒"
    assert card["main_title"]["desc"] == "请确认内容，回复‘确认’或‘修改’"
    assert [b["text"] for b in card["button_list"]] == ["确认", "修改"]
    assert task_of(client, world, task_id)["previewState"] == "pending"


def test_invalid_content_sends_nothing_and_says_why(client: FlaskClient, world: World, sandbox: SandboxHandle) -> None:
    task_id = draft(client, world)
    response = client.post(
        "/api/preview", json={"taskId": task_id, "content": {"link": "www.example.com"}}, headers=world.olga.headers
    )
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == "Invalid content"
    assert body["validation"]["isValid"] is False
    assert body["validation"]["errors"][0]["field"] == "content.link"
    assert sandbox.state.messages("zhang") == []


def test_validate_warns_while_typing_without_sending(client: FlaskClient, world: World, sandbox: SandboxHandle) -> None:
    robot_group = world.groups[1]  # every third group from 1 is a robot group
    card = {"appid": "wx1234567890abcdef", "pagePath": "pages/a/a", "title": "报名", "thumbnail": LINK}
    response = client.post(
        "/api/preview/validate",
        json={"content": {"text": "好" * 523, "miniprogram": card}, "groups": [robot_group]},
        headers={**world.victor.headers, "Accept-Language": "en"},
    )
    assert response.status_code == 200
    validation = response.get_json()["validation"]
    assert validation["isValid"] is False
    assert validation["errors"][0] == {
        "field": "content.text",
        "message": "The text is too long; shorten it (523 characters, at most 500)",
    }
    ok = client.post("/api/preview/validate", json={"content": {"miniprogram": card}}, headers=world.victor.headers)
    assert ok.get_json()["validation"] == {"isValid": True, "errors": []}
    robot = client.post(
        "/api/preview/validate",
        json={"content": {"miniprogram": card}, "groups": [robot_group]},
        headers=world.olga.headers,
    )
    assert "不支持小程序卡片" in robot.get_json()["validation"]["errors"][0]["message"]
    assert sandbox.state.messages("zhang") == []


def test_a_reviewer_without_subscriptions_left_is_named_not_skipped(
    client: FlaskClient, world: World, sandbox: SandboxHandle
) -> None:
    task_id = draft(client, world, previewRecipients=world.recipients)
    sent = preview(client, world, task_id)
    assert sent["warnings"] == ["李老师需在小程序中重新订阅通知"]
    assert {r["name"]: r["status"] for r in sent["recipients"]} == {"张老师": "sent", "李老师": "no_quota"}
    # The reviewer subscribes in the mini program: recorded by us and (as WeChat would) by the sandbox.
    sandbox.state.grant_subscriptions("li", d.DEFAULT_TEMPLATE_ID, 1)
    granted = client.post(
        "/api/preview/subscriptions", json={"recipientId": world.recipients[1]}, headers=world.olga.headers
    )
    assert granted.get_json()["remaining"] == 1
    again = preview(client, world, task_id)
    assert again["warnings"] == []
    notice = sandbox.state.messages("li")[-1]["payload"]
    assert notice["page"] == f"pages/preview/preview?id={again['previewId']}"
    assert notice["data"]["thing1"]["value"] == "周一课程提醒"
    third = preview(client, world, task_id)
    assert third["warnings"] == ["李老师需在小程序中重新订阅通知"]


def test_previews_are_rate_limited_per_task(client: FlaskClient, world: World, sandbox: SandboxHandle) -> None:
    task_id = draft(client, world)
    for _ in range(6):
        preview(client, world, task_id)
    response = client.post("/api/preview", json={"taskId": task_id}, headers=world.olga.headers)
    assert response.status_code == 429
    assert response.get_json() == {"error": "Rate limit exceeded"}
    assert int(response.headers["Retry-After"]) >= 1


# ---- confirm / modify --------------------------------------------------------------------------


def _decide(
    path: str, client: FlaskClient, world: World, sandbox: SandboxHandle, preview_id: str, task_id: str
) -> None:
    if path == "api":
        answer = client.post(
            "/api/preview/confirm", json={"previewId": preview_id, "response": "confirm"}, headers=world.ada.headers
        )
        assert answer.status_code == 200 and answer.get_json() == {"message": "Preview confirmed"}
    elif path == "card":
        result = reply(sandbox, **{"from": "zhang", "taskId": f"pv{preview_id.replace('-', '')}-0", "key": "confirm"})
        assert result["delivered"] is True
    else:
        result = reply(sandbox, **{"from": "zhang", "text": "确认"})
        assert result["delivered"] is True and "已确认" in (result["reply"] or "")


@pytest.mark.parametrize("path", ["api", "card", "text"])
def test_every_confirm_path_ends_in_the_same_state(
    path: str, client: FlaskClient, world: World, sandbox: SandboxHandle, approval: None
) -> None:
    task_id = draft(client, world)
    sent = preview(client, world, task_id)
    _decide(path, client, world, sandbox, sent["previewId"], task_id)
    assert task_of(client, world, task_id)["previewState"] == "confirmed"
    detail = client.get(f"/api/preview/{sent['previewId']}", headers=world.olga.headers).get_json()
    assert detail["status"] == "confirmed" and detail["stale"] is False
    assert [(x["response"], x["via"]) for x in detail["decisions"]] == [("confirm", path)]

    # The card shows the decision, whichever way it was made.
    def card_label() -> str | None:
        [card] = [m for m in sandbox.state.messages("zhang") if m["msgtype"] == "template_card"]
        label: str | None = card["cardState"]["replaceName"]
        return label

    wait_for(lambda: card_label() == "已确认")
    # And the task may now be scheduled.
    scheduled = client.put(f"/api/tasks/{task_id}", json={"status": "scheduled"}, headers=world.olga.headers)
    assert scheduled.status_code == 200, scheduled.get_json()


def test_a_stale_preview_cannot_be_decided(client: FlaskClient, world: World, sandbox: SandboxHandle) -> None:
    task_id = draft(client, world)
    sent = preview(client, world, task_id)
    edited = client.put(f"/api/tasks/{task_id}", json={"content": {"text": "改过的内容"}}, headers=world.olga.headers)
    assert edited.status_code == 200
    assert task_of(client, world, task_id)["previewState"] == "stale"
    answer = client.post(
        "/api/preview/confirm", json={"previewId": sent["previewId"], "response": "confirm"}, headers=world.ada.headers
    )
    assert answer.status_code == 409
    assert answer.get_json()["reason"] == "内容已修改，请查看最新预览"
    # The reviewer's tap on the old card is refused too: nothing changes.
    reply(sandbox, **{"from": "zhang", "taskId": f"pv{sent['previewId'].replace('-', '')}-0", "key": "confirm"})
    assert task_of(client, world, task_id)["previewState"] == "stale"


def test_a_decided_preview_cannot_be_decided_again(client: FlaskClient, world: World, sandbox: SandboxHandle) -> None:
    task_id = draft(client, world)
    sent = preview(client, world, task_id)
    body = {"previewId": sent["previewId"], "response": "confirm"}
    assert client.post("/api/preview/confirm", json=body, headers=world.ada.headers).status_code == 200
    again = client.post(
        "/api/preview/confirm", json={**body, "response": "modify", "comment": "x"}, headers=world.ada.headers
    )
    assert again.status_code == 409
    assert "已处理" in again.get_json()["reason"]


def test_only_reviewers_or_admins_decide(client: FlaskClient, world: World, sandbox: SandboxHandle) -> None:
    task_id = draft(client, world)
    sent = preview(client, world, task_id)
    body = {"previewId": sent["previewId"], "response": "confirm"}
    assert client.post("/api/preview/confirm", json=body, headers=world.olga.headers).status_code == 409
    assert client.post("/api/preview/confirm", json=body, headers=world.otto.headers).status_code == 404


def test_modify_sends_the_task_back_to_draft_with_the_comment(
    client: FlaskClient, world: World, sandbox: SandboxHandle, approval: None, clock: FrozenClock
) -> None:
    task_id = draft(client, world)
    first = preview(client, world, task_id)
    reply(sandbox, **{"from": "zhang", "taskId": f"pv{first['previewId'].replace('-', '')}-0", "key": "confirm"})
    assert (
        client.put(f"/api/tasks/{task_id}", json={"status": "scheduled"}, headers=world.olga.headers).status_code == 200
    )
    clock.advance(seconds=30)
    second = preview(client, world, task_id)
    result = reply(sandbox, **{"from": "zhang", "text": "修改 时间写错了，应该是 9:00"})
    assert "已要求修改" in (result["reply"] or "")
    task = task_of(client, world, task_id)
    assert (task["status"], task["previewState"], task["nextFireAt"]) == ("draft", "modify_requested", None)
    listed = client.get(f"/api/preview/tasks/{task_id}", headers=world.olga.headers).get_json()["previews"]
    assert listed[0]["previewId"] == second["previewId"]
    assert listed[0]["comment"] == "时间写错了，应该是 9:00"
    assert listed[0]["decisions"][0]["name"] == "张老师"
    logs = client.get(f"/api/tasks/{task_id}/logs", headers=world.olga.headers).get_json()
    [returned] = [log for log in logs if "previewComment" in log["changes"]]
    assert returned["changes"]["previewComment"]["new"] == "时间写错了，应该是 9:00"
    assert returned["changes"]["status"] == {"old": "scheduled", "new": "draft"}


def test_quorum_all_waits_for_every_reviewer(
    client: FlaskClient, world: World, sandbox: SandboxHandle, sessions: sessionmaker[Session]
) -> None:
    with sessions() as db:
        db.execute(update(Organization).where(Organization.id == world.olga.org_id).values(approval_quorum="all"))
        # A second WeCom reviewer.
        db.execute(update(Recipient).where(Recipient.id == world.recipients[1]).values(channel="wecom"))
        db.commit()
    sandbox.state.apply_directory({"users": [{"userid": "li", "name": "李老师"}]})
    task_id = draft(client, world, previewRecipients=world.recipients)
    preview(client, world, task_id)
    reply(sandbox, **{"from": "zhang", "text": "确认"})
    assert task_of(client, world, task_id)["previewState"] == "pending"
    reply(sandbox, **{"from": "li", "text": "确认"})
    assert task_of(client, world, task_id)["previewState"] == "confirmed"


# ---- the approval gate -------------------------------------------------------------------------


def test_unconfirmed_content_cannot_be_scheduled(
    client: FlaskClient, world: World, sandbox: SandboxHandle, approval: None
) -> None:
    created = client.post("/api/tasks", json=task_body(world), headers=world.olga.headers)
    assert created.status_code == 409
    assert "尚未经预览确认" in created.get_json()["reason"]
    task_id = draft(client, world)
    refused = client.put(f"/api/tasks/{task_id}", json={"status": "scheduled"}, headers=world.olga.headers)
    assert refused.status_code == 409
    sent = preview(client, world, task_id)
    refused = client.put(f"/api/tasks/{task_id}", json={"status": "scheduled"}, headers=world.olga.headers)
    assert refused.status_code == 409  # sent is not confirmed
    client.post(
        "/api/preview/confirm", json={"previewId": sent["previewId"], "response": "confirm"}, headers=world.ada.headers
    )
    assert (
        client.put(f"/api/tasks/{task_id}", json={"status": "scheduled"}, headers=world.olga.headers).status_code == 200
    )
    # Changing the content of the scheduled task would push an unreviewed version: refused.
    changed = client.put(f"/api/tasks/{task_id}", json={"content": {"text": "新内容"}}, headers=world.olga.headers)
    assert changed.status_code == 409
    # Other edits of a scheduled, confirmed task (and batch edits) go through.
    batch = client.post(
        "/api/tasks/batch",
        json={"taskIds": [task_id], "action": "edit", "updates": {"groups": world.groups[3:5]}},
        headers=world.olga.headers,
    )
    assert batch.status_code == 200 and batch.get_json()["failedTasks"] == []


def _confirmed_and_paused(client: FlaskClient, world: World, **pause: Any) -> str:
    task_id = draft(client, world)
    sent = preview(client, world, task_id)
    client.post(
        "/api/preview/confirm", json={"previewId": sent["previewId"], "response": "confirm"}, headers=world.ada.headers
    )
    assert (
        client.put(f"/api/tasks/{task_id}", json={"status": "scheduled"}, headers=world.olga.headers).status_code == 200
    )
    paused = client.post(f"/api/tasks/{task_id}/pause", json=pause, headers=world.olga.headers)
    assert paused.status_code == 200, paused.get_json()
    return task_id


def test_content_edited_while_paused_is_not_resumed_unreviewed(
    client: FlaskClient, world: World, sandbox: SandboxHandle, approval: None
) -> None:
    task_id = _confirmed_and_paused(client, world)
    # Resuming unchanged, confirmed content is fine …
    assert client.post(f"/api/tasks/{task_id}/resume", headers=world.olga.headers).status_code == 200
    assert client.post(f"/api/tasks/{task_id}/pause", json={}, headers=world.olga.headers).status_code == 200
    # … but content edited while paused would be pushed without review.
    edited = client.put(f"/api/tasks/{task_id}", json={"content": {"text": "改过的内容"}}, headers=world.olga.headers)
    assert edited.status_code == 200
    refused = client.post(f"/api/tasks/{task_id}/resume", headers=world.olga.headers)
    assert refused.status_code == 409
    assert "尚未经预览确认" in refused.get_json()["reason"]
    assert task_of(client, world, task_id)["status"] == "paused"


def test_a_timed_resume_keeps_edited_unreviewed_content_paused(
    client: FlaskClient, world: World, sandbox: SandboxHandle, approval: None, clock: FrozenClock, db: Session
) -> None:
    until = (clock() + timedelta(hours=1)).isoformat()
    task_id = _confirmed_and_paused(client, world, resumeAt=until)
    client.put(f"/api/tasks/{task_id}", json={"content": {"text": "改过的内容"}}, headers=world.olga.headers)
    assert planner.resume_paused(db, clock() + timedelta(hours=2)) == 1
    db.commit()
    detail = task_of(client, world, task_id)
    assert (detail["status"], detail["previewState"]) == ("paused", "stale")
    assert db.scalar(select(Task.paused_until).where(Task.id == task_id)) is None  # not retried every tick


# ---- callbacks ---------------------------------------------------------------------------------


def _signed_callback(plaintext: str, *, token: str = d.DEFAULT_CALLBACK_TOKEN) -> tuple[str, dict[str, str]]:
    crypt = WXBizMsgCrypt(d.DEFAULT_CALLBACK_TOKEN, d.DEFAULT_ENCODING_AES_KEY, d.DEFAULT_CORP_ID)
    encrypted = crypt.encrypt(plaintext)
    ts, nonce = str(int(time.time())), secrets.token_hex(4)
    params = {"msg_signature": signature(token, ts, nonce, encrypted), "timestamp": ts, "nonce": nonce}
    return (
        f"<xml><ToUserName><![CDATA[{d.DEFAULT_CORP_ID}]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>",
        params,
    )


def _text_xml(sender: str, text: str, msg_id: int) -> str:
    return (
        f"<xml><ToUserName><![CDATA[{d.DEFAULT_CORP_ID}]]></ToUserName><FromUserName><![CDATA[{sender}]]></FromUserName>"
        f"<CreateTime>1772413200</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{text}]]></Content>"
        f"<MsgId>{msg_id}</MsgId><AgentID>{d.DEFAULT_AGENT_ID}</AgentID></xml>"
    )


LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>'
)
XXE = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'


def _hostile_outer() -> list[tuple[str, bytes]]:
    return [
        ("entity expansion", f"{LAUGHS}<xml><Encrypt>&d;</Encrypt></xml>".encode()),
        ("external entity", f"{XXE}<xml><Encrypt>&e;</Encrypt></xml>".encode()),
        ("not XML", b'{"Encrypt": "x"}'),
        ("empty", b""),
        ("invalid UTF-8", b"<xml><Encrypt>\xff\xfe</Encrypt></xml>"),
        ("NUL", b"<xml><Encrypt>\x00</Encrypt></xml>"),
        ("deep nesting", b"<a>" * 50_000 + b"</a>" * 50_000),
    ]


def test_hostile_callback_bodies_are_refused_and_store_nothing(
    client: FlaskClient, world: World, sandbox: SandboxHandle, db: Session
) -> None:
    task_id = draft(client, world)
    preview(client, world, task_id)
    _, params = _signed_callback(_text_xml("zhang", "确认", 5005))
    for name, body in _hostile_outer():
        answer = client.post("/wechat/callback/wecom", query_string=params, data=body)
        assert 400 <= answer.status_code < 500, (name, answer.status_code)
    # Well signed and encrypted, but the decrypted message declares entities: refused, not expanded.
    for name, inner in (
        ("inner entity expansion", f"{LAUGHS}<xml><FromUserName>&d;</FromUserName></xml>"),
        ("inner external entity", f"{XXE}<xml><FromUserName>&e;</FromUserName></xml>"),
    ):
        body, signed = _signed_callback(inner)
        answer = client.post("/wechat/callback/wecom", query_string=signed, data=body)
        assert 400 <= answer.status_code < 500, (name, answer.status_code)
    assert task_of(client, world, task_id)["previewState"] == "pending"
    assert db.scalar(select(func.count()).select_from(CallbackReceipt)) == 0
    assert db.scalar(select(func.count()).select_from(PreviewDecision)) == 0


def test_a_callback_with_a_bad_signature_is_refused_and_changes_nothing(
    client: FlaskClient, world: World, sandbox: SandboxHandle, db: Session
) -> None:
    task_id = draft(client, world)
    preview(client, world, task_id)
    body, params = _signed_callback(_text_xml("zhang", "确认", 1001), token="not-the-token")
    answer = client.post("/wechat/callback/wecom", query_string=params, data=body)
    assert answer.status_code == 403
    assert task_of(client, world, task_id)["previewState"] == "pending"
    assert db.scalar(select(func.count()).select_from(CallbackReceipt)) == 0


def test_the_same_callback_delivered_twice_is_one_decision(
    client: FlaskClient, world: World, sandbox: SandboxHandle, db: Session
) -> None:
    task_id = draft(client, world)
    sent = preview(client, world, task_id)
    body, params = _signed_callback(_text_xml("zhang", "修改 换一张图", 2002))
    first = client.post("/wechat/callback/wecom", query_string=params, data=body)
    second = client.post("/wechat/callback/wecom", query_string=params, data=body)
    assert first.status_code == second.status_code == 200
    assert "<Encrypt>" in first.get_data(as_text=True)  # the passive reply confirming the decision
    assert second.get_data(as_text=True) == "success"  # recognised as WeChat's retry
    decisions = db.scalars(select(PreviewDecision).where(PreviewDecision.preview_id == sent["previewId"])).all()
    assert [(x.response, x.comment, x.via) for x in decisions] == [("modify", "换一张图", "text")]


def test_reviewers_are_found_by_their_hashed_userid_after_a_new_key_and_rotation(
    client: FlaskClient, world: World, sandbox: SandboxHandle, db: Session, sessions: sessionmaker[Session]
) -> None:
    old = fieldcrypt.current()
    fieldcrypt.install(KeyRing.parse(f"{old.to_text()},{KeyRing.generate_entry('newer')}"))
    try:
        first = draft(client, world)
        preview(client, world, first)
        # The reviewer's row is still hashed under the old key: the card tap finds them all the same.
        body, params = _signed_callback(_text_xml("zhang", "确认", 3003))
        assert client.post("/wechat/callback/wecom", query_string=params, data=body).status_code == 200
        assert task_of(client, world, first)["previewState"] == "confirmed"
        rotate(sessions)
        second = draft(client, world)
        sent = preview(client, world, second)
        reply(sandbox, **{"from": "zhang", "taskId": f"pv{sent['previewId'].replace('-', '')}-0", "key": "confirm"})
        assert task_of(client, world, second)["previewState"] == "confirmed"
    finally:
        fieldcrypt.install(old)
    # Callback receipts are keyed hashes: an event's identity names its sender, the stored key does not.
    keys = db.scalars(select(CallbackReceipt.key)).all()
    assert len(keys) == 2 and not any("zhang" in k or "3003" in k for k in keys)


def test_url_verification_echoes_the_decrypted_echostr(sandbox: SandboxHandle) -> None:
    answer = requests.post(f"{sandbox.url}/_sandbox/verify-callback", json={}, timeout=5).json()
    assert answer["verified"] is True


# ---- what the reviewer saw is what the group gets -----------------------------------------------


def _parts(messages: list[dict[str, Any]], state: SandboxState) -> list[tuple[str, Any]]:
    out = []
    for m in messages:
        kind = m["msgtype"]
        if kind == "template_card":
            continue
        part = m["payload"][kind]
        if kind == "image":
            part = state.media[part["media_id"]].data  # compare the bytes, not the per-upload ids
        out.append((kind, part))
    return out


def test_the_preview_and_the_later_push_send_the_same_payloads(
    client: FlaskClient,
    world: World,
    sandbox: SandboxHandle,
    clock: FrozenClock,
    sessions: sessionmaker[Session],
    tmp_path: Any,
    runtime: Runtime,
) -> None:
    image = upload(client, world, png(), "poster.jpg").get_json()["mediaId"]
    group = world.groups[0]  # an app chat
    body = task_body(
        world,
        status="draft",
        groups=[group],
        schedule={"type": "once", "time": "2026-03-02T09:00:10+08:00"},
        content={"text": "{{群名}}：{{日期}} 上课", "image": image, "link": LINK},
    )
    task_id = create_task(client, world.olga, body)
    preview(client, world, task_id)
    client.put(f"/api/tasks/{task_id}", json={"status": "scheduled"}, headers=world.olga.headers)

    async def push() -> None:
        sender = build_sender(Settings(data_dir=tmp_path), sandbox.url)
        worker = Worker(sessions, sender, clock, config=WorkerConfig(concurrency=4, high_reserved=1))
        try:
            clock.advance(seconds=10)
            await worker.step()
        finally:
            await sender.close()

    asyncio.run(push())
    ref = "ref-0"
    pushed = _parts(sandbox.state.messages(ref), sandbox.state)
    previewed = _parts(sandbox.state.messages("zhang"), sandbox.state)
    assert pushed == previewed
    assert pushed[0] == ("text", {"content": f"{world.group_names[group]}：2026年3月2日 上课"})


def test_variables_are_filled_for_each_group_when_pushed(
    client: FlaskClient,
    world: World,
    sandbox: SandboxHandle,
    clock: FrozenClock,
    sessions: sessionmaker[Session],
    tmp_path: Any,
) -> None:
    groups = world.groups[:3]
    body = task_body(
        world,
        groups=groups,
        schedule={"type": "once", "time": "2026-03-02T09:00:05+08:00"},
        content={"text": "{{群名}} 您好"},
    )
    create_task(client, world.olga, body)

    async def push() -> None:
        sender = build_sender(Settings(data_dir=tmp_path), sandbox.url)
        worker = Worker(sessions, sender, clock, config=WorkerConfig(concurrency=4, high_reserved=1))
        try:
            clock.advance(seconds=5)
            await worker.step()
        finally:
            await sender.close()

    asyncio.run(push())
    for i, group in enumerate(groups):
        texts = [str(m["payload"]) for m in sandbox.state.messages(f"ref-{i}")]
        assert len(texts) == 1 and f"{world.group_names[group]} 您好" in texts[0]


# ---- templates and media ----------------------------------------------------------------------


def test_templates_built_in_and_custom(client: FlaskClient, world: World) -> None:
    listed = client.get("/api/preview/templates", headers=world.victor.headers).get_json()
    names = [t["name"] for t in listed]
    assert {"课程提醒", "活动通知"} <= set(names) and all(t["builtin"] for t in listed)
    bad = client.post(
        "/api/preview/templates", json={"name": "家长会", "content": {"text": "{{老师}}好"}}, headers=world.olga.headers
    )
    assert bad.status_code == 400 and bad.get_json()["error"] == "Invalid template"
    saved = client.post(
        "/api/preview/templates",
        json={"name": "家长会", "content": {"text": "{{群名}}家长会 {{日期}}"}},
        headers=world.olga.headers,
    )
    assert saved.status_code == 201 and saved.get_json()["message"] == "Template saved"
    template_id = saved.get_json()["templateId"]
    renamed = client.put(
        f"/api/preview/templates/{template_id}", json={"name": "期中家长会"}, headers=world.olga.headers
    )
    assert renamed.status_code == 200
    builtin = listed[0]["templateId"]
    assert client.delete(f"/api/preview/templates/{builtin}", headers=world.olga.headers).status_code == 409
    assert client.get("/api/preview/templates", headers=world.otto.headers).get_json()[-1]["builtin"] is True
    assert client.delete(f"/api/preview/templates/{template_id}", headers=world.olga.headers).status_code == 200


def test_a_9_mb_photo_uploads_under_the_json_body_limit_and_comes_back_under_2_mb(
    client: FlaskClient, world: World, runtime: Runtime
) -> None:
    data = photo()
    answer = upload(client, world, data, "IMG_0001.JPG")
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    assert body["bytes"] <= 2 * 1024 * 1024 and body["mime"] == "image/jpeg"
    stored = runtime.settings.media_root / body["mediaId"]
    assert stored.read_bytes()[:3] == b"\xff\xd8\xff"
    again = upload(client, world, data, "copy.jpg")
    assert again.status_code == 201


def test_a_gif_upload_is_refused_with_a_field_message(client: FlaskClient, world: World) -> None:
    answer = upload(client, world, gif(), "anim.png")
    assert answer.status_code == 400
    assert answer.get_json()["details"][0] == {
        "field": "file",
        "message": "图片必须是 JPG 或 PNG 格式（当前文件是 GIF），请转换后再上传",
    }
    missing = client.post("/api/media", data={}, headers=world.olga.headers)
    assert missing.status_code == 400
