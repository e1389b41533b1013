"""The organisation's calendar: every occurrence of its tasks in a window, past and planned.

Past occurrences are the pushes that fired (with their outcome); planned ones come from each task's
rule with its work calendar, skips and moves (pushtask.domain.recurrence.plan). Slots that will not
fire — a public holiday, a skipped or moved occurrence — are listed too, flagged with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, cast
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_
from sqlalchemy.orm import Session

from pushtask.domain import recurrence, workcalendar
from pushtask.domain.actor import Actor
from pushtask.models import Push, Task
from pushtask.services.schedules import iso_in_zone, rule_of
from pushtask.services.tasks import PRIORITY_NAMES, TaskQuery, _filtered

MAX_DAYS = 62
MAX_ITEMS = 5000
_EPSILON = timedelta(microseconds=1)


# What an item needs of its task; the rules need the schedule columns too. Reading only these keeps a
# large organisation's calendar fast: whole rows (content, JSON) cost most of the time at 100,000 tasks
# (bench/README.md, "The calendar").
_ITEM_COLUMNS = (Task.id, Task.name, Task.status, Task.priority, Task.timezone, Task.schedule_type)
_RULE_COLUMNS = (
    Task.schedule_time,
    Task.recurring_interval,
    Task.interval,
    Task.weekdays,
    Task.month_day,
    Task.recurring_end,
    Task.end_after,
    Task.schedule_calendar,
    Task.occurrence_changes,
    Task.paused_until,
)


class _TaskLike(Protocol):
    id: str
    name: str
    status: str
    priority: int
    timezone: str
    schedule_type: str


@dataclass(frozen=True)
class CalendarQuery:
    start: datetime
    end: datetime
    status: tuple[str, ...] = ()
    group_id: str | None = None
    creator_id: str | None = None
    recipient_id: str | None = None


def reason_text(occurrence: recurrence.Occurrence, zone: str, lang: str) -> str | None:
    """Say in the caller's language why a slot does not fire."""
    english = lang.lower().startswith("en")
    if occurrence.reason == recurrence.REASON_HOLIDAY:
        return occurrence.holiday if not english else f"Public holiday ({occurrence.holiday})"
    if occurrence.reason == recurrence.REASON_SKIPPED:
        return "Skipped" if english else "已跳过"
    if occurrence.reason == recurrence.REASON_MOVED and occurrence.moved_to is not None:
        when = occurrence.moved_to.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")
        return f"Moved to {when}" if english else f"已改到 {when}"
    return None


def occurrence_out(occurrence: recurrence.Occurrence, zone: str, lang: str) -> dict[str, Any]:
    """Serialise one planned slot (PlannedOccurrenceOut)."""
    return {
        "fireAt": iso_in_zone(occurrence.at, zone),
        "fires": occurrence.fires,
        "reason": occurrence.reason,
        "reasonText": reason_text(occurrence, zone, lang),
        "movedFrom": iso_in_zone(occurrence.moved_from, zone),
        "movedTo": iso_in_zone(occurrence.moved_to, zone),
        "unverified": occurrence.unverified,
    }


def task_plan(task: Task, now: datetime, count: int = 5) -> list[recurrence.Occurrence]:
    """Return the task's next `count` firing slots after now, with the non-firing ones between."""
    return recurrence.plan(rule_of(task), now, count)


def warnings_for(task: Task, now: datetime, lang: str, horizon_days: int = 400) -> list[str]:
    """Warn about years in the task's next ~13 months whose China holidays the data does not know yet."""
    if task.schedule_type != recurrence.KIND_RECURRING or (task.schedule_calendar or "all") == "all":
        return []
    # From the first push on: a rule starting next December is checked for the year after, too.
    begin = max(now, task.schedule_time)
    entries = recurrence.plan(rule_of(task), now, 1000, until=begin + timedelta(days=horizon_days))
    zone = ZoneInfo(task.timezone)
    years = sorted({o.at.astimezone(zone).year for o in entries if o.unverified})
    return [workcalendar.unknown_year_message(year, lang) for year in years]


def _planned_from(task: Task, now: datetime) -> datetime | None:
    """Return from when the task's future slots are shown, or None when it will not fire again."""
    if task.status == "completed":
        return None
    if task.status == "paused":
        return max(now, task.paused_until) if task.paused_until is not None else None
    return now


def calendar(
    session: Session, actor: Actor, query: CalendarQuery, now: datetime, lang: str
) -> tuple[list[dict[str, Any]], list[str], bool]:
    """Return the window's occurrences in time order, the calendar warnings, and whether it was cut."""
    filters = TaskQuery(
        status=query.status,
        group_id=query.group_id,
        creator_id=query.creator_id,
        recipient_id=query.recipient_id,
    )
    items: list[tuple[datetime, dict[str, Any]]] = []
    # Occurrences that fired: their pushes.
    past = (
        _filtered(actor, filters)
        .with_only_columns(
            *_ITEM_COLUMNS,
            Push.id.label("push_id"),
            Push.fire_at.label("push_fire_at"),
            Push.status.label("push_status"),
        )
        .join(Push, Push.task_id == Task.id)
        # The push's own org_id lets MariaDB read the window from ix_t_pushes_org_id_fire_at.
        .where(
            Push.org_id == actor.org_id,
            Push.fire_at >= query.start,
            Push.fire_at <= query.end,
            Push.status != "planned",
        )
        .order_by(Push.fire_at)
        .limit(MAX_ITEMS + 1)
    )
    for row in session.execute(past):
        items.append((row.push_fire_at, _item(row, row.push_fire_at, outcome=row.push_status, push_id=row.push_id)))
    # Slots from the rules: planned ones, and the ones a holiday, skip or move keeps from firing.
    # A completed task has nothing planned: leaving it out keeps a large organisation's calendar fast.
    # Rows, not ORM objects: building thousands of Task instances cost more than the query.
    candidates = (
        _filtered(actor, filters)
        .with_only_columns(*_ITEM_COLUMNS, *_RULE_COLUMNS)
        .where(
            Task.status != "completed",
            # Two ranges of ix_t_tasks_org_id_schedule_type_schedule_time.
            or_(
                Task.schedule_type == recurrence.KIND_RECURRING,
                and_(Task.schedule_type == recurrence.KIND_ONCE, Task.schedule_time.between(query.start, query.end)),
            ),
            or_(Task.recurring_end.is_(None), Task.recurring_end >= query.start),
            Task.schedule_time <= query.end,
        )
    )
    warned: set[int] = set()
    for row in session.execute(candidates):
        task = cast(Task, row)  # a row with every column rule_of, _planned_from and _item read
        shown_from = _planned_from(task, now)
        entries = recurrence.plan(rule_of(task), query.start - _EPSILON, 10_000, until=query.end)
        zone = ZoneInfo(task.timezone)
        for occurrence in entries:
            future = shown_from is not None and occurrence.at > shown_from
            if occurrence.fires and not future:
                continue  # a past slot that fired is its push above
            if occurrence.fires:
                outcome = "planned"
            else:
                outcome = "moved" if occurrence.reason == recurrence.REASON_MOVED else "skipped"
            if occurrence.unverified:
                warned.add(occurrence.at.astimezone(zone).year)
            items.append((occurrence.at, _item(task, occurrence.at, outcome=outcome, occurrence=occurrence, lang=lang)))
        if len(items) > MAX_ITEMS:
            break
    items.sort(key=lambda pair: (pair[0], pair[1]["taskId"]))
    truncated = len(items) > MAX_ITEMS
    warnings = [workcalendar.unknown_year_message(year, lang) for year in sorted(warned)]
    return [item for _, item in items[:MAX_ITEMS]], warnings, truncated


def _item(
    task: _TaskLike,
    at: datetime,
    *,
    outcome: str,
    push_id: str | None = None,
    occurrence: recurrence.Occurrence | None = None,
    lang: str = "zh-CN",
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "taskId": task.id,
        "name": task.name,
        "fireAt": iso_in_zone(at.astimezone(UTC), task.timezone),
        "status": task.status,
        "priority": PRIORITY_NAMES[task.priority],
        "pushId": push_id,
        "outcome": outcome,
        "recurring": task.schedule_type == recurrence.KIND_RECURRING,
        "reason": None,
        "reasonText": None,
        "movedFrom": None,
        "movedTo": None,
        "unverified": False,
    }
    if occurrence is not None:
        planned = occurrence_out(occurrence, task.timezone, lang)
        for key in ("reason", "reasonText", "movedFrom", "movedTo", "unverified"):
            out[key] = planned[key]
    return out
