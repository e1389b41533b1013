"""Send previews to reviewers: WeCom app messages plus a 确认/修改 card, or a mini-program notice.

The group-facing parts are built from the same `Message` the channels send (text, image, link
card, mini-program card, in that order) with the same WeCom payload builders, so a reviewer sees
what the group will see.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pushtask.channels import rules
from pushtask.channels.base import MediaSource, Message
from pushtask.channels.media_cache import MediaCache
from pushtask.wechat import wecom_payloads as wp
from pushtask.wechat.errors import CONTENT_REFUSED, Platform, WeChatError
from pushtask.wechat.kv import KeyValueStore
from pushtask.wechat.miniprogram import MiniProgramClient
from pushtask.wechat.wecom import WeComClient

QUOTA_USED_UP = 43101
_INVALID_MEDIA = 40007


@dataclass(frozen=True)
class ReviewerSend:
    """What happened to one reviewer's preview."""

    sent: bool
    response_code: str | None = None
    errcode: int | None = None
    reason_zh: str = ""
    reason_en: str = ""


def _failed(exc: WeChatError) -> ReviewerSend:
    return ReviewerSend(False, errcode=exc.code, reason_zh=exc.info.zh, reason_en=exc.info.en)


class ReviewerMessenger:
    """Reach reviewers through the configured WeCom app and/or mini program."""

    def __init__(
        self,
        *,
        wecom: WeComClient | None,
        miniprogram: MiniProgramClient | None,
        media: MediaSource,
        store: KeyValueStore,
        subscribe_template_id: str | None,
    ) -> None:
        self.wecom = wecom
        self.miniprogram = miniprogram
        self.subscribe_template_id = subscribe_template_id
        self._media = media
        self._cache = MediaCache(store, f"wecom:{wecom.credentials.corp_id}") if wecom is not None else None

    async def wecom_preview(self, userid: str, message: Message, card: Mapping[str, Any]) -> ReviewerSend:
        """Send the message as app messages, then the interactive card; return its response_code."""
        assert self.wecom is not None
        try:
            for payload in await self._parts(message):
                await self.wecom.send_message(payload, touser=[userid])
            receipt = await self.wecom.send_message(card, touser=[userid])
        except WeChatError as exc:
            return _failed(exc)
        except FileNotFoundError:
            return ReviewerSend(
                False, reason_zh="图片不存在，请重新上传", reason_en="The image is missing; upload it again"
            )
        if receipt.invalid_users:
            return ReviewerSend(False, reason_zh="企业微信中找不到该成员", reason_en="No such member in WeCom")
        return ReviewerSend(True, response_code=receipt.response_code)

    async def _parts(self, message: Message) -> list[dict[str, Any]]:
        parts: list[dict[str, Any]] = []
        if message.text.strip():
            parts.append(wp.text(message.text))
        if message.image is not None:
            blob = self._media(message.image)
            refusals = rules.check_image(blob)
            if refusals:
                raise WeChatError(CONTENT_REFUSED, refusals[0].en, Platform.WECOM)
            parts.append(wp.image(await self._media_id(blob.data, blob.filename)))
        if message.link is not None:
            link = message.link
            article = wp.NewsArticle(link.title, url=link.url, description=link.description, picurl=link.thumb_url)
            parts.append(wp.news([article]))
        if message.miniprogram is not None:
            card = message.miniprogram
            article = wp.NewsArticle(card.title, picurl=card.thumb_url, appid=card.appid, pagepath=card.pagepath)
            parts.append(wp.news([article]))
        return parts

    async def _media_id(self, data: bytes, filename: str) -> str:
        assert self.wecom is not None and self._cache is not None
        cached = await self._cache.get(data)
        if cached:
            return cached
        uploaded = await self.wecom.upload_media("image", filename, data, rules.sniff_mime(data))
        await self._cache.put(data, uploaded.media_id)
        return uploaded.media_id

    async def subscribe_preview(self, openid: str, data: Mapping[str, str], page: str) -> ReviewerSend:
        """Send the one-time subscribe message (服务通知) that opens the preview page."""
        assert self.miniprogram is not None and self.subscribe_template_id
        try:
            await self.miniprogram.send_subscribe_message(openid, self.subscribe_template_id, data, page=page)
        except WeChatError as exc:
            return _failed(exc)
        return ReviewerSend(True)

    async def update_card(self, response_code: str, userid: str, replace_name: str) -> None:
        """Replace the card's buttons with the decision (best effort: the code may be used up)."""
        if self.wecom is None:
            return
        # The decision is recorded either way; on failure only the button label stays as it was.
        with contextlib.suppress(WeChatError):
            await self.wecom.update_template_card(response_code, userids=[userid], replace_name=replace_name)

    async def text(self, userid: str, content: str) -> bool:
        """Send a WeCom text message (notices such as "modify requested" to a task's creator)."""
        if self.wecom is None:
            return False
        try:
            await self.wecom.send_message(wp.text(content), touser=[userid])
        except WeChatError:
            return False
        return True
