"""The fake personal-WeChat bridge at B/bridge/send (see docs/wechat.md for the contract).

Runs with the state lock held and returns the JSON body, or raises ApiError.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from typing import Any

from pushtask.sandbox import validation as v
from pushtask.sandbox.state import SandboxState
from pushtask.sandbox.wire import ApiError, ok_body

KINDS = {"text", "image", "link"}
IMAGE_LIMIT = 10 * 1024 * 1024


def send(state: SandboxState, bearer: str | None, body: dict[str, Any]) -> dict[str, Any]:
    if bearer != state.bridge_token:
        raise ApiError(1005, "invalid token")
    room = state.groups.get(str(body.get("roomId", "")))
    if room is None or room.channel != "bot_bridge":
        raise ApiError(1001, "room not found")
    kind = body.get("kind")
    if kind not in KINDS:
        raise ApiError(1004, "kind must be text, image or link")
    if kind == "text":
        if not isinstance(body.get("text"), str) or not body["text"].strip():
            raise ApiError(1004, "text is empty")
    elif kind == "image":
        image = body.get("image") or {}
        try:
            data = base64.b64decode(str(image.get("base64", "")), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ApiError(1004, "image.base64 is not base64") from exc
        if not data or len(data) > IMAGE_LIMIT or v.image_mime(data) is None:
            raise ApiError(1004, "image must be a JPG or PNG of at most 10 MB")
    else:
        link = body.get("link") or {}
        if not link.get("title") or not str(link.get("url", "")).startswith(("http://", "https://")):
            raise ApiError(1004, "link needs a title and an http(s) url")
    msgid = secrets.token_hex(12)
    state.record(room.ref, "bot_bridge", "bridge/send", str(kind), body, msgid=msgid)
    return ok_body(msgid=msgid)
