"""The WeCom app client against the sandbox over real HTTP."""

from __future__ import annotations

import pytest

from pushtask.sandbox import SandboxHandle
from pushtask.wechat import errors
from pushtask.wechat import wecom_payloads as wp
from pushtask.wechat.clock import FakeClock
from pushtask.wechat.errors import ErrorKind, WeChatError

from .helpers import APPCHAT, clients, png, run


def test_fetches_one_token_and_reuses_it(sandbox: SandboxHandle, clock: FakeClock) -> None:
    async def scenario() -> None:
        async with clients(sandbox, clock) as c:
            for _ in range(3):
                await c.wecom.appchat_send(APPCHAT, wp.text("早上好 ☀️"))

    run(scenario)
    assert sandbox.state.stats["gettoken"] == 1
    assert [m["payload"]["text"]["content"] for m in sandbox.state.messages(APPCHAT)] == ["早上好 ☀️"] * 3


def test_sends_app_message_and_lists_invalid_users(sandbox: SandboxHandle, clock: FakeClock) -> None:
    async def scenario() -> None:
        async with clients(sandbox, clock) as c:
            receipt = await c.wecom.send_message(wp.text("hi"), touser=["zhangsan", "Ghost"])
            assert receipt.msgid
            assert receipt.invalid_users == ("ghost",)

    run(scenario)
    assert [m["target"] for m in sandbox.state.messages()] == ["zhangsan"]


def test_all_recipients_invalid_is_permanent_81013(sandbox: SandboxHandle, clock: FakeClock) -> None:
    async def scenario() -> WeChatError:
        async with clients(sandbox, clock) as c:
            with pytest.raises(WeChatError) as info:
                await c.wecom.send_message(wp.text("hi"), touser=["ghost"])
            return info.value

    error = run(scenario)
    assert error.code == 81013 and error.permanent
    assert (
        "hint: [" in error.errmsg
        and "more info at https://open.work.weixin.qq.com/devtool/query?e=81013" in error.errmsg
    )


def test_duplicate_check_drops_an_identical_resend(sandbox: SandboxHandle, clock: FakeClock) -> None:
    async def scenario() -> tuple[str, str]:
        async with clients(sandbox, clock) as c:
            first = await c.wecom.send_message(wp.text("once"), touser=["lisi"], duplicate_check_interval_s=600)
            second = await c.wecom.send_message(wp.text("once"), touser=["lisi"], duplicate_check_interval_s=600)
            return first.msgid, second.msgid

    first, second = run(scenario)
    assert first == second
    assert len(sandbox.state.messages("lisi")) == 1


def test_unknown_chat_is_86003_with_operator_reason(sandbox: SandboxHandle, clock: FakeClock) -> None:
    async def scenario() -> WeChatError:
        async with clients(sandbox, clock) as c:
            with pytest.raises(WeChatError) as info:
                await c.wecom.appchat_send("nosuchchat", wp.text("hi"))
            return info.value

    error = run(scenario)
    assert error.code == 86003 and error.permanent
    assert error.info.zh == "群聊不存在或已解散"


def test_creates_gets_and_sends_to_an_app_chat(sandbox: SandboxHandle, clock: FakeClock) -> None:
    async def scenario() -> dict[str, object]:
        async with clients(sandbox, clock) as c:
            chatid = await c.wecom.appchat_create("教研组", ["zhangsan", "lisi"], owner="zhangsan", chatid="teachers01")
            await c.wecom.appchat_send(chatid, wp.markdown("**开会** 15:00"))
            return await c.wecom.appchat_get(chatid)

    info = run(scenario)
    assert info["chatid"] == "teachers01" and info["userlist"] == ["zhangsan", "lisi"]
    assert sandbox.state.messages("教研组")[0]["msgtype"] == "markdown"


def test_uploads_an_image_and_sends_it_by_media_id(sandbox: SandboxHandle, clock: FakeClock) -> None:
    async def scenario() -> str:
        async with clients(sandbox, clock) as c:
            media = await c.wecom.upload_media("image", "a.png", png(), "image/png")
            await c.wecom.appchat_send(APPCHAT, wp.image(media.media_id))
            return media.media_id

    media_id = run(scenario)
    assert sandbox.state.messages(APPCHAT)[0]["payload"]["image"]["media_id"] == media_id


def test_upload_refuses_bytes_that_are_not_jpg_or_png(sandbox: SandboxHandle, clock: FakeClock) -> None:
    async def scenario() -> int:
        async with clients(sandbox, clock) as c:
            with pytest.raises(WeChatError) as info:
                await c.wecom.upload_media("image", "a.png", b"GIF89a-not-really", "image/png")
            return info.value.code

    assert run(scenario) == 40004


def test_token_invalidated_mid_run_refreshes_once_and_retries_once(sandbox: SandboxHandle, clock: FakeClock) -> None:
    async def scenario() -> None:
        async with clients(sandbox, clock) as c:
            await c.wecom.appchat_send(APPCHAT, wp.text("one"))
            sandbox.state.invalidate_tokens()
            await c.wecom.appchat_send(APPCHAT, wp.text("two"))
            assert c.wecom.tokens.fetch_count == 2

    run(scenario)
    assert sandbox.state.stats["gettoken"] == 2
    assert sandbox.state.stats["appchat/send"] == 3  # one, two rejected (40014), two retried
    assert [m["payload"]["text"]["content"] for m in sandbox.state.messages(APPCHAT)] == ["one", "two"]


def test_expired_token_is_replaced_before_use(sandbox: SandboxHandle, clock: FakeClock) -> None:
    async def scenario() -> None:
        async with clients(sandbox, clock) as c:
            await c.wecom.appchat_send(APPCHAT, wp.text("one"))
            clock.advance(7200)
            await c.wecom.appchat_send(APPCHAT, wp.text("two"))

    run(scenario)
    assert sandbox.state.stats["gettoken"] == 2
    assert sandbox.state.stats["appchat/send"] == 2


def test_a_token_error_twice_in_a_row_is_not_retried_forever(sandbox: SandboxHandle, clock: FakeClock) -> None:
    sandbox.state.add_fault(endpoint="appchat/send", errcode=42001, times=5)

    async def scenario() -> WeChatError:
        async with clients(sandbox, clock) as c:
            with pytest.raises(WeChatError) as info:
                await c.wecom.appchat_send(APPCHAT, wp.text("x"))
            return info.value

    error = run(scenario)
    assert error.kind is ErrorKind.REFRESH_TOKEN
    assert sandbox.state.stats["appchat/send"] == 2


def test_timeout_is_retryable_and_may_have_been_delivered(sandbox: SandboxHandle, clock: FakeClock) -> None:
    sandbox.state.add_fault(endpoint="appchat/send", latency_ms=1500, times=1)

    async def scenario() -> WeChatError:
        async with clients(sandbox, clock, timeout_s=0.3) as c:
            await c.wecom.tokens.get()
            with pytest.raises(WeChatError) as info:
                await c.wecom.appchat_send(APPCHAT, wp.text("slow"))
            return info.value

    error = run(scenario)
    assert error.code == errors.TIMEOUT and not error.permanent and error.delivery_unknown


def test_http_5xx_is_retryable(sandbox: SandboxHandle, clock: FakeClock) -> None:
    sandbox.state.add_fault(endpoint="appchat/send", http_status=502, times=1)

    async def scenario() -> WeChatError:
        async with clients(sandbox, clock) as c:
            with pytest.raises(WeChatError) as info:
                await c.wecom.appchat_send(APPCHAT, wp.text("x"))
            return info.value

    error = run(scenario)
    assert error.code == errors.HTTP_SERVER_ERROR and error.kind is ErrorKind.RETRYABLE


def test_interactive_card_needs_a_callback_url(sandbox: SandboxHandle, clock: FakeClock) -> None:
    card = wp.button_interaction_card("task-1", "预览：周一课程提醒", [wp.CardButton("确认", key="confirm")])

    async def scenario() -> int:
        async with clients(sandbox, clock) as c:
            with pytest.raises(WeChatError) as info:
                await c.wecom.send_message(card, touser=["zhangsan"])
            return info.value.code

    assert run(scenario) == 40058


def test_card_response_code_updates_once(sandbox: SandboxHandle, clock: FakeClock) -> None:
    app = sandbox.state.directory_json()["apps"][0]
    sandbox.state.apply_directory({"apps": [{**app, "callbackUrl": "http://127.0.0.1:9/cb"}]})
    card = wp.button_interaction_card(
        "task-2", "预览", [wp.CardButton("确认", key="confirm"), wp.CardButton("修改", key="modify", style=2)]
    )

    async def scenario() -> int:
        async with clients(sandbox, clock) as c:
            receipt = await c.wecom.send_message(card, touser=["zhangsan"])
            assert receipt.response_code
            await c.wecom.update_template_card(receipt.response_code, userids=["zhangsan"], replace_name="已确认")
            with pytest.raises(WeChatError) as info:
                await c.wecom.update_template_card(receipt.response_code, replace_name="again")
            return info.value.code

    assert run(scenario) == 40058
    assert sandbox.state.messages("zhangsan")[0]["cardState"] == {"replaceName": "已确认"}


def test_miniprogram_notice_must_use_a_linked_appid(sandbox: SandboxHandle, clock: FakeClock) -> None:
    async def scenario() -> None:
        async with clients(sandbox, clock) as c:
            await c.wecom.send_message(
                wp.miniprogram_notice(
                    "wxsandbox00000mp", "pages/preview/preview", "预览通知", items=[("任务", "周一课程提醒")]
                ),
                touser=["zhangsan"],
            )
            with pytest.raises(WeChatError):
                await c.wecom.send_message(wp.miniprogram_notice("wxother", "pages/x", "预览通知"), touser=["zhangsan"])

    run(scenario)
    assert sandbox.state.messages("zhangsan")[0]["msgtype"] == "miniprogram_notice"
