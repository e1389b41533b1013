"""wecom_robot: a WeCom group robot webhook, one key per group, 20 messages/min per robot."""

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
from pushtask.channels.ratelimit import RateLimiter
from pushtask.wechat import robot as rp
from pushtask.wechat.errors import CLIENT_RATE_LIMITED, Platform, WeChatError
from pushtask.wechat.robot import RobotClient

NAME = "wecom_robot"
CAPS = rules.Capabilities(text_limit_bytes=2048, miniprogram=False, mentions=True)
PER_MINUTE = 20


class WeComRobotChannel:
    """Send through group robots; the limiter is shared by all processes (pass a Redis store)."""

    name = NAME
    deduplicates = False  # the webhook has no duplicate check

    def __init__(self, client: RobotClient, media: MediaSource, limiter: RateLimiter) -> None:
        self._client = client
        self._media = media
        self._limiter = limiter

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
        payloads = []
        if message.text.strip():
            mentioned = list(message.mentions) + (["@all"] if message.mention_all else [])
            payloads.append(rp.text(message.text, mentioned_list=mentioned))
        if blob is not None:
            payloads.append(rp.image(blob.data))
        if message.link is not None:
            link = message.link
            payloads.append(rp.news([rp.RobotArticle(link.title, link.url, link.description, link.thumb_url)]))
        # Reserve every part at once so a message is never cut in half by the limit.
        wait = await self._limiter.acquire(target.ref, cost=len(payloads))
        if wait > 0:
            error = WeChatError(
                CLIENT_RATE_LIMITED, f"robot limit {PER_MINUTE}/min reached", Platform.ROBOT, retry_after_s=wait
            )
            return failed(NAME, error, parts_delivered=0, deduplicates=self.deduplicates)
        delivered = 0
        try:
            for payload in payloads:
                await self._client.send(target.ref, payload)
                delivered += 1
        except WeChatError as exc:
            return failed(NAME, exc, parts_delivered=delivered, deduplicates=self.deduplicates)
        return sent(NAME)
