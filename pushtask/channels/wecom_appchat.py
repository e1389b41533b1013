"""wecom_appchat: a WeCom self-built app posts into an internal group chat (appchat/send)."""

from __future__ import annotations

from pushtask.channels import rules
from pushtask.channels.base import (
    GroupTarget,
    MediaBlob,
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
from pushtask.wechat.wecom import WeComClient

NAME = "wecom_appchat"
CAPS = rules.Capabilities(text_limit_bytes=2048, miniprogram=True, mentions=False)
_INVALID_MEDIA = 40007


class WeComAppChatChannel:
    """Send to app group chats; images are uploaded once (media/upload) and reused ~3 days."""

    name = NAME
    # appchat/send has no enable_duplicate_check (only message/send does), so a retry after an
    # uncertain outcome could show the message twice.
    deduplicates = False

    def __init__(self, client: WeComClient, media: MediaSource, store: KeyValueStore) -> None:
        self._client = client
        self._media = media
        self._cache = MediaCache(store, f"wecom:{client.credentials.corp_id}")

    def validate(self, target: GroupTarget, message: Message) -> list[Refusal]:
        return rules.validate(NAME, CAPS, target, message)

    async def send(self, target: GroupTarget, message: Message) -> SendResult:
        refusals = self.validate(target, message)
        blob: MediaBlob | None = None
        if message.image is not None and not refusals:
            blob = self._media(message.image)
            refusals = rules.check_image(blob)
        if refusals:
            return refused(NAME, refusals)
        delivered = 0
        try:
            if message.text.strip():
                await self._client.appchat_send(target.ref, wp.text(message.text))
                delivered += 1
            if blob is not None:
                await self._send_image(target.ref, blob)
                delivered += 1
            if message.link is not None:
                link = message.link
                article = wp.NewsArticle(link.title, url=link.url, description=link.description, picurl=link.thumb_url)
                await self._client.appchat_send(target.ref, wp.news([article]))
                delivered += 1
            if message.miniprogram is not None:
                card = message.miniprogram
                article = wp.NewsArticle(card.title, picurl=card.thumb_url, appid=card.appid, pagepath=card.pagepath)
                await self._client.appchat_send(target.ref, wp.news([article]))
                delivered += 1
        except WeChatError as exc:
            return failed(NAME, exc, parts_delivered=delivered, deduplicates=self.deduplicates)
        return sent(NAME)

    async def _send_image(self, chatid: str, blob: MediaBlob) -> None:
        media_id = await self._media_id(blob)
        try:
            await self._client.appchat_send(chatid, wp.image(media_id))
        except WeChatError as exc:
            if exc.code != _INVALID_MEDIA:
                raise
            # The cached id expired early on WeCom's side: forget it, upload again, send once more.
            await self._cache.forget(blob.data, media_id)
            await self._client.appchat_send(chatid, wp.image(await self._media_id(blob)))

    async def _media_id(self, blob: MediaBlob) -> str:
        cached = await self._cache.get(blob.data)
        if cached:
            return cached
        uploaded = await self._client.upload_media("image", blob.filename, blob.data, rules.sniff_mime(blob.data))
        await self._cache.put(blob.data, uploaded.media_id)
        return uploaded.media_id
