"""How the sandbox answers: HTTP 200 + errcode, errmsg shaped like the real hosts'."""

from __future__ import annotations

import secrets
from typing import Any

WECOM = "wecom"
WECHAT = "wechat"

# errmsg texts as the real hosts word them (English, as they are on the wire).
ERRMSG: dict[int, str] = {
    -1: "system busy",
    6000: "data version conflict",
    40001: "invalid credential",
    40003: "invalid openid",
    40004: "invalid media type",
    40005: "invalid file type",
    40006: "invalid file size",
    40007: "invalid media_id",
    40008: "invalid message type",
    40009: "invalid image size",
    40013: "invalid corpid",
    40014: "invalid access_token",
    40037: "invalid template_id",
    40050: "chatid not found",
    40056: "invalid agentid",
    40058: "invalid Request Parameter",
    41001: "access_token missing",
    41002: "corpid missing",
    41004: "corpsecret missing",
    41030: "invalid page",
    41063: "the mass send is being dispatched, try again later",
    41065: "invalid attachment type",
    42001: "access_token expired",
    40002: "invalid grant_type",
    40125: "invalid appsecret",
    43101: "user refuse to accept the msg",
    44001: "empty media data",
    44004: "empty content",
    45002: "content size out of limit",
    45008: "article size out of limit",
    45009: "api freq out of limit",
    45033: "api concurrent out of limit",
    47001: "data format error",
    47003: "argument invalid!",
    60020: "not allow to access from your ip",
    81013: "user & party & tag all invalid",
    86001: "invalid chatid",
    86003: "chatid not exist",
    86004: "invalid chat name",
    86006: "invalid chat member count",
    86007: "invalid chat member",
    86008: "chat not created by this app",
    86215: "chatid existed",
    93000: "invalid webhook url",
}


class ApiError(Exception):
    """A business error the sandbox answers with (HTTP 200 + errcode)."""

    def __init__(self, code: int, text: str | None = None) -> None:
        self.code = code
        self.text = text or ERRMSG.get(code, "system error")
        super().__init__(f"{code}: {self.text}")


def errmsg(platform: str, code: int, text: str, remote: str = "127.0.0.1") -> str:
    """Format errmsg the way each host does (WeCom hint + help link, WeChat rid)."""
    if platform == WECOM:
        hint = f"{secrets.randbelow(2**31)}_{secrets.token_hex(2)}_{secrets.token_hex(16)}"
        return (
            f"{text}, hint: [{hint}], from ip: {remote}, "
            f"more info at https://open.work.weixin.qq.com/devtool/query?e={code}"
        )
    if platform == WECHAT:
        rid = "-".join(secrets.token_hex(4) for _ in range(3))
        return f"{text} rid: {rid}"
    return text


def error_body(platform: str, code: int, text: str, remote: str = "127.0.0.1") -> dict[str, Any]:
    return {"errcode": code, "errmsg": errmsg(platform, code, text, remote)}


def ok_body(**fields: Any) -> dict[str, Any]:
    return {"errcode": 0, "errmsg": "ok", **fields}
