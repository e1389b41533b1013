"""The change log: a task's editable state as flat fields, what changed, and the log rows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from pushtask.domain.actor import Actor
from pushtask.models import (
    Recipient,
    Task,
    TaskLog,
    User,
    new_id,
)
from pushtask.services.schedules import schedule_out
from pushtask.services.tasks.query import PRIORITY_NAMES, get_task


def task_logs(session: Session, actor: Actor, task_id: str) -> list[tuple[TaskLog, str]]:
    """Return the task's change log, newest first, with each author's name.

    The author is a user, or a reviewer (a directory recipient) who answered a preview in WeChat.
    """
    task = get_task(session, actor, task_id)
    rows = session.execute(
        select(TaskLog, func.coalesce(User.name, Recipient.name))
        .outerjoin(User, User.id == TaskLog.user_id)
        .outerjoin(Recipient, and_(Recipient.id == TaskLog.user_id, Recipient.org_id == TaskLog.org_id))
        .where(TaskLog.task_id == task.id)
        .order_by(TaskLog.created_at.desc(), TaskLog.id)
    )
    return [(log, name or "") for log, name in rows]


def snapshot(task: Task, groups: list[str], recipients: list[str]) -> dict[str, Any]:
    """Return the task's editable state as flat fields, as the change log records them."""
    flat: dict[str, Any] = {"name": task.name}
    for key, value in schedule_out(task).items():
        flat[f"schedule.{key}"] = value
    flat.update(
        {
            "content.text": task.content_text,
            "content.image": task.content_image,
            "content.link": task.content_link,
            "content.miniprogram": task.content_miniprogram,
            "groups": list(groups),
            "priority": PRIORITY_NAMES[task.priority],
            "status": task.status,
            "previewRecipients": list(recipients),
        }
    )
    return flat


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Return {field: {old, new}} for each field whose value changed."""
    return {key: {"old": before.get(key), "new": after.get(key)} for key in after if before.get(key) != after.get(key)}


def _log(session: Session, actor: Actor, task: Task, action: str, changes: dict[str, Any], now: datetime) -> None:
    session.add(
        TaskLog(
            id=new_id(),
            task_id=task.id,
            org_id=task.org_id,
            action=action,
            user_id=actor.user_id,
            changes=changes,
            created_at=now,
        )
    )
