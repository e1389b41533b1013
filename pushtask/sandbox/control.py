"""Control and inspection API at B/_sandbox/: directory, messages, faults, replies, quotas, reset."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from pushtask.sandbox import callbacks, clicks, customer_group_api
from pushtask.sandbox.directory import DirectoryError
from pushtask.sandbox.faults import FaultRule
from pushtask.sandbox.routes import STATE
from pushtask.sandbox.wire import ApiError

WEB_DIR = Path(__file__).parent / "web"


def _json(body: Any, status: int = 200) -> web.Response:
    return web.Response(
        body=json.dumps(body, ensure_ascii=False).encode("utf-8"),
        status=status,
        content_type="application/json",
        charset="utf-8",
    )


def _bad(message: str) -> web.Response:
    return _json({"error": message}, status=400)


async def _body(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    if not raw:
        return {}
    body = json.loads(raw.decode("utf-8"))
    if not isinstance(body, dict):
        raise ValueError("expected a JSON object")
    return body


async def health(request: web.Request) -> web.Response:
    return _json({"ok": True, "url": request.app[STATE].base_url})


async def get_directory(request: web.Request) -> web.Response:
    return _json(request.app[STATE].directory_json())


async def post_directory(request: web.Request) -> web.Response:
    try:
        counts = request.app[STATE].apply_directory(await _body(request))
    except (DirectoryError, ValueError, TypeError, KeyError) as exc:
        return _bad(str(exc))
    return _json({"ok": True, "set": counts})


async def messages(request: web.Request) -> web.Response:
    q = request.query
    return _json({"messages": request.app[STATE].messages(q.get("target"), q.get("since"))})


async def post_fault(request: web.Request) -> web.Response:
    try:
        rule = FaultRule.from_json(await _body(request))
    except (ValueError, TypeError) as exc:
        return _bad(str(exc))
    state = request.app[STATE]
    with state.lock:
        state.faults.add(rule)
    return _json({"ok": True, "fault": rule.to_json()})


async def get_faults(request: web.Request) -> web.Response:
    state = request.app[STATE]
    with state.lock:
        return _json({"faults": [r.to_json() for r in state.faults.rules()]})


async def delete_faults(request: web.Request) -> web.Response:
    state = request.app[STATE]
    with state.lock:
        state.faults.clear()
    return _json({"ok": True})


async def reply(request: web.Request) -> web.Response:
    try:
        delivery = await callbacks.reply(request.app[STATE], await _body(request))
    except ApiError as exc:
        return _bad(exc.text)
    except ValueError as exc:
        return _bad(str(exc))
    return _json(delivery.to_json())


async def verify_callback(request: web.Request) -> web.Response:
    """Check an app's callback URL as its console does: {agentId} for WeCom, {appid} for a mini program."""
    state = request.app[STATE]
    body = await _body(request)
    if body.get("appid") or body.get("kind") == "miniprogram":
        with state.lock:
            miniapp = state.miniapps.get(str(body.get("appid", ""))) or (
                None if body.get("appid") else next(iter(state.miniapps.values()), None)
            )
        if miniapp is None:
            return _bad("unknown appid")
        return _json(await callbacks.verify_miniprogram_url(state, miniapp))
    try:
        app = callbacks._app_for(state, body)
    except ApiError as exc:
        return _bad(exc.text)
    return _json(await callbacks.verify_url(state, app))


async def subscribe(request: web.Request) -> web.Response:
    state = request.app[STATE]
    try:
        body = await _body(request)
        openid = str(body["openid"])
        template_id = str(body.get("templateId") or next(iter(state.templates)))
        count = int(body.get("count", 1))
    except (KeyError, ValueError, StopIteration) as exc:
        return _bad(f"need openid (and templateId, count): {exc}")
    if openid not in state.people or template_id not in state.templates:
        return _bad("unknown openid or templateId")
    return _json(
        {
            "openid": openid,
            "templateId": template_id,
            "remaining": state.grant_subscriptions(openid, template_id, count),
        }
    )


async def subscriptions(request: web.Request) -> web.Response:
    state = request.app[STATE]
    with state.lock:
        rows = [{"openid": o, "templateId": t, "remaining": n} for (o, t), n in state.quota.items()]
    return _json({"subscriptions": rows})


async def invalidate_tokens(request: web.Request) -> web.Response:
    body = await _body(request)
    owner = body.get("owner") or body.get("corpId") or body.get("appid")
    return _json({"invalidated": request.app[STATE].invalidate_tokens(str(owner) if owner else None)})


async def stats(request: web.Request) -> web.Response:
    state = request.app[STATE]
    with state.lock:
        return _json({"calls": dict(state.stats), "messages": state.seq})


async def callbacks_log(request: web.Request) -> web.Response:
    state = request.app[STATE]
    with state.lock:
        return _json({"callbacks": list(state.callbacks)})


async def media(request: web.Request) -> web.Response:
    state = request.app[STATE]
    with state.lock:
        item = state.media.get(request.match_info["media_id"])
    if item is None:
        raise web.HTTPNotFound()
    return web.Response(body=item.data, content_type=item.mime)


async def reset(request: web.Request) -> web.Response:
    request.app[STATE].reset()
    return _json({"ok": True})


async def groupmsg_send(request: web.Request) -> web.Response:
    """Do what a customer-group owner's tap on 发送 does (body {"userid", "msgid"?})."""
    state = request.app[STATE]
    body = await _body(request)
    userid = body.get("userid")
    if not isinstance(userid, str) or not userid:
        return _bad('need {"userid": "<owner>", "msgid": "<optional>"}')
    msgid = body.get("msgid")
    try:
        with state.lock:
            done = customer_group_api.owner_sends(state, userid, str(msgid) if msgid else None)
    except ApiError as exc:
        return _bad(exc.text)
    return _json({"userid": userid, "sent": done})


async def groupmsg_assistant(request: web.Request) -> web.Response:
    """Each owner's 群发助手: the customer-group mass sends waiting for their tap."""
    state = request.app[STATE]
    with state.lock:
        return _json({"owners": customer_group_api.assistant(state)})


async def click(request: web.Request) -> web.Response:
    """A group member taps a link they received (body {"group", "member", "url"}; see sandbox/clicks.py)."""
    try:
        return _json(await clicks.click(request.app[STATE], await _body(request)))
    except (clicks.ClickError, ValueError) as exc:
        return _bad(str(exc))
    except aiohttp.ClientError as exc:
        return _json({"error": f"链接打不开 / the link could not be opened: {exc}"}, status=502)


async def index(request: web.Request) -> web.FileResponse:
    return web.FileResponse(WEB_DIR / "index.html")


def add_routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/_sandbox/", index)
    r.add_get("/_sandbox/health", health)
    r.add_get("/_sandbox/directory", get_directory)
    r.add_post("/_sandbox/directory", post_directory)
    r.add_get("/_sandbox/messages", messages)
    r.add_get("/_sandbox/faults", get_faults)
    r.add_post("/_sandbox/faults", post_fault)
    r.add_delete("/_sandbox/faults", delete_faults)
    r.add_post("/_sandbox/reply", reply)
    r.add_post("/_sandbox/verify-callback", verify_callback)
    r.add_post("/_sandbox/subscribe", subscribe)
    r.add_get("/_sandbox/subscriptions", subscriptions)
    r.add_post("/_sandbox/tokens/invalidate", invalidate_tokens)
    r.add_get("/_sandbox/stats", stats)
    r.add_get("/_sandbox/callbacks", callbacks_log)
    r.add_get("/_sandbox/media/{media_id}", media)
    r.add_post("/_sandbox/reset", reset)
    r.add_post("/_sandbox/groupmsg/send", groupmsg_send)
    r.add_get("/_sandbox/groupmsg", groupmsg_assistant)
    r.add_post("/_sandbox/click", click)
    r.add_static("/_sandbox/static/", WEB_DIR)
