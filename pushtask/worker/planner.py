"""Turn due tasks into pushes: one transaction advances next_fire_at and inserts the occurrence.

The unique key (task_id, fire_at) makes a second scheduler's attempt at the same occurrence a
no-op; `FOR UPDATE SKIP LOCKED` (MySQL/MariaDB) keeps two schedulers off the same task at all.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from pushtask.domain import recurrence
from pushtask.models import Push, Task, TaskLog, new_id
from pushtask.notify import planning as notices
from pushtask.services import approval
from pushtask.services.pushes import create_push
from pushtask.services.schedules import rule_of

log = logging.getLogger("pushtask.worker.planner")
SYSTEM_USER = "system"
MISSED_SCAN_LIMIT = 1000


def skip_locked(session: Session) -> bool:
    """Tell whether the backend supports FOR UPDATE SKIP LOCKED (MySQL 8, MariaDB ≥ 10.6)."""
    return session.get_bind().dialect.name in {"mysql", "mariadb"}


def _log_system(session: Session, task: Task, action: str, changes: dict[str, Any], now: datetime) -> None:
    session.add(
        TaskLog(
            id=new_id(),
            task_id=task.id,
            org_id=task.org_id,
            action=action,
            user_id=SYSTEM_USER,
            changes=changes,
            created_at=now,
        )
    )


def resume_paused(session: Session, now: datetime, limit: int = 100) -> int:
    """Resume paused tasks whose resume time has come; return how many."""
    query = (
        select(Task)
        .where(
            Task.status == "paused", Task.paused_until.is_not(None), Task.paused_until <= now, Task.deleted_at.is_(None)
        )
        .limit(limit)
    )
    if skip_locked(session):
        query = query.with_for_update(skip_locked=True)
    count = 0
    for task in session.scalars(query):
        if approval.awaits_confirmation(session, task):
            # Edited while paused and not yet confirmed in a preview: it stays paused, and says why.
            changes = {
                "pausedUntil": {"old": task.paused_until.isoformat() if task.paused_until else None, "new": None},
                "previewState": {"old": task.preview_state, "new": task.preview_state},
            }
            task.paused_until = None
            task.updated_at = now
            _log_system(session, task, "pause", changes, now)
            log.warning("task %s stays paused: its content awaits a confirmed preview", task.id)
            count += 1
            continue
        next_fire = recurrence.next_fire(rule_of(task), now)
        changes = {
            "status": {"old": "paused", "new": "scheduled" if next_fire else "completed"},
            "pausedUntil": {"old": task.paused_until.isoformat() if task.paused_until else None, "new": None},
        }
        task.status = "scheduled" if next_fire else "completed"
        task.paused_until = None
        task.next_fire_at = next_fire
        task.display_time = next_fire or task.display_time
        task.updated_at = now
        _log_system(session, task, "resume", changes, now)
        count += 1
    return count


def materialize_due(session: Session, now: datetime, limit: int = 100) -> list[Push]:
    """Create the pushes of every task due at `now` (most urgent first); return those created.

    A task whose occurrence a worker planned ahead (`worker/ahead.py`) is left to that plan: its
    holder fires it, or discards it (the task changed) and this picks the task up afresh.
    """
    planned = exists().where(Push.task_id == Task.id, Push.fire_at == Task.next_fire_at, Push.status == "planned")
    query = (
        select(Task)
        .where(
            Task.status == "scheduled",
            Task.next_fire_at.is_not(None),
            Task.next_fire_at <= now,
            Task.deleted_at.is_(None),
            ~planned,
        )
        .order_by(Task.priority.desc(), Task.next_fire_at, Task.id)
        .limit(limit)
    )
    if skip_locked(session):
        # Another scheduler's locked rows are skipped, not waited for: it is firing them.
        query = query.with_for_update(skip_locked=True)
    created: list[Push] = []
    for task in session.scalars(query):
        fire_at = task.next_fire_at
        assert fire_at is not None
        rule = rule_of(task)
        if now - fire_at > timedelta(seconds=task.misfire_grace_seconds):
            push = _handle_missed(session, task, rule, fire_at, now)
        else:
            push = create_push(session, task, fire_at, now, trigger="schedule")
            task.next_fire_at = recurrence.next_fire(rule, fire_at)
            if push is not None and push.status == "running":
                task.status = "running"
            elif task.next_fire_at is None:
                task.status = "completed"
        task.display_time = task.next_fire_at or fire_at
        if push is not None:
            created.append(push)
    return created


def _handle_missed(
    session: Session, task: Task, rule: recurrence.Schedule, fire_at: datetime, now: datetime
) -> Push | None:
    """Record occurrences no worker fired in time; send the latest late if the task says so."""
    missed = [fire_at]
    for when in recurrence.upcoming(rule, fire_at, MISSED_SCAN_LIMIT):
        if when > now:
            break
        missed.append(when)
    next_fire = recurrence.next_fire(rule, now)
    grace = timedelta(seconds=task.misfire_grace_seconds)
    latest = missed[-1]
    if task.send_late or now - latest <= grace:
        # Coalesce: one late push for the newest missed occurrence, the older ones counted as missed.
        push = create_push(
            session,
            task,
            latest,
            now,
            trigger="late" if now - latest > grace else "schedule",
            missed_count=len(missed) - 1,
        )
        task.status = "running" if push is not None and push.status == "running" else task.status
    else:
        push = create_push(session, task, missed[0], now, trigger="schedule", status="missed", missed_count=len(missed))
        task.last_push_id = push.id if push is not None else task.last_push_id
        task.status = "scheduled" if next_fire else "failed"
        log.warning("task %s missed %d occurrence(s) from %s", task.id, len(missed), missed[0].isoformat())
        if push is not None:
            notices.on_missed(session, task, push, len(missed), now)
    task.next_fire_at = next_fire
    if task.next_fire_at is None and task.status == "scheduled":
        task.status = "completed"
    return push
