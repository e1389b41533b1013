"""One contract, every channel: each runs against the sandbox over real HTTP."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from pushtask.channels import (
    BotBridgeChannel,
    BotBridgeConfig,
    Channel,
    GroupTarget,
    ImageRef,
    LinkCard,
    MediaBlob,
    Message,
    MiniProgramCard,
    SendResult,
    WeComAppChatChannel,
    WeComCustomerGroupChannel,
    WeComRobotChannel,
)
from pushtask.channels.base import (
    Attempt,
    Pending,
    ReadBack,
    Reading,
    TemplateFields,
    TwoPhaseChannel,
    can_read_back,
    is_two_phase,
)
from pushtask.channels.fake import TwoPhaseFake
from pushtask.channels.notices import MiniProgramSubscribeChannel, WeComAppChannel
from pushtask.channels.ratelimit import RateLimiter
from pushtask.sandbox import SandboxHandle
from pushtask.sandbox.customer_group_api import owner_sends
from pushtask.sandbox.directory import CUSTOMER_GROUPS, DEFAULT_BRIDGE_TOKEN, DEFAULT_TEMPLATE_ID
from pushtask.wechat import errors
from pushtask.wechat.clock import FakeClock
from pushtask.wechat.customer_group import CustomerGroupClient

from .helpers import APPCHAT, ROBOT_KEY, ROOM, clients, png, run

CUSTOMER = "wecom_customer_group"
CHANNELS = ["wecom_appchat", "wecom_robot", "bot_bridge", CUSTOMER]
REF = {"wecom_appchat": APPCHAT, "wecom_robot": ROBOT_KEY, "bot_bridge": ROOM, CUSTOMER: CUSTOMER_GROUPS[2]}
OWNER = {CUSTOMER: "lisi"}
ENDPOINT = {
    "wecom_appchat": "appchat/send",
    "wecom_robot": "webhook/send",
    "bot_bridge": "bridge/send",
    CUSTOMER: "externalcontact/add_msg_template",
}
# A customer group WeCom does not know comes back in add_msg_template's fail_list.
UNKNOWN_GROUP_CODE = {
    "wecom_appchat": 86003,
    "wecom_robot": 93000,
    "bot_bridge": 1001,
    CUSTOMER: errors.CONTENT_REFUSED,
}
RETRYABLE = {
    "wecom_appchat": [-1, 45009, 45033, 6000],
    "wecom_robot": [-1, 45009, 45033, 6000],
    "bot_bridge": [-1, 1002, 1003],
    CUSTOMER: [-1, 45009, 45033, 41063],
}
PERMANENT = {
    "wecom_appchat": [86003, 86008, 60011, 40058],
    "wecom_robot": [93000, 40058, 40008],
    "bot_bridge": [1001, 1004, 1005],
    CUSTOMER: [40058, 60011, 48002, 40003],
}
IMAGES = {
    "small": MediaBlob(png(500), "poster.png", "image/png"),
    "huge": MediaBlob(png(2 * 1024 * 1024 + 10), "huge.png", "image/png"),
    "pdf": MediaBlob(b"%PDF-1.4 not an image", "fake.png", "image/png"),
}
TEXT = "周一课程提醒 📚\n18:00 开始，请准时参加！"


def media(ref: ImageRef) -> MediaBlob:
    return IMAGES[ref.key]


@asynccontextmanager
async def channel(
    name: str, sandbox: SandboxHandle, clock: FakeClock, *, timeout_s: float = 3.0, ref: str | None = None
) -> AsyncIterator[tuple[Channel, GroupTarget]]:
    async with clients(sandbox, clock, timeout_s=timeout_s) as c:
        built: Channel
        if name == "wecom_appchat":
            built = WeComAppChatChannel(c.wecom, media, c.store)
        elif name == "wecom_robot":
            built = WeComRobotChannel(
                c.robot, media, RateLimiter(c.store, limit=20, window_s=60, prefix="robot:", clock=clock)
            )
        elif name == CUSTOMER:
            built = WeComCustomerGroupChannel(CustomerGroupClient(c.wecom), media, c.store, clock=clock)
        else:
            config = BotBridgeConfig(
                f"{sandbox.url}/bridge/send", DEFAULT_BRIDGE_TOKEN, status_url=f"{sandbox.url}/bridge/status"
            )
            built = BotBridgeChannel(config, c.http, media)
        yield built, GroupTarget(1, "测试群", name, REF[name] if ref is None else ref, owner=OWNER.get(name, ""))


def send(name: str, sandbox: SandboxHandle, clock: FakeClock, message: Message, **kwargs: Any) -> SendResult:
    async def scenario() -> SendResult:
        async with channel(name, sandbox, clock, **kwargs) as (ch, target):
            return await ch.send(target, message)

    result = run(scenario)
    assert_consistent(result)
    if result.awaiting:
        # A two-phase channel: the group owner taps 发送 in WeCom (the sandbox's control call).
        with sandbox.state.lock:
            owner_sends(sandbox.state, OWNER[name], result.external_ref)
    return result


def delivered(result: SendResult) -> bool:
    """Sent, or accepted and waiting for the person who must confirm it."""
    return result.sent or result.awaiting


def assert_consistent(result: SendResult) -> None:
    if result.awaiting:
        assert not result.sent and result.external_ref and result.detail_zh and result.errcode is None
    elif result.sent:
        assert result.errcode is None and not result.permanent and not result.may_duplicate
    else:
        assert result.errcode is not None and result.reason_zh and result.reason_en


def received(sandbox: SandboxHandle, name: str) -> list[dict[str, Any]]:
    return sandbox.state.messages(REF[name])


def text_of(record: dict[str, Any]) -> str:
    payload = record["payload"]
    return str(payload.get("text") if isinstance(payload.get("text"), str) else payload["text"]["content"])


@pytest.mark.parametrize("name", CHANNELS)
def test_delivers_text_with_emoji_and_line_breaks(name: str, sandbox: SandboxHandle, clock: FakeClock) -> None:
    result = send(name, sandbox, clock, Message(text=TEXT))
    assert delivered(result) and result.status == ("awaiting_confirmation" if name == CUSTOMER else "sent")
    [record] = received(sandbox, name)
    assert text_of(record) == TEXT and record["targetName"] != ""


@pytest.mark.parametrize("name", CHANNELS)
def test_delivers_an_image(name: str, sandbox: SandboxHandle, clock: FakeClock) -> None:
    assert delivered(send(name, sandbox, clock, Message(image=ImageRef("small"))))
    assert [r["msgtype"] for r in received(sandbox, name)] == ["image"]


@pytest.mark.parametrize("name", CHANNELS)
def test_delivers_a_link_card(name: str, sandbox: SandboxHandle, clock: FakeClock) -> None:
    link = LinkCard("报名表", "https://example.com/form", "周六活动报名", "https://example.com/t.png")
    assert delivered(send(name, sandbox, clock, Message(link=link)))
    [record] = received(sandbox, name)
    assert "https://example.com/form" in str(record["payload"])


@pytest.mark.parametrize("name", CHANNELS)
def test_parts_arrive_in_order(name: str, sandbox: SandboxHandle, clock: FakeClock) -> None:
    message = Message(text="看图 👇", image=ImageRef("small"), link=LinkCard("详情", "https://example.com/d"))
    assert delivered(send(name, sandbox, clock, message))
    assert len(received(sandbox, name)) == 3
    assert received(sandbox, name)[1]["msgtype"] == "image"


@pytest.mark.parametrize("name", CHANNELS)
def test_miniprogram_card_is_sent_or_refused_at_validation(name: str, sandbox: SandboxHandle, clock: FakeClock) -> None:
    message = Message(miniprogram=MiniProgramCard("wxsandbox00000mp", "pages/index/index", "打开小程序"))

    async def scenario() -> tuple[list[Any], SendResult]:
        async with channel(name, sandbox, clock) as (ch, target):
            return ch.validate(target, message), await ch.send(target, message)

    refusals, result = run(scenario)
    if name == "wecom_appchat":
        assert refusals == [] and result.sent
        assert received(sandbox, name)[0]["payload"]["news"]["articles"][0]["appid"] == "wxsandbox00000mp"
    else:
        assert [r.field for r in refusals] == ["miniprogram"] and "小程序" in refusals[0].zh
        assert not result.sent and result.permanent and result.errcode == errors.CONTENT_REFUSED
        assert sandbox.state.stats[ENDPOINT[name]] == 0


@pytest.mark.parametrize("name", CHANNELS)
def test_oversize_image_is_refused_before_sending(name: str, sandbox: SandboxHandle, clock: FakeClock) -> None:
    result = send(name, sandbox, clock, Message(text="hi", image=ImageRef("huge")))
    assert not result.sent and result.permanent and not result.may_duplicate
    assert "2MB" in result.reason_zh
    assert received(sandbox, name) == []


@pytest.mark.parametrize("name", CHANNELS)
def test_bytes_that_are_not_an_image_are_refused(name: str, sandbox: SandboxHandle, clock: FakeClock) -> None:
    result = send(name, sandbox, clock, Message(image=ImageRef("pdf")))
    assert not result.sent and result.permanent and [r.code for r in result.refusals] == ["bad_type"]


@pytest.mark.parametrize("name", CHANNELS)
def test_unknown_group_fails_permanently(name: str, sandbox: SandboxHandle, clock: FakeClock) -> None:
    result = send(name, sandbox, clock, Message(text="hi"), ref="unknowngroup404")
    assert not result.sent and result.permanent and not result.may_duplicate
    assert result.errcode == UNKNOWN_GROUP_CODE[name]


@pytest.mark.parametrize(("name", "code"), [(n, c) for n in CHANNELS for c in PERMANENT[n]])
def test_permanent_errcodes_fail_without_retry(name: str, code: int, sandbox: SandboxHandle, clock: FakeClock) -> None:
    sandbox.state.add_fault(target=REF[name], errcode=code)
    result = send(name, sandbox, clock, Message(text="hi"))
    assert not result.sent and result.permanent and result.errcode == code and not result.may_duplicate


@pytest.mark.parametrize(("name", "code"), [(n, c) for n in CHANNELS for c in RETRYABLE[n]])
def test_retryable_errcodes_can_be_retried_without_duplicating(
    name: str, code: int, sandbox: SandboxHandle, clock: FakeClock
) -> None:
    sandbox.state.add_fault(target=REF[name], errcode=code, times=1)
    first = send(name, sandbox, clock, Message(text="hi"))
    assert not first.sent and not first.permanent and first.errcode == code and not first.may_duplicate
    assert delivered(send(name, sandbox, clock, Message(text="hi")))
    assert len(received(sandbox, name)) == 1


@pytest.mark.parametrize("name", CHANNELS)
def test_timeout_is_retryable_and_may_duplicate(name: str, sandbox: SandboxHandle, clock: FakeClock) -> None:
    sandbox.state.add_fault(endpoint=ENDPOINT[name], latency_ms=1200, times=1)
    result = send(name, sandbox, clock, Message(text="hi"), timeout_s=0.3)
    assert not result.sent and not result.permanent and result.errcode == errors.TIMEOUT and result.may_duplicate
    # The sandbox still acts on the request after the client gave up (as a real host would): wait for
    # it here, so it lands in this test and not in the next one's groups.
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not (received(sandbox, name) or sandbox.state.groupmsgs):
        time.sleep(0.05)
    assert received(sandbox, name) or sandbox.state.groupmsgs, "the delivery that timed out did happen"


@pytest.mark.parametrize("name", CHANNELS)
def test_server_error_is_retryable(name: str, sandbox: SandboxHandle, clock: FakeClock) -> None:
    sandbox.state.add_fault(endpoint=ENDPOINT[name], http_status=503, times=1)
    result = send(name, sandbox, clock, Message(text="hi"))
    assert not result.sent and not result.permanent and result.errcode == errors.HTTP_SERVER_ERROR


# Channels that can find out later what became of an uncertain send (channels.base.ReadBack). WeCom
# app chat and the group robot cannot: neither has a call that lists what a chat received.
READS_BACK = {"bot_bridge", CUSTOMER}


def read_back(name: str, sandbox: SandboxHandle, clock: FakeClock, message: Message, at: float) -> Reading | None:
    async def scenario() -> Reading | None:
        async with channel(name, sandbox, clock) as (ch, target):
            assert can_read_back(ch)
            reader: ReadBack = ch  # type: ignore[assignment]
            return await reader.read_back(Attempt(dataclasses.replace(target, delivery_key=KEY), message, at))

    return run(scenario)


KEY = "push-1:group-1"


@pytest.mark.parametrize("name", CHANNELS)
def test_a_channel_says_whether_it_can_read_back(name: str, sandbox: SandboxHandle, clock: FakeClock) -> None:
    async def scenario() -> bool:
        async with channel(name, sandbox, clock) as (ch, _target):
            return can_read_back(ch)

    assert run(scenario) is (name in READS_BACK)


@pytest.mark.parametrize("name", sorted(READS_BACK))
def test_read_back_finds_a_timed_out_send_that_arrived(name: str, sandbox: SandboxHandle, clock: FakeClock) -> None:
    sandbox.state.add_fault(endpoint=ENDPOINT[name], latency_ms=1200, times=1)
    message = Message(text="周五家长会 19:00")

    async def scenario() -> SendResult:
        async with channel(name, sandbox, clock, timeout_s=0.3) as (ch, target):
            return await ch.send(dataclasses.replace(target, delivery_key=KEY), message)

    at = clock()
    result = run(scenario)
    assert result.may_duplicate and not result.sent
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not (received(sandbox, name) or sandbox.state.groupmsgs):
        time.sleep(0.05)
    clock.advance(60)
    outcome = read_back(name, sandbox, clock, message, at)
    assert outcome is not None
    if name == CUSTOMER:
        # The mass send exists and waits for its owner: the confirmation rounds take over from here.
        assert outcome.state == "awaiting_confirmation" and outcome.external_ref in sandbox.state.groupmsgs
        assert outcome.detail_zh.startswith("等待群主")
        with sandbox.state.lock:
            owner_sends(sandbox.state, OWNER[name], outcome.external_ref)
        outcome = read_back(name, sandbox, clock, message, at)
        assert outcome is not None
    assert outcome.state == "sent" and outcome.sent_at is not None
    assert len(received(sandbox, name)) == 1


@pytest.mark.parametrize("name", sorted(READS_BACK))
def test_read_back_says_a_send_that_never_arrived_failed_and_can_be_resent(
    name: str, sandbox: SandboxHandle, clock: FakeClock
) -> None:
    sandbox.state.add_fault(endpoint=ENDPOINT[name], http_status=503, times=1)
    message = Message(text="周五家长会 19:00")
    at = clock()
    result = send(name, sandbox, clock, message)
    assert not result.sent and result.may_duplicate  # a 5xx: the request arrived, its fate is unknown
    clock.advance(60)
    outcome = read_back(name, sandbox, clock, message, at)
    assert outcome is not None and outcome.state == "failed" and outcome.reason_zh and outcome.reason_en
    assert "重发" in outcome.reason_zh
    assert received(sandbox, name) == []


@pytest.mark.parametrize("name", sorted(READS_BACK))
def test_read_back_cannot_tell_while_the_service_is_down(name: str, sandbox: SandboxHandle, clock: FakeClock) -> None:
    endpoint = "bridge/status" if name == "bot_bridge" else "externalcontact/get_groupmsg_list_v2"
    sandbox.state.add_fault(endpoint=endpoint, http_status=502)
    assert read_back(name, sandbox, clock, Message(text="hi"), clock()) is None


@pytest.mark.parametrize("name", [n for n in CHANNELS if n != CUSTOMER])  # one call carries every part
def test_failure_after_a_delivered_part_warns_of_duplicates(
    name: str, sandbox: SandboxHandle, clock: FakeClock
) -> None:
    sandbox.state.add_fault(endpoint=ENDPOINT[name], errcode=-1, skip=1, times=1)
    result = send(name, sandbox, clock, Message(text="第一部分", link=LinkCard("第二部分", "https://example.com")))
    assert not result.sent and not result.permanent and result.may_duplicate
    assert len(received(sandbox, name)) == 1


def test_appchat_token_expiry_mid_run_refreshes_once_and_retries_once(sandbox: SandboxHandle, clock: FakeClock) -> None:
    async def scenario() -> list[SendResult]:
        async with channel("wecom_appchat", sandbox, clock) as (ch, target):
            first = await ch.send(target, Message(text="one"))
            sandbox.state.invalidate_tokens()
            return [first, await ch.send(target, Message(text="two"))]

    assert all(r.sent for r in run(scenario))
    assert sandbox.state.stats["gettoken"] == 2 and sandbox.state.stats["appchat/send"] == 3


def test_appchat_uploads_an_image_once_and_reuses_the_media_id(sandbox: SandboxHandle, clock: FakeClock) -> None:
    async def scenario() -> None:
        async with channel("wecom_appchat", sandbox, clock) as (ch, target):
            for _ in range(3):
                assert (await ch.send(target, Message(image=ImageRef("small")))).sent

    run(scenario)
    assert sandbox.state.stats["media/upload"] == 1
    assert len({r["payload"]["image"]["media_id"] for r in received(sandbox, "wecom_appchat")}) == 1


def test_robot_limits_itself_to_twenty_a_minute(sandbox: SandboxHandle, clock: FakeClock) -> None:
    async def scenario() -> list[SendResult]:
        async with channel("wecom_robot", sandbox, clock) as (ch, target):
            results = [await ch.send(target, Message(text=f"#{i}")) for i in range(21)]
            clock.advance(60)
            results.append(await ch.send(target, Message(text="later")))
            return results

    results = run(scenario)
    assert all(r.sent for r in results[:20]) and results[21].sent
    limited = results[20]
    assert not limited.sent and not limited.permanent and not limited.may_duplicate
    assert limited.errcode == errors.CLIENT_RATE_LIMITED and limited.retry_after_s and limited.retry_after_s > 0
    assert sandbox.state.stats["webhook/send"] == 21


def test_robot_never_splits_a_message_at_the_limit(sandbox: SandboxHandle, clock: FakeClock) -> None:
    async def scenario() -> SendResult:
        async with channel("wecom_robot", sandbox, clock) as (ch, target):
            for i in range(19):
                assert (await ch.send(target, Message(text=f"#{i}"))).sent
            return await ch.send(target, Message(text="two parts", link=LinkCard("x", "https://example.com")))

    result = run(scenario)
    assert result.errcode == errors.CLIENT_RATE_LIMITED and len(received(sandbox, "wecom_robot")) == 19


@pytest.mark.parametrize("name", CHANNELS)
def test_refuses_a_group_of_another_channel(name: str, sandbox: SandboxHandle, clock: FakeClock) -> None:
    async def scenario() -> SendResult:
        async with channel(name, sandbox, clock) as (ch, _):
            other = next(n for n in CHANNELS if n != name)
            return await ch.send(GroupTarget(2, "别的群", other, REF[other]), Message(text="hi"))

    result = run(scenario)
    assert not result.sent and result.permanent and result.refusals[0].code == "wrong_channel"


@pytest.mark.parametrize("name", CHANNELS)
def test_mentions_reach_the_group_or_are_refused(name: str, sandbox: SandboxHandle, clock: FakeClock) -> None:
    result = send(name, sandbox, clock, Message(text="请查收", mentions=("zhangsan",), mention_all=True))
    if name in ("wecom_appchat", CUSTOMER):
        assert not result.sent and result.refusals[0].field == "mentions"
        return
    assert result.sent
    payload = received(sandbox, name)[0]["payload"]
    mentioned = payload["text"]["mentioned_list"] if name == "wecom_robot" else payload["mentions"]
    assert mentioned[0] == "zhangsan" and mentioned[1] in ("@all", "notify@all")


# ---- two-phase channels: accepted now, confirmed (or not) by a person later -------------------------
# Every two-phase channel runs these; the WeCom customer-group channel adds itself to TWO_PHASE.


def two_phase_channel(name: str, clock: FakeClock) -> tuple[TwoPhaseChannel, list[GroupTarget]]:
    if name == "two_phase_fake":
        built = TwoPhaseFake(clock=clock)
    else:  # pragma: no cover — each new two-phase channel is built here
        raise AssertionError(name)
    targets = [GroupTarget(i, f"客户群{i}", name, f"wrOgAAA{i}", owner="zhangsan") for i in range(3)]
    return built, targets


TWO_PHASE = ["two_phase_fake"]


@pytest.mark.parametrize("name", TWO_PHASE)
def test_two_phase_is_a_channel(name: str, clock: FakeClock) -> None:
    ch, [target, *_] = two_phase_channel(name, clock)
    assert is_two_phase(ch) and ch.name == name and isinstance(ch.deduplicates, bool)
    assert ch.validate(target, Message(text=TEXT)) == []
    wrong = GroupTarget(9, "别的群", "wecom_robot", ROBOT_KEY)
    result = run(lambda: ch.send(wrong, Message(text="hi")))
    assert_consistent(result)
    assert not result.sent and result.permanent and result.refusals[0].code == "wrong_channel"


@pytest.mark.parametrize("name", TWO_PHASE)
def test_two_phase_batch_answers_awaiting_per_target_in_order(name: str, clock: FakeClock) -> None:
    ch, targets = two_phase_channel(name, clock)
    results = run(lambda: ch.send_batch(targets, Message(text=TEXT)))
    assert len(results) == len(targets)
    for result in results:
        assert result.awaiting and not result.sent and result.status == "awaiting_confirmation"
        assert result.external_ref and result.detail_zh and result.detail_en and result.errcode is None
    pending = [Pending(t, r.external_ref, clock()) for t, r in zip(targets, results, strict=True)]
    outcomes = run(lambda: ch.check(pending))
    assert [o.state for o in outcomes] == ["awaiting_confirmation"] * len(targets)


@pytest.mark.parametrize("name", TWO_PHASE)
def test_two_phase_cancel_withdraws_what_awaits_and_refuses_what_was_sent(name: str, clock: FakeClock) -> None:
    ch, targets = two_phase_channel(name, clock)
    results = run(lambda: ch.send_batch(targets[:2], Message(text=TEXT)))
    pending = [Pending(t, r.external_ref, clock()) for t, r in zip(targets, results, strict=False)]
    assert isinstance(ch, TwoPhaseFake)  # the person's part is channel-specific
    ch.confirm(pending[1].external_ref)
    answers = run(lambda: ch.cancel(pending))
    assert answers[0].ok and not answers[1].ok and answers[1].reason_zh and answers[1].reason_en
    assert [o.state for o in run(lambda: ch.check(pending))] == ["cancelled", "sent"]


@pytest.mark.parametrize("name", TWO_PHASE)
def test_two_phase_reminders_are_limited_and_refusals_explained(name: str, clock: FakeClock) -> None:
    ch, targets = two_phase_channel(name, clock)
    [result] = run(lambda: ch.send_batch(targets[:1], Message(text=TEXT)))
    pending = [Pending(targets[0], result.external_ref, clock())]
    first = run(lambda: ch.remind(pending))
    assert first[0].ok
    answers = [run(lambda: ch.remind(pending))[0] for _ in range(3)]
    refused_ = [a for a in answers if not a.ok]
    assert refused_ and all(a.reason_zh and a.reason_en for a in refused_)


@pytest.mark.parametrize("name", TWO_PHASE)
def test_two_phase_check_reports_sent_time_and_failures(name: str, clock: FakeClock) -> None:
    ch, targets = two_phase_channel(name, clock)
    results = run(lambda: ch.send_batch(targets[:2], Message(text=TEXT)))
    assert isinstance(ch, TwoPhaseFake)
    ch.confirm(results[0].external_ref, at=1234.5)
    ch.fail(results[1].external_ref)
    pending = [Pending(t, r.external_ref, clock()) for t, r in zip(targets, results, strict=False)]
    sent_, failed_ = run(lambda: ch.check(pending))
    assert sent_.state == "sent" and sent_.sent_at == 1234.5
    assert failed_.state == "failed" and failed_.reason_zh and failed_.reason_en


# ---- channels that reach one person (notices): the same protocol, the same contract ---------------

NOTICE = ["wecom_app", "mp_subscribe"]
NOTICE_REF = {"wecom_app": "zhangsan", "mp_subscribe": "o_sandbox_reviewer_01"}
NOTICE_ENDPOINT = {"wecom_app": "message/send", "mp_subscribe": "message/subscribe/send"}
NOTICE_MESSAGE = Message(
    text="推送成功：周一课程提醒",
    template=TemplateFields(
        (("thing1", "周一课程提醒"), ("time2", "2026-03-02 09:00"), ("thing3", "推送成功")), "pages/tasks/tasks"
    ),
)


@asynccontextmanager
async def notice_channel(
    name: str, sandbox: SandboxHandle, clock: FakeClock, *, timeout_s: float = 3.0
) -> AsyncIterator[tuple[Channel, GroupTarget]]:
    async with clients(sandbox, clock, timeout_s=timeout_s) as c:
        built: Channel
        if name == "wecom_app":
            built = WeComAppChannel(c.wecom)
        else:
            sandbox.state.grant_subscriptions(NOTICE_REF[name], DEFAULT_TEMPLATE_ID, 5)
            built = MiniProgramSubscribeChannel(c.mp, DEFAULT_TEMPLATE_ID)
        yield built, GroupTarget("n1", "张三", name, NOTICE_REF[name])


def notify(name: str, sandbox: SandboxHandle, clock: FakeClock, **kwargs: Any) -> SendResult:
    async def scenario() -> SendResult:
        async with notice_channel(name, sandbox, clock, **kwargs) as (ch, target):
            return await ch.send(target, NOTICE_MESSAGE)

    result = run(scenario)
    assert_consistent(result)
    return result


@pytest.mark.parametrize("name", NOTICE)
def test_notice_reaches_the_person(name: str, sandbox: SandboxHandle, clock: FakeClock) -> None:
    result = notify(name, sandbox, clock)
    assert result.sent and result.status == "sent"
    assert sandbox.state.stats[NOTICE_ENDPOINT[name]] == 1


@pytest.mark.parametrize("name", NOTICE)
def test_notice_retryable_error_can_be_retried_without_duplicating(
    name: str, sandbox: SandboxHandle, clock: FakeClock
) -> None:
    sandbox.state.add_fault(endpoint=NOTICE_ENDPOINT[name], errcode=-1, times=1)
    first = notify(name, sandbox, clock)
    assert not first.sent and not first.permanent and first.errcode == -1 and not first.may_duplicate
    assert notify(name, sandbox, clock).sent


@pytest.mark.parametrize("name", NOTICE)
def test_notice_timeout_may_duplicate_only_where_the_service_does_not_drop_repeats(
    name: str, sandbox: SandboxHandle, clock: FakeClock
) -> None:
    sandbox.state.add_fault(endpoint=NOTICE_ENDPOINT[name], latency_ms=1200, times=1)
    result = notify(name, sandbox, clock, timeout_s=0.3)
    assert not result.sent and not result.permanent and result.errcode == errors.TIMEOUT
    assert result.may_duplicate is (name == "mp_subscribe")


@pytest.mark.parametrize("name", NOTICE)
def test_notice_refuses_a_target_of_another_channel(name: str, sandbox: SandboxHandle, clock: FakeClock) -> None:
    async def scenario() -> SendResult:
        async with notice_channel(name, sandbox, clock) as (ch, _):
            return await ch.send(GroupTarget(2, "群", "wecom_robot", ROBOT_KEY), NOTICE_MESSAGE)

    result = run(scenario)
    assert not result.sent and result.permanent and result.refusals[0].code == "wrong_channel"
    assert sandbox.state.stats[NOTICE_ENDPOINT[name]] == 0


def test_subscribe_notice_without_quota_fails_permanently(sandbox: SandboxHandle, clock: FakeClock) -> None:
    async def scenario() -> SendResult:
        async with clients(sandbox, clock) as c:
            ch = MiniProgramSubscribeChannel(c.mp, DEFAULT_TEMPLATE_ID)
            return await ch.send(GroupTarget("n", "x", "mp_subscribe", NOTICE_REF["mp_subscribe"]), NOTICE_MESSAGE)

    result = run(scenario)
    assert not result.sent and result.permanent and result.errcode == 43101
