"""WeChat sign-in through the wx over HTTP: operator binding, reviewer and member scopes, refresh.

Personas: Olga (operator) binds her WeChat "o_olga"; 李老师 is a mini-program reviewer of the
school (openid "li"); "o_parent" is a parent in a group whom the directory does not know.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from flask.testing import FlaskClient
from sqlalchemy import inspect, select, text
from sqlalchemy.orm import Session, sessionmaker

from pushtask.models import Base, Feedback, Recipient
from pushtask.runtime import Runtime
from pushtask.sandbox import SandboxHandle, SandboxState, start_in_thread
from pushtask.sandbox import directory as d
from pushtask.sandbox.login_api import LoginCodes
from tests.integration.conftest import World
from tests.integration.test_previews import draft, preview

REVIEWER_OPENID = "li"  # 李老师's openid in the world's directory


@pytest.fixture(scope="module")
def wx_server() -> Iterator[SandboxHandle]:
    handle = start_in_thread("127.0.0.1", 0, SandboxState(seed=17))
    yield handle
    handle.stop()


@pytest.fixture
def wx(
    wx_server: SandboxHandle, world: World, sessions: sessionmaker[Session], runtime: Runtime
) -> Iterator[SandboxHandle]:
    """The sandbox, reset, knowing the school's reviewers; the app's WeChat clients point at it."""
    state = wx_server.state
    state.reset()
    with sessions() as db:
        users = [
            {"userid" if r.channel == "wecom" else "openid": r.channel_user_id, "name": r.name}
            for r in db.scalars(select(Recipient))
        ]
    state.apply_directory({"users": users})
    runtime.sandbox_url = wx_server.url
    yield wx_server
    if runtime.wechat_link is not None:
        runtime.wechat_link.close()


def code_for(wx: SandboxHandle, openid: str) -> str:
    answer = requests.post(f"{wx.url}/_sandbox/wx-login", json={"openid": openid}, timeout=5)
    assert answer.status_code == 200, answer.text
    code: str = answer.json()["code"]
    return code


def sign_in(client: FlaskClient, wx: SandboxHandle, openid: str, **headers: str) -> dict[str, Any]:
    response = client.post("/api/auth/wechat", json={"code": code_for(wx, openid)}, headers=headers)
    assert response.status_code == 200, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_reviewer_signs_in_with_wechat_alone_and_is_scoped_to_previews(
    client: FlaskClient, world: World, wx: SandboxHandle
) -> None:
    body = sign_in(client, wx, REVIEWER_OPENID)
    assert body["scope"] == "reviewer"
    assert body["reviewer"] == {
        "recipientId": world.recipients[1],
        "name": "李老师",
        "orgId": world.olga.org_id,
        "orgName": "阳光小学",
    }
    assert "user" not in body and body["expiresAt"].endswith("Z")
    headers = bearer(body["token"])
    refused = client.get("/api/tasks", headers=headers)
    assert refused.status_code == 403
    assert refused.get_json()["reason"].startswith("审核人的微信登录只能查看和确认自己的预览")
    english = client.get("/api/groups", headers={**headers, "Accept-Language": "en"})
    assert english.status_code == 403 and "reviewer's WeChat sign-in" in english.get_json()["reason"]
    for method, path in (("post", "/api/tasks"), ("get", "/api/auth/me"), ("post", "/api/preview")):
        assert getattr(client, method)(path, json={}, headers=headers).status_code == 403, path
    assert client.get("/api/me/previews", headers=headers).status_code == 200


def test_anyone_else_is_a_member_who_can_only_answer_feedback(
    client: FlaskClient, world: World, wx: SandboxHandle
) -> None:
    first = sign_in(client, wx, "o_parent")
    again = sign_in(client, wx, "o_parent")
    other = sign_in(client, wx, "o_other_parent")
    assert first["scope"] == "member" and "user" not in first and "reviewer" not in first
    # The same phone is the same member every time; the openid itself is not handed out.
    assert first["memberId"] == again["memberId"] != other["memberId"]
    assert "o_parent" not in first["memberId"]
    headers = bearer(first["token"])
    task_id = draft(client, world)
    sent = preview(client, world, task_id)
    for path in ("/api/tasks", f"/api/preview/{sent['previewId']}", "/api/me/previews", "/api/feedback"):
        response = client.get(path, headers=headers)
        assert response.status_code == 403, path
        assert response.get_json()["reason"].startswith("群成员的微信登录只能提交反馈")


@pytest.mark.parametrize(("language", "expected"), [("zh-CN", "无效或已过期"), ("en", "invalid or expired")])
def test_a_bad_code_is_401_with_the_reason(
    client: FlaskClient, world: World, wx: SandboxHandle, language: str, expected: str
) -> None:
    response = client.post("/api/auth/wechat", json={"code": "0" * 32}, headers={"Accept-Language": language})
    assert response.status_code == 401
    assert response.get_json()["error"] == "Invalid WeChat login code"
    assert expected in response.get_json()["reason"]


def test_a_reused_code_is_401_and_says_to_call_wx_login_again(
    client: FlaskClient, world: World, wx: SandboxHandle
) -> None:
    code = code_for(wx, REVIEWER_OPENID)
    assert client.post("/api/auth/wechat", json={"code": code}).status_code == 200
    reused = client.post("/api/auth/wechat", json={"code": code})
    assert reused.status_code == 401 and "wx.login" in reused.get_json()["reason"]
    english = client.post("/api/auth/wechat", json={"code": code}, headers={"Accept-Language": "en"})
    assert "already used" in english.get_json()["reason"]


def test_malformed_codes_are_400_with_the_field(client: FlaskClient, world: World, wx: SandboxHandle) -> None:
    for body in ({}, {"code": ""}, {"code": "a b"}, {"code": "x" * 129}, {"code": 7}):
        response = client.post("/api/auth/wechat", json=body)
        assert response.status_code == 400, body
        assert response.get_json()["details"][0]["field"] == "code"


def test_signing_in_too_often_is_429_with_retry_after(client: FlaskClient, world: World, wx: SandboxHandle) -> None:
    wx.state.logins = LoginCodes(per_minute=1)
    sign_in(client, wx, REVIEWER_OPENID)
    limited = client.post("/api/auth/wechat", json={"code": code_for(wx, REVIEWER_OPENID)})
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "60"
    assert "过于频繁" in limited.get_json()["reason"]


def test_a_wrong_app_secret_is_503_telling_the_admin_what_to_check(
    client: FlaskClient, world: World, wx: SandboxHandle
) -> None:
    wx.state.miniapps[d.DEFAULT_MP_APPID].secret = "rotated-in-the-wechat-console"
    response = client.post("/api/auth/wechat", json={"code": code_for(wx, REVIEWER_OPENID)})
    assert response.status_code == 503
    assert "40125" in response.get_json()["reason"] and "AppSecret" in response.get_json()["reason"]


def test_an_operator_binds_their_wechat_then_signs_in_with_it_alone(
    client: FlaskClient, world: World, wx: SandboxHandle, sessions: sessionmaker[Session]
) -> None:
    assert client.get("/api/auth/wechat/bind", headers=world.olga.headers).get_json()["bound"] is False
    bound = client.post("/api/auth/wechat/bind", json={"code": code_for(wx, "o_olga")}, headers=world.olga.headers)
    assert bound.status_code == 200, bound.get_json()
    assert bound.get_json()["bound"] is True and bound.get_json()["appid"] == d.DEFAULT_MP_APPID
    body = sign_in(client, wx, "o_olga")
    assert body["scope"] == "operator"
    assert body["user"]["id"] == world.olga.user_id and body["user"]["role"] == "operator"
    assert client.get("/api/tasks", headers=bearer(body["token"])).status_code == 200
    # The openid is stored encrypted; WeChat's session_key is not stored at all.
    with sessions() as db:
        stored = db.execute(text("SELECT openid FROM t_wechat_bindings")).scalar_one()
        assert stored != "o_olga" and "o_olga" not in stored
        columns = {c["name"] for t in Base.metadata.tables for c in inspect(db.connection()).get_columns(t)}
        assert not any("session_key" in c for c in columns)
    # Unbound, the same WeChat is just a member again.
    unbound = client.delete("/api/auth/wechat/bind", headers=world.olga.headers)
    assert unbound.status_code == 200 and unbound.get_json()["bound"] is False
    assert sign_in(client, wx, "o_olga")["scope"] == "member"


def test_one_wechat_cannot_be_bound_to_two_accounts(client: FlaskClient, world: World, wx: SandboxHandle) -> None:
    assert (
        client.post(
            "/api/auth/wechat/bind", json={"code": code_for(wx, "o_shared")}, headers=world.olga.headers
        ).status_code
        == 200
    )
    taken = client.post("/api/auth/wechat/bind", json={"code": code_for(wx, "o_shared")}, headers=world.ada.headers)
    assert taken.status_code == 409 and "已绑定另一个" in taken.get_json()["reason"]


def test_only_operators_tokens_can_bind(client: FlaskClient, world: World, wx: SandboxHandle) -> None:
    reviewer = sign_in(client, wx, REVIEWER_OPENID)
    response = client.post(
        "/api/auth/wechat/bind", json={"code": code_for(wx, "o_x")}, headers=bearer(reviewer["token"])
    )
    assert response.status_code == 403


def test_wechat_tokens_refresh_into_the_same_scope_and_the_old_one_stops(
    client: FlaskClient, world: World, wx: SandboxHandle
) -> None:
    for openid, scope in ((REVIEWER_OPENID, "reviewer"), ("o_parent", "member")):
        old = sign_in(client, wx, openid)
        fresh = client.post("/api/auth/refresh", headers=bearer(old["token"]))
        assert fresh.status_code == 200, fresh.get_json()
        body = fresh.get_json()
        assert body["scope"] == scope and body["token"] != old["token"]
        assert body.get("reviewer") == old.get("reviewer") and body.get("memberId") == old.get("memberId")
        assert client.post("/api/auth/refresh", headers=bearer(old["token"])).status_code == 401
        assert client.post("/api/auth/logout", headers=bearer(body["token"])).status_code == 200
        assert client.post("/api/auth/refresh", headers=bearer(body["token"])).status_code == 401
    operator = client.post("/api/auth/refresh", headers=world.olga.headers).get_json()
    assert operator["scope"] == "operator" and operator["user"]["id"] == world.olga.user_id


def test_a_removed_reviewer_s_token_stops_working(client: FlaskClient, world: World, wx: SandboxHandle) -> None:
    body = sign_in(client, wx, REVIEWER_OPENID)
    assert client.delete(f"/api/recipients/{world.recipients[1]}", headers=world.ada.headers).status_code == 200
    assert client.get("/api/me/previews", headers=bearer(body["token"])).status_code == 401
    assert sign_in(client, wx, REVIEWER_OPENID)["scope"] == "member"


# ---- the reviewer's previews and subscriptions -------------------------------------------------


def test_a_first_time_reviewer_sees_their_previews_and_subscribes_without_a_notice(
    client: FlaskClient, world: World, wx: SandboxHandle
) -> None:
    task_id = draft(client, world, previewRecipients=world.recipients)
    sent = preview(client, world, task_id)
    assert {r["name"]: r["status"] for r in sent["recipients"]}["李老师"] == "no_quota"
    other_task = draft(client, world, name="只给张老师", previewRecipients=world.recipients[:1])
    not_mine = preview(client, world, other_task)
    headers = bearer(sign_in(client, wx, REVIEWER_OPENID)["token"])
    mine = client.get("/api/me/previews", headers=headers).get_json()
    assert [p["previewId"] for p in mine["previews"]] == [sent["previewId"]]
    assert mine["pending"] == 1
    assert mine["subscription"] == {"templateId": d.DEFAULT_TEMPLATE_ID, "remaining": 0, "needsSubscribe": True}
    assert mine["previews"][0]["status"] == "pending" and mine["previews"][0]["stale"] is False
    # Another preview of the organisation is not theirs to read.
    assert client.get(f"/api/preview/{not_mine['previewId']}", headers=headers).status_code == 404
    refused = client.post(
        "/api/me/subscriptions",
        json={
            "templateIds": [d.DEFAULT_TEMPLATE_ID],
            "result": {"errMsg": "requestSubscribeMessage:ok", d.DEFAULT_TEMPLATE_ID: "reject"},
        },
        headers=headers,
    ).get_json()
    assert refused == {"templateId": d.DEFAULT_TEMPLATE_ID, "granted": 0, "remaining": 0, "needsSubscribe": True}
    accepted = client.post(
        "/api/me/subscriptions",
        json={
            "templateIds": [d.DEFAULT_TEMPLATE_ID],
            "result": {"errMsg": "requestSubscribeMessage:ok", d.DEFAULT_TEMPLATE_ID: "accept"},
        },
        headers=headers,
    ).get_json()
    assert accepted == {"templateId": d.DEFAULT_TEMPLATE_ID, "granted": 1, "remaining": 1, "needsSubscribe": False}
    # WeChat records the same acceptance; the next preview reaches the reviewer as a service notice.
    wx.state.grant_subscriptions(REVIEWER_OPENID, d.DEFAULT_TEMPLATE_ID, 1)
    again = preview(client, world, task_id)
    assert {r["name"]: r["status"] for r in again["recipients"]}["李老师"] == "sent"
    notice = wx.state.messages(REVIEWER_OPENID)[-1]["payload"]
    assert notice["page"] == f"pages/preview/preview?id={again['previewId']}"
    after = client.get("/api/me/previews", headers=headers).get_json()
    assert after["subscription"]["remaining"] == 0 and after["subscription"]["needsSubscribe"] is True
    assert [p["stale"] for p in after["previews"]] == [False, False]


def test_operators_cannot_use_the_reviewer_s_own_routes(client: FlaskClient, world: World, wx: SandboxHandle) -> None:
    response = client.get("/api/me/previews", headers=world.olga.headers)
    assert response.status_code == 403 and "审核人" in response.get_json()["reason"]


def test_a_reviewer_confirms_their_own_preview_by_name(client: FlaskClient, world: World, wx: SandboxHandle) -> None:
    task_id = draft(client, world, previewRecipients=world.recipients[1:])
    sent = preview(client, world, task_id)
    headers = bearer(sign_in(client, wx, REVIEWER_OPENID)["token"])
    shown = client.get(f"/api/preview/{sent['previewId']}", headers=headers).get_json()
    assert shown["status"] == "pending" and shown["taskId"] == task_id
    decided = client.post(
        "/api/preview/confirm", json={"previewId": sent["previewId"], "response": "confirm"}, headers=headers
    )
    assert decided.status_code == 200, decided.get_json()
    seen = client.get(f"/api/preview/{sent['previewId']}", headers=world.olga.headers).get_json()
    assert seen["status"] == "confirmed"
    assert [(x["name"], x["response"], x["via"]) for x in seen["decisions"]] == [("李老师", "confirm", "api")]
    twice = client.post(
        "/api/preview/confirm", json={"previewId": sent["previewId"], "response": "modify"}, headers=headers
    )
    assert twice.status_code == 409


def test_a_member_token_names_the_member_of_a_feedback_answer(
    client: FlaskClient, world: World, wx: SandboxHandle, sessions: sessionmaker[Session], runtime: Any
) -> None:
    from datetime import timedelta

    from pushtask.notify import feedback_token

    member = sign_in(client, wx, "o_parent")
    task_id = draft(client, world)
    link = feedback_token.sign(
        runtime.settings.secret_key, task_id, world.groups[0], "push-1", runtime.clock() + timedelta(days=1)
    )
    response = client.post(
        "/api/feedback", json={"token": link, "rating": 4, "content": "收到"}, headers=bearer(member["token"])
    )
    assert response.status_code == 200, response.get_json()
    with sessions() as db:
        stored = db.get(Feedback, response.get_json()["feedbackId"])
        assert stored is not None and stored.member == member["memberId"]
    # Without a member's token the memberId must be given (an operator's token names no member).
    assert client.post("/api/feedback", json={"token": link, "rating": 4}).status_code == 400
    with_operator = client.post("/api/feedback", json={"token": link, "rating": 4}, headers=world.olga.headers)
    assert with_operator.status_code == 400 and with_operator.get_json()["details"][0]["field"] == "memberId"
    assert client.post("/api/feedback", json={"token": link, "rating": 4}, headers=bearer("x.y.z")).status_code == 401
