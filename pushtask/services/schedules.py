"""Turn a task's schedule fields into a recurrence rule and back into API shapes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from pushtask.domain import recurrence
from pushtask.errors import FieldProblem
from pushtask.i18n import MESSAGES
from pushtask.models import Task

# (API field, recurrence finding) -> message code; anything else falls back to the finding itself.
_CODES = {
    ("timezone", "unknown_timezone"): "unknown_timezone",
    ("recurringInterval", "required"): "interval_required",
    ("recurringEnd", "before_start"): "end_before_start",
    ("weekdays", "invalid"): "weekdays_invalid",
}
_RANGES = {"interval": (1, 366), "monthDay": (1, 31), "endAfter": (1, 1000)}


def localize(value: datetime, zone: str) -> datetime:
    """Read a naive datetime as wall time in `zone` (gaps move forward, overlaps take the first); return UTC."""
    if value.tzinfo is None:
        return recurrence.localize(value, zone)
    return value.astimezone(UTC)


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def overrides_of(task: Task) -> tuple[frozenset[datetime], tuple[tuple[datetime, datetime], ...]]:
    """Return the task's skipped slots and moved ones (source → target), as UTC instants."""
    changes = task.occurrence_changes or {}
    skips = frozenset(_instant(s) for s in changes.get("skips", ()))
    moves = tuple((_instant(a), _instant(b)) for a, b in changes.get("moves", ()))
    return skips, moves


def rule_of(task: Task) -> recurrence.Schedule:
    """Return the recurrence rule a task's columns describe, with its skipped and moved occurrences."""
    recurring = task.schedule_type == recurrence.KIND_RECURRING
    skips, moves = overrides_of(task) if recurring else (frozenset(), ())
    return recurrence.Schedule(
        kind=task.schedule_type,
        start=task.schedule_time,
        timezone=task.timezone,
        frequency=task.recurring_interval,
        interval=task.interval or 1,
        weekdays=tuple(int(d) for d in task.weekdays.split(",")) if task.weekdays else (),
        month_day=task.month_day,
        end_at=task.recurring_end,
        end_after=task.end_after,
        calendar=(task.schedule_calendar or "all") if recurring else "all",
        skips=skips,
        moves=moves,
    )


def problems_of(rule: recurrence.Schedule) -> list[FieldProblem]:
    """Translate the recurrence module's findings into API field problems."""
    problems = []
    for field, finding in recurrence.validate(rule):
        params: dict[str, Any] = {}
        if finding == "out_of_range":
            low, high = _RANGES.get(field, (None, None))
            params = {"min": low, "max": high}
        code = _CODES.get((field, finding), finding if finding in MESSAGES else "invalid")
        problems.append(FieldProblem(f"schedule.{field}", code, params))
    return problems


def iso_in_zone(value: datetime | None, zone: str) -> str | None:
    """Format an instant as ISO 8601 with the offset of `zone` at that instant."""
    if value is None:
        return None
    return value.astimezone(ZoneInfo(zone)).isoformat()


def iso_utc(value: datetime | None) -> str | None:
    """Format an instant as ISO 8601 UTC with a Z suffix."""
    if value is None:
        return None
    text = value.astimezone(UTC).isoformat()
    return text.replace("+00:00", "Z")


def schedule_out(task: Task) -> dict[str, Any]:
    """Return the API's `schedule` object for a task."""
    return {
        "type": task.schedule_type,
        "time": iso_in_zone(task.schedule_time, task.timezone),
        "timezone": task.timezone,
        "recurringInterval": task.recurring_interval,
        "interval": task.interval or 1,
        "weekdays": [int(d) for d in task.weekdays.split(",")] if task.weekdays else None,
        "monthDay": task.month_day,
        "recurringEnd": iso_in_zone(task.recurring_end, task.timezone),
        "endAfter": task.end_after,
        "calendar": task.schedule_calendar or "all",
    }
