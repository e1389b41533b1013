"""WeCom (企业微信) self-built app client: app messages, cards, app group chats, media."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from pushtask.wechat.credentials import WeComCredentials
from pushtask.wechat.errors import BAD_RESPONSE, Platform, WeChatError
from pushtask.wechat.http import HttpSeam, JsonObject, Upload, Url, prebuilt
from pushtask.wechat.kv import Clock, KeyValueStore
from pushtask.wechat.tokens import TokenCache, call_with_token


@dataclass(frozen=True)
class SendReceipt:
    """What WeCom answered to message/send."""

    msgid: str
    response_code: str | None
    invalid_users: tuple[str, ...]
    invalid_parties: tuple[str, ...]
    invalid_tags: tuple[str, ...]
    unlicensed_users: tuple[str, ...]


@dataclass(frozen=True)
class UploadedMedia:
    media_id: str
    media_type: str
    created_at: int


def _split(value: Any) -> tuple[str, ...]:
    return tuple(part for part in str(value or "").split("|") if part)


class WeComClient:
    """Call WeCom APIs for one app, with its access token cached in `store`."""

    def __init__(
        self,
        credentials: WeComCredentials,
        http: HttpSeam,
        store: KeyValueStore,
        *,
        clock: Clock = time.time,
    ) -> None:
        self.credentials = credentials
        self._http = http
        self._base = credentials.base_url.rstrip("/")
        self._urls: dict[str, Url] = {}
        self._urls_token = ""
        self.tokens = TokenCache(
            store, f"token:wecom:{credentials.corp_id}:{credentials.agent_id}", self._fetch_token, clock=clock
        )

    def _url(self, path: str, token: str) -> Url:
        """`B/cgi-bin/<path>?access_token=<token>`, built once per path and token (a burst repeats it)."""
        if token != self._urls_token:
            self._urls, self._urls_token = {}, token
        url = self._urls.get(path)
        if url is None:
            url = self._urls[path] = prebuilt(f"{self._base}/cgi-bin/{path}?access_token={quote(token, safe='')}")
        return url

    async def _fetch_token(self) -> tuple[str, int]:
        body = await self._http.call(
            "GET",
            f"{self._base}/cgi-bin/gettoken",
            platform=Platform.WECOM,
            params={"corpid": self.credentials.corp_id, "corpsecret": self.credentials.corp_secret},
        )
        token = body.get("access_token")
        if not isinstance(token, str) or not token:
            raise WeChatError(BAD_RESPONSE, "gettoken answered without access_token", Platform.WECOM)
        return token, int(body.get("expires_in", 7200))

    async def call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json_body: Mapping[str, Any] | None = None,
        upload: Upload | None = None,
    ) -> JsonObject:
        """Call `B/cgi-bin/<path>` with the access token; refresh it once on a token errcode."""

        async def attempt(token: str) -> JsonObject:
            if params:
                url: Url = f"{self._base}/cgi-bin/{path}"
                query: Mapping[str, str] | None = {**params, "access_token": token}
            else:
                url, query = self._url(path, token), None
            return await self._http.call(
                method, url, platform=Platform.WECOM, params=query, json_body=json_body, upload=upload
            )

        return await call_with_token(self.tokens, attempt)

    async def send_message(
        self,
        payload: Mapping[str, Any],
        *,
        touser: Sequence[str] = (),
        toparty: Sequence[str] = (),
        totag: Sequence[str] = (),
        safe: int = 0,
        duplicate_check_interval_s: int | None = None,
    ) -> SendReceipt:
        """Send an app message (`payload` from `wecom_payloads`) to members, departments or tags.

        With `duplicate_check_interval_s` WeCom drops an identical request inside that window, so
        a retry after a timeout cannot duplicate the message.
        """
        body: dict[str, Any] = {
            **payload,
            "agentid": self.credentials.agent_id,
            "safe": safe,
        }
        if touser:
            body["touser"] = "|".join(touser)
        if toparty:
            body["toparty"] = "|".join(toparty)
        if totag:
            body["totag"] = "|".join(totag)
        if duplicate_check_interval_s is not None:
            body["enable_duplicate_check"] = 1
            body["duplicate_check_interval"] = duplicate_check_interval_s
        answer = await self.call("POST", "message/send", json_body=body)
        code = answer.get("response_code")
        return SendReceipt(
            msgid=str(answer.get("msgid", "")),
            response_code=str(code) if code else None,
            invalid_users=_split(answer.get("invaliduser")),
            invalid_parties=_split(answer.get("invalidparty")),
            invalid_tags=_split(answer.get("invalidtag")),
            unlicensed_users=_split(answer.get("unlicenseduser")),
        )

    async def update_template_card(
        self,
        response_code: str,
        *,
        userids: Sequence[str] = (),
        replace_name: str | None = None,
        template_card: Mapping[str, Any] | None = None,
    ) -> None:
        """Update a sent interactive card: replace its button text, or the whole card."""
        body: dict[str, Any] = {"agentid": self.credentials.agent_id, "response_code": response_code}
        if userids:
            body["userids"] = list(userids)
        if replace_name is not None:
            body["button"] = {"replace_name": replace_name}
        if template_card is not None:
            body["template_card"] = dict(template_card)
        await self.call("POST", "message/update_template_card", json_body=body)

    async def appchat_create(
        self, name: str, userlist: Sequence[str], *, owner: str | None = None, chatid: str | None = None
    ) -> str:
        """Create an app group chat; return its chatid."""
        body: dict[str, Any] = {"name": name, "userlist": list(userlist)}
        if owner:
            body["owner"] = owner
        if chatid:
            body["chatid"] = chatid
        answer = await self.call("POST", "appchat/create", json_body=body)
        return str(answer["chatid"])

    async def appchat_get(self, chatid: str) -> JsonObject:
        """Return `chat_info` of an app group chat."""
        answer = await self.call("GET", "appchat/get", params={"chatid": chatid})
        info = answer.get("chat_info")
        return info if isinstance(info, dict) else {}

    async def appchat_send(self, chatid: str, payload: Mapping[str, Any], *, safe: int = 0) -> None:
        """Send a message to an app group chat."""
        await self.call("POST", "appchat/send", json_body={"chatid": chatid, **payload, "safe": safe})

    async def upload_media(self, media_type: str, filename: str, data: bytes, content_type: str) -> UploadedMedia:
        """Upload temporary media (valid 3 days); return its media_id."""
        answer = await self.call(
            "POST", "media/upload", params={"type": media_type}, upload=Upload("media", filename, content_type, data)
        )
        return UploadedMedia(
            media_id=str(answer["media_id"]),
            media_type=str(answer.get("type", media_type)),
            created_at=int(answer.get("created_at", 0)),
        )
