"""The errcode table."""

from __future__ import annotations

import pytest

from pushtask.wechat.errors import ErrorKind, Platform, classify


@pytest.mark.parametrize(
    ("code", "platform"),
    [
        (-1, Platform.WECOM),
        (45009, Platform.WECOM),
        (45009, Platform.ROBOT),
        (45011, Platform.WECHAT),
        (45033, Platform.WECOM),
        (6000, Platform.WECOM),
    ],
)
def test_retryable(code: int, platform: Platform) -> None:
    assert classify(code, platform).kind is ErrorKind.RETRYABLE


@pytest.mark.parametrize("code", [40001, 40014, 42001])
def test_token_errors_ask_for_a_refresh(code: int) -> None:
    assert classify(code, Platform.WECHAT).kind is ErrorKind.REFRESH_TOKEN


@pytest.mark.parametrize("code", [81013, 86003, 86999, 93000, 40003, 40037, 41030, 43101, 47003, 40164, 60020, 41001])
def test_permanent(code: int) -> None:
    info = classify(code, Platform.WECOM)
    assert info.kind is ErrorKind.PERMANENT and info.zh and info.en


def test_daily_quota_45009_on_wechat_is_permanent() -> None:
    assert classify(45009, Platform.WECHAT).kind is ErrorKind.PERMANENT


def test_operator_explanation() -> None:
    assert classify(86003, Platform.WECOM).zh == "群聊不存在或已解散"


def test_unknown_code_is_permanent_and_says_so() -> None:
    info = classify(123456, Platform.WECOM)
    assert info.kind is ErrorKind.PERMANENT and "123456" in info.zh
