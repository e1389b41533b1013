"""The sandbox calls PushTask back exactly as WeCom / WeChat would: signed, encrypted, retried."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import requests
from aiohttp import web

from pushtask.sandbox import SandboxHandle
from pushtask.sandbox import directory as d
from pushtask.wechat import wecom_payloads as wp
from pushtask.wechat.clock import FakeClock
from pushtask.wechat.crypto import WXBizMsgCrypt, parse_xml, signature

from .helpers import OPENID, clients, run


@dataclass
class Receiver:
    """A stand-in for PushTask's /wechat/callback/<channel> endpoint."""

    url: str = ""
    received: list[dict[str, str]] = field(default_factory=list)
    failures_left: int = 0
    passive_reply: str = ""


def _app(receiver: Receiver) -> web.Application:
    wecom = WXBizMsgCrypt(d.DEFAULT_CALLBACK_TOKEN, d.DEFAULT_ENCODING_AES_KEY, d.DEFAULT_CORP_ID)
    mini = WXBizMsgCrypt(d.DEFAULT_CALLBACK_TOKEN, d.DEFAULT_ENCODING_AES_KEY, d.DEFAULT_MP_APPID)

    async def get(request: web.Request) -> web.Response:
        q = request.query
        return web.Response(text=wecom.verify_url(q["msg_signature"], q["timestamp"], q["nonce"], q["echostr"]))

    async def post(request: web.Request) -> web.Response:
        if receiver.failures_left > 0:
            receiver.failures_left -= 1
            return web.Response(status=500)
        q, body = request.query, await request.text()
        if q.get("encrypt_type") == "aes":
            assert q["signature"] == signature(d.DEFAULT_CALLBACK_TOKEN, q["timestamp"], q["nonce"])
            plain = mini.decrypt_message(body, q["msg_signature"], q["timestamp"], q["nonce"])
        else:
            plain = wecom.decrypt_message(body, q["msg_signature"], q["timestamp"], q["nonce"])
        receiver.received.append(parse_xml(plain))
        if receiver.passive_reply:
            return web.Response(text=wecom.encrypt_reply(receiver.passive_reply).to_xml())
        return web.Response(text="")

    app = web.Application()
    app.router.add_get("/wechat/callback/wecom", get)
    app.router.add_post("/wechat/callback/wecom", post)
    app.router.add_post("/wechat/callback/miniprogram", post)
    return app


@pytest.fixture()
def receiver(sandbox: SandboxHandle) -> Iterator[Receiver]:
    state = Receiver()
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    runner = web.AppRunner(_app(state))

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", 0)
        loop.run_until_complete(site.start())
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        state.url = f"http://127.0.0.1:{port}/wechat/callback"
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    ready.wait(10)
    apps = sandbox.state.directory_json()["apps"]
    wecom_app = {**apps[0], "callbackUrl": state.url + "/wecom"}
    mini_app = {**apps[1], "callbackUrl": state.url + "/miniprogram"}
    sandbox.state.apply_directory({"apps": [wecom_app, mini_app]})
    yield state
    asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)
    loop.close()


def test_text_reply_arrives_signed_and_encrypted(sandbox: SandboxHandle, receiver: Receiver) -> None:
    report = sandbox.reply({"from": "zhangsan", "text": "确认"})
    assert report["delivered"] and report["attempts"] == 1
    [message] = receiver.received
    assert message["MsgType"] == "text" and message["Content"] == "确认" and message["FromUserName"] == "zhangsan"
    assert message["ToUserName"] == d.DEFAULT_CORP_ID and message["AgentID"] == str(d.DEFAULT_AGENT_ID)


def test_button_tap_sends_the_card_event_and_honours_update_button(
    sandbox: SandboxHandle, clock: FakeClock, receiver: Receiver
) -> None:
    card = wp.button_interaction_card(
        "preview-42", "预览：周一课程提醒", [wp.CardButton("确认", key="confirm"), wp.CardButton("修改", key="modify")]
    )

    async def scenario() -> str:
        async with clients(sandbox, clock) as c:
            receipt = await c.wecom.send_message(card, touser=["zhangsan"])
            assert receipt.response_code
            return receipt.response_code

    response_code = run(scenario)
    receiver.passive_reply = (
        "<xml><ToUserName><![CDATA[zhangsan]]></ToUserName><FromUserName><![CDATA[corp]]>"
        "</FromUserName><CreateTime>1</CreateTime><MsgType><![CDATA[update_button]]></MsgType>"
        "<Button><ReplaceName><![CDATA[已确认]]></ReplaceName></Button></xml>"
    )
    report = sandbox.reply({"from": "zhangsan", "taskId": "preview-42", "key": "confirm"})
    assert report["delivered"] and "update_button" in (report["reply"] or "")
    [event] = receiver.received
    assert event["Event"] == "template_card_event" and event["EventKey"] == "confirm"
    assert event["TaskId"] == "preview-42" and event["ResponseCode"] == response_code
    assert sandbox.state.messages("zhangsan")[0]["cardState"] == {"replaceName": "已确认"}


def test_failed_callbacks_are_retried_up_to_three_times(sandbox: SandboxHandle, receiver: Receiver) -> None:
    receiver.failures_left = 2
    report = sandbox.reply({"from": "lisi", "text": "修改 标题太长"})
    assert report["delivered"] and report["attempts"] == 3
    receiver.failures_left = 3
    report = sandbox.reply({"from": "lisi", "text": "again"})
    assert not report["delivered"] and report["status"] == 500


def test_url_verification_over_the_control_api(sandbox: SandboxHandle, receiver: Receiver) -> None:
    answer = requests.post(f"{sandbox.url}/_sandbox/verify-callback", json={}, timeout=5).json()
    assert answer["verified"] is True


def test_mini_program_user_reply_uses_safe_mode(sandbox: SandboxHandle, receiver: Receiver) -> None:
    answer = requests.post(f"{sandbox.url}/_sandbox/reply", json={"from": OPENID, "text": "确认"}, timeout=10).json()
    assert answer["delivered"]
    assert receiver.received[0]["FromUserName"] == OPENID and receiver.received[0]["Content"] == "确认"
