"""aiohttp handlers for the wire endpoints at B/cgi-bin/... and B/bridge/send."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Sequence
from typing import Any
from urllib.parse import quote

from aiohttp import BodyPartReader, web

from pushtask.sandbox import bridge_api, customer_group_api, robot_api, wechat_api, wecom_api
from pushtask.sandbox.state import SandboxState
from pushtask.sandbox.wire import WECHAT, WECOM, ApiError, error_body

STATE: web.AppKey[SandboxState] = web.AppKey("sandbox_state", SandboxState)
Work = Callable[[], dict[str, Any]]


def json_response(body: dict[str, Any], platform: str | None = None, status: int = 200) -> web.Response:
    headers = {}
    if platform == WECOM:
        # WeCom echoes the outcome in headers too.
        headers = {
            "error-code": str(body.get("errcode", 0)),
            "error-msg": quote(str(body.get("errmsg", "")), safe=" ,:[]/_.?=-"),
        }
    return web.Response(
        body=json.dumps(body, ensure_ascii=False).encode("utf-8"),
        status=status,
        content_type="application/json",
        charset="utf-8",
        headers=headers,
    )


def parse_json(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ApiError(47001, "data format error, Warning: wrong json format.") from exc
    if not isinstance(body, dict):
        raise ApiError(47001, "data format error, Warning: wrong json format.")
    return body


async def run(request: web.Request, platform: str, endpoint: str, targets: Sequence[str], work: Work) -> web.Response:
    """Count the call, apply any injected fault, then do the work under the state lock."""
    state = request.app[STATE]
    with state.lock:
        state.stats[endpoint] += 1
        hit = state.faults.match(endpoint, targets)
    if hit is not None:
        if hit.latency_ms:
            await asyncio.sleep(hit.latency_ms / 1000)
        if hit.http_status != 200:
            return web.Response(status=hit.http_status, text=f"{hit.http_status} injected by the sandbox")
        if hit.errcode:
            return json_response(error_body(platform, hit.errcode, _text(hit.errcode), request.remote or ""), platform)
    try:
        with state.lock:
            body = work()
    except ApiError as exc:
        body = error_body(platform, exc.code, exc.text, request.remote or "")
    return json_response(body, platform)


def _text(code: int) -> str:
    return ApiError(code).text


async def _json_or_error(request: web.Request, platform: str) -> dict[str, Any] | web.Response:
    try:
        return parse_json(await request.read())
    except ApiError as exc:
        return json_response(error_body(platform, exc.code, exc.text, request.remote or ""), platform)


async def gettoken(request: web.Request) -> web.Response:
    q = request.query
    return await run(
        request,
        WECOM,
        "gettoken",
        [],
        lambda: wecom_api.gettoken(request.app[STATE], q.get("corpid"), q.get("corpsecret")),
    )


async def message_send(request: web.Request) -> web.Response:
    body = await _json_or_error(request, WECOM)
    if isinstance(body, web.Response):
        return body
    token = request.query.get("access_token")
    targets = str(body.get("touser", "")).split("|")
    return await run(
        request, WECOM, "message/send", targets, lambda: wecom_api.message_send(request.app[STATE], token, body)
    )


async def update_template_card(request: web.Request) -> web.Response:
    body = await _json_or_error(request, WECOM)
    if isinstance(body, web.Response):
        return body
    token = request.query.get("access_token")
    return await run(
        request,
        WECOM,
        "message/update_template_card",
        [str(u) for u in body.get("userids", [])],
        lambda: wecom_api.update_template_card(request.app[STATE], token, body),
    )


async def appchat_send(request: web.Request) -> web.Response:
    body = await _json_or_error(request, WECOM)
    if isinstance(body, web.Response):
        return body
    token = request.query.get("access_token")
    return await run(
        request,
        WECOM,
        "appchat/send",
        [str(body.get("chatid", ""))],
        lambda: wecom_api.appchat_send(request.app[STATE], token, body),
    )


async def appchat_create(request: web.Request) -> web.Response:
    body = await _json_or_error(request, WECOM)
    if isinstance(body, web.Response):
        return body
    token = request.query.get("access_token")
    return await run(
        request,
        WECOM,
        "appchat/create",
        [str(body.get("chatid", ""))],
        lambda: wecom_api.appchat_create(request.app[STATE], token, body),
    )


async def appchat_get(request: web.Request) -> web.Response:
    token, chatid = request.query.get("access_token"), request.query.get("chatid")
    return await run(
        request, WECOM, "appchat/get", [chatid or ""], lambda: wecom_api.appchat_get(request.app[STATE], token, chatid)
    )


async def _upload_part(request: web.Request) -> tuple[str, str, bytes | None]:
    if not request.content_type.startswith("multipart/"):
        return "", "", None
    reader = await request.multipart()
    async for part in reader:
        if isinstance(part, BodyPartReader) and part.name == "media":
            data = await part.read()
            return part.filename or "media", part.headers.get("Content-Type", "application/octet-stream"), bytes(data)
    return "", "", None


async def media_upload(request: web.Request) -> web.Response:
    filename, content_type, data = await _upload_part(request)
    token, media_type = request.query.get("access_token"), request.query.get("type")
    return await run(
        request,
        WECOM,
        "media/upload",
        [],
        lambda: wecom_api.media_upload(request.app[STATE], token, media_type, filename, content_type, data),
    )


async def webhook_send(request: web.Request) -> web.Response:
    body = await _json_or_error(request, WECOM)
    if isinstance(body, web.Response):
        return body
    key = request.query.get("key")
    return await run(request, WECOM, "webhook/send", [key or ""], lambda: robot_api.send(request.app[STATE], key, body))


async def webhook_upload_media(request: web.Request) -> web.Response:
    filename, content_type, data = await _upload_part(request)
    key, media_type = request.query.get("key"), request.query.get("type")
    return await run(
        request,
        WECOM,
        "webhook/upload_media",
        [key or ""],
        lambda: robot_api.upload_media(request.app[STATE], key, media_type, filename, content_type, data),
    )


async def stable_token(request: web.Request) -> web.Response:
    body = await _json_or_error(request, WECHAT)
    if isinstance(body, web.Response):
        return body
    return await run(request, WECHAT, "stable_token", [], lambda: wechat_api.stable_token(request.app[STATE], body))


async def token(request: web.Request) -> web.Response:
    q = request.query
    return await run(
        request,
        WECHAT,
        "token",
        [],
        lambda: wechat_api.token(request.app[STATE], q.get("grant_type"), q.get("appid"), q.get("secret")),
    )


async def subscribe_send(request: web.Request) -> web.Response:
    body = await _json_or_error(request, WECHAT)
    if isinstance(body, web.Response):
        return body
    access_token = request.query.get("access_token")
    return await run(
        request,
        WECHAT,
        "message/subscribe/send",
        [str(body.get("touser", ""))],
        lambda: wechat_api.subscribe_send(request.app[STATE], access_token, body),
    )


async def bridge_send(request: web.Request) -> web.Response:
    body = await _json_or_error(request, WECHAT)
    if isinstance(body, web.Response):
        return body
    auth = request.headers.get("Authorization", "")
    bearer = auth[7:] if auth.startswith("Bearer ") else None
    return await run(
        request,
        "bridge",
        "bridge/send",
        [str(body.get("roomId", ""))],
        lambda: bridge_api.send(request.app[STATE], bearer, body),
    )


async def bridge_status(request: web.Request) -> web.Response:
    body = await _json_or_error(request, WECHAT)
    if isinstance(body, web.Response):
        return body
    auth = request.headers.get("Authorization", "")
    bearer = auth[7:] if auth.startswith("Bearer ") else None
    return await run(
        request, "bridge", "bridge/status", [], lambda: bridge_api.status(request.app[STATE], bearer, body)
    )


_EXTERNALCONTACT = {
    "groupchat/list": customer_group_api.groupchat_list,
    "groupchat/get": customer_group_api.groupchat_get,
    "add_msg_template": customer_group_api.add_msg_template,
    "get_groupmsg_list_v2": customer_group_api.get_groupmsg_list_v2,
    "get_groupmsg_task": customer_group_api.get_groupmsg_task,
    "get_groupmsg_send_result": customer_group_api.get_groupmsg_send_result,
    "get_group_msg_result": customer_group_api.get_group_msg_result,
    "remind_groupmsg_send": customer_group_api.remind_groupmsg_send,
    "cancel_groupmsg_send": customer_group_api.cancel_groupmsg_send,
}


def _externalcontact(name: str) -> Callable[[web.Request], Awaitable[web.Response]]:
    work = _EXTERNALCONTACT[name]

    async def handler(request: web.Request) -> web.Response:
        body = await _json_or_error(request, WECOM)
        if isinstance(body, web.Response):
            return body
        token = request.query.get("access_token")
        targets = [str(c) for c in body.get("chat_id_list") or [body.get("chat_id") or body.get("msgid") or ""]]
        return await run(
            request, WECOM, f"externalcontact/{name}", targets, lambda: work(request.app[STATE], token, body)
        )

    return handler


def add_routes(app: web.Application) -> None:
    r = app.router
    for name in _EXTERNALCONTACT:
        r.add_post(f"/cgi-bin/externalcontact/{name}", _externalcontact(name))
    r.add_get("/cgi-bin/gettoken", gettoken)
    r.add_post("/cgi-bin/message/send", message_send)
    r.add_post("/cgi-bin/message/update_template_card", update_template_card)
    r.add_post("/cgi-bin/appchat/send", appchat_send)
    r.add_post("/cgi-bin/appchat/create", appchat_create)
    r.add_get("/cgi-bin/appchat/get", appchat_get)
    r.add_post("/cgi-bin/media/upload", media_upload)
    r.add_post("/cgi-bin/webhook/send", webhook_send)
    r.add_post("/cgi-bin/webhook/upload_media", webhook_upload_media)
    r.add_post("/cgi-bin/stable_token", stable_token)
    r.add_get("/cgi-bin/token", token)
    r.add_post("/cgi-bin/message/subscribe/send", subscribe_send)
    r.add_post("/bridge/send", bridge_send)
    r.add_post("/bridge/status", bridge_status)
