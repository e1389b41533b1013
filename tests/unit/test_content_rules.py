"""The content rules the API, the preview and the push share (PRD §4.1.2)."""

from __future__ import annotations

from datetime import date

import pytest

from pushtask.channels.base import GroupTarget
from pushtask.domain import content
from pushtask.i18n import translate

MEDIA = "a" * 64
CARD = {
    "appid": "wx1234567890abcdef",
    "pagePath": "pages/course/detail?id=7",
    "title": "周一课程",
    "thumbnail": "https://cdn.example.com/t.png",
}


def codes(problems: list) -> list[tuple[str, str]]:  # type: ignore[type-arg]
    return [(p.field, p.code) for p in problems]


@pytest.mark.parametrize(
    ("text", "length"),
    [
        ("👨‍👩‍👧‍👦" * 500, 500),  # a ZWJ family is one character
        ("e\u0301" * 500, 500),  # a letter with a combining accent is one
        ("[微笑]" * 500, 500),  # a WeChat emoji code is one emoji to a reader
        ("第一行\n第二行", 7),
        ("[不是表情]", 6),  # an unknown bracket code is plain text
    ],
)
def test_text_is_counted_as_a_reader_sees_it(text: str, length: int) -> None:
    assert content.text_length(text) == length
    assert content.check({"text": text}) == []


def test_text_over_500_characters_says_how_long_it_is() -> None:
    problems = content.check({"text": "好" * 523})
    assert codes(problems) == [("content.text", "text_too_long")]
    assert translate(problems[0].code, **problems[0].params) == "文本超长，请精简（当前 523 字，上限 500 字）"
    assert "523 characters, at most 500" in translate(problems[0].code, "en", **problems[0].params)


def test_a_zwj_emoji_over_the_limit_counts_once() -> None:
    assert codes(content.check({"text": "好" * 500 + "👩‍💻"})) == [("content.text", "text_too_long")]


def test_emoji_codes_render_as_emoji() -> None:
    assert content.render_emoji("早上好[微笑][强]") == "早上好🙂👍"


def test_control_characters_are_refused_but_line_breaks_are_not() -> None:
    assert codes(content.check({"text": "a\x00b"})) == [("content.text", "text_control")]
    assert content.check({"text": "a\nb\tc"}) == []


@pytest.mark.parametrize(
    "link",
    ["https://example.com", "http://example.com/a?b=1#c", "https://例子.测试/路径"],
)
def test_absolute_http_links_pass(link: str) -> None:
    assert content.check({"link": link}) == []


@pytest.mark.parametrize(
    "link",
    [
        "example.com",
        "ftp://example.com/f",
        "https://",
        "javascript:alert(1)",
        "https://exa mple.com",
        "/relative",
        "https://example.com:80*",
        "https://example.com:port/x",
    ],
)
def test_other_links_are_refused(link: str) -> None:
    assert codes(content.check({"link": link})) == [("content.link", "link_invalid")]


def test_a_complete_mini_program_card_passes() -> None:
    assert content.check({"miniprogram": CARD}) == []


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"appid": "wxsandbox00000mp"}, "content.miniprogram.appid", "appid_invalid"),
        ({"appid": "wx1234567890ABCDEF"}, "content.miniprogram.appid", "appid_invalid"),
        ({"pagePath": ""}, "content.miniprogram.pagePath", "page_path_invalid"),
        ({"pagePath": "/pages/a"}, "content.miniprogram.pagePath", "page_path_invalid"),
        ({"title": " "}, "content.miniprogram.title", "card_title_required"),
        ({"thumbnail": None}, "content.miniprogram.thumbnail", "card_thumbnail_required"),
    ],
)
def test_mini_program_card_problems_name_their_field(change: dict, field: str, code: str) -> None:  # type: ignore[type-arg]
    assert codes(content.check({"miniprogram": {**CARD, **change}})) == [(field, code)]


def test_image_must_be_a_stored_media_id() -> None:
    assert codes(content.check({"image": "poster.jpg"})) == [("content.image", "image_id_invalid")]
    assert codes(content.check({"image": MEDIA}, image_exists=lambda _k: False)) == [("content.image", "image_missing")]
    assert content.check({"image": MEDIA}, image_exists=lambda _k: True) == []


def test_scheduled_content_must_not_be_empty() -> None:
    assert codes(content.check({"text": "  "}, require_content=True)) == [("content", "content_required")]


def test_robot_groups_cannot_take_mini_program_cards_and_say_which_groups() -> None:
    targets = [GroupTarget(i, f"门店群{i}", "wecom_robot", f"key{i}") for i in range(5)]
    targets.append(GroupTarget(9, "家长群", "wecom_appchat", "chat9"))
    problems = content.check({"miniprogram": CARD}, targets=targets)
    assert codes(problems) == [("content.miniprogram", "channel_refused")]
    message = translate(problems[0].code, **problems[0].params)
    assert message.startswith("群「门店群0、门店群1、门店群2 等 5 个群」") and "不支持小程序卡片" in message


def test_wecom_byte_limit_applies_per_group_channel() -> None:
    text = "好" * 490  # 490 characters, 1470 bytes: fine everywhere
    targets = [GroupTarget(1, "家长群", "wecom_appchat", "chat1"), GroupTarget(2, "读书会", "bot_bridge", "r@chatroom")]
    assert content.check({"text": text}, targets=targets) == []
    # 100 family emoji are 100 characters to a reader but 2500 bytes: over WeCom's 2048, not the bridge's 8192.
    targets.append(GroupTarget(3, "二班", "wecom_appchat", "chat3"))
    problems = content.check({"text": "👨‍👩‍👧‍👦" * 100}, targets=targets)
    assert codes(problems) == [("content.text", "channel_refused")]
    assert "「家长群、二班」" in translate(problems[0].code, **problems[0].params)
    assert "2048" in translate(problems[0].code, **problems[0].params)


def test_variables_are_filled_per_group_and_date() -> None:
    filled = content.fill_variables(
        {"name": "提醒", "text": "{{群名}}：{{日期}}上课", "link": "https://e.com/?g={{群名}}"},
        "一年级2班",
        date(2026, 3, 9),
    )
    assert filled["text"] == "一年级2班：2026年3月9日上课"
    assert filled["link"] == "https://e.com/?g=一年级2班"
    assert filled["name"] == "提醒"


def test_unknown_variables_are_refused_when_saved() -> None:
    problems = content.check({"text": "{{群名}} {{老师}} {{ 日期 }}"})
    assert codes(problems) == [("content", "variable_unknown")]
    assert "老师" in translate(problems[0].code, **problems[0].params)


def test_a_template_blank_is_refused_but_underscores_in_a_link_are_not() -> None:
    from pushtask.domain.content import check

    blank = check({"text": "请于 __ 前交回回执"})
    assert [(p.field, p.code) for p in blank] == [("content.text", "template_blank")]
    assert check({"text": "回执链接 https://example.org/form__2026 请填写"}) == []
    assert check({"text": "变量 snake_case 可以"}) == []
