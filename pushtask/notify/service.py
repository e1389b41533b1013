"""Use cases behind /api/notifications: send one now, the inbox (bell), each user's settings."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from pushtask.domain import pages
from pushtask.domain.actor import Actor
from pushtask.errors import FieldProblem, InvalidInput
from pushtask.models import InboxItem, Notification, NotificationSettings, Recipient, Task, User
from pushtask.models.notification import NOTIFY_CHANNELS
from pushtask.notify import outbox

TITLES = {"reminder": "推送提醒", "result": "推送结果", "preview": "预览通知"}
DEFAULT_CHANNELS = ["wecom", "miniprogram", "inbox"]


def send_now(
    session: Session,
    actor: Actor,
    now: datetime,
    *,
    user_id: str,
    type: str,
    task_id: str | None,
    message: str,
    status: str | None,
    error: str | None,
) -> Notification:
    """Queue a notice to a user of the caller's organisation for immediate delivery (PRD §8.6)."""
    problems = []
    user = session.get(User, user_id)
    if user is None or user.org_id != actor.org_id:
        problems.append(FieldProblem("userId", "unknown_user"))
    task = session.get(Task, task_id) if task_id else None
    if task_id and (task is None or task.org_id != actor.org_id or task.deleted_at is not None):
        problems.append(FieldProblem("taskId", "task_not_found"))
    if problems:
        raise InvalidInput(problems, error="Invalid notification")
    title = TITLES[type] + (f"：{task.name}" if task else "")
    lines = [message] + ([f"原因：{error}"] if error else [])
    payload = {
        "title": title,
        "taskName": task.name if task else TITLES[type],
        "time": now.strftime("%Y-%m-%d %H:%M"),
        "status": {"success": "成功", "failed": "失败"}.get(status or "", TITLES[type]),
        "lines": lines,
        "link": f"/tasks/{task.id}" if task else None,
        "page": pages.task(task.id) if task else pages.TASKS,
        "sentBy": actor.user_id,
    }
    row = outbox.enqueue(
        session,
        now,
        type=type,
        dedupe_key=f"manual:{uuid.uuid4().hex}",
        payload=payload,
        org_id=actor.org_id,
        addressee=outbox.for_user(session, user_id),
        task_id=task.id if task else None,
    )
    assert row is not None  # a fresh random key cannot collide
    return row


@dataclass(frozen=True)
class InboxPage:
    items: list[InboxItem]
    total: int
    unread: int


def inbox(session: Session, actor: Actor, *, unread_only: bool, page: int, limit: int) -> InboxPage:
    """Return the caller's bell: newest first."""
    mine = InboxItem.user_id == actor.user_id
    query = select(InboxItem).where(mine)
    if unread_only:
        query = query.where(InboxItem.read_at.is_(None))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    unread = session.scalar(select(func.count()).where(mine, InboxItem.read_at.is_(None))) or 0
    items = list(
        session.scalars(
            query.order_by(InboxItem.created_at.desc(), InboxItem.id.desc()).offset((page - 1) * limit).limit(limit)
        )
    )
    return InboxPage(items, total, unread)


def mark_read(session: Session, actor: Actor, ids: list[int] | None, now: datetime) -> int:
    """Mark some (or all) of the caller's notices read; return how many changed."""
    query = update(InboxItem).where(InboxItem.user_id == actor.user_id, InboxItem.read_at.is_(None))
    if ids is not None:
        query = query.where(InboxItem.id.in_(ids))
    result = session.execute(query.values(read_at=now))
    return int(result.rowcount)  # type: ignore[attr-defined]


def get_settings(session: Session, actor: Actor) -> NotificationSettings:
    """Return the caller's settings (defaults when never saved)."""
    row = session.get(NotificationSettings, actor.user_id)
    if row is None:
        return NotificationSettings(
            user_id=actor.user_id,
            org_id=actor.org_id,
            recipient_id=None,
            channels=",".join(DEFAULT_CHANNELS),
            mute_reminders=False,
        )
    return row


def save_settings(
    session: Session, actor: Actor, now: datetime, *, recipient_id: str | None, channels: list[str], mute: bool
) -> NotificationSettings:
    """Save how the caller is reached: linked recipient, channels in order, muted reminders."""
    problems = []
    recipient_id = recipient_id or None  # "" unlinks, like null
    if recipient_id is not None:
        recipient = session.get(Recipient, recipient_id)
        if recipient is None or recipient.org_id != actor.org_id or recipient.deleted_at is not None:
            problems.append(FieldProblem("recipientId", "recipients_unknown", {"ids": recipient_id}))
        else:
            taken = session.scalar(
                select(NotificationSettings.user_id).where(
                    NotificationSettings.recipient_id == recipient_id, NotificationSettings.user_id != actor.user_id
                )
            )
            if taken:
                problems.append(FieldProblem("recipientId", "recipient_linked"))
    if len(set(channels)) != len(channels):
        problems.append(FieldProblem("channels", "duplicate_items"))
    if any(c not in NOTIFY_CHANNELS for c in channels):
        problems.append(FieldProblem("channels", "choice", {"choices": ", ".join(NOTIFY_CHANNELS)}))
    if problems:
        raise InvalidInput(problems)
    row = session.get(NotificationSettings, actor.user_id)
    if row is None:
        row = NotificationSettings(user_id=actor.user_id, org_id=actor.org_id)
        session.add(row)
    row.recipient_id = recipient_id
    row.channels = ",".join(channels)
    row.mute_reminders = mute
    row.updated_at = now
    return row
