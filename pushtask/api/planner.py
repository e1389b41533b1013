"""Planner routes (issue 18): single occurrences of a recurring task, and the organisation's calendar."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import Blueprint, Response, request

from pushtask.api.base import QueryParam, actor, api_route, json_response, lang, runtime, session
from pushtask.api.tasks import _choices
from pushtask.errors import FieldProblem, InvalidInput
from pushtask.models import STATUSES, Task
from pushtask.schemas import YEARS_1970_2199, ErrorOut
from pushtask.schemas.planner import CalendarOut, OccurrenceChanged, OccurrenceMoveIn
from pushtask.services import calendar as calendar_service
from pushtask.services import occurrences
from pushtask.services.schedules import iso_in_zone, localize
from pushtask.services.tasks import get_task, time_problem

occurrences_bp = Blueprint("occurrences", __name__, url_prefix="/api/tasks")
calendar_bp = Blueprint("calendar", __name__, url_prefix="/api/calendar")

OCCURRENCE_ERRORS = {400: ErrorOut, 404: ErrorOut, 409: ErrorOut}


def _parse_instant(field: str, raw: str, zone: str) -> datetime:
    """Read an ISO 8601 time; without an offset it is wall time in `zone`."""
    try:
        value = datetime.fromisoformat(raw.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise InvalidInput([FieldProblem(field, "type_datetime")], error="Invalid occurrence") from None
    if problem := time_problem(field, value):
        raise InvalidInput([problem], error="Invalid occurrence")
    return localize(value, zone)


def _answer(task: Task, message: str) -> Response:
    now = runtime().clock()
    plan = calendar_service.task_plan(task, now)
    return json_response(
        {
            "taskId": task.id,
            "message": message,
            "nextFireAt": iso_in_zone(task.next_fire_at, task.timezone),
            "upcoming": [calendar_service.occurrence_out(o, task.timezone, lang()) for o in plan],
        }
    )


def _task_zone(task_id: str) -> str:
    return get_task(session(), actor(), task_id).timezone


@api_route(
    occurrences_bp,
    "/<id:task_id>/occurrences/<fire_at>/skip",
    "POST",
    summary="Skip one occurrence of a recurring task (named by its time, ISO 8601); logged on the task.",
    role="operator",
    responses={200: OccurrenceChanged, **OCCURRENCE_ERRORS},
)
def skip_occurrence(task_id: str, fire_at: str) -> Response:
    when = _parse_instant("fireAt", fire_at, _task_zone(task_id))
    task = occurrences.skip(session(), actor(), task_id, when, runtime().clock())
    return _answer(task, "Occurrence skipped")


@api_route(
    occurrences_bp,
    "/<id:task_id>/occurrences/<fire_at>/skip",
    "DELETE",
    summary="Restore a skipped (or moved) occurrence to its own time; logged on the task.",
    role="operator",
    responses={200: OccurrenceChanged, **OCCURRENCE_ERRORS},
)
def restore_occurrence(task_id: str, fire_at: str) -> Response:
    when = _parse_instant("fireAt", fire_at, _task_zone(task_id))
    task = occurrences.restore(session(), actor(), task_id, when, runtime().clock())
    return _answer(task, "Occurrence restored")


@api_route(
    occurrences_bp,
    "/<id:task_id>/occurrences/<fire_at>/move",
    "POST",
    summary="Move one occurrence of a recurring task to another time; 409 when the task already pushes then.",
    role="operator",
    body=OccurrenceMoveIn,
    responses={200: OccurrenceChanged, **OCCURRENCE_ERRORS},
)
def move_occurrence(task_id: str, fire_at: str, body: OccurrenceMoveIn) -> Response:
    zone = _task_zone(task_id)
    when = _parse_instant("fireAt", fire_at, zone)
    if problem := time_problem("time", body.time):
        raise InvalidInput([problem], error="Invalid occurrence")
    target = localize(body.time, zone)
    task = occurrences.move(session(), actor(), task_id, when, target, runtime().clock())
    return _answer(task, "Occurrence moved")


# A date or a date-time in 1970–2199 (the window's length and order are checked together, in the service).
WINDOW_END = {
    "anyOf": [{"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}],
    "pattern": YEARS_1970_2199,
}
STATUS_CHOICES = _choices(STATUSES)

CALENDAR_QUERY = (
    QueryParam("from", "Window start, ISO 8601 (date or date-time; a date is midnight UTC).", WINDOW_END, True),
    QueryParam("to", "Window end, ISO 8601; after from and at most 62 days after it.", WINDOW_END, True),
    QueryParam(
        "status", "Comma-separated task statuses: draft, scheduled, running, completed, failed, paused.", STATUS_CHOICES
    ),
    QueryParam("groupId", "Only tasks that push to this group."),
    QueryParam("creatorId", "Only tasks created by this user."),
    QueryParam("recipientId", "Only tasks previewed by this recipient."),
)


def _window_end(name: str, raw: str | None, problems: list[FieldProblem]) -> datetime | None:
    if not raw:
        problems.append(FieldProblem(name, "required"))
        return None
    try:
        value = datetime.fromisoformat(raw.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        problems.append(FieldProblem(name, "type_datetime"))
        return None
    if problem := time_problem(name, value):
        problems.append(problem)
        return None
    return localize(value, "UTC")


@api_route(
    calendar_bp,
    "",
    "GET",
    summary="Every occurrence of the organisation's tasks in a window of at most 62 days: pushes that fired"
    " and planned ones, skipped ones flagged with the reason.",
    role="viewer",
    query=CALENDAR_QUERY,
    responses={200: CalendarOut, 400: ErrorOut},
)
def get_calendar() -> Response:
    args = request.args
    known = {q.name for q in CALENDAR_QUERY}
    problems = [FieldProblem(key, "unknown_field") for key in args if key not in known]
    problems += [FieldProblem(key, "repeated_param") for key in args if len(args.getlist(key)) > 1]
    start = _window_end("from", args.get("from"), problems)
    end = _window_end("to", args.get("to"), problems)
    statuses = tuple(s.strip() for s in (args.get("status") or "").split(",") if s.strip())
    if any(s not in STATUSES for s in statuses):
        problems.append(FieldProblem("status", "choice", {"choices": ", ".join(STATUSES)}))
    if start is not None and end is not None:
        if end <= start:
            problems.append(FieldProblem("to", "calendar_order"))
        elif end - start > timedelta(days=calendar_service.MAX_DAYS):
            problems.append(FieldProblem("to", "calendar_window", {"max": calendar_service.MAX_DAYS}))
    if problems or start is None or end is None:
        raise InvalidInput(problems, error="Invalid query")
    query = calendar_service.CalendarQuery(
        start=start,
        end=end,
        status=statuses,
        group_id=args.get("groupId") or None,
        creator_id=args.get("creatorId") or None,
        recipient_id=args.get("recipientId") or None,
    )
    items, warnings, truncated = calendar_service.calendar(session(), actor(), query, runtime().clock(), lang())
    return json_response({"occurrences": items, "warnings": warnings, "truncated": truncated})
