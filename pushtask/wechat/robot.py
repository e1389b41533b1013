"""WeCom group robot (消息推送 webhook) client: the robot key is the only credential."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pushtask.wechat.credentials import WECOM_BASE_URL
from pushtask.wechat.errors import Platform
from pushtask.wechat.http import HttpSeam, Upload

Payload = dict[str, Any]


@dataclass(frozen=True)
class RobotArticle:
    title: str
    url: str
    description: str = ""
    picurl: str = ""

    def to_wire(self) -> dict[str, str]:
        wire = {"title": self.title, "url": self.url, "description": self.description, "picurl": self.picurl}
        return {k: v for k, v in wire.items() if v}


def text(content: str, *, mentioned_list: Sequence[str] = (), mentioned_mobile_list: Sequence[str] = ()) -> Payload:
    body: dict[str, Any] = {"content": content}
    if mentioned_list:
        body["mentioned_list"] = list(mentioned_list)
    if mentioned_mobile_list:
        body["mentioned_mobile_list"] = list(mentioned_mobile_list)
    return {"msgtype": "text", "text": body}


def markdown(content: str) -> Payload:
    return {"msgtype": "markdown", "markdown": {"content": content}}


def image(data: bytes) -> Payload:
    """Embed an image: base64 of the raw bytes plus the hex MD5 of the same raw bytes."""
    return {
        "msgtype": "image",
        "image": {
            "base64": base64.b64encode(data).decode("ascii"),
            "md5": hashlib.md5(data, usedforsecurity=False).hexdigest(),
        },
    }


def news(articles: Sequence[RobotArticle]) -> Payload:
    return {"msgtype": "news", "news": {"articles": [a.to_wire() for a in articles]}}


def file(media_id: str) -> Payload:
    return {"msgtype": "file", "file": {"media_id": media_id}}


class RobotClient:
    """Send to group robots by key."""

    def __init__(self, http: HttpSeam, base_url: str = WECOM_BASE_URL) -> None:
        self._http = http
        self._base = base_url.rstrip("/")

    async def send(self, key: str, payload: Mapping[str, Any]) -> None:
        """POST one message to `B/cgi-bin/webhook/send?key=`."""
        await self._http.call(
            "POST",
            f"{self._base}/cgi-bin/webhook/send",
            platform=Platform.ROBOT,
            params={"key": key},
            json_body=payload,
        )

    async def upload_media(self, key: str, media_type: str, filename: str, data: bytes, content_type: str) -> str:
        """Upload a file/voice for this robot only; return its media_id (valid 3 days)."""
        answer = await self._http.call(
            "POST",
            f"{self._base}/cgi-bin/webhook/upload_media",
            platform=Platform.ROBOT,
            params={"key": key, "type": media_type},
            upload=Upload("media", filename, content_type, data),
        )
        return str(answer["media_id"])
