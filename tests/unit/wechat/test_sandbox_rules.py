"""Sandbox rules that need no server: keyword values, byte truncation, faults, the fake clock."""

from __future__ import annotations

import random

import pytest

from pushtask.sandbox import validation as v
from pushtask.sandbox.faults import FaultRule, Faults
from pushtask.sandbox.tokens import SandboxTokens
from pushtask.sandbox.wire import ApiError
from pushtask.wechat.clock import FakeClock

KEYWORDS = {"thing1": "任务", "time2": "时间", "phrase3": "状态", "amount4": "金额", "number5": "数量"}


@pytest.mark.parametrize(
    "data",
    [
        {"thing1": {"value": "周一课程提醒"}},
        {"time2": {"value": "2026年01月05日 18:00"}},
        {"phrase3": {"value": "已确认"}},
        {"amount4": {"value": "¥12.50"}},
        {"number5": {"value": "42"}},
    ],
)
def test_accepts_valid_keyword_values(data: dict[str, object]) -> None:
    v.check_subscribe_data(data, KEYWORDS, {})


@pytest.mark.parametrize(
    "data",
    [
        {"thing1": {"value": "字" * 21}},
        {"time2": {"value": "tomorrow"}},
        {"phrase3": {"value": "confirmed"}},
        {"number5": {"value": "4x"}},
        {"unknown9": {"value": "x"}},
        {"thing1": "no wrapper"},
    ],
)
def test_rejects_invalid_keyword_values_with_47003(data: dict[str, object]) -> None:
    with pytest.raises(ApiError) as info:
        v.check_subscribe_data(data, KEYWORDS, {})
    assert info.value.code == 47003


def test_truncates_on_a_character_boundary() -> None:
    assert v.truncate_bytes("好好", 4) == "好"


def test_fault_times_skip_and_target() -> None:
    faults = Faults(random.Random(1))
    faults.add(FaultRule(errcode=-1, target="chat", times=1, skip=1))
    assert faults.match("appchat/send", ["other"]) is None
    assert faults.match("appchat/send", ["chat"]) is None  # skipped
    hit = faults.match("appchat/send", ["chat"])
    assert hit is not None and hit.errcode == -1
    assert faults.match("appchat/send", ["chat"]) is None  # used up


def test_wecom_token_is_stable_until_expiry() -> None:
    tokens = SandboxTokens()
    first, _ = tokens.wecom("corp:1", 0)
    assert tokens.wecom("corp:1", 7000)[0] == first
    assert tokens.wecom("corp:1", 7200)[0] != first
    with pytest.raises(ApiError) as info:
        tokens.check(first, "wecom", 7200)
    assert info.value.code == 42001


def test_plain_token_leaves_the_old_one_five_minutes() -> None:
    tokens = SandboxTokens()
    old, _ = tokens.plain("wx1", 0)
    tokens.plain("wx1", 100)
    assert tokens.check(old, "wechat", 399) == "wx1"
    with pytest.raises(ApiError):
        tokens.check(old, "wechat", 400)


def test_fake_clock_moves_only_when_told() -> None:
    clock = FakeClock(100.0)
    assert clock() == 100.0
    clock.advance(5)
    assert clock() == 105.0
    clock.set(1.0)
    assert clock() == 1.0
