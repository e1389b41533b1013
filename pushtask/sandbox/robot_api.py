"""Group robot endpoints: webhook/send and webhook/upload_media (the key is the credential).

Each function runs with the state lock held and returns the JSON body, or raises ApiError.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
from typing import Any

from pushtask.sandbox import validation as v
from pushtask.sandbox.directory import Group
from pushtask.sandbox.state import MEDIA_LIFETIME_S, Media, SandboxState
from pushtask.sandbox.wire import ApiError, ok_body

PER_MINUTE = 20
TYPES = {"text", "markdown", "markdown_v2", "image", "news", "file", "voice", "template_card"}
IMAGE_LIMIT = 2 * 1024 * 1024
_TOO_LONG = "Invalid input : content exceed max length"


def robot(state: SandboxState, key: str | None) -> Group:
    group = state.groups.get(key or "")
    if group is None or group.channel != "wecom_robot":
        raise ApiError(93000)
    return group


def _check(state: SandboxState, key: str, body: dict[str, Any]) -> str:
    msgtype = body.get("msgtype")
    if not isinstance(msgtype, str) or msgtype not in TYPES:
        raise ApiError(40008)
    part = v.obj(body, msgtype)
    if msgtype == "text":
        v.limit_bytes(v.required_text(part.get("content"), "content"), 2048, "content", 93000)
        for name in ("mentioned_list", "mentioned_mobile_list"):
            if name in part and not isinstance(part[name], list):
                raise ApiError(40058, f"{name} must be a list")
    elif msgtype in ("markdown", "markdown_v2"):
        v.limit_bytes(v.required_text(part.get("content"), "content"), 4096, "content", 93000)
    elif msgtype == "image":
        try:
            data = base64.b64decode(str(part.get("base64", "")), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ApiError(40058, "invalid base64") from exc
        if not data:
            raise ApiError(44001)
        if hashlib.md5(data, usedforsecurity=False).hexdigest() != str(part.get("md5", "")).lower():
            raise ApiError(40058, "invalid image md5")
        if len(data) > IMAGE_LIMIT:
            raise ApiError(40009)
        if v.image_mime(data) is None:
            raise ApiError(40004)
    elif msgtype == "news":
        articles = part.get("articles")
        if not isinstance(articles, list) or not articles:
            raise ApiError(44004, "empty articles")
        if len(articles) > 8:
            raise ApiError(45008)
        for article in articles:
            if not isinstance(article, dict):
                raise ApiError(40058, "article must be an object")
            v.limit_bytes(v.required_text(article.get("title"), "title"), 128, "title")
            v.limit_bytes(str(article.get("description", "")), 512, "description")
            v.required_text(article.get("url"), "url")
    elif msgtype in ("file", "voice"):
        media = state.media.get(str(part.get("media_id", "")))
        if media is None or media.owner != f"robot:{key}" or media.expires_at <= state.clock():
            raise ApiError(40007, "invalid media_id")
    elif msgtype == "template_card":
        if part.get("card_type") not in ("text_notice", "news_notice"):
            raise ApiError(40058, "invalid card_type")
        if not isinstance(part.get("card_action"), dict):
            raise ApiError(40058, "card_action missing")
    return msgtype


def send(state: SandboxState, key: str | None, body: dict[str, Any]) -> dict[str, Any]:
    group = robot(state, key)
    msgtype = _check(state, group.ref, body)
    if not state.admit(f"robot:{group.ref}", PER_MINUTE, 60):
        raise ApiError(45009)
    state.record(group.ref, "wecom_robot", "webhook/send", msgtype, body)
    return ok_body()


def upload_media(
    state: SandboxState, key: str | None, media_type: str | None, filename: str, content_type: str, data: bytes | None
) -> dict[str, Any]:
    group = robot(state, key)
    if media_type not in ("file", "voice"):
        raise ApiError(40005)
    if not data or len(data) <= 5:
        raise ApiError(40006)
    if len(data) > (20 if media_type == "file" else 2) * 1024 * 1024:
        raise ApiError(40006)
    media_id = "3" + secrets.token_urlsafe(40)
    now = state.clock()
    state.media[media_id] = Media(
        data, content_type, filename, media_type, f"robot:{group.ref}", now + MEDIA_LIFETIME_S
    )
    return ok_body(type=media_type, media_id=media_id, created_at=str(int(now)))
