"""Task management routes (PRD §8.3)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, current_app, request, stream_with_context

from pushtask.api.base import QueryParam, actor, api_route, json_response, lang, runtime, session
from pushtask.api.media import image_names, named_images
from pushtask.api.presenters import task_detail_out, task_page_out, tasks_out
from pushtask.api.quota_view import quota_warnings
from pushtask.errors import Conflict, FieldProblem, InvalidInput, NotFound
from pushtask.i18n import translate
from pushtask.models import PRIORITIES, STATUSES
from pushtask.schemas import (
    YEARS_1970_2199,
    AdoptOut,
    BatchIn,
    BatchOut,
    ErrorOut,
    MessageOut,
    PauseIn,
    TaskCreate,
    TaskCreated,
    TaskDetailOut,
    TaskListOut,
    TaskLogListOut,
    TaskUpdate,
)
from pushtask.services import task_list, task_variants
from pushtask.services import tasks as task_service
from pushtask.services.calendar import warnings_for
from pushtask.services.schedules import iso_utc, rule_of

bp = Blueprint("tasks", __name__, url_prefix="/api/tasks")


def _choices(values: tuple[str, ...]) -> dict[str, str]:
    """A comma-separated list of these values (spaces around them allowed), as a pattern clients can read."""
    one = "(" + "|".join(values) + ")"
    return {"type": "string", "pattern": f"^ *{one} *(, *{one} *)*$"}


IN_RANGE = {"type": "string", "format": "date-time", "pattern": YEARS_1970_2199}
LIST_QUERY = (
    QueryParam(
        "status", "Comma-separated statuses: draft, scheduled, running, completed, failed, paused.", _choices(STATUSES)
    ),
    QueryParam(
        "startTime", "Tasks whose next (or first) push time is at or after this ISO 8601 instant (1970–2199).", IN_RANGE
    ),
    QueryParam("endTime", "… and at or before this instant.", IN_RANGE),
    QueryParam("groupId", "Only tasks that push to this group."),
    QueryParam("creatorId", "Only tasks created by this user."),
    QueryParam("recipientId", "Only tasks previewed by this recipient."),
    QueryParam("q", "Name contains this text."),
    QueryParam("priority", "Comma-separated priorities: high, medium, low.", _choices(tuple(PRIORITIES))),
    QueryParam(
        "sort",
        "Comma-separated keys, '-' for descending: scheduleTime, status, priority, createdAt, updatedAt, name.",
        _choices(tuple(f"[-+]?{key}" for key in task_service.SORT_KEYS)),
    ),
    QueryParam("page", "Page number from 1.", {"type": "integer", "minimum": 1, "maximum": 1_000_000, "default": 1}),
    QueryParam("limit", "Rows per page, 1–100.", {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}),
)
NOT_FOUND = {404: ErrorOut}


def _parse_time(name: str, raw: str, problems: list[FieldProblem]) -> datetime | None:
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        problems.append(FieldProblem(name, "type_datetime"))
        return None
    if problem := task_service.time_problem(name, value):
        problems.append(problem)
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _parse_int(name: str, raw: str | None, default: int, low: int, high: int, problems: list[FieldProblem]) -> int:
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        problems.append(FieldProblem(name, "type_int"))
        return default
    if not low <= value <= high:
        problems.append(FieldProblem(name, "out_of_range", {"min": low, "max": high}))
    return value


def _parse_list(name: str, raw: str | None, allowed: tuple[str, ...], problems: list[FieldProblem]) -> tuple[str, ...]:
    if not raw:
        return ()
    values = tuple(v.strip() for v in raw.split(",") if v.strip())
    if any(v not in allowed for v in values):
        problems.append(FieldProblem(name, "choice", {"choices": ", ".join(allowed)}))
    return values


def parse_task_query(args: Any, *, paged: bool = True) -> task_service.TaskQuery:
    """Read the list filters from query parameters; bad ones → 400 Invalid query."""
    # The export has every row: paging parameters there would be silently ignored, so they are refused.
    known = {p.name for p in LIST_QUERY} - (set() if paged else {"page", "limit"})
    problems = [FieldProblem(key, "unknown_field") for key in args if key not in known]
    problems += [FieldProblem(key, "repeated_param") for key in args if len(args.getlist(key)) > 1]
    sort: list[tuple[str, bool]] = []
    for key in (args.get("sort") or "").split(","):
        key = key.strip()
        if not key:
            continue
        descending = key.startswith("-")
        key = key.lstrip("-+")
        if key not in task_service.SORT_KEYS:
            problems.append(FieldProblem("sort", "sort_key", {"choices": ", ".join(task_service.SORT_KEYS)}))
        sort.append((key, descending))
    start = _parse_time("startTime", args["startTime"], problems) if args.get("startTime") else None
    end = _parse_time("endTime", args["endTime"], problems) if args.get("endTime") else None
    query = task_service.TaskQuery(
        status=_parse_list("status", args.get("status"), STATUSES, problems),
        priority=_parse_list("priority", args.get("priority"), tuple(PRIORITIES), problems),
        start_time=start,
        end_time=end,
        group_id=args.get("groupId") or None,
        creator_id=args.get("creatorId") or None,
        recipient_id=args.get("recipientId") or None,
        q=(args.get("q") or "").strip()[:100] or None,
        sort=tuple(sort) or task_service.TaskQuery.sort,
        page=_parse_int("page", args.get("page"), 1, 1, 1_000_000, problems) if paged else 1,
        limit=_parse_int("limit", args.get("limit"), 20, 1, 100, problems) if paged else 1000,
    )
    if problems:
        raise InvalidInput(problems, error="Invalid query")
    return query


@api_route(
    bp,
    "",
    "POST",
    summary="Create a task (draft or scheduled).",
    role="operator",
    body=TaskCreate,
    responses={201: TaskCreated, 400: ErrorOut},
)
def create_task(body: TaskCreate) -> Response:
    now = runtime().clock()
    task = task_variants.create(session(), actor(), body, now)
    out: dict[str, Any] = {"taskId": task.id, "message": "Task created"}
    # `warnings` only when there are some (a year whose China holidays are not published yet).
    if w := warnings_for(task, now, lang()):
        out["warnings"] = w
    if q := quota_warnings(body.groups, rule_of(task), exclude_task_id=task.id):
        out["quotaWarnings"] = q
    return json_response(out, 201)


@api_route(
    bp,
    "",
    "GET",
    summary="List tasks with filters, sort and pages.",
    role="viewer",
    query=LIST_QUERY,
    responses={200: TaskListOut, 400: ErrorOut},
)
def list_tasks() -> Response:
    query = parse_task_query(request.args)
    who, language, cache = actor(), lang(), runtime().list_cache
    # The version is read before the rows: a page is stored under a version no newer than its data.
    version = cache.version(who.org_id) if cache is not None else None
    # Image links in a page are signed for about an hour and reissued every 10 minutes: a cached page is
    # kept for one such window at most, so it never hands out a link that has expired.
    key = (query, language, int(runtime().clock().timestamp()) // 600)
    body = cache.get(who.org_id, key, version) if cache is not None and version is not None else None
    if body is None:
        page = task_list.read_page(session(), who, query, version)
        payload = {
            "tasks": task_page_out(page, language, session()),
            "total": page.total,
            "page": query.page,
            "limit": query.limit,
        }
        body = (current_app.json.dumps(payload) + "\n").encode()
        if cache is not None and version is not None:
            cache.put(who.org_id, key, version, body)
    return Response(body, mimetype="application/json")


EXPORT_COLUMNS = [
    "taskId",
    "name",
    "status",
    "statusLabel",
    "priority",
    "priorityLabel",
    "scheduleText",
    "nextFireAt",
    "timezone",
    "groupCount",
    "groupNames",
    "creatorName",
    "previewRecipientNames",
    "previewState",
    "previewStateLabel",
    "contentText",
    "createdAt",
    "updatedAt",
]
# The code columns stay for spreadsheets and scripts; a label in the reader's language stands beside each.
EXPORT_LABELS: dict[str, dict[str, tuple[str, str]]] = {
    "status": {
        "draft": ("草稿", "Draft"),
        "scheduled": ("已计划", "Scheduled"),
        "running": ("推送中", "Running"),
        "completed": ("已完成", "Completed"),
        "failed": ("失败", "Failed"),
        "paused": ("已暂停", "Paused"),
    },
    "priority": {"high": ("高", "High"), "medium": ("中", "Medium"), "low": ("低", "Low")},
    "previewState": {
        "none": ("未发送预览", "No preview"),
        "pending": ("等待确认", "Awaiting confirmation"),
        "confirmed": ("已确认", "Confirmed"),
        "modify_requested": ("要求修改", "Changes requested"),
        "stale": ("内容已改，需重新预览", "Changed since preview"),
    },
}


def export_label(kind: str, code: str, language: str) -> str:
    """Return the label of a status, priority or preview state in the caller's language."""
    pair = EXPORT_LABELS[kind].get(code)
    if pair is None:
        return code
    return pair[1] if language.lower().startswith("en") else pair[0]


@api_route(
    bp,
    "/export",
    "GET",
    summary="Export every task matching the list filters as CSV (UTF-8 with BOM).",
    role="viewer",
    query=LIST_QUERY[:-2],
    responses={200: "text/csv", 400: ErrorOut},
)
def export_tasks() -> Response:
    query = parse_task_query(request.args, paged=False)
    rt, who, language = runtime(), actor(), lang()

    def rows() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(EXPORT_COLUMNS)
        yield "\ufeff" + buffer.getvalue()
        # The request's session closes when the view returns; the stream reads with its own.
        db = rt.sessions()
        try:
            for chunk in task_service.iter_tasks(db, who, query):
                buffer.seek(0)
                buffer.truncate()
                for item in tasks_out(db, chunk, language, images=False):
                    zone = item["schedule"]["timezone"]
                    writer.writerow(
                        [
                            item["taskId"],
                            item["name"],
                            item["status"],
                            export_label("status", item["status"], language),
                            item["priority"],
                            export_label("priority", item["priority"], language),
                            item["scheduleText"],
                            item["nextFireAt"] or "",
                            item["schedule"]["timezone"],
                            len(item["groups"]),
                            "、".join(item["groupNames"]),
                            item["creatorName"],
                            "、".join(item["previewRecipientNames"]),
                            item["previewState"],
                            export_label("previewState", item["previewState"], language),
                            item["content"]["text"] or "",
                            # Times in the task's own zone with the offset, as its schedule reads.
                            _in_zone(item["createdAt"], zone),
                            _in_zone(item["updatedAt"], zone),
                        ]
                    )
                yield buffer.getvalue()
        finally:
            db.close()

    # The file is named in the organisation's zone: what the operator's own clock said when exporting.
    org_zone = task_service.org_timezone(session(), who)
    stamp = rt.clock().astimezone(ZoneInfo(org_zone)).strftime("%Y%m%d-%H%M%S")
    return Response(
        stream_with_context(rows()),
        mimetype="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="tasks-{stamp}.csv"'},
    )


@api_route(
    bp,
    "/batch",
    "POST",
    summary="Apply delete / pause / resume / copy / edit to many tasks.",
    role="operator",
    body=BatchIn,
    responses={200: BatchOut, 400: ErrorOut},
)
def batch(body: BatchIn) -> Response:
    if body.updates is not None and body.action not in ("edit", "pause"):
        raise InvalidInput([FieldProblem("updates", "unknown_field")], error="Invalid request")
    if body.action == "edit" and not (body.updates and body.updates.model_fields_set - {"resumeAt"}):
        raise InvalidInput([FieldProblem("updates", "required")], error="Invalid request")
    outcomes = task_service.batch(session(), actor(), body.taskIds, body.action, body.updates, runtime().clock())
    failed, results = [], []
    for task_id, result, error in outcomes:
        if error is None:
            new_id = result.id if body.action == "copy" and result is not None else None
            results.append({"taskId": task_id, "ok": True, "newTaskId": new_id})
        else:
            failed.append({"taskId": task_id, "error": describe_error(error)})
            results.append({"taskId": task_id, "ok": False, "newTaskId": None})
    return json_response({"message": "Batch operation completed", "failedTasks": failed, "results": results})


def _in_zone(stamp: str | None, zone: str) -> str:
    """Turn an API UTC time ("…Z") into ISO 8601 in `zone` with its offset."""
    if not stamp:
        return ""
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone(ZoneInfo(zone)).isoformat()


def describe_error(error: Exception) -> str:
    """Return one operator-facing sentence for a refused batch item."""
    language = lang()
    if isinstance(error, NotFound):
        return translate("task_not_found", language)
    if isinstance(error, Conflict):
        return translate(error.code, language, **error.params)
    if isinstance(error, InvalidInput):
        return "; ".join(f"{p.field}: {translate(p.code, language, **p.params)}" for p in error.problems)
    return str(error)


@api_route(
    bp,
    "/<id:task_id>",
    "GET",
    summary="Get one task with groups, reviewers and upcoming push times.",
    role="viewer",
    responses={200: TaskDetailOut, **NOT_FOUND},
)
def get_task(task_id: str) -> Response:
    task = task_service.get_task(session(), actor(), task_id)
    return json_response(task_detail_out(session(), task, lang(), runtime().clock()))


@api_route(
    bp,
    "/<id:task_id>",
    "PUT",
    summary="Update a task (partial); each change is logged.",
    role="operator",
    body=TaskUpdate,
    responses={200: TaskCreated, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut},
)
def update_task(task_id: str, body: TaskUpdate) -> Response:
    now = runtime().clock()
    task = task_variants.update(session(), actor(), task_id, body, now)
    groups = task_service.group_ids_of(session(), [task.id]).get(task.id, [])
    out: dict[str, Any] = {"taskId": task.id, "message": "Task updated"}
    if w := warnings_for(task, now, lang()):
        out["warnings"] = w
    if q := quota_warnings(groups, rule_of(task), exclude_task_id=task.id):
        out["quotaWarnings"] = q
    return json_response(out)


@api_route(
    bp,
    "/<id:task_id>",
    "DELETE",
    summary="Delete a draft or paused task (it stays in the trash, restorable for 30 days).",
    role="operator",
    responses={200: MessageOut, 404: ErrorOut, 409: ErrorOut},
)
def delete_task(task_id: str) -> Response:
    task_service.delete_task(session(), actor(), task_id, runtime().clock())
    return json_response({"message": "Task deleted"})


@api_route(
    bp,
    "/<task_id>/pause",
    "POST",
    summary="Pause a task, optionally until resumeAt.",
    role="operator",
    body=PauseIn,
    responses={200: TaskCreated, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut},
)
def pause_task(task_id: str, body: PauseIn) -> Response:
    resume_at = body.resumeAt
    if resume_at is not None and resume_at.tzinfo is None:
        resume_at = resume_at.replace(tzinfo=UTC)
    task = task_service.pause_task(session(), actor(), task_id, resume_at, runtime().clock())
    return json_response({"taskId": task.id, "message": "Task paused"})


@api_route(
    bp,
    "/<task_id>/resume",
    "POST",
    summary="Resume a paused task from its next push time.",
    role="operator",
    responses={200: TaskCreated, 404: ErrorOut, 409: ErrorOut},
)
def resume_task(task_id: str) -> Response:
    task = task_service.resume_task(session(), actor(), task_id, runtime().clock())
    return json_response({"taskId": task.id, "message": "Task resumed"})


@api_route(
    bp,
    "/<task_id>/copy",
    "POST",
    summary="Copy a task into a new draft named '… (副本)'.",
    role="operator",
    responses={201: TaskCreated, 404: ErrorOut},
)
def copy_task(task_id: str) -> Response:
    task = task_service.copy_task(session(), actor(), task_id, runtime().clock())
    return json_response({"taskId": task.id, "message": "Task copied"}, 201)


@api_route(
    bp,
    "/<id:task_id>/variants/<key>/adopt",
    "POST",
    summary="采用胜出版本: later occurrences send this A/B variant's content only (logged).",
    role="operator",
    responses={200: AdoptOut, 404: ErrorOut, 409: ErrorOut},
)
def adopt_variant(task_id: str, key: str) -> Response:
    task = task_variants.adopt(session(), actor(), task_id, key, runtime().clock())
    return json_response({"taskId": task.id, "message": "Variant adopted", "adopted": key})


@api_route(
    bp,
    "/<task_id>/logs",
    "GET",
    summary="The task's change log, newest first.",
    role="viewer",
    responses={200: TaskLogListOut, **NOT_FOUND},
)
def task_logs(task_id: str) -> Response:
    rows = task_service.task_logs(session(), actor(), task_id)
    names = image_names(session(), actor().org_id, [log.changes for log, _ in rows])
    return json_response(
        [
            {
                "logId": log.id,
                "taskId": log.task_id,
                "action": log.action,
                "userId": log.user_id,
                "userName": user_name,
                "timestamp": iso_utc(log.created_at),
                "changes": named_images(log.changes, names),
            }
            for log, user_name in rows
        ]
    )
