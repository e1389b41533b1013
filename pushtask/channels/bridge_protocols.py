"""The personal-WeChat bridges people already run, spoken as they are (wechat-protocol.md §6).

- `wcfhttp` (WeChatFerry's HTTP server): `POST {base}/text {msg, receiver, aters}`,
  `POST {base}/rich-text {name, account, title, digest, url, thumburl, receiver}` for a link card;
  answers `{"status": 0, "message": "成功"}`, any other status is a failure. Images go by a path or
  URL on the bridge's machine, which PushTask cannot give, so they are refused at validation.
- `wechatbot-webhook` (danni-cool): `POST {base}/webhook/msg/v2?token=` with
  `{"to": "<room name>", "isRoom": true, "data": {"type": "text", "content"}}`; an image goes as a
  file upload to `POST {base}/webhook/msg?token=` (form fields `to`, `isRoom`, file `content`).
  Rooms are addressed by **name**. Answers `{"success": true|false, "message"}`.
- `wechaty` (the puppet service's REST gateway): `POST {base}/conversations/{room}/text
  {text, mentional_ids}` and `/url-link {url_link: {title, description, thumbnail_url, url}}`;
  answers `{"id"}`, or a gRPC-gateway error `{"code", "message"}` with an HTTP status (404 = unknown
  room). Files have no REST binding, so images are refused at validation.

Failures become the bridge errcodes of `pushtask.wechat.errors` (1001 unknown room, 1002 not
logged in, 1003 rate limited, 1004 refused, 1005 bad token, 1006 two rooms share the name), so the
retry rules apply: an unknown room fails at once, a timeout is retried and marked may-duplicate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote

from pushtask.channels import rules
from pushtask.channels.base import GroupTarget, LinkCard, MediaBlob, Message, Refusal
from pushtask.wechat.errors import BAD_RESPONSE, Platform, WeChatError
from pushtask.wechat.http import HttpSeam, Upload

UNKNOWN_ROOM, NOT_LOGGED_IN, RATE_LIMITED, REFUSED, BAD_TOKEN, SAME_NAME = 1001, 1002, 1003, 1004, 1005, 1006


@dataclass(frozen=True)
class Part:
    """One wire message of a push: text (with mentions), an image, or a link card."""

    kind: str
    text: str = ""
    mentions: tuple[str, ...] = ()
    image: MediaBlob | None = None
    link: LinkCard | None = None


def parts(message: Message, blob: MediaBlob | None) -> list[Part]:
    out: list[Part] = []
    if message.text.strip():
        mentions = tuple(message.mentions) + (("notify@all",) if message.mention_all else ())
        out.append(Part("text", text=message.text, mentions=mentions))
    if blob is not None:
        out.append(Part("image", image=blob))
    if message.link is not None:
        out.append(Part("link", link=message.link))
    return out


class Adapter(Protocol):
    by_name: bool

    def refusals(self, target: GroupTarget, message: Message) -> list[Refusal]: ...

    async def send(self, target: GroupTarget, part: Part) -> str: ...


def _cannot(protocol: str, field: str, zh: str, en: str) -> Refusal:
    return Refusal(field, "unsupported", f"桥接协议 {protocol} {zh}", f"The {protocol} bridge {en}")


def _fail(code: int, detail: str) -> WeChatError:
    return WeChatError(code, detail, Platform.BRIDGE)


class WcfHttp:
    by_name = False

    def __init__(self, base: str, token: str, http: HttpSeam) -> None:
        self._base, self._token, self._http = base.rstrip("/"), token, http

    def refusals(self, target: GroupTarget, message: Message) -> list[Refusal]:
        if message.image is None:
            return []
        return [
            _cannot(
                "wcfhttp",
                "image",
                "只能发送其所在电脑上的图片路径或网址，不能发送图片",
                "cannot send an uploaded image",
            )
        ]

    async def send(self, target: GroupTarget, part: Part) -> str:
        if part.kind == "text":
            path, body = "text", {"msg": part.text, "receiver": target.ref, "aters": ",".join(part.mentions)}
        else:
            link = part.link
            assert link is not None
            path = "rich-text"
            body = {
                "name": "",
                "account": "",
                "title": link.title,
                "digest": link.description,
                "url": link.url,
                "thumburl": link.thumb_url,
                "receiver": target.ref,
            }
        headers = {"Authorization": f"Bearer {self._token}"} if self._token else None
        status, answer = await self._http.request(
            "POST", f"{self._base}/{path}", platform=Platform.BRIDGE, json_body=body, headers=headers
        )
        if status in (401, 403):
            raise _fail(BAD_TOKEN, f"HTTP {status}")
        if not isinstance(answer, dict) or "status" not in answer:
            raise WeChatError(BAD_RESPONSE, f"wcfhttp answered HTTP {status} without a status", Platform.BRIDGE)
        if answer["status"] != 0:
            # wcfhttp passes on WeChatFerry's return code; the usual cause is a wrong roomid.
            raise _fail(UNKNOWN_ROOM, f"wcfhttp status {answer['status']}: {answer.get('message', '')}")
        data = answer.get("data")
        return str(data.get("id", "")) if isinstance(data, dict) else ""


class WechatbotWebhook:
    by_name = True

    def __init__(self, base: str, token: str, http: HttpSeam) -> None:
        self._base, self._token, self._http = base.rstrip("/"), token, http

    def refusals(self, target: GroupTarget, message: Message) -> list[Refusal]:
        if message.mentions or message.mention_all:
            return [_cannot("wechatbot-webhook", "mentions", "不支持 @ 成员", "cannot mention members")]
        return []

    async def send(self, target: GroupTarget, part: Part) -> str:
        params = {"token": self._token}
        if part.kind == "image":
            image = part.image
            assert image is not None
            upload = Upload("content", image.filename, rules.sniff_mime(image.data), image.data)
            status, answer = await self._http.request(
                "POST",
                f"{self._base}/webhook/msg",
                platform=Platform.BRIDGE,
                params=params,
                upload=upload,
                fields={"to": target.name, "isRoom": "1"},
            )
        else:
            if part.kind == "text":
                content = part.text
            else:
                link = part.link
                assert link is not None
                content = "\n".join(x for x in (link.title, link.description, link.url) if x)
            body = {"to": target.name, "isRoom": True, "data": {"type": "text", "content": content}}
            status, answer = await self._http.request(
                "POST", f"{self._base}/webhook/msg/v2", platform=Platform.BRIDGE, params=params, json_body=body
            )
        if status in (401, 403):
            raise _fail(BAD_TOKEN, f"HTTP {status}: {(answer or {}).get('message', '')}")
        if not isinstance(answer, dict) or "success" not in answer:
            raise WeChatError(BAD_RESPONSE, f"wechatbot-webhook answered HTTP {status}", Platform.BRIDGE)
        if answer["success"] is not True:
            text = str(answer.get("message", ""))
            lowered = text.lower()
            if "login" in lowered:
                raise _fail(NOT_LOGGED_IN, text)
            if "not found" in lowered or "找不到" in text:
                raise _fail(UNKNOWN_ROOM, text)
            raise _fail(REFUSED, text)
        return ""


class WechatyGateway:
    by_name = False

    def __init__(self, base: str, token: str, http: HttpSeam) -> None:
        self._base, self._token, self._http = base.rstrip("/"), token, http

    def refusals(self, target: GroupTarget, message: Message) -> list[Refusal]:
        if message.image is None:
            return []
        return [_cannot("wechaty", "image", "的 REST 网关不能发送图片", "REST gateway cannot send images")]

    async def send(self, target: GroupTarget, part: Part) -> str:
        room = quote(target.ref, safe="@")
        body: dict[str, Any]
        if part.kind == "text":
            path, body = "text", {"text": part.text, "mentional_ids": list(part.mentions)}
        else:
            link = part.link
            assert link is not None
            path = "url-link"
            body = {
                "url_link": {
                    "title": link.title,
                    "description": link.description,
                    "thumbnail_url": link.thumb_url,
                    "url": link.url,
                }
            }
        headers = {"Authorization": f"Bearer {self._token}"} if self._token else None
        status, answer = await self._http.request(
            "POST",
            f"{self._base}/conversations/{room}/{path}",
            platform=Platform.BRIDGE,
            json_body=body,
            headers=headers,
        )
        message = str((answer or {}).get("message", "")) if isinstance(answer, dict) else ""
        if status == 404:
            raise _fail(UNKNOWN_ROOM, message or "conversation not found")
        if status in (401, 403):
            raise _fail(BAD_TOKEN, message or f"HTTP {status}")
        if status == 429:
            raise _fail(RATE_LIMITED, message)
        if status == 503 or (status != 200 and "login" in message.lower()):
            raise _fail(NOT_LOGGED_IN, message)
        if status != 200:
            raise _fail(REFUSED, f"HTTP {status}: {message}")
        if not isinstance(answer, dict):
            raise WeChatError(BAD_RESPONSE, "wechaty answered without JSON", Platform.BRIDGE)
        return str(answer.get("id", ""))


def adapter(config: Any, http: HttpSeam) -> Adapter:
    """The adapter for `config.protocol` (wcfhttp, wechatbot-webhook or wechaty)."""
    kinds: dict[str, type[WcfHttp] | type[WechatbotWebhook] | type[WechatyGateway]] = {
        "wcfhttp": WcfHttp,
        "wechatbot-webhook": WechatbotWebhook,
        "wechaty": WechatyGateway,
    }
    return kinds[config.protocol](config.url, config.token, http)
