"""Channels that reach one person (reviewer notices, result notices, reminders) — the same protocol
as the group channels, so the engine sends a notice exactly as it sends a group's push.

- `wecom_app`: WeCom app messages to one member (`target.ref` = userid). A notice is one text,
  and WeCom drops a repeat inside the duplicate-check window, so a retry never shows it twice. A
  preview is the group's content (text, image, link, mini-program card — what the group will see)
  followed by `Message.card`, the 确认/修改 template card; its `response_code` comes back in
  `msgids` (the engine stores it to relabel the card after the decision).
- `mp_subscribe`: a mini-program one-time subscribe message (服务通知) to one openid, built from
  `Message.template` (fields and page). 43101 (no subscription left) is permanent.

Alerts go to the operations group through the ordinary `wecom_robot` channel.
"""

from __future__ import annotations

from typing import Any

from pushtask.channels import rules
from pushtask.channels.base import (
    GroupTarget,
    MediaSource,
    Message,
    Refusal,
    SendResult,
    failed,
    refused,
    sent,
)
from pushtask.channels.media_cache import MediaCache
from pushtask.wechat import wecom_payloads as wp
from pushtask.wechat.errors import WeChatError
from pushtask.wechat.kv import KeyValueStore
from pushtask.wechat.miniprogram import MiniProgramClient
from pushtask.wechat.wecom import WeComClient

WECOM_APP = "wecom_app"
MP_SUBSCRIBE = "mp_subscribe"
DUPLICATE_WINDOW_S = 1800
QUOTA_EXHAUSTED = 43101  # the person has no one-time subscription left


def _common(name: str, target: GroupTarget) -> list[Refusal]:
    problems = []
    if target.channel != name:
        problems.append(
            Refusal(
                "target",
                "wrong_channel",
                f"该接收人属于渠道 {target.channel}，不能用 {name} 发送",
                f"The person uses channel {target.channel}, not {name}",
            )
        )
    if not target.ref:
        problems.append(Refusal("target", "no_ref", "该接收人没有微信身份", "The person has no WeChat identity"))
    return problems


class WeComAppChannel:
    """Notices and previews to one WeCom member as app messages."""

    name = WECOM_APP
    deduplicates = True  # a notice uses enable_duplicate_check: a repeat inside the window is dropped

    def __init__(
        self, client: WeComClient, media: MediaSource | None = None, store: KeyValueStore | None = None
    ) -> None:
        self._client = client
        self._media = media
        self._cache = MediaCache(store, f"wecom:{client.credentials.corp_id}") if store is not None else None

    def validate(self, target: GroupTarget, message: Message) -> list[Refusal]:
        problems = _common(self.name, target)
        has_content = message.text.strip() or message.image or message.link or message.miniprogram
        if not has_content and message.card is None:
            problems.append(Refusal("text", "text_required", "通知内容为空", "The notice has no text"))
        if message.image is not None and self._media is None:
            problems.append(Refusal("image", "no_media", "无法发送图片", "Images cannot be sent here"))
        return problems

    async def send(self, target: GroupTarget, message: Message) -> SendResult:
        problems = self.validate(target, message)
        if problems:
            return refused(self.name, problems)
        if message.card is None:
            return await self._notice(target, message)
        # A preview: the content as the group will see it, then the card. Parts are not de-duplicated.
        delivered = 0
        try:
            parts = await self._parts(message)
        except FileNotFoundError:
            return refused(
                self.name,
                [Refusal("image", "missing", "图片不存在，请重新上传", "The image is missing; upload it again")],
            )
        if isinstance(parts, list) and parts and isinstance(parts[0], Refusal):
            return refused(self.name, parts)
        try:
            for payload in parts:
                await self._client.send_message(payload, touser=[target.ref])
                delivered += 1
            receipt = await self._client.send_message(message.card, touser=[target.ref])
        except WeChatError as exc:
            return failed(self.name, exc, parts_delivered=delivered, deduplicates=False)
        if receipt.invalid_users:
            return _unknown_user(self.name)
        return sent(self.name, [receipt.response_code] if receipt.response_code else [])

    async def _notice(self, target: GroupTarget, message: Message) -> SendResult:
        try:
            receipt = await self._client.send_message(
                wp.text(message.text), touser=[target.ref], duplicate_check_interval_s=DUPLICATE_WINDOW_S
            )
        except WeChatError as exc:
            return failed(self.name, exc, parts_delivered=0, deduplicates=self.deduplicates)
        if receipt.invalid_users:
            return _unknown_user(self.name)
        return sent(self.name, [receipt.msgid] if receipt.msgid else [])

    async def _parts(self, message: Message) -> list[Any]:
        parts: list[Any] = []
        if message.text.strip():
            parts.append(wp.text(message.text))
        if message.image is not None and self._media is not None:
            blob = self._media(message.image)
            refusals = rules.check_image(blob)
            if refusals:
                return refusals
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
        if self._cache is not None:
            cached = await self._cache.get(data)
            if cached:
                return cached
        uploaded = await self._client.upload_media("image", filename, data, rules.sniff_mime(data))
        if self._cache is not None:
            await self._cache.put(data, uploaded.media_id)
        return uploaded.media_id


def _unknown_user(name: str) -> SendResult:
    return refused(name, [Refusal("target", "unknown_user", "企业微信中找不到该成员", "No such member in WeCom")])


class MiniProgramSubscribeChannel:
    """Notices to one mini-program user as a one-time subscribe message."""

    name = MP_SUBSCRIBE
    deduplicates = False

    def __init__(self, client: MiniProgramClient, template_id: str) -> None:
        self._client = client
        self._template_id = template_id

    def validate(self, target: GroupTarget, message: Message) -> list[Refusal]:
        problems = _common(self.name, target)
        if message.template is None or not message.template.fields:
            problems.append(
                Refusal("template", "template_required", "订阅消息缺少模板字段", "The subscribe message has no fields")
            )
        return problems

    async def send(self, target: GroupTarget, message: Message) -> SendResult:
        problems = self.validate(target, message)
        if problems or message.template is None:
            return refused(self.name, problems)
        try:
            msgid = await self._client.send_subscribe_message(
                target.ref,
                message.template.template_id or self._template_id,
                dict(message.template.fields),
                page=message.template.page or None,
            )
        except WeChatError as exc:
            result = failed(self.name, exc, parts_delivered=0, deduplicates=self.deduplicates)
            if exc.code == QUOTA_EXHAUSTED:
                # Retrying cannot help until the person subscribes again.
                return SendResult(**{**result.__dict__, "permanent": True})
            return result
        return sent(self.name, [msgid] if msgid else [])
