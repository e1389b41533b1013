"""WeCom app endpoints: gettoken, message/send, update_template_card, appchat/*, media/upload.

Each function runs with the state lock held and returns the JSON body, or raises ApiError.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Mapping
from typing import Any

from pushtask.sandbox import validation as v
from pushtask.sandbox.directory import Group, WeComApp
from pushtask.sandbox.state import MEDIA_LIFETIME_S, RESPONSE_CODE_LIFETIME_S, Card, Media, SandboxState
from pushtask.sandbox.wire import WECOM, ApiError, ok_body

APP_TYPES = {
    "text",
    "image",
    "voice",
    "video",
    "file",
    "textcard",
    "news",
    "mpnews",
    "markdown",
    "miniprogram_notice",
    "template_card",
}
APPCHAT_TYPES = {"text", "image", "voice", "video", "file", "textcard", "news", "mpnews", "markdown"}
CARD_TYPES = {"text_notice", "news_notice", "button_interaction", "vote_interaction", "multiple_interaction"}
INTERACTIVE = {"button_interaction", "vote_interaction", "multiple_interaction"}
MEMBER_PER_MINUTE = 30
_CHATID = re.compile(r"[0-9a-zA-Z]{1,32}")
_TASK_ID = re.compile(r"[0-9a-zA-Z_\-@]{1,128}")


def gettoken(state: SandboxState, corpid: str | None, corpsecret: str | None) -> dict[str, Any]:
    if not corpid:
        raise ApiError(41002)
    if not corpsecret:
        raise ApiError(41004)
    apps = [a for a in state.apps.values() if a.corp_id == corpid]
    if not apps:
        raise ApiError(40013)
    app = next((a for a in apps if a.corp_secret == corpsecret), None)
    if app is None:
        raise ApiError(40001, "invalid credential")
    token, expires_in = state.tokens.wecom(app.key, state.clock())
    return ok_body(access_token=token, expires_in=expires_in)


def app_for(state: SandboxState, token: str | None) -> WeComApp:
    owner = state.tokens.check(token, WECOM, state.clock())
    return state.apps[owner]


def _media(state: SandboxState, app: WeComApp, media_id: Any) -> None:
    media = state.media.get(str(media_id or ""))
    if media is None or media.owner != app.corp_id or media.expires_at <= state.clock():
        raise ApiError(40007, "invalid media_id")


def check_payload(
    state: SandboxState, app: WeComApp, body: Mapping[str, Any], allowed: set[str]
) -> tuple[str, dict[str, Any]]:
    """Validate and normalise the msgtype part; return (msgtype, body with truncations applied)."""
    msgtype = body.get("msgtype")
    if not isinstance(msgtype, str) or msgtype not in allowed:
        raise ApiError(40008)
    out = dict(body)
    part = v.obj(body, msgtype)
    if msgtype in ("text", "markdown"):
        content = v.required_text(part.get("content"), "content")
        out[msgtype] = {**part, "content": v.truncate_bytes(content, 2048)}  # documented: truncated
    elif msgtype in ("image", "voice", "file"):
        _media(state, app, part.get("media_id"))
    elif msgtype == "video":
        _media(state, app, part.get("media_id"))
        v.limit_bytes(str(part.get("title", "")), 128, "title")
    elif msgtype == "textcard":
        v.limit_bytes(v.required_text(part.get("title"), "title"), 128, "title")
        v.limit_bytes(v.required_text(part.get("description"), "description"), 512, "description")
        v.limit_bytes(v.required_text(part.get("url"), "url"), 2048, "url")
    elif msgtype in ("news", "mpnews"):
        _check_articles(part.get("articles"))
    elif msgtype == "miniprogram_notice":
        if part.get("appid") not in app.miniprogram_appids:
            raise ApiError(40058, "appid is not linked to this app")
        v.required_text(part.get("title"), "title")
        v.limit_bytes(str(part.get("page", "")), 1024, "page")
        if len(part.get("content_item") or []) > 10:
            raise ApiError(40058, "content_item exceed max count 10")
    elif msgtype == "template_card":
        _check_card(part)
    return msgtype, out


def _check_articles(articles: Any) -> None:
    if not isinstance(articles, list) or not articles:
        raise ApiError(44004, "empty articles")
    if len(articles) > 8:
        raise ApiError(45008)
    for article in articles:
        if not isinstance(article, dict):
            raise ApiError(40058, "article must be an object")
        v.limit_bytes(v.required_text(article.get("title"), "title"), 128, "title")
        v.limit_bytes(str(article.get("description", "")), 512, "description")
        v.limit_bytes(str(article.get("url", "")), 2048, "url")
        if (
            not article.get("url")
            and not (article.get("appid") and article.get("pagepath"))
            and not article.get("thumb_media_id")
        ):
            raise ApiError(40058, "article needs url or appid+pagepath")


def _check_card(card: dict[str, Any]) -> None:
    card_type = card.get("card_type")
    if card_type not in CARD_TYPES:
        raise ApiError(40058, "invalid card_type")
    title = (card.get("main_title") or {}).get("title")
    if card_type in ("text_notice", "button_interaction") and not title:
        raise ApiError(44004, "empty main_title.title")
    needs_task_id = card_type in INTERACTIVE or card.get("action_menu")
    if needs_task_id and (not isinstance(card.get("task_id"), str) or not _TASK_ID.fullmatch(card["task_id"])):
        raise ApiError(40058, "invalid task_id")
    if card_type == "button_interaction":
        buttons = card.get("button_list")
        if not isinstance(buttons, list) or not 1 <= len(buttons) <= 6:
            raise ApiError(40058, "button_list must have 1 to 6 buttons")
        for button in buttons:
            if not isinstance(button, dict) or not button.get("text"):
                raise ApiError(40058, "button text missing")
            if int(button.get("type", 0)) == 0 and not button.get("key"):
                raise ApiError(40058, "button key missing")


def message_send(state: SandboxState, token: str | None, body: dict[str, Any]) -> dict[str, Any]:
    app = app_for(state, token)
    if body.get("agentid") != app.agent_id and str(body.get("agentid")) != str(app.agent_id):
        raise ApiError(40056)
    msgtype, payload = check_payload(state, app, body, APP_TYPES)
    card = payload.get("template_card") if msgtype == "template_card" else None
    interactive = isinstance(card, dict) and card.get("card_type") in INTERACTIVE
    if interactive and not app.callback_url:
        raise ApiError(40058, "app has no callback url, cannot send interactive card")
    wanted = [u for u in str(body.get("touser", "")).split("|") if u]
    if body.get("touser") == "@all":
        valid = [p.id for p in state.people.values() if p.kind == "userid"]
        invalid: list[str] = []
    else:
        valid = [u for u in wanted if u in state.people and state.people[u].kind == "userid"]
        invalid = [u.lower() for u in wanted if u not in valid]
    invalid_party = [p for p in str(body.get("toparty", "")).split("|") if p]
    invalid_tag = [t for t in str(body.get("totag", "")).split("|") if t]
    if not valid:
        raise ApiError(81013)
    now = state.clock()
    if body.get("enable_duplicate_check") in (1, "1", True):
        interval = min(int(body.get("duplicate_check_interval", 1800)), 14400)
        digest = hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
        seen = state.dedup.get((app.key, digest))
        if seen is not None and seen[0] > now:
            state.stats["duplicates_dropped"] += 1
            return ok_body(invaliduser="|".join(invalid), msgid=seen[1])
        msgid = secrets.token_urlsafe(24)
        state.dedup[(app.key, digest)] = (now + interval, msgid)
    else:
        msgid = secrets.token_urlsafe(24)
    answer = ok_body(invaliduser="|".join(invalid), msgid=msgid)
    if invalid_party:
        answer["invalidparty"] = "|".join(invalid_party)
    if invalid_tag:
        answer["invalidtag"] = "|".join(invalid_tag)
    extra: dict[str, Any] = {"msgid": msgid, "agentId": app.agent_id}
    card_state: Card | None = None
    if interactive and isinstance(card, dict):
        task_key = (app.key, str(card["task_id"]))
        if task_key in state.task_ids:
            raise ApiError(40058, "task_id already exists")
        state.task_ids.add(task_key)
        response_code = secrets.token_urlsafe(32)
        card_state = Card(app.key, str(card["task_id"]), valid, now)
        state.cards[response_code] = card_state
        answer["response_code"] = response_code
        extra.update(responseCode=response_code, taskId=card["task_id"], cardState={"replaceName": None})
    for userid in valid:
        if not state.admit(f"member:{app.key}:{userid}", MEMBER_PER_MINUTE, 60):
            state.stats["member_limit_dropped"] += 1  # the real host drops these silently
            continue
        entry = state.record(userid, "wecom_app", "message/send", msgtype, payload, **extra)
        if card_state is not None:
            card_state.records.append(entry)
    return answer


def update_template_card(state: SandboxState, token: str | None, body: dict[str, Any]) -> dict[str, Any]:
    app = app_for(state, token)
    code = str(body.get("response_code", ""))
    card = state.cards.get(code)
    if card is None or card.app_key != app.key:
        raise ApiError(40058, "invalid response_code")
    if card.used or card.issued_at + RESPONSE_CODE_LIFETIME_S <= state.clock():
        raise ApiError(40058, "response_code has been used or expired")
    card.used = True
    button = body.get("button")
    replace = button.get("replace_name") if isinstance(button, dict) else None
    for entry in card.records:
        if replace:
            entry["cardState"] = {"replaceName": str(replace)}
        elif isinstance(body.get("template_card"), dict):
            entry["payload"] = {**entry["payload"], "template_card": body["template_card"]}
    return ok_body(invaliduser="")


def _appchat(state: SandboxState, app: WeComApp, chatid: Any) -> Group:
    group = state.groups.get(str(chatid or ""))
    if group is None or group.channel != "wecom_appchat":
        raise ApiError(86003)
    if group.owner_app not in ("*", app.key):
        raise ApiError(86008)
    return group


def appchat_send(state: SandboxState, token: str | None, body: dict[str, Any]) -> dict[str, Any]:
    app = app_for(state, token)
    group = _appchat(state, app, body.get("chatid"))
    msgtype, payload = check_payload(state, app, body, APPCHAT_TYPES)
    state.record(group.ref, "wecom_appchat", "appchat/send", msgtype, payload)
    return ok_body()


def appchat_get(state: SandboxState, token: str | None, chatid: str | None) -> dict[str, Any]:
    app = app_for(state, token)
    group = _appchat(state, app, chatid)
    members = group.members or []
    return ok_body(
        chat_info={
            "chatid": group.ref,
            "name": group.name,
            "owner": members[0] if members else "",
            "userlist": members,
            "chat_type": 0,
        }
    )


def appchat_create(state: SandboxState, token: str | None, body: dict[str, Any]) -> dict[str, Any]:
    app = app_for(state, token)
    userlist = body.get("userlist")
    if not isinstance(userlist, list) or not 2 <= len(userlist) <= 2000:
        raise ApiError(86006)
    for userid in userlist:
        person = state.people.get(str(userid))
        if person is None or person.kind != "userid":
            raise ApiError(86007, f"invalid chat member {userid}")
    owner = body.get("owner") or state.rng.choice(userlist)
    if owner not in userlist:
        raise ApiError(86005, "invalid chat owner")
    name = str(body.get("name", ""))[:50]
    chatid = str(body.get("chatid") or secrets.token_hex(16))
    if not _CHATID.fullmatch(chatid):
        raise ApiError(86001)
    if chatid in state.groups:
        raise ApiError(86215, "chatid existed")
    members = [str(owner)] + [str(u) for u in userlist if u != owner]
    state.groups[chatid] = Group("wecom_appchat", chatid, name or chatid, len(members), members, app.key)
    return ok_body(chatid=chatid)


MEDIA_LIMITS = {
    "image": 10 * 1024 * 1024,
    "voice": 2 * 1024 * 1024,
    "video": 10 * 1024 * 1024,
    "file": 20 * 1024 * 1024,
}


def media_upload(
    state: SandboxState, token: str | None, media_type: str | None, filename: str, content_type: str, data: bytes | None
) -> dict[str, Any]:
    app = app_for(state, token)
    if media_type not in MEDIA_LIMITS:
        raise ApiError(40005)
    if not data:
        raise ApiError(44001)
    if len(data) <= 5 or len(data) > MEDIA_LIMITS[media_type]:
        raise ApiError(40009 if media_type == "image" else 40006)
    mime = content_type
    if media_type == "image":
        sniffed = v.image_mime(data)
        if sniffed is None:
            raise ApiError(40004)
        mime = sniffed
    media_id = "3" + secrets.token_urlsafe(40)
    now = state.clock()
    state.media[media_id] = Media(data, mime, filename, media_type, app.corp_id, now + MEDIA_LIFETIME_S)
    return {"errcode": 0, "errmsg": "", "type": media_type, "media_id": media_id, "created_at": str(int(now))}
