"""Messages come in zh-CN unless the caller prefers English."""

from __future__ import annotations

import pytest

from pushtask.domain.text import count_chars, truncate_chars
from pushtask.i18n import pick_language, translate


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        (None, "zh-CN"),
        ("en", "en"),
        ("en-US,en;q=0.9", "en"),
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh-CN"),
        ("en;q=0.5,zh;q=0.9", "zh-CN"),
        ("fr-FR", "zh-CN"),
        ("en;q=bogus", "zh-CN"),
    ],
)
def test_language_follows_accept_language(header: str | None, lang: str) -> None:
    assert pick_language(header) == lang


def test_messages_fill_their_parameters_in_both_languages() -> None:
    assert translate("too_long", "zh-CN", max=500, actual=523) == "最多 500 个字符（当前 523 个）"
    assert translate("too_long", "en", max=500, actual=523) == "At most 500 characters (now 523)"


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("周一课程提醒", 6),
        ("👨‍👩‍👧‍👦", 1),  # a ZWJ family is one character to a reader
        ("🇨🇳", 1),  # so is a flag
        ("e\u0301", 1),  # and a letter with a combining accent
        ("第一行\n第二行", 7),
    ],
)
def test_characters_are_counted_as_a_reader_sees_them(text: str, count: int) -> None:
    assert count_chars(text) == count


def test_truncation_never_splits_an_emoji() -> None:
    assert truncate_chars("ab👨‍👩‍👧‍👦cd", 3) == "ab👨‍👩‍👧‍👦"
