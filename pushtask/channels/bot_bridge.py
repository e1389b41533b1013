"""bot_bridge: personal-WeChat groups through a bridge, in the protocol the bridge speaks.

`PUSHTASK_BRIDGE_PROTOCOL` picks it: `pushtask` (below), `wcfhttp` (WeChatFerry's HTTP server),
`wechatbot-webhook` (danni-cool's, rooms addressed by name) or `wechaty` (the puppet service's
REST gateway); those three live in `bridge_protocols`. For `pushtask`, PushTask POSTs one JSON
request per message part to the configured URL (contract in docs/wechat.md): `Authorization: Bearer <token>`, body
`{"roomId", "kind": "text"|"image"|"link", "text", "mentions", "image": {"filename", "mime",
"base64"}, "link": {"title", "description", "url", "thumbUrl"}, "idempotencyKey"}`, answered by
`{"errcode": 0, "errmsg": "ok", "msgid": "..."}` or a non-zero errcode (1001 unknown room,
1002 not logged in, 1003 rate limited, 1004 bad request, 1005 bad token).
"""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pushtask.channels import bridge_protocols as bp
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
from pushtask.wechat.errors import CLIENT_RATE_LIMITED, Platform, WeChatError
from pushtask.wechat.http import HttpSeam
from pushtask.wechat.kv import Clock, KeyValueStore, MemoryStore

NAME = "bot_bridge"
CAPS = rules.Capabilities(text_limit_bytes=8192, miniprogram=False, mentions=True)
IMAGE_LIMIT = 2 * 1024 * 1024


PROTOCOLS = ("pushtask", "wcfhttp", "wechatbot-webhook", "wechaty")


@dataclass(frozen=True)
class BotBridgeConfig:
    url: str  # e.g. http://bridge.local:7600/send, or B/bridge/send in the sandbox; the base URL for the others
    token: str = field(repr=False)
    protocol: str = "pushtask"
    # Seconds between two messages through the same account (bridge users advise 1–3 s); 0 = none.
    pause_s: float = 0.0


class BotBridgeChannel:
    """Send through a personal-WeChat bridge; bridges do not de-duplicate, so retries may."""

    name = NAME
    deduplicates = False

    def __init__(
        self,
        config: BotBridgeConfig,
        http: HttpSeam,
        media: MediaSource,
        *,
        store: KeyValueStore | None = None,
        clock: Clock = time.time,
        same_name: Callable[[GroupTarget], int] | None = None,
    ) -> None:
        if config.protocol not in PROTOCOLS:
            raise ValueError(f"unknown bridge protocol {config.protocol!r}; use one of {', '.join(PROTOCOLS)}")
        self._config = config
        self._http = http
        self._media = media
        self._adapter = bp.adapter(config, http) if config.protocol != "pushtask" else None
        # How many of the organisation's bridge groups carry this target's name (wechatbot-webhook).
        self._same_name = same_name
        self._limiter = (
            RateLimiter(store or MemoryStore(clock), limit=1, window_s=config.pause_s, prefix="bridge:", clock=clock)
            if config.pause_s > 0
            else None
        )

    def validate(self, target: GroupTarget, message: Message) -> list[Refusal]:
        out = rules.validate(NAME, CAPS, target, message)
        if self._adapter is not None:
            out += self._adapter.refusals(target, message)
        return out

    async def send(self, target: GroupTarget, message: Message) -> SendResult:
        refusals = self.validate(target, message)
        blob: MediaBlob | None = None
        if message.image is not None and not refusals:
            blob = self._media(message.image)
            refusals = rules.check_image(blob, IMAGE_LIMIT)
        if refusals:
            return refused(NAME, refusals)
        by_name = self._adapter is not None and self._adapter.by_name
        if by_name and self._same_name is not None and self._same_name(target) > 1:
            error = WeChatError(bp.SAME_NAME, f"rooms named {target.name!r}: more than one", Platform.BRIDGE)
            return failed(NAME, error, parts_delivered=0, deduplicates=self.deduplicates)
        if self._limiter is not None:
            wait = await self._limiter.acquire(self._config.url)
            if wait > 0:
                error = WeChatError(
                    CLIENT_RATE_LIMITED, "pause between sends through one account", Platform.BRIDGE, retry_after_s=wait
                )
                return failed(NAME, error, parts_delivered=0, deduplicates=self.deduplicates)
        if self._adapter is not None:
            return await self._send_parts(self._adapter, target, message, blob)
        bodies: list[dict[str, Any]] = []
        if message.text.strip():
            mentions = list(message.mentions) + (["notify@all"] if message.mention_all else [])
            bodies.append({"kind": "text", "text": message.text, "mentions": mentions})
        if blob is not None:
            bodies.append(
                {
                    "kind": "image",
                    "image": {
                        "filename": blob.filename,
                        "mime": rules.sniff_mime(blob.data),
                        "base64": base64.b64encode(blob.data).decode("ascii"),
                    },
                }
            )
        if message.link is not None:
            link = message.link
            bodies.append(
                {
                    "kind": "link",
                    "link": {
                        "title": link.title,
                        "description": link.description,
                        "url": link.url,
                        "thumbUrl": link.thumb_url,
                    },
                }
            )
        delivered = 0
        msgids: list[str] = []
        batch = uuid.uuid4().hex
        try:
            for index, body in enumerate(bodies):
                answer = await self._http.call(
                    "POST",
                    self._config.url,
                    platform=Platform.BRIDGE,
                    headers={"Authorization": f"Bearer {self._config.token}"},
                    json_body={"roomId": target.ref, **body, "idempotencyKey": f"{batch}:{index}"},
                )
                msgids.append(str(answer.get("msgid", "")))
                delivered += 1
        except WeChatError as exc:
            return failed(NAME, exc, parts_delivered=delivered, deduplicates=self.deduplicates)
        return sent(NAME, msgids)

    async def _send_parts(
        self, adapter: bp.Adapter, target: GroupTarget, message: Message, blob: MediaBlob | None
    ) -> SendResult:
        """One request per part in the bridge's own protocol; a failure after a part may duplicate."""
        delivered = 0
        msgids: list[str] = []
        try:
            for part in bp.parts(message, blob):
                msgids.append(await adapter.send(target, part))
                delivered += 1
        except WeChatError as exc:
            return failed(NAME, exc, parts_delivered=delivered, deduplicates=self.deduplicates)
        return sent(NAME, msgids)
