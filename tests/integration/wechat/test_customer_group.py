"""WeCom customer groups (客户群群发) against the sandbox over HTTP: the channel's whole lifecycle."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from pushtask.channels import GroupTarget, ImageRef, LinkCard, MediaBlob, Message, MiniProgramCard
from pushtask.channels.base import Pending, is_two_phase
from pushtask.channels.wecom_customer_group import WeComCustomerGroupChannel
from pushtask.sandbox import SandboxHandle
from pushtask.sandbox.directory import CUSTOMER_GROUPS
from pushtask.wechat.clock import FakeClock
from pushtask.wechat.customer_group import CustomerGroupClient
from pushtask.wechat.errors import WeChatError

from .helpers import clients, png, run

NAMES = {"zhangsan": "张三", "lisi": "李四"}
G1, G2, G3 = CUSTOMER_GROUPS  # G1, G2 owned by zhangsan; G3 by lisi
THUMB = MediaBlob(png(300), "thumb.png", "image/png")


def targets() -> list[GroupTarget]:
    return [
        GroupTarget(1, "三年级1班家长群", "wecom_customer_group", G1, owner="zhangsan"),
        GroupTarget(2, "三年级1班兴趣班", "wecom_customer_group", G2, owner="zhangsan"),
        GroupTarget(3, "阳光小区业主群", "wecom_customer_group", G3, owner="lisi"),
    ]


def media(ref: ImageRef) -> MediaBlob:
    return MediaBlob(png(500), "poster.png", "image/png")


async def thumbs(url: str) -> MediaBlob:
    return THUMB


@asynccontextmanager
async def channel(sandbox: SandboxHandle, clock: FakeClock) -> AsyncIterator[WeComCustomerGroupChannel]:
    async with clients(sandbox, clock) as c:
        yield WeComCustomerGroupChannel(
            CustomerGroupClient(c.wecom), media, c.store, thumbs=thumbs, owner_names=NAMES, clock=clock
        )


def control(sandbox: SandboxHandle, path: str, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(  # noqa: S310 — the local sandbox
        f"{sandbox.url}/_sandbox/{path}",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 — the local sandbox
        return json.loads(response.read())


def messages(sandbox: SandboxHandle) -> list[dict[str, Any]]:
    with urllib.request.urlopen(f"{sandbox.url}/_sandbox/messages", timeout=5) as response:  # noqa: S310
        return list(json.loads(response.read())["messages"])


def test_lifecycle_awaiting_sent_reminded_refused_cancelled(sandbox: SandboxHandle, clock: FakeClock) -> None:
    message = Message(text="明天 8:00 春游，请带水 🎒", link=LinkCard("报名表", "https://example.com/form", "春游报名"))

    async def scenario() -> dict[str, Any]:
        async with channel(sandbox, clock) as ch:
            assert is_two_phase(ch)
            results = await ch.send_batch(targets(), message)
            pending = [Pending(t, r.external_ref, clock()) for t, r in zip(targets(), results, strict=True)]
            before = await ch.check(pending)
            control(sandbox, "groupmsg/send", {"userid": "zhangsan"})
            clock.advance(120)
            after = await ch.check(pending)
            reminders = []
            for _ in range(4):
                [answer] = await ch.remind([pending[2]])
                reminders.append(answer)
                clock.advance(60)
            [cancelled] = await ch.cancel([pending[2]])
            return {"results": results, "before": before, "after": after, "reminders": reminders, "cancel": cancelled}

    out = run(scenario)
    results = out["results"]
    assert [r.status for r in results] == ["awaiting_confirmation"] * 3
    assert results[0].external_ref == results[1].external_ref != results[2].external_ref
    assert results[0].detail_zh == "等待群主 张三 确认发送" and results[2].detail_zh == "等待群主 李四 确认发送"
    assert sandbox.state.stats["externalcontact/add_msg_template"] == 2  # one call per owner
    assert [o.state for o in out["before"]] == ["awaiting_confirmation"] * 3
    assert all(o.check_after_s and o.check_after_s <= 300 for o in out["before"])
    assert [o.state for o in out["after"]] == ["sent", "sent", "awaiting_confirmation"]
    assert out["after"][0].sent_at == pytest.approx(clock() - 120 - 240, abs=400)
    assert [r.ok for r in out["reminders"]] == [True, True, True, False]
    refused = out["reminders"][3]
    assert "24 小时内最多提醒群主 3 次" in refused.reason_zh and "3 reminders" in refused.reason_en
    assert out["cancel"].ok
    # What the groups show: text then the link, in owner 1's two groups only.
    received = [m for m in messages(sandbox) if m["channel"] == "wecom_customer_group"]
    assert sorted({m["target"] for m in received}) == [G1, G2]
    assert [m["msgtype"] for m in received if m["target"] == G1] == ["text", "link"]
    # Owner 2 can no longer send what was cancelled.
    assert control(sandbox, "groupmsg/send", {"userid": "lisi"})["sent"] == []


def test_image_and_miniprogram_card_go_as_attachments(sandbox: SandboxHandle, clock: FakeClock) -> None:
    card = MiniProgramCard("wxsandbox00000mp", "pages/index/index", "打开作业本", "https://example.com/t.png")
    message = Message(text="作业", image=ImageRef("poster"), miniprogram=card)

    async def scenario() -> list[Any]:
        async with channel(sandbox, clock) as ch:
            return await ch.send_batch(targets()[2:], message)

    [result] = run(scenario)
    assert result.awaiting
    control(sandbox, "groupmsg/send", {"userid": "lisi", "msgid": result.external_ref})
    received = sandbox.state.messages(G3)
    assert [m["msgtype"] for m in received] == ["text", "image", "miniprogram"]
    assert received[2]["payload"]["miniprogram"]["pic_media_id"]
    assert sandbox.state.stats["media/upload"] == 2


def test_a_group_the_sender_does_not_own_fails_with_the_reason(sandbox: SandboxHandle, clock: FakeClock) -> None:
    wrong = GroupTarget(3, "阳光小区业主群", "wecom_customer_group", G3, owner="zhangsan")

    async def scenario() -> list[Any]:
        async with channel(sandbox, clock) as ch:
            return await ch.send_batch([targets()[0], wrong], Message(text="hi"))

    ok, bad = run(scenario)
    assert ok.awaiting
    assert not bad.awaiting and not bad.sent and bad.permanent and "群主不是 张三" in bad.reason_zh


def test_month_cap_ends_failed_with_the_reason(sandbox: SandboxHandle, clock: FakeClock) -> None:
    with sandbox.state.lock:
        sandbox.state.group_sends[G3] = [clock() - 60] * 31  # January: 31 days

    async def scenario() -> Any:
        async with channel(sandbox, clock) as ch:
            [result] = await ch.send_batch(targets()[2:], Message(text="over the cap"))
            control(sandbox, "groupmsg/send", {"userid": "lisi"})
            [outcome] = await ch.check([Pending(targets()[2], result.external_ref, clock())])
            return outcome

    outcome = run(scenario)
    assert outcome.state == "failed" and "上限" in outcome.reason_zh
    assert sandbox.state.messages(G3) == []


def test_groupchat_list_pages_with_a_cursor(sandbox: SandboxHandle, clock: FakeClock) -> None:
    async def scenario() -> tuple[list[str], list[str], Any]:
        async with clients(sandbox, clock) as c:
            client = CustomerGroupClient(c.wecom)
            every = await client.list_chat_ids(limit=2)
            mine = await client.list_chat_ids(owners=["lisi"], limit=1)
            return every, mine, await client.get_chat(G3)

    every, mine, chat = run(scenario)
    assert every == sorted(CUSTOMER_GROUPS) and mine == [G3]
    assert sandbox.state.stats["externalcontact/groupchat/list"] == 3  # 2 + 1 pages, then 1
    assert (chat.name, chat.owner) == ("阳光小区业主群", "lisi")


def test_unknown_chat_errcode_is_explained_in_chinese(sandbox: SandboxHandle, clock: FakeClock) -> None:
    async def scenario() -> WeChatError:
        async with clients(sandbox, clock) as c:
            with pytest.raises(WeChatError) as info:
                await CustomerGroupClient(c.wecom).get_chat("wrNoSuchGroup")
            return info.value

    error = run(scenario)
    assert error.code == 40050 and error.info.zh == "群聊不存在"


def test_more_than_2000_chat_ids_is_refused_by_wecom(sandbox: SandboxHandle, clock: FakeClock) -> None:
    async def scenario() -> WeChatError:
        async with clients(sandbox, clock) as c:
            with pytest.raises(WeChatError) as info:
                await c.wecom.call(
                    "POST",
                    "externalcontact/add_msg_template",
                    json_body={
                        "chat_type": "group",
                        "sender": "lisi",
                        "chat_id_list": [G3] * 2001,
                        "text": {"content": "x"},
                    },
                )
            return info.value

    assert run(scenario).code == 40058


def test_web_view_assistant_lists_pending_tasks(sandbox: SandboxHandle, clock: FakeClock) -> None:
    async def scenario() -> None:
        async with channel(sandbox, clock) as ch:
            await ch.send_batch(targets(), Message(text="家长会通知"))

    run(scenario)
    with urllib.request.urlopen(f"{sandbox.url}/_sandbox/groupmsg", timeout=5) as response:  # noqa: S310
        owners = {o["userid"]: o for o in json.loads(response.read())["owners"]}
    assert owners["zhangsan"]["name"] == "张三"
    assert [t["status"] for t in owners["zhangsan"]["tasks"]] == ["pending"]
    assert owners["zhangsan"]["tasks"][0]["chatIds"] == [G1, G2]
    with urllib.request.urlopen(f"{sandbox.url}/_sandbox/", timeout=5) as response:  # noqa: S310
        assert "群发助手" in response.read().decode()


def test_wechatpy_calls_the_sandbox_unchanged(sandbox: SandboxHandle, clock: FakeClock) -> None:
    """wechatpy 1.8.18's WeCom client (an independent implementation) against the sandbox."""
    from wechatpy.enterprise import WeChatClient

    from .helpers import wecom_credentials

    class SandboxClient(WeChatClient):  # type: ignore[misc]
        """wechatpy hard-codes the host of gettoken; only the host changes."""

        API_BASE_URL = f"{sandbox.url}/cgi-bin/"

        def fetch_access_token(self) -> dict[str, Any]:
            params = {"corpid": self.corp_id, "corpsecret": self.secret}
            return dict(self._fetch_access_token(url=f"{sandbox.url}/cgi-bin/gettoken", params=params))

    creds = wecom_credentials(sandbox)
    client = SandboxClient(creds.corp_id, creds.corp_secret)
    created = client.external_contact.add_msg_template(
        {
            "chat_type": "group",
            "sender": "zhangsan",
            "chat_id_list": [G1, G2],
            "text": {"content": "wechatpy 群发"},
            "link": {"title": "通知", "url": "https://example.com/n"},
        }
    )
    assert created["errcode"] == 0 and created["msgid"] and created["fail_list"] == []
    control(sandbox, "groupmsg/send", {"userid": "zhangsan", "msgid": created["msgid"]})
    result = client.external_contact.get_group_msg_result(created["msgid"])
    assert [(r["chat_id"], r["status"]) for r in result["detail_list"]] == [(G1, 1), (G2, 1)]
    # The calls wechatpy 1.8 has no method for, through its generic post().
    listed = client.post("externalcontact/groupchat/list", data={"limit": 10})
    assert [g["chat_id"] for g in listed["group_chat_list"]] == sorted(CUSTOMER_GROUPS)
    chat = client.post("externalcontact/groupchat/get", data={"chat_id": G3})["group_chat"]
    assert chat["owner"] == "lisi" and chat["name"] == "阳光小区业主群"
    task = client.post("externalcontact/get_groupmsg_task", data={"msgid": created["msgid"]})
    assert task["task_list"][0]["userid"] == "zhangsan" and task["task_list"][0]["status"] == 2
    sent = client.post(
        "externalcontact/get_groupmsg_send_result", data={"msgid": created["msgid"], "userid": "zhangsan"}
    )
    assert {r["status"] for r in sent["send_list"]} == {1}
    start = int(clock()) - 60
    listed_msgs = client.post(
        "externalcontact/get_groupmsg_list_v2",
        data={"chat_type": "group", "start_time": start, "end_time": start + 3600},
    )
    assert [m["msgid"] for m in listed_msgs["group_msg_list"]] == [created["msgid"]]
    assert client.post("externalcontact/remind_groupmsg_send", data={"msgid": created["msgid"]})["errcode"] == 0
    assert client.post("externalcontact/cancel_groupmsg_send", data={"msgid": created["msgid"]})["errcode"] == 0
