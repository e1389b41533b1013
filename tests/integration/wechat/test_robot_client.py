"""The group robot client against the sandbox over real HTTP."""

from __future__ import annotations

import base64
import hashlib

import pytest

from pushtask.sandbox import SandboxHandle
from pushtask.wechat import robot as rp
from pushtask.wechat.clock import FakeClock
from pushtask.wechat.errors import ErrorKind, WeChatError

from .helpers import ROBOT_KEY, clients, png, run


def _error(sandbox: SandboxHandle, clock: FakeClock, key: str, payload: dict[str, object]) -> WeChatError:
    async def scenario() -> WeChatError:
        async with clients(sandbox, clock) as c:
            with pytest.raises(WeChatError) as info:
                await c.robot.send(key, payload)
            return info.value

    return run(scenario)


def test_sends_text_with_mentions(sandbox: SandboxHandle, clock: FakeClock) -> None:
    async def scenario() -> None:
        async with clients(sandbox, clock) as c:
            await c.robot.send(ROBOT_KEY, rp.text("今晚 8 点直播\n别忘了 🎉", mentioned_list=["zhangsan", "@all"]))

    run(scenario)
    [message] = sandbox.state.messages("门店运营群")
    assert message["payload"]["text"]["mentioned_list"] == ["zhangsan", "@all"]
    assert message["receivedAt"].endswith("Z") and "." in message["receivedAt"]


def test_image_is_base64_with_md5_of_the_raw_bytes(sandbox: SandboxHandle, clock: FakeClock) -> None:
    data = png(300)

    async def scenario() -> None:
        async with clients(sandbox, clock) as c:
            await c.robot.send(ROBOT_KEY, rp.image(data))

    run(scenario)
    image = sandbox.state.messages(ROBOT_KEY)[0]["payload"]["image"]
    assert (
        base64.b64decode(image["base64"]) == data
        and image["md5"] == hashlib.md5(data, usedforsecurity=False).hexdigest()
    )


def test_image_with_a_wrong_md5_is_refused(sandbox: SandboxHandle, clock: FakeClock) -> None:
    payload = rp.image(png())
    payload["image"]["md5"] = "0" * 32
    assert _error(sandbox, clock, ROBOT_KEY, payload).code == 40058


def test_oversize_image_is_refused(sandbox: SandboxHandle, clock: FakeClock) -> None:
    error = _error(sandbox, clock, ROBOT_KEY, rp.image(png(2 * 1024 * 1024 + 1)))
    assert error.code == 40009 and error.permanent


def test_non_image_bytes_are_refused(sandbox: SandboxHandle, clock: FakeClock) -> None:
    assert _error(sandbox, clock, ROBOT_KEY, rp.image(b"%PDF-1.4 not an image")).code == 40004


def test_unknown_key_is_93000(sandbox: SandboxHandle, clock: FakeClock) -> None:
    error = _error(sandbox, clock, "no-such-key", rp.text("hi"))
    assert error.code == 93000 and error.permanent


def test_twenty_first_message_in_a_minute_is_45009_then_allowed_again(sandbox: SandboxHandle, clock: FakeClock) -> None:
    async def scenario() -> WeChatError:
        async with clients(sandbox, clock) as c:
            for i in range(20):
                await c.robot.send(ROBOT_KEY, rp.text(f"#{i}"))
            with pytest.raises(WeChatError) as info:
                await c.robot.send(ROBOT_KEY, rp.text("#20"))
            clock.advance(60)
            await c.robot.send(ROBOT_KEY, rp.text("#21"))
            return info.value

    error = run(scenario)
    assert error.code == 45009 and error.kind is ErrorKind.RETRYABLE
    assert len(sandbox.state.messages(ROBOT_KEY)) == 21


def test_text_over_2048_bytes_is_refused(sandbox: SandboxHandle, clock: FakeClock) -> None:
    error = _error(sandbox, clock, ROBOT_KEY, rp.text("字" * 700))
    assert error.code == 93000 and "exceed max length" in error.errmsg


def test_news_and_markdown(sandbox: SandboxHandle, clock: FakeClock) -> None:
    async def scenario() -> None:
        async with clients(sandbox, clock) as c:
            await c.robot.send(ROBOT_KEY, rp.markdown('# 通知\n<font color="warning">今天</font>'))
            await c.robot.send(ROBOT_KEY, rp.news([rp.RobotArticle("报名", "https://example.com/a", "周六")]))

    run(scenario)
    assert [m["msgtype"] for m in sandbox.state.messages(ROBOT_KEY)] == ["markdown", "news"]


def test_uploaded_file_is_usable_only_by_its_robot(sandbox: SandboxHandle, clock: FakeClock) -> None:
    sandbox.state.register_group("wecom_robot", "other-robot", "另一个群")

    async def scenario() -> int:
        async with clients(sandbox, clock) as c:
            media_id = await c.robot.upload_media(
                ROBOT_KEY, "file", "课表.pdf", b"%PDF-1.4 timetable", "application/pdf"
            )
            await c.robot.send(ROBOT_KEY, rp.file(media_id))
            with pytest.raises(WeChatError) as info:
                await c.robot.send("other-robot", rp.file(media_id))
            return info.value.code

    assert run(scenario) == 40007
