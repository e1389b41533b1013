"""The fake personal-WeChat bridge at B/bridge/send and B/bridge/status (contract in docs/wechat.md).

It remembers every idempotency key it was given: a repeat of a key it sent answers the first
msgid and sends nothing again; a key whose send it refused may be tried again. `status` answers
each key's state — "sent" (with msgid and sentAt), "failed" (received, not sent) or "unknown"
(never received) — which is how PushTask reads back an uncertain delivery.

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


MAX_STATUS_KEYS = 100


def send(state: SandboxState, bearer: str | None, body: dict[str, Any]) -> dict[str, Any]:
    if bearer != state.bridge_token:
        raise ApiError(1005, "invalid token")
    key = body.get("idempotencyKey")
    key = str(key) if isinstance(key, str | int) and str(key) else ""
    remembered = state.bridge_keys.get(key) if key else None
    if remembered is not None and remembered[0] == "sent":
        return ok_body(msgid=remembered[1])  # a repeat: nothing is sent twice
    try:
        answer = _send(state, body)
    except ApiError:
        if key:
            state.bridge_keys[key] = ("failed", "", 0.0)
        raise
    if key:
        state.bridge_keys[key] = ("sent", str(answer["msgid"]), state.clock())
    return answer


def status(state: SandboxState, bearer: str | None, body: dict[str, Any]) -> dict[str, Any]:
    """What became of each idempotency key: sent, failed or unknown."""
    if bearer != state.bridge_token:
        raise ApiError(1005, "invalid token")
    keys = body.get("idempotencyKeys")
    if not isinstance(keys, list) or not keys or len(keys) > MAX_STATUS_KEYS:
        raise ApiError(1004, f"idempotencyKeys must be a list of 1..{MAX_STATUS_KEYS} keys")
    results = []
    for key in keys:
        remembered = state.bridge_keys.get(str(key))
        if remembered is None:
            results.append({"idempotencyKey": str(key), "state": "unknown"})
            continue
        row: dict[str, Any] = {"idempotencyKey": str(key), "state": remembered[0]}
        if remembered[0] == "sent":
            row.update(msgid=remembered[1], sentAt=int(remembered[2]))
        results.append(row)
    return ok_body(results=results)


def _send(state: SandboxState, body: dict[str, Any]) -> dict[str, Any]:
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
