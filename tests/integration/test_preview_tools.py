"""A reviewer's 修改 in the creator's bell; one group's rendering; a test sent to oneself (issue 18, item 7).

Through the real sandbox over HTTP, as tests/integration/test_previews.py (whose fixtures these are).
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from pushtask.models import Notification, Preview, Recipient, WeChatBinding, new_id
from pushtask.runtime import Runtime, wechat_link
from pushtask.sandbox import SandboxHandle
from pushtask.wiring import build_notifier
from tests.integration import test_previews as previews_test
from tests.integration.conftest import World
from tests.integration.test_previews import draft, preview, reply, task_of
from tests.support import FrozenClock

# The sandbox and the served app, as test_previews.py sets them up.
sandbox_server = previews_test.sandbox_server
served = previews_test.served
sandbox = previews_test.sandbox


def bell(client: FlaskClient, world: World) -> dict[str, Any]:
    answer = client.get("/api/notifications", headers=world.olga.headers)
    assert answer.status_code == 200, answer.get_json()
    body: dict[str, Any] = answer.get_json()
    return body


# ---- a reviewer's 修改 reaches the creator's bell ----------------------------------------------


def test_a_reviewers_modify_is_in_the_creators_bell_at_once(
    client: FlaskClient, world: World, sandbox: SandboxHandle, sessions: sessionmaker[Session]
) -> None:
    task_id = draft(client, world)
    preview(client, world, task_id)
    assert bell(client, world)["unread"] == 0
    reply(sandbox, **{"from": "zhang", "text": "修改 时间写错了"})
    # No worker has run: the bell item was written with the decision.
    inbox = bell(client, world)
    assert inbox["unread"] == 1
    [item] = inbox["notifications"]
    assert item["title"] == "「周一课程提醒」需要修改（张老师）：时间写错了"
    assert "退回草稿" in item["body"]
    assert (item["taskId"], item["link"], item["read"]) == (task_id, f"/tasks/{task_id}/edit", False)
    # The creator is no WeCom contact: nothing is queued for WeChat, nothing lands twice later.
    with sessions() as db:
        assert db.scalar(select(func.count()).where(Notification.dedupe_key.startswith("modify:"))) == 0


def test_a_creator_who_is_a_wecom_contact_also_gets_it_in_wecom_and_once_in_the_bell(
    client: FlaskClient,
    world: World,
    sandbox: SandboxHandle,
    sessions: sessionmaker[Session],
    runtime: Runtime,
    clock: FrozenClock,
) -> None:
    with sessions() as db:
        now = clock()
        db.add(
            Recipient(
                id=new_id(),
                org_id=world.olga.org_id,
                name="Olga 老师",
                wechat_id="olga",
                channel="wecom",
                channel_user_id="olga-wecom",
                created_at=now,
                updated_at=now,
            )
        )
        db.commit()
    sandbox.state.apply_directory({"users": [{"userid": "olga-wecom", "name": "Olga 老师"}]})
    task_id = draft(client, world)
    preview(client, world, task_id)
    reply(sandbox, **{"from": "zhang", "text": "修改 换个链接"})
    link = wechat_link(runtime)

    async def housekeeping() -> None:
        notices = build_notifier(runtime.settings, sessions, sandbox.url)
        try:
            await notices.notifier.housekeeping(clock())
        finally:
            await notices.close()

    link.run(housekeeping(), timeout=10)
    texts = [m["payload"]["text"]["content"] for m in sandbox.state.messages("olga-wecom") if m["msgtype"] == "text"]
    assert texts == ["「周一课程提醒」需要修改（张老师）：换个链接\n任务已退回草稿，请修改后重新发送预览。"]
    assert bell(client, world)["unread"] == 1


# ---- one group's rendering ---------------------------------------------------------------------


def test_render_fills_the_group_name_and_date_for_the_chosen_group(
    client: FlaskClient, world: World, clock: FrozenClock
) -> None:
    content = {"text": "{{群名}}的家长：{{日期}}下午放假", "link": "https://school.example.com/{{群名}}"}
    group = world.groups[7]
    answer = client.post(
        "/api/preview/render", json={"content": content, "groupId": group}, headers=world.victor.headers
    )
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    today = clock().astimezone(ZoneInfo("Asia/Shanghai")).date()
    assert (body["groupId"], body["groupName"], body["date"]) == (group, "家长群007", today.isoformat())
    assert body["content"]["text"] == f"家长群007的家长：{today.year}年{today.month}月{today.day}日下午放假"
    assert body["content"]["link"] == "https://school.example.com/家长群007"
    # With a task, {{日期}} is the date of its next push (2026-03-09 in task_body).
    task_id = draft(client, world, schedule={"type": "once", "time": "2031-05-04T09:00:00+08:00"})
    dated = client.post(
        "/api/preview/render",
        json={"content": {"text": "{{日期}}"}, "groupId": group, "taskId": task_id},
        headers=world.olga.headers,
    ).get_json()
    assert dated["content"]["text"] == "2031年5月4日"


def test_render_refuses_a_group_that_is_not_the_callers(client: FlaskClient, world: World) -> None:
    for group in ("no-such-group", world.other_groups[0]):
        answer = client.post(
            "/api/preview/render", json={"content": {"text": "{{群名}}"}, "groupId": group}, headers=world.olga.headers
        )
        assert answer.status_code == 400
        [detail] = answer.get_json()["details"]
        assert detail["field"] == "groupId"
        assert group in detail["message"]


# ---- a test to oneself ---------------------------------------------------------------------------


def test_a_test_to_myself_without_a_linked_wechat_says_how_to_link_one(
    client: FlaskClient, world: World, sandbox: SandboxHandle
) -> None:
    task_id = draft(client, world)
    answer = client.post("/api/preview/self", json={"taskId": task_id}, headers=world.olga.headers)
    assert answer.status_code == 400
    [detail] = answer.get_json()["details"]
    assert "绑定微信" in detail["message"] and "通知设置" in detail["message"]
    english = client.post(
        "/api/preview/self", json={"taskId": task_id}, headers={**world.olga.headers, "Accept-Language": "en"}
    )
    assert "Bind WeChat" in english.get_json()["details"][0]["message"]


def test_a_test_to_myself_goes_to_my_linked_wecom_identity_as_the_groups_get_it(
    client: FlaskClient, world: World, sandbox: SandboxHandle, sessions: sessionmaker[Session]
) -> None:
    linked = client.put(
        "/api/notifications/settings", json={"recipientId": world.recipients[0]}, headers=world.olga.headers
    )
    assert linked.status_code == 200, linked.get_json()
    task_id = draft(client, world, content={"text": "{{群名}}：明天 8:00 上课"})
    answer = client.post(
        "/api/preview/self",
        json={"taskId": task_id, "content": {"text": "{{群名}}：明天 7:50 上课"}},  # the form's, unsaved
        headers=world.olga.headers,
    )
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json() == {
        "status": "sent",
        "channel": "wecom",
        "to": "张老师",
        "message": "测试已发到你的企业微信（相同内容 30 分钟内只送达一次）",
    }
    received = sandbox.state.messages("zhang")
    assert [m["msgtype"] for m in received] == ["text"]  # the content only: no card to answer
    assert received[0]["payload"]["text"]["content"] == f"{world.group_names[world.groups[0]]}：明天 7:50 上课"
    # A test is no preview: nothing to decide, the task and its content unchanged.
    detail = task_of(client, world, task_id)
    assert (detail["previewState"], detail["content"]["text"]) == ("none", "{{群名}}：明天 8:00 上课")
    with sessions() as db:
        assert db.scalar(select(func.count()).select_from(Preview)) == 0


def test_a_test_to_myself_reaches_the_wechat_i_bound_for_sign_in(
    client: FlaskClient, world: World, sandbox: SandboxHandle, sessions: sessionmaker[Session], clock: FrozenClock
) -> None:
    sandbox.state.apply_directory({"users": [{"openid": "o-olga", "name": "Olga"}]})
    with sessions() as db:
        db.add(
            WeChatBinding(
                user_id=world.olga.user_id, org_id=world.olga.org_id, appid="wx", openid="o-olga", created_at=clock()
            )
        )
        db.commit()
    task_id = draft(client, world)
    # No subscription accepted yet: WeChat refuses (43101) and the answer says what to do.
    refused = client.post("/api/preview/self", json={"taskId": task_id}, headers=world.olga.headers)
    assert refused.status_code == 200, refused.get_json()
    assert (refused.get_json()["status"], refused.get_json()["channel"]) == ("failed", "miniprogram")
    assert "订阅" in refused.get_json()["message"]
    for template in list(sandbox.state.templates):
        sandbox.state.grant_subscriptions("o-olga", template)
    clock.advance(seconds=61)  # past the per-task preview rate limit's window
    sent = client.post("/api/preview/self", json={"taskId": task_id}, headers=world.olga.headers).get_json()
    assert (sent["status"], sent["to"]) == ("sent", "Olga 老师")
    [notice] = [m for m in sandbox.state.messages("o-olga") if m["msgtype"] == "subscribe"]
    assert notice["payload"]["page"] == f"pages/task/task?id={task_id}"
    assert notice["payload"]["data"]["thing1"]["value"] == "周一课程提醒"
