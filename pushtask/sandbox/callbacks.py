"""Send encrypted callbacks to PushTask exactly as WeCom / WeChat would.

A simulated person replies with text or taps a card button; the sandbox builds the plaintext XML,
encrypts it with the app's EncodingAESKey, signs it, and POSTs it to the app's callback URL
(5 s timeout, up to 3 attempts on non-200 or timeout, the same message each time). A passive reply
in the response is verified, decrypted, and honoured (`update_button` replaces the card's button).
"""

from __future__ import annotations

import json
import secrets
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

import aiohttp
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as safe_fromstring

from pushtask.sandbox.directory import MiniApp, WeComApp
from pushtask.sandbox.state import Card, SandboxState
from pushtask.sandbox.wire import ApiError
from pushtask.wechat.crypto import CryptoError, WXBizMsgCrypt, signature

ATTEMPTS = 3
TIMEOUT_S = 5.0


@dataclass(frozen=True)
class Delivery:
    delivered: bool
    attempts: int
    status: int | None
    reply: str | None  # decrypted passive reply, if any
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "delivered": self.delivered,
            "attempts": self.attempts,
            "status": self.status,
            "reply": self.reply,
            "error": self.error,
        }


def _cdata(value: str) -> str:
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def text_message_xml(to: str, sender: str, text: str, create_time: int, msg_id: int, agent_id: int | None) -> str:
    agent = f"<AgentID>{agent_id}</AgentID>" if agent_id is not None else ""
    return (
        f"<xml><ToUserName>{_cdata(to)}</ToUserName><FromUserName>{_cdata(sender)}</FromUserName>"
        f"<CreateTime>{create_time}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content>{_cdata(text)}</Content><MsgId>{msg_id}</MsgId>{agent}</xml>"
    )


def card_event_xml(
    app: WeComApp, sender: str, card: Card, key: str, response_code: str, card_type: str, create_time: int
) -> str:
    return (
        f"<xml><ToUserName>{_cdata(app.corp_id)}</ToUserName><FromUserName>{_cdata(sender)}</FromUserName>"
        f"<CreateTime>{create_time}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
        f"<Event><![CDATA[template_card_event]]></Event><EventKey>{_cdata(key)}</EventKey>"
        f"<TaskId>{_cdata(card.task_id)}</TaskId><CardType>{_cdata(card_type)}</CardType>"
        f"<ResponseCode>{_cdata(response_code)}</ResponseCode><AgentID>{app.agent_id}</AgentID></xml>"
    )


async def post_wecom(state: SandboxState, app: WeComApp, plaintext: str) -> Delivery:
    crypt = WXBizMsgCrypt(app.token, app.encoding_aes_key, app.corp_id)
    encrypted = crypt.encrypt(plaintext)
    ts, nonce = str(int(state.clock())), secrets.token_hex(5)
    params = {"msg_signature": signature(app.token, ts, nonce, encrypted), "timestamp": ts, "nonce": nonce}
    body = (
        f"<xml><ToUserName>{_cdata(app.corp_id)}</ToUserName><AgentID>{_cdata(str(app.agent_id))}</AgentID>"
        f"<Encrypt>{_cdata(encrypted)}</Encrypt></xml>"
    )
    return await _post(app.callback_url, params, body, crypt)


def text_message_json(to: str, sender: str, text: str, create_time: int, msg_id: int) -> str:
    """The JSON form of a mini-program text message (消息推送 set to the JSON data format)."""
    return json.dumps(
        {
            "ToUserName": to,
            "FromUserName": sender,
            "CreateTime": create_time,
            "MsgType": "text",
            "Content": text,
            "MsgId": msg_id,
        },
        ensure_ascii=False,
    )


async def post_miniprogram(state: SandboxState, app: MiniApp, openid: str, plaintext: str) -> Delivery:
    """POST a safe-mode message in the app's data format (XML, or JSON with `Encrypt` as a field)."""
    crypt = WXBizMsgCrypt(app.token, app.encoding_aes_key, app.appid)
    encrypted = crypt.encrypt(plaintext)
    ts, nonce = str(int(state.clock())), secrets.token_hex(5)
    params = {
        "signature": signature(app.token, ts, nonce),
        "timestamp": ts,
        "nonce": nonce,
        "openid": openid,
        "encrypt_type": "aes",
        "msg_signature": signature(app.token, ts, nonce, encrypted),
    }
    if app.data_format == "JSON":
        body = json.dumps({"ToUserName": "gh_" + app.appid[-12:], "Encrypt": encrypted})
        return await _post(app.callback_url, params, body, crypt, "application/json")
    body = (
        f"<xml><ToUserName>{_cdata('gh_' + app.appid[-12:])}</ToUserName><Encrypt>{_cdata(encrypted)}</Encrypt></xml>"
    )
    return await _post(app.callback_url, params, body, crypt)


async def _post(
    url: str, params: dict[str, str], body: str, crypt: WXBizMsgCrypt, content_type: str = "text/xml"
) -> Delivery:
    if not url:
        return Delivery(False, 0, None, None, "the app has no callback URL in the sandbox directory")
    status: int | None = None
    error: str | None = None
    timeout = aiohttp.ClientTimeout(total=TIMEOUT_S)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                async with session.post(
                    url,
                    params=params,
                    data=body.encode("utf-8"),
                    headers={"Content-Type": f"{content_type}; charset=utf-8"},
                ) as response:
                    status = response.status
                    text = await response.text()
            except (TimeoutError, aiohttp.ClientError) as exc:
                error = f"{type(exc).__name__}: {exc}"
                continue
            if status == 200:
                return Delivery(True, attempt, status, _open_reply(text, crypt), None)
            error = f"HTTP {status}"
    return Delivery(False, ATTEMPTS, status, None, error)


def _open_reply(text: str, crypt: WXBizMsgCrypt) -> str | None:
    text = text.strip()
    if not text or text == "success":
        return None
    try:
        root = safe_fromstring(text)
    except (ET.ParseError, DefusedXmlException):
        return f"(unreadable passive reply: {text[:200]})"
    fields = {child.tag: child.text or "" for child in root}
    try:
        crypt.check_signature(
            fields.get("MsgSignature", ""),
            fields.get("TimeStamp", ""),
            fields.get("Nonce", ""),
            fields.get("Encrypt", ""),
        )
        return crypt.decrypt(fields.get("Encrypt", ""))
    except CryptoError as exc:
        return f"(passive reply rejected: {exc})"


def _apply_passive(state: SandboxState, card: Card | None, reply: str | None) -> None:
    if card is None or not reply or not reply.startswith("<xml"):
        return
    try:
        root = safe_fromstring(reply)
    except (ET.ParseError, DefusedXmlException):
        return
    if (root.findtext("MsgType") or "") == "update_button":
        name = root.findtext("Button/ReplaceName") or ""
        with state.lock:
            for entry in card.records:
                entry["cardState"] = {"replaceName": name}


async def reply(state: SandboxState, request: dict[str, Any]) -> Delivery:
    """Make a simulated person reply: {from, text} or {from, responseCode|taskId, key}."""
    sender = str(request.get("from", ""))
    now = int(state.clock())
    miniapp: MiniApp | None = None
    card: Card | None = None
    with state.lock:
        person = state.people.get(sender)
        if person is None:
            raise ApiError(40003, f"unknown person {sender!r}")
        if person.kind == "openid":
            miniapp = state.miniapps.get(str(request.get("appid", ""))) or next(iter(state.miniapps.values()), None)
            if miniapp is None:
                raise ApiError(40013, "no mini program in the directory")
            text = str(request.get("text", ""))
            msg_id = state.rng.randrange(10**15, 10**16)
            to = "gh_" + miniapp.appid[-12:]
            plaintext = (
                text_message_json(to, sender, text, now, msg_id)
                if miniapp.data_format == "JSON"
                else text_message_xml(to, sender, text, now, msg_id, None)
            )
            state.callbacks.append({"from": sender, "fromName": person.name, "text": text, "at": now})
        else:
            card, code = _find_card(state, request, sender)
            app = state.apps[card.app_key] if card is not None else _app_for(state, request)
            if card is not None:
                key = str(request.get("key", ""))
                card_type = str(_card_type(card))
                plaintext = card_event_xml(app, sender, card, key, code, card_type, now)
                state.callbacks.append(
                    {"from": sender, "fromName": person.name, "button": key, "taskId": card.task_id, "at": now}
                )
            else:
                text = str(request.get("text", ""))
                plaintext = text_message_xml(
                    app.corp_id, sender, text, now, state.rng.randrange(10**15, 10**16), app.agent_id
                )
                state.callbacks.append({"from": sender, "fromName": person.name, "text": text, "at": now})
    if miniapp is not None:
        return await post_miniprogram(state, miniapp, sender, plaintext)
    delivery = await post_wecom(state, app, plaintext)
    _apply_passive(state, card, delivery.reply)
    return delivery


def _app_for(state: SandboxState, request: dict[str, Any]) -> WeComApp:
    agent = request.get("agentId")
    for app in state.apps.values():
        if agent is not None and str(app.agent_id) == str(agent):
            return app
    with_callback = [a for a in state.apps.values() if a.callback_url]
    if agent is None and (with_callback or state.apps):
        return (with_callback or list(state.apps.values()))[0]
    raise ApiError(40056, "unknown agentId")


def _find_card(state: SandboxState, request: dict[str, Any], sender: str) -> tuple[Card | None, str]:
    if "key" not in request:
        return None, ""
    code = str(request.get("responseCode", ""))
    if code in state.cards:
        return state.cards[code], code
    task_id = str(request.get("taskId", ""))
    for code, card in state.cards.items():
        if card.task_id == task_id and sender in card.userids:
            return card, code
    raise ApiError(40058, "no such card for this person (give responseCode or taskId)")


def _card_type(card: Card) -> str:
    for entry in card.records:
        tc = entry["payload"].get("template_card") or {}
        return str(tc.get("card_type", "button_interaction"))
    return "button_interaction"


async def verify_miniprogram_url(state: SandboxState, app: MiniApp) -> dict[str, Any]:
    """Do the mini program's 消息推送 URL check: a plain GET whose `echostr` must come back unchanged."""
    echo = str(state.rng.randrange(10**17, 10**18))
    ts, nonce = str(int(state.clock() or time.time())), secrets.token_hex(5)
    params = {"signature": signature(app.token, ts, nonce), "timestamp": ts, "nonce": nonce, "echostr": echo}
    return await _verify_get(app.callback_url, params, echo)


async def verify_url(state: SandboxState, app: WeComApp) -> dict[str, Any]:
    """Do WeCom's GET URL verification against the app's callback URL."""
    crypt = WXBizMsgCrypt(app.token, app.encoding_aes_key, app.corp_id)
    echo = secrets.token_hex(8)
    echostr = crypt.encrypt(echo)
    ts, nonce = str(int(state.clock() or time.time())), secrets.token_hex(5)
    params = {
        "msg_signature": signature(app.token, ts, nonce, echostr),
        "timestamp": ts,
        "nonce": nonce,
        "echostr": echostr,
    }
    return await _verify_get(app.callback_url, params, echo)


async def _verify_get(url: str, params: dict[str, str], echo: str) -> dict[str, Any]:
    if not url:
        return {"verified": False, "error": "the app has no callback URL in the sandbox directory"}
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=1.0)) as session,
            session.get(url, params=params) as response,
        ):
            body = await response.text()
            status = response.status
    except (TimeoutError, aiohttp.ClientError) as exc:
        return {"verified": False, "error": f"{type(exc).__name__}: {exc}"}
    return {"verified": status == 200 and body == echo, "status": status, "expected": escape(echo), "got": body[:200]}
