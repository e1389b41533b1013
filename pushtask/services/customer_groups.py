"""WeCom customer groups in the directory: sync from WeCom, and the target a channel needs.

A sync imports every customer group `externalcontact/groupchat/list` names (following its cursor)
with the name, owner and member count `groupchat/get` gives. A group gone from WeCom is marked
(`removed_at`), never deleted: history and reports keep it.
"""

from __future__ import annotations

from collections.abc import Coroutine, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from pushtask.channels.base import GroupTarget
from pushtask.domain.actor import Actor
from pushtask.errors import Conflict
from pushtask.models import Group, Recipient, new_id
from pushtask.wechat.customer_group import RESULT_SENT, TASK_SENT, CustomerGroupClient, GroupChat
from pushtask.wechat.errors import WeChatError

T = TypeVar("T")
SYNC_TIMEOUT_S = 60.0


class Runner(Protocol):
    """Runs a coroutine on the loop the WeChat clients belong to (`pushtask.runtime.WeChatLink.run`)."""

    def __call__(self, coro: Coroutine[Any, Any, T], timeout: float) -> T: ...


CHANNEL = "wecom_customer_group"


@dataclass(frozen=True)
class SyncResult:
    imported: int
    updated: int
    removed: int

    def to_json(self) -> dict[str, int]:
        return {"imported": self.imported, "updated": self.updated, "removed": self.removed}


async def fetch_chats(client: CustomerGroupClient) -> list[GroupChat]:
    """Every customer group the app may see, with name, owner and member count."""
    return [await client.get_chat(chat_id) for chat_id in await client.list_chat_ids()]


def sync(session: Session, actor: Actor, now: datetime, client: CustomerGroupClient | None, run: Runner) -> SyncResult:
    """Import the WeCom app's customer groups into the actor's organisation (409 when WeCom is not configured
    or refuses). No transaction is open across the WeCom calls: the directory is read first, written after."""
    if client is None:
        raise Conflict("wecom_not_configured")
    try:
        chats = run(fetch_chats(client), SYNC_TIMEOUT_S)
    except WeChatError as exc:
        raise Conflict("wecom_sync_failed", errcode=exc.code, reason=exc.info.zh) from exc
    return apply_sync(session, actor.org_id, chats, now)


def owner_names(session: Session, org_id: str) -> dict[str, str]:
    """WeCom userid -> name, from the organisation's WeCom recipients (the owners are colleagues)."""
    rows = session.scalars(
        select(Recipient).where(
            Recipient.org_id == org_id, Recipient.channel == "wecom", Recipient.deleted_at.is_(None)
        )
    ).all()
    return {r.channel_user_id: r.name for r in rows if r.channel_user_id}


def apply_sync(session: Session, org_id: str, chats: Sequence[GroupChat], now: datetime) -> SyncResult:
    """Bring the organisation's customer groups in line with what WeCom listed."""
    names = owner_names(session, org_id)
    existing = session.scalars(
        select(Group).where(Group.org_id == org_id, Group.channel == CHANNEL, Group.deleted_at.is_(None))
    ).all()
    by_ref = {g.channel_ref: g for g in existing}
    imported = updated = removed = 0
    seen: set[str] = set()
    for chat in chats:
        seen.add(chat.chat_id)
        name = (chat.name or chat.chat_id)[:100]
        owner_name = names.get(chat.owner)
        group = by_ref.get(chat.chat_id)
        if group is None:
            session.add(
                Group(
                    id=new_id(),
                    org_id=org_id,
                    name=name,
                    channel=CHANNEL,
                    channel_ref=chat.chat_id,
                    member_count=chat.member_count,
                    owner_userid=chat.owner,
                    owner_name=owner_name,
                    created_at=now,
                    updated_at=now,
                )
            )
            imported += 1
            continue
        before = (group.name, group.member_count, group.owner_userid, group.owner_name, group.removed_at)
        group.name, group.member_count, group.owner_userid = name, chat.member_count, chat.owner
        group.owner_name = owner_name or group.owner_name
        group.removed_at = None
        if (group.name, group.member_count, group.owner_userid, group.owner_name, group.removed_at) != before:
            group.updated_at = now
            updated += 1
    for group in existing:
        if group.channel_ref not in seen and group.removed_at is None:
            group.removed_at = now
            group.updated_at = now
            removed += 1
    return SyncResult(imported, updated, removed)


def target(group: Group) -> GroupTarget:
    """The channel's view of a group (the customer group's owner included)."""
    return GroupTarget(
        group.id,
        group.name,
        group.channel,
        group.channel_ref,
        owner=group.owner_userid or "",
        owner_name=group.owner_name or "",
    )


async def reported_sends(
    client: CustomerGroupClient, chat_ids: Sequence[str], start: datetime, end: datetime
) -> dict[str, list[datetime]]:
    """The customer-group mass sends WeCom delivered to these chats in [start, end] (≤ one month).

    Includes sends made outside PushTask (the admin console, other tools), which count against the
    same cap.
    """
    wanted = set(chat_ids)
    out: dict[str, list[datetime]] = {c: [] for c in chat_ids}
    for record in await client.group_msgs(int(start.timestamp()), int(end.timestamp())):
        for task in await client.tasks(record.msgid):
            if task.status != TASK_SENT:
                continue
            for result in await client.send_results(record.msgid, task.userid):
                if result.chat_id in wanted and result.status == RESULT_SENT and result.send_time:
                    out[result.chat_id].append(datetime.fromtimestamp(result.send_time, UTC))
    return out
