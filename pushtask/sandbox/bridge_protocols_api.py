"""The personal-WeChat bridges people run, emulated as they answer (wechat-protocol.md §6).

- B/bridge/wcfhttp/{text,image,rich-text}: WeChatFerry's HTTP server; `{"status": 0, "message":
  "成功"}`, or a non-zero status ("失败") when WeChatFerry could not send (a wrong roomid).
- B/bridge/wechatbot-webhook/webhook/msg/v2?token= (JSON) and /webhook/msg?token= (file upload):
  danni-cool's bridge; rooms are found by **name** (the first room of that name, as the real one
  does); `{"success": true|false, "message"}`, HTTP 401 for a wrong token.
- B/bridge/wechaty/conversations/{id}/{text,url-link}: wechaty's REST gateway; `{"id"}`, or
  HTTP 404 `{"code": 5, "message"}` for an unknown conversation.

What each room received is in `GET B/_sandbox/messages` (channel `bot_bridge`, `protocol` set).
Injected faults apply (endpoint `bridge/<protocol>/<path>`, target the room id or name).
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Callable
from typing import Any

from aiohttp import BodyPartReader, web

from pushtask.sandbox import validation as v
from pushtask.sandbox.directory import Group
from pushtask.sandbox.routes import STATE
from pushtask.sandbox.state import SandboxState

Answer = tuple[int, dict[str, Any]]


def _room(state: SandboxState, ref: str) -> Group | None:
    group = state.groups.get(ref)
    return group if group is not None and group.channel == "bot_bridge" else None


def _room_by_name(state: SandboxState, name: str) -> Group | None:
    return next((g for g in state.groups.values() if g.channel == "bot_bridge" and g.name == name), None)


async def _answer(
    request: web.Request, endpoint: str, targets: list[str], work: Callable[[SandboxState], Answer]
) -> web.Response:
    state = request.app[STATE]
    with state.lock:
        state.stats[endpoint] += 1
        hit = state.faults.match(endpoint, targets)
    if hit is not None:
        if hit.latency_ms:
            await asyncio.sleep(hit.latency_ms / 1000)
        if hit.http_status != 200:
            return web.Response(status=hit.http_status, text=f"{hit.http_status} injected by the sandbox")
    with state.lock:
        status, body = work(state)
    return web.Response(
        body=json.dumps(body, ensure_ascii=False).encode("utf-8"),
        status=status,
        content_type="application/json",
        charset="utf-8",
    )


async def _json(request: web.Request) -> dict[str, Any]:
    try:
        body = json.loads((await request.read()).decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return {}
    return body if isinstance(body, dict) else {}


# -- wcfhttp ----------------------------------------------------------------------------------


def _wcf(kind: str, body: dict[str, Any]) -> Callable[[SandboxState], Answer]:
    def work(state: SandboxState) -> Answer:
        room = _room(state, str(body.get("receiver", "")))
        failed = (200, {"status": -1, "message": "失败", "data": {}})
        if room is None:
            return failed
        if kind == "text" and not str(body.get("msg", "")).strip():
            return failed
        if kind == "image" and not body.get("path"):
            return failed
        if kind == "rich-text" and not (body.get("title") and body.get("url")):
            return failed
        msgtype = {"text": "text", "image": "image", "rich-text": "link"}[kind]
        state.record(room.ref, "bot_bridge", f"bridge/wcfhttp/{kind}", msgtype, body, protocol="wcfhttp")
        return 200, {"status": 0, "message": "成功", "data": {}}

    return work


def _wcf_handler(kind: str) -> Callable[[web.Request], Any]:
    async def handler(request: web.Request) -> web.Response:
        body = await _json(request)
        return await _answer(request, f"bridge/wcfhttp/{kind}", [str(body.get("receiver", ""))], _wcf(kind, body))

    return handler


# -- wechatbot-webhook ------------------------------------------------------------------------


def _webhook_token(state: SandboxState, request: web.Request) -> Answer | None:
    if request.query.get("token") != state.bridge_token:
        return 401, {"success": False, "message": "Unauthorized: the token is invalid"}
    return None


async def webhook_v2(request: web.Request) -> web.Response:
    body = await _json(request)
    name = str(body.get("to", ""))

    def work(state: SandboxState) -> Answer:
        refused = _webhook_token(state, request)
        if refused is not None:
            return refused
        data = body.get("data")
        if not body.get("isRoom") or not isinstance(data, dict) or data.get("type") not in ("text", "fileUrl"):
            return 200, {"success": False, "message": "Invalid payload: need to, isRoom and data {type, content}"}
        room = _room_by_name(state, name)
        if room is None:
            return 200, {"success": False, "message": f"Room not found: {name}"}
        if not str(data.get("content", "")).strip():
            return 200, {"success": False, "message": "Invalid payload: empty content"}
        msgtype = "text" if data["type"] == "text" else "image"
        payload = {"to": name, "isRoom": True, "data": data}
        state.record(
            room.ref, "bot_bridge", "bridge/wechatbot-webhook/msg/v2", msgtype, payload, protocol="wechatbot-webhook"
        )
        return 200, {"success": True, "message": "Message sent successfully"}

    return await _answer(request, "bridge/wechatbot-webhook/webhook/msg/v2", [name], work)


async def webhook_v1_file(request: web.Request) -> web.Response:
    fields: dict[str, str] = {}
    data = b""
    filename = ""
    if request.content_type.startswith("multipart/"):
        reader = await request.multipart()
        async for part in reader:
            if not isinstance(part, BodyPartReader):
                continue
            if part.name == "content" and part.filename:
                data, filename = bytes(await part.read()), part.filename
            elif part.name:
                fields[part.name] = (await part.read()).decode("utf-8", "replace")
    name = fields.get("to", "")

    def work(state: SandboxState) -> Answer:
        refused = _webhook_token(state, request)
        if refused is not None:
            return refused
        room = _room_by_name(state, name)
        if room is None:
            return 200, {"success": False, "message": f"Room not found: {name}"}
        mime = v.image_mime(data)
        if not data:
            return 200, {"success": False, "message": "Invalid payload: no file in content"}
        payload = {"to": name, "isRoom": True, "file": {"filename": filename, "size": len(data), "mime": mime}}
        msgtype = "image" if mime else "file"
        state.record(
            room.ref, "bot_bridge", "bridge/wechatbot-webhook/msg", msgtype, payload, protocol="wechatbot-webhook"
        )
        return 200, {"success": True, "message": "Message sent successfully"}

    return await _answer(request, "bridge/wechatbot-webhook/webhook/msg", [name], work)


# -- wechaty REST gateway ---------------------------------------------------------------------


def _wechaty_handler(kind: str) -> Callable[[web.Request], Any]:
    async def handler(request: web.Request) -> web.Response:
        conversation = request.match_info["conversation_id"]
        body = await _json(request)
        auth = request.headers.get("Authorization", "")

        def work(state: SandboxState) -> Answer:
            if auth and auth != f"Bearer {state.bridge_token}":
                return 401, {"code": 16, "message": "unauthenticated", "details": []}
            room = _room(state, conversation)
            if room is None:
                return 404, {"code": 5, "message": f"conversation {conversation} not found", "details": []}
            if kind == "text":
                if not str(body.get("text", "")).strip():
                    return 400, {"code": 3, "message": "text is empty", "details": []}
                msgtype = "text"
            else:
                link = body.get("url_link")
                if not isinstance(link, dict) or not link.get("url") or not link.get("title"):
                    return 400, {"code": 3, "message": "url_link needs title and url", "details": []}
                msgtype = "link"
            msgid = secrets.token_hex(8)
            state.record(
                room.ref, "bot_bridge", f"bridge/wechaty/{kind}", msgtype, body, protocol="wechaty", msgid=msgid
            )
            return 200, {"id": msgid}

        return await _answer(request, f"bridge/wechaty/{kind}", [conversation], work)

    return handler


def add_routes(app: web.Application) -> None:
    r = app.router
    for kind in ("text", "image", "rich-text"):
        r.add_post(f"/bridge/wcfhttp/{kind}", _wcf_handler(kind))
    r.add_post("/bridge/wechatbot-webhook/webhook/msg/v2", webhook_v2)
    r.add_post("/bridge/wechatbot-webhook/webhook/msg", webhook_v1_file)
    for kind in ("text", "url-link"):
        r.add_post(f"/bridge/wechaty/conversations/{{conversation_id}}/{kind}", _wechaty_handler(kind))
