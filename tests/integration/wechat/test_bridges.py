"""The bridges people already run (wcfhttp, wechatbot-webhook, wechaty), end to end through the sandbox."""

from __future__ import annotations

from typing import Any

import pytest

from pushtask.channels import BotBridgeChannel, BotBridgeConfig, GroupTarget, ImageRef, LinkCard, MediaBlob, Message
from pushtask.channels.base import SendResult
from pushtask.config import Settings
from pushtask.sandbox import SandboxHandle
from pushtask.sandbox import credentials as sandbox_credentials
from pushtask.sandbox.directory import DEFAULT_BRIDGE_TOKEN
from pushtask.wechat import errors
from pushtask.wechat.clock import FakeClock
from pushtask.wiring import endpoints

from .helpers import ROOM, clients, png, run

PROTOCOLS = ["wcfhttp", "wechatbot-webhook", "wechaty"]
ROOM_NAME = "周末读书会"
ENDPOINT = {
    "wcfhttp": "bridge/wcfhttp/text",
    "wechatbot-webhook": "bridge/wechatbot-webhook/webhook/msg/v2",
    "wechaty": "bridge/wechaty/text",
}


def media(ref: ImageRef) -> MediaBlob:
    return MediaBlob(png(400), "poster.png", "image/png")


def send(
    protocol: str,
    sandbox: SandboxHandle,
    clock: FakeClock,
    message: Message,
    *,
    target: GroupTarget | None = None,
    timeout_s: float = 3.0,
    **channel_args: Any,
) -> SendResult:
    async def scenario() -> SendResult:
        async with clients(sandbox, clock, timeout_s=timeout_s) as c:
            config = sandbox_credentials.bridge(sandbox.url, protocol)
            channel = BotBridgeChannel(config, c.http, media, store=c.store, clock=clock, **channel_args)
            return await channel.send(target or GroupTarget(1, ROOM_NAME, "bot_bridge", ROOM), message)

    return run(scenario)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_text_and_link_reach_the_room(protocol: str, sandbox: SandboxHandle, clock: FakeClock) -> None:
    message = Message(text="本周六读《活着》📖", link=LinkCard("报名", "https://example.com/join", "周六 14:00"))
    result = send(protocol, sandbox, clock, message)
    assert result.sent, result
    received = sandbox.state.messages(ROOM)
    assert [r["protocol"] for r in received] == [protocol, protocol]
    assert "本周六读《活着》📖" in str(received[0]["payload"]) and "https://example.com/join" in str(
        received[1]["payload"]
    )
    if protocol == "wechaty":
        assert received[1]["payload"]["url_link"]["title"] == "报名"


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_unknown_room_fails_at_once_with_the_reason(protocol: str, sandbox: SandboxHandle, clock: FakeClock) -> None:
    target = GroupTarget(9, "没有这个群", "bot_bridge", "99999999999@chatroom")
    result = send(protocol, sandbox, clock, Message(text="hi"), target=target)
    assert not result.sent and result.permanent and not result.may_duplicate
    assert result.errcode == 1001 and result.reason_zh == "桥接服务找不到该群" and result.errmsg


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_timeout_is_retried_and_marked_possible_duplicate(
    protocol: str, sandbox: SandboxHandle, clock: FakeClock
) -> None:
    # A room of its own: the sandbox answers the late request after this test, when it no longer exists.
    sandbox.state.register_group("bot_bridge", "30000000001@chatroom", "超时测试群")
    target = GroupTarget(2, "超时测试群", "bot_bridge", "30000000001@chatroom")
    sandbox.state.add_fault(endpoint=ENDPOINT[protocol], latency_ms=1200, times=1)
    result = send(protocol, sandbox, clock, Message(text="hi"), target=target, timeout_s=0.3)
    assert not result.sent and not result.permanent and result.may_duplicate
    assert result.errcode == errors.TIMEOUT


def test_wechatbot_webhook_sends_an_image_as_a_file_upload(sandbox: SandboxHandle, clock: FakeClock) -> None:
    result = send("wechatbot-webhook", sandbox, clock, Message(text="海报", image=ImageRef("poster")))
    assert result.sent
    assert [r["msgtype"] for r in sandbox.state.messages(ROOM)] == ["text", "image"]


@pytest.mark.parametrize("protocol", ["wcfhttp", "wechaty"])
def test_bridges_that_cannot_take_an_upload_refuse_images_before_sending(
    protocol: str, sandbox: SandboxHandle, clock: FakeClock
) -> None:
    result = send(protocol, sandbox, clock, Message(text="海报", image=ImageRef("poster")))
    assert not result.sent and result.permanent and result.refusals[0].field == "image"
    assert protocol in result.reason_zh and sandbox.state.messages(ROOM) == []


def test_wechatbot_webhook_refuses_a_name_two_groups_share(sandbox: SandboxHandle, clock: FakeClock) -> None:
    result = send("wechatbot-webhook", sandbox, clock, Message(text="hi"), same_name=lambda target: 2)
    assert not result.sent and result.permanent and result.errcode == 1006
    assert "同名" in result.reason_zh and sandbox.state.messages(ROOM) == []


def test_wrong_token_is_permanent(sandbox: SandboxHandle, clock: FakeClock) -> None:
    async def scenario() -> SendResult:
        async with clients(sandbox, clock) as c:
            config = BotBridgeConfig(f"{sandbox.url}/bridge/wechatbot-webhook", "wrong", protocol="wechatbot-webhook")
            return await BotBridgeChannel(config, c.http, media).send(
                GroupTarget(1, ROOM_NAME, "bot_bridge", ROOM), Message(text="hi")
            )

    result = run(scenario)
    assert not result.sent and result.permanent and result.errcode == 1005


def test_a_pause_between_sends_through_one_account(sandbox: SandboxHandle, clock: FakeClock) -> None:
    async def scenario() -> list[SendResult]:
        async with clients(sandbox, clock) as c:
            config = BotBridgeConfig(
                f"{sandbox.url}/bridge/wcfhttp", DEFAULT_BRIDGE_TOKEN, protocol="wcfhttp", pause_s=2
            )
            channel = BotBridgeChannel(config, c.http, media, store=c.store, clock=clock)
            target = GroupTarget(1, ROOM_NAME, "bot_bridge", ROOM)
            first = await channel.send(target, Message(text="一"))
            second = await channel.send(target, Message(text="二"))
            clock.advance(2.1)
            return [first, second, await channel.send(target, Message(text="二"))]

    first, held, later = run(scenario)
    assert first.sent and later.sent
    assert not held.sent and not held.permanent and not held.may_duplicate
    assert held.errcode == errors.CLIENT_RATE_LIMITED and held.retry_after_s and 0 < held.retry_after_s <= 2
    assert len(sandbox.state.messages(ROOM)) == 2


@pytest.mark.parametrize("protocol", ["pushtask", *PROTOCOLS])
def test_serve_points_the_configured_protocol_at_the_sandbox(protocol: str) -> None:
    bridge = endpoints(Settings(bridge_protocol=protocol), "http://127.0.0.1:8001").bridge
    assert bridge is not None and bridge.protocol == protocol
    expected = (
        "http://127.0.0.1:8001/bridge/send" if protocol == "pushtask" else f"http://127.0.0.1:8001/bridge/{protocol}"
    )
    assert bridge.url == expected
