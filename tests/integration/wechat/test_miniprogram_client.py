"""The mini-program client (stable token, subscribe messages) against the sandbox."""

from __future__ import annotations

import pytest

from pushtask.sandbox import SandboxHandle
from pushtask.sandbox.directory import DEFAULT_TEMPLATE_ID
from pushtask.wechat.clock import FakeClock
from pushtask.wechat.errors import WeChatError

from .helpers import OPENID, clients, run

DATA = {"thing1": "周一课程提醒", "time2": "2026年01月05日 18:00", "thing3": "请回复确认或修改"}


def _send(sandbox: SandboxHandle, clock: FakeClock, **overrides: object) -> WeChatError | str | None:
    args: dict[str, object] = {
        "touser": OPENID,
        "template_id": DEFAULT_TEMPLATE_ID,
        "data": DATA,
        "page": "pages/preview/preview?id=42",
        **overrides,
    }

    async def scenario() -> WeChatError | str | None:
        async with clients(sandbox, clock) as c:
            try:
                return await c.mp.send_subscribe_message(**args)  # type: ignore[arg-type]
            except WeChatError as exc:
                return exc

    return run(scenario)


def test_without_a_subscription_the_send_is_43101(sandbox: SandboxHandle, clock: FakeClock) -> None:
    error = _send(sandbox, clock)
    assert isinstance(error, WeChatError) and error.code == 43101 and error.permanent
    assert " rid: " in error.errmsg


def test_each_subscription_allows_exactly_one_send(sandbox: SandboxHandle, clock: FakeClock) -> None:
    sandbox.state.grant_subscriptions(OPENID, DEFAULT_TEMPLATE_ID, 1)
    msgid = _send(sandbox, clock)
    assert isinstance(msgid, str) and msgid
    again = _send(sandbox, clock)
    assert isinstance(again, WeChatError) and again.code == 43101
    [message] = sandbox.state.messages(OPENID)
    assert message["targetName"] == "审核人 小林" and message["payload"]["data"]["thing1"]["value"] == "周一课程提醒"


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"touser": "o_nobody"}, 40003),
        ({"template_id": "nope"}, 40037),
        ({"page": "pages/missing/missing"}, 41030),
        ({"data": {**DATA, "thing1": "这是一个超过二十个字的任务名称所以微信会拒绝它的"}}, 47003),
    ],
)
def test_invalid_sends_get_the_documented_errcode(
    sandbox: SandboxHandle, clock: FakeClock, overrides: dict[str, object], code: int
) -> None:
    sandbox.state.grant_subscriptions(OPENID, DEFAULT_TEMPLATE_ID, 1)
    error = _send(sandbox, clock, **overrides)
    assert isinstance(error, WeChatError) and error.code == code and error.permanent


def test_47003_names_the_bad_keyword(sandbox: SandboxHandle, clock: FakeClock) -> None:
    sandbox.state.grant_subscriptions(OPENID, DEFAULT_TEMPLATE_ID, 1)
    error = _send(sandbox, clock, data={**DATA, "time2": "next monday"})
    assert isinstance(error, WeChatError) and "data.time2.value invalid" in error.errmsg


def test_invalidated_token_is_refreshed_once_with_40001(sandbox: SandboxHandle, clock: FakeClock) -> None:
    sandbox.state.grant_subscriptions(OPENID, DEFAULT_TEMPLATE_ID, 2)

    async def scenario() -> None:
        async with clients(sandbox, clock) as c:
            await c.mp.send_subscribe_message(OPENID, DEFAULT_TEMPLATE_ID, DATA)
            sandbox.state.invalidate_tokens()
            await c.mp.send_subscribe_message(OPENID, DEFAULT_TEMPLATE_ID, DATA)

    run(scenario)
    assert sandbox.state.stats["stable_token"] == 2
    assert sandbox.state.stats["message/subscribe/send"] == 3
    assert len(sandbox.state.messages(OPENID)) == 2
