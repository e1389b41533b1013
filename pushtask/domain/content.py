"""Content rules (PRD §4.1.2): one module the API, the preview and the push all check with.

Pure: the caller passes in how to look images up and which groups the content goes to. Each
problem is a FieldProblem whose code has a zh-CN/en message in `pushtask.i18n`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from pushtask.channels import bot_bridge, rules, wecom_appchat, wecom_customer_group, wecom_robot
from pushtask.channels.base import GroupTarget
from pushtask.domain.rendering import message_from_content
from pushtask.domain.text import count_chars
from pushtask.errors import FieldProblem

TEXT_LIMIT = 500
CARD_TITLE_LIMIT = 64
APPID = re.compile(r"wx[0-9a-f]{16}")
PAGE_PATH = re.compile(r"[A-Za-z0-9_\-./]+(\?[^\s#]*)?")
MEDIA_ID = re.compile(r"[0-9a-f]{64}")
VARIABLE = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
VARIABLES = ("群名", "日期")
# A blank left from a template ("请于 __ 前交回"): two or more underscores outside a link.
TEMPLATE_BLANK = re.compile(r"_{2,}")
_URL = re.compile(r"https?://\S+")

# The capabilities each channel declares; the channels' own `rules.validate` applies them.
CHANNEL_CAPS: dict[str, rules.Capabilities] = {
    wecom_appchat.NAME: wecom_appchat.CAPS,
    wecom_robot.NAME: wecom_robot.CAPS,
    bot_bridge.NAME: bot_bridge.CAPS,
    wecom_customer_group.NAME: wecom_customer_group.CAPS,
}

# WeChat's bracket codes (a subset of the panel everyone uses): a reader sees one emoji each.
EMOJI_CODES: dict[str, str] = {
    "微笑": "🙂",
    "撇嘴": "😟",
    "色": "😍",
    "发呆": "😳",
    "得意": "😎",
    "流泪": "😭",
    "害羞": "☺️",
    "闭嘴": "🤐",
    "睡": "😴",
    "大哭": "😢",
    "尴尬": "😅",
    "发怒": "😡",
    "调皮": "😜",
    "呲牙": "😁",
    "惊讶": "😲",
    "难过": "🙁",
    "囧": "😰",
    "抓狂": "😫",
    "吐": "🤮",
    "偷笑": "🤭",
    "愉快": "😊",
    "白眼": "🙄",
    "傲慢": "😤",
    "困": "😪",
    "惊恐": "😱",
    "憨笑": "😄",
    "悠闲": "😌",
    "咒骂": "🤬",
    "疑问": "❓",
    "嘘": "🤫",
    "晕": "😵",
    "衰": "😩",
    "骷髅": "💀",
    "敲打": "🔨",
    "再见": "👋",
    "擦汗": "😓",
    "抠鼻": "🤏",
    "鼓掌": "👏",
    "坏笑": "😏",
    "哈欠": "🥱",
    "鄙视": "😒",
    "委屈": "🥺",
    "快哭了": "😿",
    "阴险": "😈",
    "亲亲": "😘",
    "可怜": "🥹",
    "笑脸": "😃",
    "生病": "😷",
    "脸红": "😊",
    "破涕为笑": "😂",
    "恐惧": "😨",
    "失望": "😞",
    "无语": "😑",
    "嘿哈": "🤪",
    "捂脸": "🤦",
    "奸笑": "😼",
    "机智": "🤓",
    "皱眉": "😣",
    "耶": "✌️",
    "吃瓜": "🍉",
    "加油": "💪",
    "汗": "😥",
    "天啊": "😱",
    "社会社会": "🤙",
    "旺柴": "🐶",
    "好的": "👌",
    "打脸": "🤕",
    "哇": "🤩",
    "翻白眼": "🙄",
    "666": "👍",
    "让我看看": "👀",
    "叹气": "😮‍💨",
    "苦涩": "🥲",
    "裂开": "💔",
    "嘴唇": "💋",
    "爱心": "❤️",
    "心碎": "💔",
    "拥抱": "🤗",
    "强": "👍",
    "弱": "👎",
    "握手": "🤝",
    "胜利": "✌️",
    "抱拳": "🙏",
    "勾引": "👉",
    "拳头": "✊",
    "OK": "👌",
    "合十": "🙏",
    "啤酒": "🍺",
    "咖啡": "☕",
    "蛋糕": "🎂",
    "玫瑰": "🌹",
    "凋谢": "🥀",
    "菜刀": "🔪",
    "炸弹": "💣",
    "便便": "💩",
    "月亮": "🌙",
    "太阳": "☀️",
    "庆祝": "🎉",
    "礼物": "🎁",
    "红包": "🧧",
    "發": "🀄",
    "福": "🧧",
    "烟花": "🎆",
    "爆竹": "🧨",
    "猪头": "🐷",
    "跳跳": "💃",
    "发抖": "🥶",
    "转圈": "🌀",
}
_EMOJI_CODE = re.compile(r"\[(" + "|".join(re.escape(k) for k in sorted(EMOJI_CODES, key=len, reverse=True)) + r")\]")

ImageLookup = Callable[[str], bool]


def render_emoji(text: str) -> str:
    """Replace WeChat bracket codes such as ``[微笑]`` by the emoji a reader sees."""
    return _EMOJI_CODE.sub(lambda m: EMOJI_CODES[m.group(1)], text)


def text_length(text: str) -> int:
    """Count characters as a reader sees them: a grapheme cluster or a bracket emoji code is one."""
    return count_chars(render_emoji(text))


def fill_variables(content: Mapping[str, Any], group_name: str, local_date: date) -> dict[str, Any]:
    """Return the content with ``{{群名}}`` and ``{{日期}}`` filled in for one group on one day."""
    values = {"群名": group_name, "日期": f"{local_date.year}年{local_date.month}月{local_date.day}日"}

    def fill(value: Any) -> Any:
        if isinstance(value, str):
            return VARIABLE.sub(lambda m: values.get(m.group(1), m.group(0)), value)
        if isinstance(value, dict):
            return {k: fill(v) for k, v in value.items()}
        return value

    return {key: fill(value) if key in ("text", "link", "miniprogram") else value for key, value in content.items()}


def unknown_variables(content: Mapping[str, Any]) -> list[str]:
    """Return the ``{{…}}`` names in the content that are not known variables."""
    found: list[str] = []
    for value in _strings(content):
        found += [name for name in VARIABLE.findall(value) if name not in VARIABLES and name not in found]
    return found


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping):
        return [s for v in value.values() for s in _strings(v)]
    return []


def is_http_url(value: str) -> bool:
    """Tell whether `value` is an absolute http(s) URL with a host and no blanks."""
    if not value or any(c.isspace() for c in value):
        return False
    try:
        parts = urlsplit(value)
        host = parts.hostname
        _ = parts.port  # a port that is not a number (":80*") raises, as the document's pattern refuses it
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(host) and ".." not in (host or "")


def has_content(content: Mapping[str, Any]) -> bool:
    """Tell whether anything would reach a group."""
    mini = content.get("miniprogram") or {}
    return bool(str(content.get("text") or "").strip() or content.get("image") or content.get("link") or mini)


def check(
    content: Mapping[str, Any],
    *,
    image_exists: ImageLookup | None = None,
    targets: Sequence[GroupTarget] = (),
    require_content: bool = False,
) -> list[FieldProblem]:
    """Return every problem with this content, for these target groups (empty when it is valid)."""
    problems: list[FieldProblem] = []
    text = content.get("text")
    if text is not None:
        length = text_length(str(text))
        if length > TEXT_LIMIT:
            problems.append(FieldProblem("content.text", "text_too_long", {"max": TEXT_LIMIT, "actual": length}))
        elif any(_control(c) for c in str(text)):
            problems.append(FieldProblem("content.text", "text_control"))
        elif TEMPLATE_BLANK.search(_URL.sub("", str(text))):
            problems.append(FieldProblem("content.text", "template_blank"))
    image = content.get("image")
    if image:
        if not MEDIA_ID.fullmatch(str(image)):
            problems.append(FieldProblem("content.image", "image_id_invalid"))
        elif image_exists is not None and not image_exists(str(image)):
            problems.append(FieldProblem("content.image", "image_missing"))
    link = content.get("link")
    if link and not is_http_url(str(link)):
        problems.append(FieldProblem("content.link", "link_invalid"))
    problems += _check_miniprogram(content.get("miniprogram"))
    unknown = unknown_variables(content)
    if unknown:
        problems.append(
            FieldProblem("content", "variable_unknown", {"names": "、".join(unknown), "known": "、".join(VARIABLES)})
        )
    if require_content and not has_content(content):
        problems.append(FieldProblem("content", "content_required"))
    if not problems and targets:
        problems += check_targets(content, targets)
    return problems


def _control(c: str) -> bool:
    return (ord(c) < 32 and c not in "\n\t\r") or c == "\x7f"


def _check_miniprogram(mini: Any) -> list[FieldProblem]:
    if not mini:
        return []
    if not isinstance(mini, Mapping):
        return [FieldProblem("content.miniprogram", "invalid")]
    problems = []
    if not APPID.fullmatch(str(mini.get("appid") or "")):
        problems.append(FieldProblem("content.miniprogram.appid", "appid_invalid"))
    page = str(mini.get("pagePath") or "")
    if not page or not PAGE_PATH.fullmatch(page) or page.startswith("/"):
        problems.append(FieldProblem("content.miniprogram.pagePath", "page_path_invalid"))
    title = str(mini.get("title") or "").strip()
    if not title:
        problems.append(FieldProblem("content.miniprogram.title", "card_title_required"))
    elif count_chars(title) > CARD_TITLE_LIMIT:
        problems.append(
            FieldProblem(
                "content.miniprogram.title", "too_long", {"max": CARD_TITLE_LIMIT, "actual": count_chars(title)}
            )
        )
    thumb = str(mini.get("thumbnail") or "")
    if not thumb:
        problems.append(FieldProblem("content.miniprogram.thumbnail", "card_thumbnail_required"))
    elif not is_http_url(thumb):
        problems.append(FieldProblem("content.miniprogram.thumbnail", "link_invalid"))
    return problems


def check_targets(content: Mapping[str, Any], targets: Sequence[GroupTarget]) -> list[FieldProblem]:
    """Apply each target channel's own limits (byte limits, card support) through `rules.validate`."""
    refused: dict[tuple[str, str, str], tuple[list[str], str, str]] = {}
    for target in targets:
        caps = CHANNEL_CAPS.get(target.channel)
        if caps is None:
            continue
        # Filled as the longest group name would be, so a byte limit holds for every group.
        message = message_from_content(fill_variables(content, target.name, date(2000, 12, 31)))
        for refusal in rules.validate(target.channel, caps, target, message):
            if refusal.field == "target":
                continue  # a group without a reference is the directory's problem, shown at send time
            names, _, _ = refused.setdefault(
                (refusal.field, refusal.code, target.channel), ([], refusal.zh, refusal.en)
            )
            names.append(target.name)
    problems = []
    for (field, _code, _channel), (names, zh, en) in refused.items():
        shown = "、".join(names[:3])
        more_zh = f" 等 {len(names)} 个群" if len(names) > 3 else ""
        more_en = f" and {len(names) - 3} more" if len(names) > 3 else ""
        problems.append(
            FieldProblem(
                "content" if field == "content" else f"content.{field}",
                "channel_refused",
                {"groups_zh": shown + more_zh, "groups_en": shown + more_en, "zh": zh, "en": en},
            )
        )
    return problems
