"""bot_bridge: personal-WeChat groups through a bridge, in the protocol the bridge speaks.

`PUSHTASK_BRIDGE_PROTOCOL` picks it: `pushtask` (below), `wcfhttp` (WeChatFerry's HTTP server),
`wechatbot-webhook` (danni-cool's, rooms addressed by name) or `wechaty` (the puppet service's
REST gateway); those three live in `bridge_protocols`. For `pushtask`, PushTask POSTs one JSON
request per message part to the configured URL (contract in docs/wechat.md): `Authorization: Bearer <token>`, body
`{"roomId", "kind": "text"|"image"|"link", "text", "mentions", "image": {"filename", "mime",
"base64"}, "link": {"title", "description", "url", "thumbUrl"}, "idempotencyKey"}`, answered by
`{"errcode": 0, "errmsg": "ok", "msgid": "..."}` or a non-zero errcode (1001 unknown room,
1002 not logged in, 1003 rate limited, 1004 bad request, 1005 bad token).

The idempotency key of part i is "<delivery key>:<i>", the same for every attempt and resend of
one group's delivery. A bridge that remembers keys (docs/wechat.md) drops a repeat of a part it
already sent, and — when `status_url` is set — answers `POST status_url {"idempotencyKeys": [...]}`
with each key's state, which `read_back` turns into sent / failed for an uncertain delivery.
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
    Attempt,
    GroupTarget,
    MediaBlob,
    MediaSource,
    Message,
    Reading,
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
    # Protocol pushtask: the bridge's status call (read back what became of an idempotency key); "" = none.
    status_url: str = ""


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
        bodies = _bodies(message, blob)
        delivered = 0
        msgids: list[str] = []
        keys = _keys(target, len(bodies))
        try:
            for key, body in zip(keys, bodies, strict=True):
                answer = await self._http.call(
                    "POST",
                    self._config.url,
                    platform=Platform.BRIDGE,
                    headers={"Authorization": f"Bearer {self._config.token}"},
                    json_body={"roomId": target.ref, **body, "idempotencyKey": key},
                )
                msgids.append(str(answer.get("msgid", "")))
                delivered += 1
        except WeChatError as exc:
            return failed(NAME, exc, parts_delivered=delivered, deduplicates=self.deduplicates)
        return sent(NAME, msgids)

    # -- read back (protocol pushtask with a status call) ------------------------------------

    @property
    def reads_back(self) -> bool:
        return self._adapter is None and bool(self._config.status_url)

    async def read_back(self, attempt: Attempt) -> Reading | None:
        """Ask the bridge what became of each part's idempotency key."""
        if not self.reads_back or not attempt.target.delivery_key:
            return None
        message = attempt.message
        count = bool(message.text.strip()) + (message.image is not None) + (message.link is not None)
        keys = _keys(attempt.target, count)
        try:
            answer = await self._http.call(
                "POST",
                self._config.status_url,
                platform=Platform.BRIDGE,
                headers={"Authorization": f"Bearer {self._config.token}"},
                json_body={"idempotencyKeys": keys},
            )
        except WeChatError:
            return None  # the bridge cannot say now: asked again later
        states = {
            str(row.get("idempotencyKey")): row
            for row in answer.get("results") or []
            if isinstance(row, dict) and row.get("idempotencyKey") in keys
        }
        done = [states[k] for k in keys if k in states and states[k].get("state") == "sent"]
        if len(done) == len(keys):
            times = [float(row["sentAt"]) for row in done if isinstance(row.get("sentAt"), int | float)]
            return Reading("sent", sent_at=max(times) if times else None)
        if any(k not in states or states[k].get("state") not in ("sent", "failed", "unknown") for k in keys):
            return None  # still in the bridge's queue ("accepted"), or an answer we do not know: ask later
        if done:
            return Reading(
                "failed",
                reason_zh=f"桥接只送达了 {len(done)}/{len(keys)} 条消息；重发只补发未送达的部分"
                "（已送达的会被桥接去重）",
                reason_en=f"The bridge delivered {len(done)} of {len(keys)} parts; a resend sends only the rest "
                "(the bridge drops the parts it already sent)",
            )
        return Reading(
            "failed",
            reason_zh="桥接从未收到或未能发送这条消息，群内没有；可以放心重发",
            reason_en="The bridge never received or could not send this message; it is not in the group, resend safely",
        )

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


def _keys(target: GroupTarget, count: int) -> list[str]:
    """One idempotency key per part: stable per delivery when the engine names it, else random."""
    stem = target.delivery_key or uuid.uuid4().hex
    return [f"{stem}:{index}" for index in range(count)]


def _bodies(message: Message, blob: MediaBlob | None) -> list[dict[str, Any]]:
    """The pushtask protocol's request bodies, one per part, in order (text, image, link)."""
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
    return bodies
