"""bot_bridge: a generic HTTP bridge to personal-WeChat groups (room ids like `…@chatroom`).

PushTask POSTs one JSON request per message part to the configured URL (contract in
docs/wechat.md): `Authorization: Bearer <token>`, body
`{"roomId", "kind": "text"|"image"|"link", "text", "mentions", "image": {"filename", "mime",
"base64"}, "link": {"title", "description", "url", "thumbUrl"}, "idempotencyKey"}`, answered by
`{"errcode": 0, "errmsg": "ok", "msgid": "..."}` or a non-zero errcode (1001 unknown room,
1002 not logged in, 1003 rate limited, 1004 bad request, 1005 bad token).
"""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass, field
from typing import Any

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
from pushtask.wechat.errors import Platform, WeChatError
from pushtask.wechat.http import HttpSeam

NAME = "bot_bridge"
CAPS = rules.Capabilities(text_limit_bytes=8192, miniprogram=False, mentions=True)
IMAGE_LIMIT = 2 * 1024 * 1024


@dataclass(frozen=True)
class BotBridgeConfig:
    url: str  # e.g. http://bridge.local:7600/send, or B/bridge/send in the sandbox
    token: str = field(repr=False)


class BotBridgeChannel:
    """Send through a personal-WeChat bridge; bridges do not de-duplicate, so retries may."""

    name = NAME
    deduplicates = False

    def __init__(self, config: BotBridgeConfig, http: HttpSeam, media: MediaSource) -> None:
        self._config = config
        self._http = http
        self._media = media

    def validate(self, target: GroupTarget, message: Message) -> list[Refusal]:
        return rules.validate(NAME, CAPS, target, message)

    async def send(self, target: GroupTarget, message: Message) -> SendResult:
        refusals = self.validate(target, message)
        blob: MediaBlob | None = None
        if message.image is not None and not refusals:
            blob = self._media(message.image)
            refusals = rules.check_image(blob, IMAGE_LIMIT)
        if refusals:
            return refused(NAME, refusals)
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
