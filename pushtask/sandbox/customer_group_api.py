"""WeCom customer-group mass send (客户联系 · 客户群群发) as the official docs describe it.

Endpoints under B/cgi-bin/externalcontact/: groupchat/list (doc path/92120), groupchat/get (92122),
add_msg_template with chat_type "group" (92135), get_groupmsg_list_v2, get_groupmsg_task and
get_groupmsg_send_result (93338), remind_groupmsg_send (97610), cancel_groupmsg_send (97611).

A mass send does not reach the groups by itself: it becomes a task for each owner, who taps 发送
in the WeCom client (here: the web view's 群发助手, or `POST B/_sandbox/groupmsg/send`). Each
customer group receives at most as many mass sends per month as the month has days; a send over
the cap ends with status 3 (客户已经收到其他群发消息) for that group. Reminders: at most 3 per
mass send in 24 hours (the doc names no errcode for the fourth; the sandbox answers 45009
"api freq out of limit" with the rule in errmsg).

Each function runs with the state lock held and returns the JSON body, or raises ApiError.
"""

from __future__ import annotations

import calendar
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pushtask.sandbox import validation as v
from pushtask.sandbox.directory import Group
from pushtask.sandbox.state import SandboxState
from pushtask.sandbox.wecom_api import _media, app_for
from pushtask.sandbox.wire import ApiError, ok_body

CHANNEL = "wecom_customer_group"
CHINA = ZoneInfo("Asia/Shanghai")
MAX_CHATS_PER_CALL = 2000
MAX_ATTACHMENTS = 9
TEXT_LIMIT = 4000  # "消息文本内容，最多4000个字节"
REMINDS_PER_DAY = 3
LIST_LIMIT = 1000
MSG_LIST_LIMIT = 100
ATTACHMENT_TYPES = {"image", "link", "miniprogram", "video", "file"}
# get_groupmsg_task status: 0 未发送, 2 已发送. get_groupmsg_send_result status: 0 未发送, 1 已发送,
# 2 因客户不是好友导致发送失败, 3 因客户已经收到其他群发消息导致发送失败.
TASK_UNSENT, TASK_SENT = 0, 2
RESULT_UNSENT, RESULT_SENT, RESULT_OVER_CAP = 0, 1, 3


@dataclass
class GroupMsg:
    """One add_msg_template call: the owner's task and a result per chat."""

    msgid: str
    creator: str  # the sender (owner) userid
    create_time: int
    text: dict[str, Any] | None
    attachments: list[dict[str, Any]]
    chat_ids: list[str]
    status: int = TASK_UNSENT
    send_time: int = 0
    results: dict[str, tuple[int, int]] = field(default_factory=dict)  # chat_id -> (status, send_time)
    reminders: list[float] = field(default_factory=list)
    cancelled: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "msgid": self.msgid,
            "sender": self.creator,
            "createTime": self.create_time,
            "text": (self.text or {}).get("content", ""),
            "attachments": [a.get("msgtype") for a in self.attachments],
            "chatIds": list(self.chat_ids),
            "status": "cancelled" if self.cancelled else ("sent" if self.status == TASK_SENT else "pending"),
            "reminders": len(self.reminders),
        }


def customer_group(state: SandboxState, chat_id: Any) -> Group | None:
    group = state.groups.get(str(chat_id or ""))
    return group if group is not None and group.channel == CHANNEL else None


def _int(body: dict[str, Any], name: str, default: int | None = None) -> int:
    value = body.get(name, default)
    if value is None:
        raise ApiError(40058, f"missing {name}")
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise ApiError(40058, f"invalid {name}") from exc


def _page(items: list[Any], body: dict[str, Any], limit_max: int, default: int) -> tuple[list[Any], str]:
    limit = _int(body, "limit", default)
    if not 1 <= limit <= limit_max:
        raise ApiError(40058, f"limit must be between 1 and {limit_max}")
    cursor = str(body.get("cursor") or "")
    start = 0
    if cursor:
        try:
            start = int(cursor.removeprefix("c"))
        except ValueError as exc:
            raise ApiError(40058, "invalid cursor") from exc
    chunk = items[start : start + limit]
    following = start + limit
    return chunk, (f"c{following}" if following < len(items) else "")


# -- groupchat/list, groupchat/get ------------------------------------------------------------


def groupchat_list(state: SandboxState, token: str | None, body: dict[str, Any]) -> dict[str, Any]:
    app_for(state, token)
    if "limit" not in body:
        raise ApiError(40058, "missing limit")
    status_filter = _int(body, "status_filter", 0)
    if status_filter not in (0, 1, 2, 3):
        raise ApiError(40058, "invalid status_filter")
    owners = (body.get("owner_filter") or {}).get("userid_list") or []
    groups = [g for g in state.groups.values() if g.channel == CHANNEL]
    if owners:
        groups = [g for g in groups if g.owner in owners]
    if status_filter != 0:
        groups = []  # the sandbox has no groups awaiting inheritance
    rows = [{"chat_id": g.ref, "status": 0} for g in sorted(groups, key=lambda g: g.ref)]
    chunk, following = _page(rows, body, LIST_LIMIT, 0)
    return ok_body(group_chat_list=chunk, next_cursor=following)


def groupchat_get(state: SandboxState, token: str | None, body: dict[str, Any]) -> dict[str, Any]:
    app_for(state, token)
    group = customer_group(state, body.get("chat_id"))
    if group is None:
        raise ApiError(40050, "chatid not found")
    need_name = body.get("need_name") in (1, "1", True)
    members = []
    # The directory lists a few members by name; the rest of `memberCount` are external contacts.
    listed = list(group.members)
    listed += [f"wmSandbox{group.ref[-4:]}{i:05d}" for i in range(len(listed), group.member_count)]
    for member in listed:
        external = not (member in state.people and state.people[member].kind == "userid")
        row: dict[str, Any] = {
            "userid": member,
            "type": 2 if external else 1,
            "join_time": group.created_at,
            "join_scene": 1,
            "invitor": {"userid": group.owner},
            "group_nickname": "",
        }
        if need_name:
            row["name"] = state.display_name(member)
        if external:
            row["unionid"] = ""
        members.append(row)
    return ok_body(
        group_chat={
            "chat_id": group.ref,
            "name": group.name,
            "owner": group.owner,
            "create_time": group.created_at,
            "notice": "",
            "member_list": members,
            "admin_list": [],
            "member_version": f"{len(listed):032d}",
        }
    )


# -- add_msg_template -------------------------------------------------------------------------


def _check_attachment(state: SandboxState, app: Any, attachment: Any) -> None:
    if not isinstance(attachment, dict) or attachment.get("msgtype") not in ATTACHMENT_TYPES:
        raise ApiError(41065, "invalid attachment type")
    kind = str(attachment["msgtype"])
    part = v.obj(attachment, kind)
    if kind == "image":
        if part.get("media_id"):
            _media(state, app, part.get("media_id"))
        elif not part.get("pic_url"):
            raise ApiError(40058, "image needs media_id or pic_url")
    elif kind == "link":
        v.limit_bytes(v.required_text(part.get("title"), "link.title"), 128, "link.title")
        v.limit_bytes(str(part.get("desc", "")), 512, "link.desc")
        url = v.required_text(part.get("url"), "link.url")
        v.limit_bytes(url, 2048, "link.url")
    elif kind == "miniprogram":
        v.limit_bytes(v.required_text(part.get("title"), "miniprogram.title"), 64, "miniprogram.title")
        _media(state, app, part.get("pic_media_id"))
        if part.get("appid") not in app.miniprogram_appids:
            raise ApiError(40058, "miniprogram appid is not linked to this corp")
        v.required_text(part.get("page"), "miniprogram.page")
    else:
        _media(state, app, part.get("media_id"))


def add_msg_template(state: SandboxState, token: str | None, body: dict[str, Any]) -> dict[str, Any]:
    app = app_for(state, token)
    if body.get("chat_type", "single") != "group":
        raise ApiError(40058, "the sandbox emulates chat_type group only")
    sender = str(body.get("sender") or "")
    if not sender:
        raise ApiError(40058, "sender is required when chat_type is group")
    person = state.people.get(sender)
    if person is None or person.kind != "userid":
        raise ApiError(40003, "invalid userid")
    chat_ids = body.get("chat_id_list")
    if chat_ids is not None and (not isinstance(chat_ids, list) or len(chat_ids) > MAX_CHATS_PER_CALL):
        raise ApiError(40058, f"chat_id_list exceed max count {MAX_CHATS_PER_CALL}")
    text = body.get("text")
    attachments = body.get("attachments") or []
    if not attachments:
        # The first version of the call (doc 91560, what wechatpy 1.8 documents) put one of
        # image / link / miniprogram at the top level; WeCom still takes it.
        for kind in ("image", "link", "miniprogram"):
            if isinstance(body.get(kind), dict):
                attachments = [{"msgtype": kind, kind: body[kind]}]
                break
    if not isinstance(attachments, list) or len(attachments) > MAX_ATTACHMENTS:
        raise ApiError(40058, f"attachments exceed max count {MAX_ATTACHMENTS}")
    content = text.get("content", "") if isinstance(text, dict) else ""
    if not str(content).strip() and not attachments:
        raise ApiError(44004, "empty content")
    v.limit_bytes(str(content), TEXT_LIMIT, "text.content")
    for attachment in attachments:
        _check_attachment(state, app, attachment)
    # Without chat_id_list the send goes to every group the sender owns.
    wanted = [str(c) for c in chat_ids] if chat_ids else [g.ref for g in state.groups.values() if g.owner == sender]
    valid: list[str] = []
    fail_list: list[str] = []
    for chat_id in wanted:
        group = customer_group(state, chat_id)
        (valid if group is not None and group.owner == sender else fail_list).append(chat_id)
    if not valid:
        return ok_body(fail_list=fail_list, msgid="")
    msgid = "msg" + secrets.token_urlsafe(24).replace("-", "A").replace("_", "B")
    now = int(state.clock())
    state.groupmsgs[msgid] = GroupMsg(
        msgid,
        sender,
        now,
        {"content": str(content)} if str(content).strip() else None,
        [dict(a) for a in attachments],
        valid,
        results=dict.fromkeys(valid, (RESULT_UNSENT, 0)),
    )
    return ok_body(fail_list=fail_list, msgid=msgid)


# -- read back --------------------------------------------------------------------------------


def _groupmsg(state: SandboxState, body: dict[str, Any]) -> GroupMsg:
    msg = state.groupmsgs.get(str(body.get("msgid") or ""))
    if not isinstance(msg, GroupMsg):
        raise ApiError(40058, "invalid msgid")
    return msg


def get_groupmsg_list_v2(state: SandboxState, token: str | None, body: dict[str, Any]) -> dict[str, Any]:
    app_for(state, token)
    start, end = _int(body, "start_time"), _int(body, "end_time")
    if end < start or end - start > 31 * 86400:
        raise ApiError(40058, "the time range must not exceed one month")
    if body.get("chat_type", "single") != "group":
        return ok_body(group_msg_list=[], next_cursor="")
    creator = body.get("creator")
    rows = []
    for msg in sorted(state.groupmsgs.values(), key=lambda m: m.create_time):
        if not start <= msg.create_time <= end or (creator and msg.creator != creator):
            continue
        row: dict[str, Any] = {
            "msgid": msg.msgid,
            "creator": msg.creator,
            "create_time": str(msg.create_time),
            "create_type": 0,
        }
        if msg.text is not None:
            row["text"] = msg.text
        if msg.attachments:
            row["attachments"] = msg.attachments
        rows.append(row)
    chunk, following = _page(rows, body, MSG_LIST_LIMIT, 50)
    return ok_body(group_msg_list=chunk, next_cursor=following)


def get_groupmsg_task(state: SandboxState, token: str | None, body: dict[str, Any]) -> dict[str, Any]:
    app_for(state, token)
    msg = _groupmsg(state, body)
    row: dict[str, Any] = {"userid": msg.creator, "status": msg.status}
    if msg.status == TASK_SENT:
        row["send_time"] = msg.send_time
    chunk, following = _page([row], body, LIST_LIMIT, 500)
    return ok_body(task_list=chunk, next_cursor=following)


def get_groupmsg_send_result(state: SandboxState, token: str | None, body: dict[str, Any]) -> dict[str, Any]:
    app_for(state, token)
    msg = _groupmsg(state, body)
    if str(body.get("userid") or "") != msg.creator:
        return ok_body(send_list=[], next_cursor="")
    rows = []
    for chat_id in msg.chat_ids:
        status, send_time = msg.results[chat_id]
        row: dict[str, Any] = {"chat_id": chat_id, "userid": msg.creator, "status": status}
        if status != RESULT_UNSENT:
            row["send_time"] = send_time
        rows.append(row)
    chunk, following = _page(rows, body, LIST_LIMIT, 500)
    return ok_body(send_list=chunk, next_cursor=following)


def get_group_msg_result(state: SandboxState, token: str | None, body: dict[str, Any]) -> dict[str, Any]:
    """The first read-back call (doc 91561, superseded by get_groupmsg_task/send_result)."""
    app_for(state, token)
    msg = _groupmsg(state, body)
    rows = []
    for chat_id in msg.chat_ids:
        status, send_time = msg.results[chat_id]
        row: dict[str, Any] = {"chat_id": chat_id, "userid": msg.creator, "status": status}
        if status != RESULT_UNSENT:
            row["send_time"] = send_time
        rows.append(row)
    return ok_body(check_status=1, detail_list=rows)


# -- remind, cancel ---------------------------------------------------------------------------


def remind_groupmsg_send(state: SandboxState, token: str | None, body: dict[str, Any]) -> dict[str, Any]:
    app_for(state, token)
    msg = _groupmsg(state, body)
    if msg.cancelled:
        raise ApiError(40058, "the mass send has been cancelled")
    now = state.clock()
    recent = [t for t in msg.reminders if t > now - 86400]
    if len(recent) >= REMINDS_PER_DAY:
        raise ApiError(45009, "api freq out of limit: a mass send may be reminded at most 3 times in 24 hours")
    msg.reminders = [*recent, now]
    state.stats["groupmsg_reminders_delivered"] += 1
    return ok_body()


def cancel_groupmsg_send(state: SandboxState, token: str | None, body: dict[str, Any]) -> dict[str, Any]:
    app_for(state, token)
    msg = _groupmsg(state, body)
    msg.cancelled = True  # only unsent tasks are stopped; what was sent stays sent
    return ok_body()


# -- the owner's tap (web view and POST B/_sandbox/groupmsg/send) -----------------------------


def month_cap(ts: float) -> tuple[str, int]:
    """The month a send counts in (China time) and its cap: as many sends as the month has days."""
    local = datetime.fromtimestamp(ts, CHINA)
    return f"{local.year:04d}-{local.month:02d}", calendar.monthrange(local.year, local.month)[1]


def sends_this_month(state: SandboxState, chat_id: str, now: float) -> int:
    month, _ = month_cap(now)
    return sum(1 for t in state.group_sends.get(chat_id, []) if month_cap(t)[0] == month)


def pending_for(state: SandboxState, userid: str) -> list[GroupMsg]:
    return [m for m in state.groupmsgs.values() if m.creator == userid and m.status == TASK_UNSENT and not m.cancelled]


def owner_sends(state: SandboxState, userid: str, msgid: str | None = None) -> list[dict[str, Any]]:
    """The owner taps 发送: each pending task (or the one named) reaches the owner's groups."""
    person = state.people.get(userid)
    if person is None or person.kind != "userid":
        raise ApiError(40003, f"unknown owner userid {userid!r}")
    tasks = pending_for(state, userid)
    if msgid:
        tasks = [t for t in tasks if t.msgid == msgid]
        if not tasks:
            raise ApiError(40058, f"no pending mass send {msgid!r} for {userid!r}")
    now = state.clock()
    done = []
    for task in tasks:
        task.status, task.send_time = TASK_SENT, int(now)
        delivered, over_cap = [], []
        for chat_id in task.chat_ids:
            _, cap = month_cap(now)
            if sends_this_month(state, chat_id, now) >= cap:
                task.results[chat_id] = (RESULT_OVER_CAP, int(now))
                over_cap.append(chat_id)
                continue
            state.group_sends.setdefault(chat_id, []).append(now)
            task.results[chat_id] = (RESULT_SENT, int(now))
            extra = {"msgid": task.msgid, "sender": userid}
            if task.text is not None:
                state.record(chat_id, CHANNEL, "groupmsg/send", "text", {"text": task.text}, **extra)
            for attachment in task.attachments:
                state.record(chat_id, CHANNEL, "groupmsg/send", str(attachment["msgtype"]), attachment, **extra)
            delivered.append(chat_id)
        done.append({"msgid": task.msgid, "chatIds": delivered, "overCap": over_cap})
    return done


def assistant(state: SandboxState) -> list[dict[str, Any]]:
    """Each owner's 群发助手: the mass sends waiting for their tap, newest first."""
    owners = sorted({g.owner for g in state.groups.values() if g.channel == CHANNEL and g.owner})
    out = []
    for owner in owners:
        tasks = sorted(state.groupmsgs.values(), key=lambda m: -m.create_time)
        out.append(
            {
                "userid": owner,
                "name": state.display_name(owner),
                "tasks": [t.to_json() for t in tasks if t.creator == owner],
            }
        )
    return out
