"""One action over many tasks, each in its own SAVEPOINT (PRD §8.3 batch)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from pushtask.domain.actor import Actor
from pushtask.errors import Conflict, InvalidInput, NotFound
from pushtask.models import (
    Task,
)
from pushtask.schemas import BatchUpdates
from pushtask.services.tasks.edit import copy_task, delete_task, pause_task, resume_task, update_task


def batch(
    session: Session, actor: Actor, task_ids: list[str], action: str, updates: BatchUpdates | None, now: datetime
) -> list[tuple[str, Task | None, Exception | None]]:
    """Apply one action to each task on its own; one task's failure never undoes another's.

    Each task runs inside a SAVEPOINT: a refusal rolls back that task's partial writes only.
    Returns (task id, the resulting task — the new copy for "copy" —, the error or None).
    """
    outcomes: list[tuple[str, Task | None, Exception | None]] = []
    for task_id in dict.fromkeys(task_ids):
        savepoint = session.begin_nested()
        try:
            result: Task | None
            if action == "delete":
                delete_task(session, actor, task_id, now)
                result = None
            elif action == "pause":
                result = pause_task(session, actor, task_id, updates.resumeAt if updates else None, now)
            elif action == "resume":
                result = resume_task(session, actor, task_id, now)
            elif action == "copy":
                result = copy_task(session, actor, task_id, now)
            else:
                result = update_task(session, actor, task_id, updates or BatchUpdates(), now)
            session.flush()
            savepoint.commit()
            outcomes.append((task_id, result, None))
        except (InvalidInput, NotFound, Conflict) as exc:
            savepoint.rollback()
            outcomes.append((task_id, None, exc))
    return outcomes
