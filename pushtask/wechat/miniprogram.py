"""Mini-program client: stable access token and subscribe messages (服务通知)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from pushtask.wechat.credentials import MiniProgramCredentials
from pushtask.wechat.errors import BAD_RESPONSE, Platform, WeChatError
from pushtask.wechat.http import HttpSeam, JsonObject
from pushtask.wechat.kv import Clock, KeyValueStore
from pushtask.wechat.tokens import TokenCache, call_with_token


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
