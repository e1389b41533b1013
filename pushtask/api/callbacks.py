"""WeChat callbacks: URL verification, reviewers' card taps and text replies, subscription grants.

The mini program's 消息推送 verifies its URL in the plain form (`signature` over token, timestamp
and nonce; `echostr` echoed as is) and sends safe-mode messages as XML or JSON; WeCom verifies
with `msg_signature` and an encrypted `echostr`, and sends XML.

Not under /api and without JWT: WeChat signs and encrypts instead. Nothing is read before the
signature checks out, and a callback whose signed timestamp is more than
`PUSHTASK_CALLBACK_MAX_AGE_SECONDS` (default 5 minutes) from now is refused, so a captured callback
cannot be replayed later. WeChat retries a callback it got no answer to, so each message is
recorded by its MsgId (or event identity) and a repeat is answered without acting again (the
receipts are purged by the retention job once no retry can be fresh any more). Every
answer is made from the database alone; WeChat calls that follow run in the background, so
the answer comes well within WeChat's 5 seconds.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from defusedxml.ElementTree import fromstring as safe_fromstring
from flask import Blueprint, Response, request

from pushtask.api.base import ApiError, api_route, runtime, session
from pushtask.api.previews import after_decision
from pushtask.runtime import wechat_link
from pushtask.schemas import ErrorOut
from pushtask.services import reviewer_replies
from pushtask.wechat.crypto import CryptoError, WXBizMsgCrypt, is_json, parse_json, parse_xml

log = logging.getLogger("pushtask.callbacks")

bp = Blueprint("wechat_callback", __name__, url_prefix="/wechat/callback")

# The docs name the WeCom app's URL after its channel; both spellings reach the same handler.
CHANNELS = {"wecom": "wecom", "wecom_appchat": "wecom", "miniprogram": "miniprogram"}


def _crypt(channel: str) -> tuple[str, WXBizMsgCrypt]:
    kind = CHANNELS.get(channel)
    keys = wechat_link(runtime()).callback_keys(kind) if kind else None
    if kind is None or keys is None:
        raise ApiError(404, "Not found", "no callback is configured for this channel")
    return kind, WXBizMsgCrypt(keys.token, keys.encoding_aes_key, keys.receive_id)


def _text(body: str, status: int = 200) -> Response:
    return Response(body, status=status, mimetype="text/plain")


class StaleCallback(Exception):
    """The signed timestamp is outside the accepted window (a replay, or a clock far off)."""


def _check_fresh(timestamp: str) -> None:
    """Refuse a timestamp further than the configured window from now, either way."""
    try:
        sent = int(timestamp)
    except ValueError:
        raise StaleCallback(f"timestamp {timestamp[:20]!r} is not a whole number") from None
    rt = runtime()
    skew = abs(rt.clock().timestamp() - sent)
    if skew > rt.settings.callback_max_age_seconds:
        raise StaleCallback(f"timestamp is {int(skew)} s from now (window {rt.settings.callback_max_age_seconds} s)")


@dataclass(frozen=True)
class Message:
    """A decrypted callback: its top-level fields, and the templates a subscription popup accepted."""

    fields: dict[str, str]
    accepted_templates: list[str] = field(default_factory=list)


def _open(kind: str, crypt: WXBizMsgCrypt, body: str) -> Message:
    """Verify, decrypt and parse a callback body (XML, or JSON for a mini program); CryptoError if untrusted."""
    args = request.args
    if is_json(body) and kind != "miniprogram":
        raise CryptoError(-40002, "WeCom callbacks are XML")
    plaintext = crypt.decrypt_message(
        body, args.get("msg_signature", ""), args.get("timestamp", ""), args.get("nonce", "")
    )
    if is_json(plaintext):
        fields, whole = parse_json(plaintext)
        items = whole.get("List")
        items = items if isinstance(items, list) else [items]
        accepted = [
            str(item["TemplateId"])
            for item in items
            if isinstance(item, dict) and item.get("SubscribeStatusString") == "accept" and item.get("TemplateId")
        ]
        return Message(fields, accepted)
    fields = parse_xml(plaintext)
    popup = fields.get("Event") == "subscribe_msg_popup_event"
    return Message(fields, _accepted_templates(plaintext) if popup else [])


@api_route(
    bp,
    "/<channel>",
    "GET",
    summary="WeChat/WeCom URL verification: echo the echostr (WeCom: decrypted; mini program: plain signature).",
    role=None,
    responses={200: "text/plain", 403: "text/plain", 404: ErrorOut},
    tag="wechat",
)
def verify(channel: str) -> Response:
    kind, crypt = _crypt(channel)
    args = request.args
    try:
        if "echostr" in args and "msg_signature" in args:
            _check_fresh(args["timestamp"])
            return _text(crypt.verify_url(args["msg_signature"], args["timestamp"], args["nonce"], args["echostr"]))
        if kind == "miniprogram" and "echostr" in args and "signature" in args:
            # The mini program's 消息推送 check is the plain one, whatever the message encryption mode.
            _check_fresh(args["timestamp"])
            crypt.check_plain_signature(args["signature"], args["timestamp"], args["nonce"])
            return _text(args["echostr"])
    except (CryptoError, StaleCallback, KeyError) as exc:
        log.warning("callback verification refused (%s): %s", channel, exc)
    return _text("forbidden", 403)


@api_route(
    bp,
    "/<channel>",
    "POST",
    summary="Encrypted reviewer replies: 确认/修改 card taps, text replies, subscription grants.",
    role=None,
    responses={200: "text/xml", 403: "text/plain", 404: ErrorOut},
    tag="wechat",
)
def receive(channel: str) -> Response:
    kind, crypt = _crypt(channel)
    try:
        _check_fresh(request.args.get("timestamp", ""))
        message = _open(kind, crypt, request.get_data(as_text=True))
    except (CryptoError, StaleCallback) as exc:
        # Unsigned, tampered, foreign or replayed late: nothing in it is trusted, nothing changes.
        log.warning("callback refused (%s): %s", channel, exc)
        return _text("forbidden", 403)
    fields = message.fields
    handled = reviewer_replies.handle(session(), kind, fields, message.accepted_templates, runtime().clock())
    if handled.decision is not None:
        after_decision(wechat_link(runtime()), handled.decision, skip_card=handled.skip_card)
    reply = None
    if handled.reply is not None:
        what, value = handled.reply
        if what == "update_button":
            reply = _passive(fields, "update_button", f"<Button><ReplaceName>{escape(value)}</ReplaceName></Button>")
        else:
            reply = _text_reply(kind, fields, value)
    if reply is None:
        return _text("success")
    return Response(crypt.encrypt_reply(reply).to_xml(), mimetype="text/xml")


def _passive(fields: dict[str, str], msg_type: str, inner: str) -> str:
    return (
        f"<xml><ToUserName><![CDATA[{fields.get('FromUserName', '')}]]></ToUserName>"
        f"<FromUserName><![CDATA[{fields.get('ToUserName', '')}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[{msg_type}]]></MsgType>{inner}</xml>"
    )


def _text_reply(kind: str, fields: dict[str, str], content: str) -> str | None:
    if kind != "wecom":
        return None  # mini-program message push takes no passive text reply
    return _passive(fields, "text", f"<Content><![CDATA[{content.replace(']]>', '')}]]></Content>")


def _accepted_templates(plaintext: str) -> list[str]:
    root = safe_fromstring(plaintext)
    out = []
    for item in root.iter("List"):
        if (item.findtext("SubscribeStatusString") or "") == "accept" and item.findtext("TemplateId"):
            out.append(str(item.findtext("TemplateId")))
    return out
