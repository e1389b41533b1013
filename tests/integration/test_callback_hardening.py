"""Callbacks as WeChat sends them, encrypted with wechatpy (an independent implementation).

Freshness: a correctly signed callback with a new MsgId but a timestamp outside the window is
refused, on the WeCom and the mini-program route alike. The mini program's 消息推送: the plain URL
verification (`signature` over token, timestamp and nonce; `echostr` echoed), safe-mode messages in
XML and in JSON, and the sandbox's `verify-callback` doing the mini program's check.
"""

from __future__ import annotations

import json
import re
import secrets
from datetime import timedelta

import requests
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from wechatpy.crypto import WeChatCrypto as MiniProgramCrypto
from wechatpy.enterprise.crypto import WeChatCrypto as WeComCrypto
from wechatpy.utils import WeChatSigner

from pushtask.models import CallbackReceipt, Subscription
from pushtask.notify import retention
from pushtask.sandbox import SandboxHandle
from pushtask.sandbox import directory as d
from tests.integration import test_previews as previews_tests
from tests.integration.conftest import World
from tests.integration.test_previews import draft, preview, task_of
from tests.support import FrozenClock

# The sandbox fixtures of the preview tests: a real sandbox, this app on a real port, callbacks between them.
sandbox_server = previews_tests.sandbox_server
served = previews_tests.served
sandbox = previews_tests.sandbox

WINDOW_S = 300


def _field(xml: str, name: str) -> str:
    found = re.search(rf"<{name}>(?:<!\[CDATA\[)?(.*?)(?:\]\]>)?</{name}>", xml, re.S)
    assert found, (name, xml)
    return found.group(1)


def _wecom_text(sender: str, text: str, msg_id: int, at: int) -> str:
    return (
        f"<xml><ToUserName><![CDATA[{d.DEFAULT_CORP_ID}]]></ToUserName><FromUserName><![CDATA[{sender}]]>"
        f"</FromUserName><CreateTime>{at}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{text}]]></Content><MsgId>{msg_id}</MsgId><AgentID>{d.DEFAULT_AGENT_ID}</AgentID></xml>"
    )


def _wecom_post(client: FlaskClient, plaintext: str, at: int) -> int:
    nonce = secrets.token_hex(4)
    xml = WeComCrypto(d.DEFAULT_CALLBACK_TOKEN, d.DEFAULT_ENCODING_AES_KEY, d.DEFAULT_CORP_ID).encrypt_message(
        plaintext, nonce, at
    )
    params = {"msg_signature": _field(xml, "MsgSignature"), "timestamp": str(at), "nonce": nonce}
    status: int = client.post("/wechat/callback/wecom", query_string=params, data=xml).status_code
    return status


def _mini_encrypted(plaintext: str, at: int, *, as_json: bool) -> tuple[str, dict[str, str], str]:
    """(body, query, content type) of a safe-mode 消息推送 request, as WeChat sends it."""
    nonce = secrets.token_hex(4)
    xml = MiniProgramCrypto(d.DEFAULT_CALLBACK_TOKEN, d.DEFAULT_ENCODING_AES_KEY, d.DEFAULT_MP_APPID).encrypt_message(
        plaintext, nonce, at
    )
    signer = WeChatSigner()
    signer.add_data(d.DEFAULT_CALLBACK_TOKEN, str(at), nonce)
    params = {
        "signature": signer.signature,
        "timestamp": str(at),
        "nonce": nonce,
        "openid": "li",
        "encrypt_type": "aes",
        "msg_signature": _field(xml, "MsgSignature"),
    }
    encrypted = _field(xml, "Encrypt")
    if as_json:
        # The JSON data format: the same Encrypt value, msg_signature computed over it.
        return json.dumps({"ToUserName": "gh_sandbox00000", "Encrypt": encrypted}), params, "application/json"
    body = f"<xml><ToUserName><![CDATA[gh_sandbox00000]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
    return body, params, "text/xml"


def _mini_post(client: FlaskClient, body: str, params: dict[str, str], ctype: str) -> int:
    status: int = client.post(
        "/wechat/callback/miniprogram", query_string=params, data=body, content_type=ctype
    ).status_code
    return status


def _popup_json(openid: str, at: int) -> str:
    return json.dumps(
        {
            "ToUserName": "gh_sandbox00000",
            "FromUserName": openid,
            "CreateTime": at,
            "MsgType": "event",
            "Event": "subscribe_msg_popup_event",
            "List": [
                {"TemplateId": d.DEFAULT_TEMPLATE_ID, "SubscribeStatusString": "accept", "PopupScene": "0"},
                {"TemplateId": "another-template", "SubscribeStatusString": "reject", "PopupScene": "0"},
            ],
        }
    )


def _popup_xml(openid: str, at: int) -> str:
    return (
        f"<xml><ToUserName><![CDATA[gh_sandbox00000]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{at}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
        "<Event><![CDATA[subscribe_msg_popup_event]]></Event><SubscribeMsgPopupEvent><List>"
        f"<TemplateId><![CDATA[{d.DEFAULT_TEMPLATE_ID}]]></TemplateId>"
        "<SubscribeStatusString><![CDATA[accept]]></SubscribeStatusString><PopupScene>0</PopupScene>"
        "</List></SubscribeMsgPopupEvent></xml>"
    )


def _granted(db: Session, world: World) -> int:
    db.expire_all()
    row = db.get(Subscription, {"recipient_id": world.recipients[1], "template_id": d.DEFAULT_TEMPLATE_ID})
    return 0 if row is None else row.remaining


# ---- freshness ---------------------------------------------------------------------------------


def test_a_day_old_wecom_callback_with_a_new_msgid_is_refused_and_a_fresh_one_decides(
    client: FlaskClient, world: World, sandbox: SandboxHandle, clock: FrozenClock, db: Session
) -> None:
    task_id = draft(client, world)
    preview(client, world, task_id)
    now = int(clock().timestamp())
    for stale in (now - 86400, now - WINDOW_S - 5, now + WINDOW_S + 5):
        assert _wecom_post(client, _wecom_text("zhang", "确认", stale, stale), stale) == 403
    assert task_of(client, world, task_id)["previewState"] == "pending"
    assert db.scalar(select(func.count()).select_from(CallbackReceipt)) == 0
    assert _wecom_post(client, _wecom_text("zhang", "确认", 77, now - 60), now - 60) == 200
    assert task_of(client, world, task_id)["previewState"] == "confirmed"


def test_a_stale_mini_program_callback_is_refused_and_a_fresh_one_is_accepted(
    client: FlaskClient, world: World, sandbox: SandboxHandle, clock: FrozenClock, db: Session
) -> None:
    now = int(clock().timestamp())
    old = now - 86400
    body, params, ctype = _mini_encrypted(_popup_json("li", old), old, as_json=True)
    assert (
        client.post("/wechat/callback/miniprogram", query_string=params, data=body, content_type=ctype).status_code
        == 403
    )
    assert _granted(db, world) == 0
    body, params, ctype = _mini_encrypted(_popup_json("li", now), now, as_json=True)
    assert (
        client.post("/wechat/callback/miniprogram", query_string=params, data=body, content_type=ctype).status_code
        == 200
    )
    assert _granted(db, world) == 1


def test_the_retention_job_purges_callback_receipts_that_no_retry_can_need(
    client: FlaskClient, world: World, sandbox: SandboxHandle, clock: FrozenClock, sessions: sessionmaker[Session]
) -> None:
    now = int(clock().timestamp())
    assert _wecom_post(client, _wecom_text("zhang", "你好", 1, now), now) == 200
    # A retry of the same message is still recognised (MsgId de-duplication is kept) …
    assert _wecom_post(client, _wecom_text("zhang", "你好", 1, now), now) == 200
    with sessions() as db:
        assert db.scalar(select(func.count()).select_from(CallbackReceipt)) == 1
    retention.purge_step(sessions, clock(), 30)
    with sessions() as db:
        assert db.scalar(select(func.count()).select_from(CallbackReceipt)) == 1  # still within a day
    counts, _done = retention.purge_step(sessions, clock() + timedelta(days=2), 30)
    assert counts["callback_receipts"] == 1
    with sessions() as db:
        assert db.scalar(select(func.count()).select_from(CallbackReceipt)) == 0


# ---- the mini program's 消息推送 ------------------------------------------------------------------


def test_plain_url_verification_echoes_echostr_when_the_signature_matches(
    client: FlaskClient, sandbox: SandboxHandle, clock: FrozenClock
) -> None:
    ts, nonce = str(int(clock().timestamp())), "n0nce"
    signer = WeChatSigner()
    signer.add_data(d.DEFAULT_CALLBACK_TOKEN, ts, nonce)
    query = {"signature": signer.signature, "timestamp": ts, "nonce": nonce, "echostr": "8134512049523"}
    answer = client.get("/wechat/callback/miniprogram", query_string=query)
    assert (answer.status_code, answer.get_data(as_text=True)) == (200, "8134512049523")
    forged = client.get("/wechat/callback/miniprogram", query_string={**query, "signature": "0" * 40})
    assert forged.status_code == 403 and "8134512049523" not in forged.get_data(as_text=True)
    old = str(int(clock().timestamp()) - 86400)
    signer = WeChatSigner()
    signer.add_data(d.DEFAULT_CALLBACK_TOKEN, old, nonce)
    stale = {**query, "timestamp": old, "signature": signer.signature}
    assert client.get("/wechat/callback/miniprogram", query_string=stale).status_code == 403


def test_safe_mode_messages_in_xml_and_in_json_are_both_understood(
    client: FlaskClient, world: World, sandbox: SandboxHandle, clock: FrozenClock, db: Session
) -> None:
    now = int(clock().timestamp())
    body, params, ctype = _mini_encrypted(_popup_xml("li", now), now, as_json=False)
    assert (
        client.post("/wechat/callback/miniprogram", query_string=params, data=body, content_type=ctype).status_code
        == 200
    )
    assert _granted(db, world) == 1
    body, params, ctype = _mini_encrypted(_popup_json("li", now + 1), now, as_json=True)
    answer = client.post("/wechat/callback/miniprogram", query_string=params, data=body, content_type=ctype)
    assert (answer.status_code, answer.get_data(as_text=True)) == (200, "success")
    assert _granted(db, world) == 2  # only the accepted template counted
    # A JSON body whose msg_signature is not over its Encrypt field changes nothing.
    tampered = json.loads(body)
    tampered["Encrypt"] = tampered["Encrypt"][::-1]
    refused = client.post(
        "/wechat/callback/miniprogram", query_string=params, data=json.dumps(tampered), content_type=ctype
    )
    assert refused.status_code == 403
    assert _granted(db, world) == 2


def test_a_json_text_reply_from_a_mini_program_reviewer_reaches_the_preview(
    client: FlaskClient, world: World, sandbox: SandboxHandle, clock: FrozenClock
) -> None:
    sandbox.state.grant_subscriptions("li", d.DEFAULT_TEMPLATE_ID, 1)
    client.post("/api/preview/subscriptions", json={"recipientId": world.recipients[1]}, headers=world.olga.headers)
    task_id = draft(client, world, previewRecipients=[world.recipients[1]])
    preview(client, world, task_id)
    # The sandbox's mini program is switched to the JSON data format; the reply goes over real HTTP.
    apps = sandbox.state.directory_json()["apps"]
    mini = next(a for a in apps if a["kind"] == "miniprogram")
    assert requests.post(
        f"{sandbox.url}/_sandbox/directory", json={"apps": [{**mini, "dataFormat": "JSON"}]}, timeout=5
    ).ok
    delivered = requests.post(f"{sandbox.url}/_sandbox/reply", json={"from": "li", "text": "确认"}, timeout=10).json()
    assert delivered["delivered"] is True, delivered
    assert task_of(client, world, task_id)["previewState"] == "confirmed"


def test_the_sandbox_verifies_a_mini_program_url_as_wechat_does(sandbox: SandboxHandle) -> None:
    wecom_app = next(a for a in sandbox.state.directory_json()["apps"] if a["kind"] == "wecom")
    # Only the mini program has a callback URL now: its check must be the one performed.
    sandbox.state.apply_directory({"apps": [{**wecom_app, "callbackUrl": ""}]})
    answer = requests.post(
        f"{sandbox.url}/_sandbox/verify-callback", json={"appid": d.DEFAULT_MP_APPID}, timeout=5
    ).json()
    assert answer["verified"] is True, answer
    sandbox.state.apply_directory({"apps": [wecom_app]})
    wecom = requests.post(f"{sandbox.url}/_sandbox/verify-callback", json={}, timeout=5).json()
    assert wecom["verified"] is True, wecom
