"""Build the msgtype-specific part of WeCom app / app-chat messages (same shapes for both)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Payload = dict[str, Any]


@dataclass(frozen=True)
class NewsArticle:
    """One article of a news message; with appid+pagepath it opens a mini program."""

    title: str
    url: str = ""
    description: str = ""
    picurl: str = ""
    appid: str = ""
    pagepath: str = ""

    def to_wire(self) -> dict[str, str]:
        wire = {"title": self.title, "url": self.url, "description": self.description, "picurl": self.picurl}
        if self.appid:
            wire["appid"] = self.appid
            wire["pagepath"] = self.pagepath
        return {k: v for k, v in wire.items() if v}


@dataclass(frozen=True)
class CardButton:
    """A button of a button_interaction card: type 0 calls back with `key`, type 1 opens `url`."""

    text: str
    key: str = ""
    style: int = 1
    url: str = ""

    def to_wire(self) -> dict[str, Any]:
        if self.url:
            return {"type": 1, "text": self.text, "style": self.style, "url": self.url}
        return {"type": 0, "text": self.text, "style": self.style, "key": self.key}


def text(content: str) -> Payload:
    return {"msgtype": "text", "text": {"content": content}}


def image(media_id: str) -> Payload:
    return {"msgtype": "image", "image": {"media_id": media_id}}


def markdown(content: str) -> Payload:
    return {"msgtype": "markdown", "markdown": {"content": content}}


def news(articles: Sequence[NewsArticle]) -> Payload:
    return {"msgtype": "news", "news": {"articles": [a.to_wire() for a in articles]}}


def miniprogram_notice(
    appid: str,
    page: str,
    title: str,
    *,
    description: str = "",
    items: Sequence[tuple[str, str]] = (),
    emphasis_first_item: bool = False,
) -> Payload:
    return {
        "msgtype": "miniprogram_notice",
        "miniprogram_notice": {
            "appid": appid,
            "page": page,
            "title": title,
            "description": description,
            "emphasis_first_item": emphasis_first_item,
            "content_item": [{"key": k, "value": v} for k, v in items],
        },
    }


def template_card(card: Mapping[str, Any]) -> Payload:
    return {"msgtype": "template_card", "template_card": dict(card)}


def button_interaction_card(
    task_id: str,
    title: str,
    buttons: Sequence[CardButton],
    *,
    desc: str = "",
    sub_title_text: str = "",
    fields: Sequence[tuple[str, str]] = (),
    source_desc: str = "",
) -> Payload:
    """Build a template_card with callback buttons (e.g. 确认 / 修改 for a preview)."""
    card: dict[str, Any] = {
        "card_type": "button_interaction",
        "task_id": task_id,
        "main_title": {"title": title, "desc": desc},
        "button_list": [b.to_wire() for b in buttons],
    }
    if source_desc:
        card["source"] = {"desc": source_desc}
    if sub_title_text:
        card["sub_title_text"] = sub_title_text
    if fields:
        card["horizontal_content_list"] = [{"keyname": k, "value": v} for k, v in fields]
    return template_card(card)
