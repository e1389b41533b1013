"""Deleted tasks stay in a trash for 30 days and can be restored from it."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from pushtask.domain.actor import Actor
from pushtask.errors import Conflict, NotFound
from pushtask.models import Task, TaskLog, new_id

KEEP = timedelta(days=30)
LIMIT = 500


def list_trash(session: Session, actor: Actor, now: datetime) -> list[Task]:
    """Return the organisation's tasks deleted in the last 30 days, most recently deleted first."""
    return list(
        session.scalars(
            select(Task)
            .where(Task.org_id == actor.org_id, Task.deleted_at.is_not(None), Task.deleted_at >= now - KEEP)
            .order_by(Task.deleted_at.desc(), Task.id)
            .limit(LIMIT)
        )
    )


def restore(session: Session, actor: Actor, task_id: str, now: datetime) -> Task:
    """Bring a deleted task back as it was (a draft or paused task); logged as `undelete`."""
    task = session.scalars(
        select(Task).where(Task.id == task_id, Task.org_id == actor.org_id).with_for_update()
    ).first()
    if task is None:
        raise NotFound("Task not found")
    if task.deleted_at is None:
        raise Conflict("trash_not_deleted")
    if task.deleted_at < now - KEEP:
        raise Conflict("trash_expired", days=KEEP.days)
    deleted_at = task.deleted_at
    task.deleted_at = None
    task.updated_at = now
    session.add(
        TaskLog(
            id=new_id(),
            task_id=task.id,
            org_id=task.org_id,
            action="undelete",
            user_id=actor.user_id,
            changes={"deletedAt": {"old": deleted_at.isoformat(), "new": None}},
            created_at=now,
        )
    )
    return task
