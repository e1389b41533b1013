"""Mini-program sign-in: `GET B/sns/jscode2session` and the control call `POST B/_sandbox/wx-login`.

`wx.login()` on a phone yields a code valid once for five minutes; the developer's server trades it
for the user's openid (and unionid where the app is bound to an open-platform account) and a
session_key. The control call stands in for the phone: it mints the code a given openid's
`wx.login()` would. Errcodes as WeChat answers them: 40029 for a code that is unknown, expired or
for another app, 40163 for one already used, 45011 when one user signs in too often.
"""

from __future__ import annotations

import base64
import json
import string
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from pushtask.sandbox.directory import DEFAULT_MP_APPID
from pushtask.sandbox.routes import STATE, run
from pushtask.sandbox.state import SandboxState
from pushtask.sandbox.wire import WECHAT, ApiError

CODE_LIFETIME_S = 300.0
# WeChat documents "每个用户每分钟 100 次" for code2Session.
CALLS_PER_USER_PER_MINUTE = 100
_CODE_ALPHABET = string.ascii_letters + string.digits


@dataclass
class LoginCode:
    appid: str
    openid: str
    issued_at: float
    used: bool = False


@dataclass
class LoginCodes:
    """The codes phones obtained, and the unionid configured per openid."""

    codes: dict[str, LoginCode] = field(default_factory=dict)
    unionids: dict[str, str] = field(default_factory=dict)
    per_minute: int = CALLS_PER_USER_PER_MINUTE


def _logins(state: SandboxState) -> LoginCodes:
    logins = getattr(state, "logins", None)
    if logins is None:
        logins = state.logins = LoginCodes()
    assert isinstance(logins, LoginCodes)
    return logins


def issue_code(state: SandboxState, openid: str, appid: str | None = None, unionid: str | None = None) -> str:
    """Return a fresh single-use code for `openid`, as `wx.login()` on their phone would."""
    with state.lock:
        app = appid or (DEFAULT_MP_APPID if DEFAULT_MP_APPID in state.miniapps else next(iter(state.miniapps), ""))
        if app not in state.miniapps:
            raise ValueError(f"unknown mini program appid {app!r}")
        logins = _logins(state)
        # Old codes are forgotten once they could no longer be answered with anything but 40029.
        now = state.clock()
        for key in [k for k, c in logins.codes.items() if c.issued_at + 2 * CODE_LIFETIME_S < now]:
            del logins.codes[key]
        code = "".join(state.rng.choice(_CODE_ALPHABET) for _ in range(32))
        logins.codes[code] = LoginCode(app, openid, now)
        if unionid:
            logins.unionids[openid] = unionid
        return code


def jscode2session(state: SandboxState, appid: Any, secret: Any, js_code: Any, grant_type: Any) -> dict[str, Any]:
    """Trade a login code for the user's identity; caller holds the state lock."""
    if not appid:
        raise ApiError(41002, "appid missing")
    if not secret:
        raise ApiError(41004, "appsecret missing")
    if not js_code:
        raise ApiError(41008, "missing code")
    if grant_type != "authorization_code":
        raise ApiError(40002, "invalid grant_type")
    app = state.miniapps.get(str(appid))
    if app is None:
        raise ApiError(40013, "invalid appid")
    if app.secret != secret:
        raise ApiError(40125, "invalid appsecret")
    logins = _logins(state)
    login = logins.codes.get(str(js_code))
    if login is None or login.appid != app.appid or state.clock() >= login.issued_at + CODE_LIFETIME_S:
        raise ApiError(40029, "invalid code")
    if login.used:
        raise ApiError(40163, "code been used")
    if not state.admit(f"jscode2session:{app.appid}:{login.openid}", logins.per_minute, 60.0):
        raise ApiError(45011, "api minute-quota reach limit  mustslower  retry next minute")
    login.used = True
    session_key = base64.b64encode(state.rng.randbytes(16)).decode("ascii")
    body: dict[str, Any] = {"session_key": session_key, "openid": login.openid}
    unionid = logins.unionids.get(login.openid)
    if unionid:
        body["unionid"] = unionid
    return body


async def code2session(request: web.Request) -> web.Response:
    q = request.query
    return await run(
        request,
        WECHAT,
        "jscode2session",
        [],
        lambda: jscode2session(
            request.app[STATE], q.get("appid"), q.get("secret"), q.get("js_code"), q.get("grant_type")
        ),
    )


async def wx_login(request: web.Request) -> web.Response:
    """Control call: `{"openid", "appid"?, "unionid"?}` → `{"code", "expiresIn"}`."""
    try:
        raw = await request.read()
        body = json.loads(raw.decode("utf-8")) if raw else {}
        openid = body["openid"] if isinstance(body, dict) else None
        if not isinstance(openid, str) or not 1 <= len(openid) <= 128:
            raise ValueError("need a JSON object with 'openid' (1-128 characters)")
        code = issue_code(request.app[STATE], openid, body.get("appid"), body.get("unionid"))
    except (ValueError, KeyError, UnicodeDecodeError) as exc:
        return web.json_response({"error": f"bad request: {exc}"}, status=400)
    return web.json_response({"code": code, "expiresIn": int(CODE_LIFETIME_S)})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/sns/jscode2session", code2session)
    app.router.add_post("/_sandbox/wx-login", wx_login)
