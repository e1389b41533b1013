"""WeChat (mini program) endpoints: token, stable_token, message/subscribe/send.

Each function runs with the state lock held and returns the JSON body, or raises ApiError.
"""

from __future__ import annotations

from typing import Any

from pushtask.sandbox import validation as v
from pushtask.sandbox.directory import MiniApp
from pushtask.sandbox.state import SandboxState
from pushtask.sandbox.wire import WECHAT, ApiError, ok_body


def _app(state: SandboxState, grant_type: Any, appid: Any, secret: Any) -> MiniApp:
    if grant_type != "client_credential":
        raise ApiError(40002, "invalid grant_type")
    if not appid:
        raise ApiError(41002, "appid missing")
    if not secret:
        raise ApiError(41004, "appsecret missing")
    app = state.miniapps.get(str(appid))
    if app is None:
        raise ApiError(40013, "invalid appid")
    if app.secret != secret:
        raise ApiError(40125, "invalid appsecret")
    return app


def stable_token(state: SandboxState, body: dict[str, Any]) -> dict[str, Any]:
    app = _app(state, body.get("grant_type"), body.get("appid"), body.get("secret"))
    token, expires_in = state.tokens.stable(app.appid, state.clock(), bool(body.get("force_refresh")))
    return {"access_token": token, "expires_in": expires_in}


def token(state: SandboxState, grant_type: Any, appid: Any, secret: Any) -> dict[str, Any]:
    app = _app(state, grant_type, appid, secret)
    value, expires_in = state.tokens.plain(app.appid, state.clock())
    return {"access_token": value, "expires_in": expires_in}


def subscribe_send(state: SandboxState, access_token: str | None, body: dict[str, Any]) -> dict[str, Any]:
    appid = state.tokens.check(access_token, WECHAT, state.clock())
    app = state.miniapps[appid]
    openid = str(body.get("touser", ""))
    person = state.people.get(openid)
    if person is None or person.kind != "openid":
        raise ApiError(40003, "invalid openid")
    template = state.templates.get(str(body.get("template_id", "")))
    if template is None:
        raise ApiError(40037)
    page = body.get("page")
    if page:
        path = str(page).split("?", 1)[0].lstrip("/")
        if app.pages and path not in app.pages:
            raise ApiError(41030, "invalid page")
    v.check_subscribe_data(body.get("data"), template.keywords, template.enums)
    key = (openid, template.template_id)
    if state.quota[key] <= 0:
        raise ApiError(43101)
    state.quota[key] -= 1
    msgid = state.rng.randrange(10**17, 10**18)
    state.record(
        openid,
        "miniprogram",
        "message/subscribe/send",
        "subscribe",
        body,
        msgid=str(msgid),
        templateTitle=template.title,
        keywordLabels=dict(template.keywords),
        appName=app.name,
    )
    return ok_body(msgid=msgid)
