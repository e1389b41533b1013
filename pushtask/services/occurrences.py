"""Single occurrences of a recurring task: skip one, restore it, move it to another time.

The changes live on the task (``Task.occurrence_changes``) and are part of its rule
(``pushtask.services.schedules.rule_of``), so the worker honours them wherever it computes the
next fire time. An occurrence is named by its slot instant — the time the rule gives it — or, once
moved, by the time it was moved to. Each change is written to the task log.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from pushtask.domain import recurrence
from pushtask.domain.actor import Actor
from pushtask.errors import Conflict, FieldProblem, InvalidInput
from pushtask.models import Task, TaskLog, new_id
from pushtask.services.schedules import iso_in_zone, rule_of
from pushtask.services.tasks import get_task

MAX_CHANGES = 200
# Changes whose times are all older than this are dropped (the calendar shows at most 62 days back).
KEEP_PAST = timedelta(days=70)
_EPSILON = timedelta(microseconds=1)


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


def _load(task: Task) -> tuple[list[datetime], dict[datetime, datetime]]:
    rule = rule_of(task)
    return sorted(rule.skips), dict(rule.moves)


def _store(task: Task, skips: list[datetime], moves: dict[datetime, datetime], now: datetime) -> None:
    cutoff = now - KEEP_PAST
    kept_skips = sorted(s for s in set(skips) if s >= cutoff)
    kept_moves = sorted((a, b) for a, b in moves.items() if a >= cutoff or b >= cutoff)
    if len(kept_skips) + len(kept_moves) > MAX_CHANGES:
        raise Conflict("occurrence_too_many", max=MAX_CHANGES)
    if not kept_skips and not kept_moves:
        task.occurrence_changes = None
        return
    task.occurrence_changes = {
        "skips": [_iso(s) for s in kept_skips],
        "moves": [[_iso(a), _iso(b)] for a, b in kept_moves],
    }


def _editable(session: Session, actor: Actor, task_id: str) -> Task:
    task = get_task(session, actor, task_id, for_update=True)
    if task.schedule_type != recurrence.KIND_RECURRING:
        raise Conflict("occurrence_once")
    if task.status == "completed":
        raise Conflict("occurrence_completed")
    return task


def _source_of(task: Task, when: datetime, moves: dict[datetime, datetime], *, allow_skipped: bool) -> datetime:
    """Return the slot an occurrence name refers to: the slot itself, or the slot moved to `when`."""
    when = when.astimezone(UTC)
    for source, target in moves.items():
        if target == when:
            return source
    bare = replace(rule_of(task), skips=frozenset(), moves=())
    if recurrence.is_slot(bare, when) and (allow_skipped or when not in rule_of(task).skips):
        return when
    raise InvalidInput([FieldProblem("fireAt", "occurrence_unknown")], error="Invalid occurrence")


def _replan(task: Task, now: datetime) -> None:
    """Recompute the next fire time of an active task after its occurrences changed."""
    if task.next_fire_at is None:
        return
    # A due occurrence a worker has not picked up yet stays due; otherwise plan from now.
    after = min(now, task.next_fire_at - _EPSILON)
    task.next_fire_at = recurrence.next_fire(rule_of(task), after)
    if task.next_fire_at is not None:
        task.display_time = task.next_fire_at
    elif task.status == "scheduled":
        task.status = "completed"


def _log(session: Session, actor: Actor, task: Task, action: str, changes: dict[str, Any], now: datetime) -> None:
    task.updated_at = now
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


def skip(session: Session, actor: Actor, task_id: str, when: datetime, now: datetime) -> Task:
    """Skip one future occurrence (a moved one is skipped at its original slot)."""
    task = _editable(session, actor, task_id)
    skips, moves = _load(task)
    source = _source_of(task, when, moves, allow_skipped=True)
    effective = moves.get(source, source)
    if effective <= now:
        raise Conflict("occurrence_past")
    if source in skips:
        return task  # already skipped: nothing changes
    moved_to = moves.pop(source, None)
    skips.append(source)
    _store(task, skips, moves, now)
    _replan(task, now)
    _log(
        session,
        actor,
        task,
        "skip",
        {"occurrence": {"old": iso_in_zone(moved_to or source, task.timezone), "new": None}},
        now,
    )
    return task


def restore(session: Session, actor: Actor, task_id: str, when: datetime, now: datetime) -> Task:
    """Undo a skip or a move: the occurrence fires at its own slot again."""
    task = _editable(session, actor, task_id)
    skips, moves = _load(task)
    source = _source_of(task, when, moves, allow_skipped=True)
    if source <= now or moves.get(source, source) <= now:
        raise Conflict("occurrence_past")
    if source not in skips and source not in moves:
        return task  # nothing to restore
    if any(target == source for target in moves.values()):
        raise Conflict("occurrence_taken", time=iso_in_zone(source, task.timezone))
    old = moves.pop(source, None)
    skips = [s for s in skips if s != source]
    _store(task, skips, moves, now)
    _replan(task, now)
    _log(
        session,
        actor,
        task,
        "restore",
        {
            "occurrence": {
                "old": iso_in_zone(old, task.timezone) if old else None,
                "new": iso_in_zone(source, task.timezone),
            }
        },
        now,
    )
    return task


def move(session: Session, actor: Actor, task_id: str, when: datetime, target: datetime, now: datetime) -> Task:
    """Move one future occurrence to another future time; 409 when the task already fires then."""
    task = _editable(session, actor, task_id)
    skips, moves = _load(task)
    source = _source_of(task, when, moves, allow_skipped=False)
    target = target.astimezone(UTC)
    current = moves.get(source, source)
    if current <= now:
        raise Conflict("occurrence_past")
    if target <= now:
        raise InvalidInput([FieldProblem("time", "time_in_past")], error="Invalid occurrence")
    if target == current:
        return task
    others = {k: v for k, v in moves.items() if k != source}
    without = replace(rule_of(task), moves=tuple(others.items()), skips=frozenset([*skips, source]))
    if recurrence.next_fire(without, target - _EPSILON) == target:
        raise Conflict("occurrence_taken", time=iso_in_zone(target, task.timezone))
    if target in skips:
        raise Conflict("occurrence_skipped_target", time=iso_in_zone(target, task.timezone))
    if target == source:
        moves.pop(source, None)  # moved back onto its own slot: no longer moved
    else:
        moves[source] = target
    _store(task, skips, moves, now)
    _replan(task, now)
    _log(
        session,
        actor,
        task,
        "move",
        {"occurrence": {"old": iso_in_zone(current, task.timezone), "new": iso_in_zone(target, task.timezone)}},
        now,
    )
    return task
