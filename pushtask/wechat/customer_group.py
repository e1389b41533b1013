"""WeCom 客户联系 calls for customer groups: the directory and the owner-confirmed mass send.

The access token is the one of a self-built app listed under 客户联系 → API → 可调用应用 (or the
客户联系 secret), so the calls go through `WeComClient.call` and share its token cache.
Docs: groupchat/list path/92120, groupchat/get 92122, add_msg_template 92135,
get_groupmsg_list_v2 / get_groupmsg_task / get_groupmsg_send_result 93338,
remind_groupmsg_send 97610, cancel_groupmsg_send 97611.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pushtask.wechat.wecom import WeComClient

MAX_CHATS_PER_CALL = 2000
PAGE = 1000

# get_groupmsg_task: 0 未发送, 2 已发送
TASK_UNSENT, TASK_SENT = 0, 2
# get_groupmsg_send_result: 0 未发送, 1 已发送, 2 客户不是好友, 3 客户已收到其他群发
RESULT_UNSENT, RESULT_SENT, RESULT_NOT_FRIEND, RESULT_OVER_CAP = 0, 1, 2, 3


@dataclass(frozen=True)
class GroupChat:
    chat_id: str
    name: str
    owner: str
    member_count: int
    create_time: int


@dataclass(frozen=True)
class MassSend:
    """What add_msg_template answered: the msgid, and the chat ids WeCom would not take."""

    msgid: str
    fail_list: tuple[str, ...]


@dataclass(frozen=True)
class OwnerTask:
    userid: str
    status: int
    send_time: int | None


@dataclass(frozen=True)
class ChatResult:
    chat_id: str
    userid: str
    status: int
    send_time: int | None


@dataclass(frozen=True)
class GroupMsgRecord:
    msgid: str
    creator: str
    create_time: int
    text: str = ""  # text.content as created


class CustomerGroupClient:
    """The eight externalcontact calls PushTask uses, over one WeCom app's token."""

    def __init__(self, wecom: WeComClient) -> None:
        self.wecom = wecom

    async def _post(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        return await self.wecom.call("POST", f"externalcontact/{path}", json_body=body)

    async def list_chat_ids(self, *, owners: Sequence[str] = (), limit: int = PAGE) -> list[str]:
        """Every customer group's chat_id, following `next_cursor` to the end."""
        chat_ids: list[str] = []
        cursor = ""
        while True:
            body: dict[str, Any] = {"status_filter": 0, "limit": limit}
            if owners:
                body["owner_filter"] = {"userid_list": list(owners)}
            if cursor:
                body["cursor"] = cursor
            answer = await self._post("groupchat/list", body)
            chat_ids.extend(str(row["chat_id"]) for row in answer.get("group_chat_list") or [])
            cursor = str(answer.get("next_cursor") or "")
            if not cursor:
                return chat_ids

    async def get_chat(self, chat_id: str) -> GroupChat:
        answer = await self._post("groupchat/get", {"chat_id": chat_id, "need_name": 0})
        chat = answer.get("group_chat") or {}
        return GroupChat(
            chat_id=str(chat.get("chat_id", chat_id)),
            name=str(chat.get("name", "")),
            owner=str(chat.get("owner", "")),
            member_count=len(chat.get("member_list") or []),
            create_time=int(chat.get("create_time", 0)),
        )

    async def add_group_msg_template(
        self, sender: str, chat_ids: Sequence[str], text: str, attachments: Sequence[Mapping[str, Any]] = ()
    ) -> MassSend:
        """Create a mass send to `sender`'s groups; they must tap 发送 in WeCom for it to go out."""
        if len(chat_ids) > MAX_CHATS_PER_CALL:
            raise ValueError(f"at most {MAX_CHATS_PER_CALL} chat ids per call")
        body: dict[str, Any] = {"chat_type": "group", "sender": sender, "chat_id_list": list(chat_ids)}
        if text.strip():
            body["text"] = {"content": text}
        if attachments:
            body["attachments"] = [dict(a) for a in attachments]
        answer = await self._post("add_msg_template", body)
        return MassSend(str(answer.get("msgid") or ""), tuple(str(c) for c in answer.get("fail_list") or []))

    async def group_msgs(self, start_time: int, end_time: int, *, creator: str = "") -> list[GroupMsgRecord]:
        """Customer-group mass sends created in [start, end] (at most one month apart)."""
        out: list[GroupMsgRecord] = []
        cursor = ""
        while True:
            body: dict[str, Any] = {"chat_type": "group", "start_time": start_time, "end_time": end_time, "limit": 100}
            if creator:
                body["creator"] = creator
            if cursor:
                body["cursor"] = cursor
            answer = await self._post("get_groupmsg_list_v2", body)
            for row in answer.get("group_msg_list") or []:
                text = row.get("text")
                out.append(
                    GroupMsgRecord(
                        str(row["msgid"]),
                        str(row.get("creator", "")),
                        int(row.get("create_time", 0)),
                        str(text.get("content", "")) if isinstance(text, dict) else "",
                    )
                )
            cursor = str(answer.get("next_cursor") or "")
            if not cursor:
                return out

    async def tasks(self, msgid: str) -> list[OwnerTask]:
        out: list[OwnerTask] = []
        cursor = ""
        while True:
            body: dict[str, Any] = {"msgid": msgid, "limit": PAGE}
            if cursor:
                body["cursor"] = cursor
            answer = await self._post("get_groupmsg_task", body)
            for row in answer.get("task_list") or []:
                sent_at = row.get("send_time")
                out.append(OwnerTask(str(row["userid"]), int(row.get("status", 0)), int(sent_at) if sent_at else None))
            cursor = str(answer.get("next_cursor") or "")
            if not cursor:
                return out

    async def send_results(self, msgid: str, userid: str) -> list[ChatResult]:
        out: list[ChatResult] = []
        cursor = ""
        while True:
            body: dict[str, Any] = {"msgid": msgid, "userid": userid, "limit": PAGE}
            if cursor:
                body["cursor"] = cursor
            answer = await self._post("get_groupmsg_send_result", body)
            for row in answer.get("send_list") or []:
                sent_at = row.get("send_time")
                out.append(
                    ChatResult(
                        str(row.get("chat_id", "")),
                        str(row.get("userid", userid)),
                        int(row.get("status", 0)),
                        int(sent_at) if sent_at else None,
                    )
                )
            cursor = str(answer.get("next_cursor") or "")
            if not cursor:
                return out

    async def remind(self, msgid: str) -> None:
        await self._post("remind_groupmsg_send", {"msgid": msgid})

    async def cancel(self, msgid: str) -> None:
        await self._post("cancel_groupmsg_send", {"msgid": msgid})
