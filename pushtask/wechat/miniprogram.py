"""Mini-program client: stable access token, sign-in (code2Session) and subscribe messages (服务通知)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pushtask.wechat.credentials import MiniProgramCredentials
from pushtask.wechat.errors import BAD_RESPONSE, Platform, WeChatError
from pushtask.wechat.http import HttpSeam, JsonObject
from pushtask.wechat.kv import Clock, KeyValueStore
from pushtask.wechat.tokens import TokenCache, call_with_token


@dataclass(frozen=True)
class WxSession:
    """What `sns/jscode2session` answers for a `wx.login()` code."""

    openid: str
    session_key: str = field(repr=False)  # a secret: never logged, never stored in plaintext
    unionid: str | None = None


class MiniProgramClient:
    """Call WeChat APIs for one mini program."""

    def __init__(
        self,
        credentials: MiniProgramCredentials,
        http: HttpSeam,
        store: KeyValueStore,
        *,
        clock: Clock = time.time,
    ) -> None:
        self.credentials = credentials
        self._http = http
        self._base = credentials.base_url.rstrip("/")
        self.tokens = TokenCache(store, f"token:wx:{credentials.appid}", self._fetch_token, clock=clock)

    async def _fetch_token(self) -> tuple[str, int]:
        # stable_token (normal mode) never invalidates a token another worker still uses.
        body = await self._http.call(
            "POST",
            f"{self._base}/cgi-bin/stable_token",
            platform=Platform.WECHAT,
            json_body={
                "grant_type": "client_credential",
                "appid": self.credentials.appid,
                "secret": self.credentials.secret,
                "force_refresh": False,
            },
        )
        token = body.get("access_token")
        if not isinstance(token, str) or not token:
            raise WeChatError(BAD_RESPONSE, "stable_token answered without access_token", Platform.WECHAT)
        return token, int(body.get("expires_in", 7200))

    async def call(self, path: str, json_body: Mapping[str, Any]) -> JsonObject:
        """POST JSON to `B/cgi-bin/<path>` with the access token; refresh once on a token errcode."""

        async def attempt(token: str) -> JsonObject:
            return await self._http.call(
                "POST",
                f"{self._base}/cgi-bin/{path}",
                platform=Platform.WECHAT,
                params={"access_token": token},
                json_body=json_body,
            )

        return await call_with_token(self.tokens, attempt)

    async def code_to_session(self, js_code: str) -> WxSession:
        """Trade a `wx.login()` code for the user's openid (code2Session); raise WeChatError on 40029/40163/45011."""
        body = await self._http.call(
            "GET",
            f"{self._base}/sns/jscode2session",
            platform=Platform.WECHAT,
            params={
                "appid": self.credentials.appid,
                "secret": self.credentials.secret,
                "js_code": js_code,
                "grant_type": "authorization_code",
            },
        )
        openid, session_key = body.get("openid"), body.get("session_key")
        if not isinstance(openid, str) or not openid or not isinstance(session_key, str):
            raise WeChatError(BAD_RESPONSE, "jscode2session answered without openid", Platform.WECHAT)
        unionid = body.get("unionid")
        return WxSession(openid, session_key, unionid if isinstance(unionid, str) and unionid else None)

    async def send_subscribe_message(
        self,
        touser: str,
        template_id: str,
        data: Mapping[str, str],
        *,
        page: str | None = None,
    ) -> str | None:
        """Send a one-time subscribe message; return the msgid when WeChat gives one."""
        body: dict[str, Any] = {
            "touser": touser,
            "template_id": template_id,
            "data": {key: {"value": value} for key, value in data.items()},
            "miniprogram_state": self.credentials.miniprogram_state,
            "lang": self.credentials.lang,
        }
        if page:
            body["page"] = page
        answer = await self.call("message/subscribe/send", body)
        msgid = answer.get("msgid")
        return str(msgid) if msgid is not None else None
