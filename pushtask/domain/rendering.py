"""Turn stored content into the channel-neutral message: one code path for previews and pushes."""

from __future__ import annotations

from typing import Any

from pushtask.channels.base import ImageRef, LinkCard, Message, MiniProgramCard


def message_from_content(content: dict[str, Any]) -> Message:
    """Return the message a group receives for this content (task name titles the cards)."""
    name = str(content.get("name") or "")
    link = content.get("link")
    mini = content.get("miniprogram") or {}
    return Message(
        text=str(content.get("text") or ""),
        image=ImageRef(str(content["image"])) if content.get("image") else None,
        link=LinkCard(title=name or str(link), url=str(link)) if link else None,
        miniprogram=MiniProgramCard(
            appid=str(mini["appid"]),
            pagepath=str(mini.get("pagePath") or ""),
            title=str(mini.get("title") or name),
            thumb_url=str(mini.get("thumbnail") or ""),
        )
        if mini.get("appid")
        else None,
    )
