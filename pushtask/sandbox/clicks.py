"""Group members open links (issue 19): B/_sandbox/click does what a tap on a received link card does.

`{"group": "<ref or name>", "member": "<member id>", "url": "<the link as received>"}`: the link must be
in a message that group received. A web link (a short link /l/<code>) is fetched once, as a phone's
WeChat browser does, without following the redirect, so the caller sees where it leads. A mini-program
page path carrying ptl=<code> is reported the way the mini program reports it, to
`"server"` + /api/links/<code>/open (the PushTask base URL, required for those).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp

from pushtask.sandbox.state import SandboxState


def phone_user_agent(member: str) -> str:
    """Return a WeChat-on-Android user agent whose device build is the member's own (one phone each)."""
    build = hashlib.sha256(member.encode()).hexdigest()[:6].upper()
    return (
        f"Mozilla/5.0 (Linux; Android 14; V2309A Build/UP1A.{build}; wv) AppleWebKit/537.36 (KHTML, like Gecko)"
        " Version/4.0 Chrome/116.0.0.0 Mobile Safari/537.36 XWEB/1160117 MMWEBSDK/20240404"
        " MMWEBID/6170 MicroMessenger/8.0.49.2600(0x2800313D) WeChat/arm64 Weixin NetType/WIFI Language/zh_CN ABI/arm64"
    )


class ClickError(ValueError):
    """The click cannot be done as asked (the text says why)."""


def _received(state: SandboxState, group: str, url: str) -> None:
    rows = state.messages(group)
    if not rows:
        raise ClickError(f"群 {group} 不存在或尚未收到消息 / group {group!r} unknown or has received nothing")
    if not any(url in json.dumps(r["payload"], ensure_ascii=False) for r in rows):
        raise ClickError(f"群 {group} 没有收到过这个链接 / group {group!r} never received this link")


async def click(state: SandboxState, body: dict[str, Any]) -> dict[str, Any]:
    group, member, url = body.get("group"), body.get("member"), body.get("url")
    if not all(isinstance(v, str) and v for v in (group, member, url)):
        raise ClickError('need {"group": "<ref or name>", "member": "<member id>", "url": "<the link as received>"}')
    assert isinstance(group, str) and isinstance(member, str) and isinstance(url, str)
    _received(state, group, url)
    agent = phone_user_agent(member)
    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        if url.startswith(("http://", "https://")):
            async with http.get(url, allow_redirects=False, headers={"User-Agent": agent}) as answer:
                return {
                    "group": group,
                    "member": member,
                    "status": answer.status,
                    "location": answer.headers.get("Location"),
                }
        code = (parse_qs(urlsplit(url).query).get("ptl") or [""])[0]
        server = body.get("server")
        if not code or not isinstance(server, str) or not server.startswith(("http://", "https://")):
            raise ClickError(
                '小程序卡片的页面路径需带 ptl，并给出 "server"（PushTask 地址） / '
                'a mini-program page path needs ptl=<code> and "server": the PushTask base URL'
            )
        async with http.post(
            f"{server.rstrip('/')}/api/links/{code}/open",
            json={"memberId": member},
            headers={"User-Agent": agent.replace("MicroMessenger", "MicroMessenger miniProgram")},
        ) as answer:
            return {"group": group, "member": member, "status": answer.status, "location": None}
