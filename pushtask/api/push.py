"""Push routes (PRD §8.5): start an occurrence now, see its per-group results, resend."""

from __future__ import annotations

from flask import Blueprint, Response, request

from pushtask.api.base import QueryParam, actor, api_route, json_response, lang, runtime, session
from pushtask.api.directory import paging
from pushtask.api.presenters import push_detail_out, push_out
from pushtask.schemas import (
    ErrorOut,
    MarkSentIn,
    MarkSentOut,
    PushDetailOut,
    PushIn,
    PushListOut,
    PushStarted,
    ResendIn,
    ResendOut,
)
from pushtask.services import pushes

bp = Blueprint("push", __name__, url_prefix="/api/push")
history_bp = Blueprint("push_history", __name__, url_prefix="/api/tasks")


@api_route(
    bp,
    "",
    "POST",
    summary="Start an occurrence of a task now (for testing; the schedule is untouched).",
    role="operator",
    body=PushIn,
    responses={200: PushStarted, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut},
)
def start(body: PushIn) -> Response:
    push = pushes.start_push(session(), actor(), body.taskId, runtime().clock())
    return json_response({"message": "Push started", "pushId": push.id})


@api_route(
    bp,
    "/<push_id>",
    "GET",
    summary="A push's status with the result of every group.",
    role="viewer",
    responses={200: PushDetailOut, 404: ErrorOut},
)
def status(push_id: str) -> Response:
    push = pushes.get_push(session(), actor(), push_id)
    return json_response(push_detail_out(push, pushes.deliveries_of(session(), push), lang()))


@api_route(
    bp,
    "/<push_id>/resend",
    "POST",
    summary="Send the failed and uncertain groups of a push again.",
    role="operator",
    body=ResendIn,
    responses={200: ResendOut, 404: ErrorOut, 409: ErrorOut},
)
def resend(push_id: str, body: ResendIn) -> Response:
    count = pushes.resend(session(), actor(), push_id, body.groupIds, runtime().clock())
    return json_response({"message": "Resend queued", "queued": count})


@api_route(
    bp,
    "/<push_id>/mark-sent",
    "POST",
    summary="Mark uncertain groups of a push as sent (someone saw the message arrive); logged in the task log.",
    role="operator",
    body=MarkSentIn,
    responses={200: MarkSentOut, 404: ErrorOut, 409: ErrorOut},
)
def mark_sent(push_id: str, body: MarkSentIn) -> Response:
    count = pushes.mark_sent(session(), actor(), push_id, body.groupIds, runtime().clock())
    return json_response({"message": "Marked as sent", "marked": count})


@api_route(
    history_bp,
    "/<task_id>/pushes",
    "GET",
    summary="A task's occurrences, newest first.",
    role="viewer",
    query=(
        QueryParam("page", "Page from 1.", {"type": "integer", "minimum": 1, "maximum": 1_000_000, "default": 1}),
        QueryParam("limit", "Rows per page, 1–500.", {"type": "integer", "minimum": 1, "maximum": 500}),
    ),
    responses={200: PushListOut, 400: ErrorOut, 404: ErrorOut},
)
def history(task_id: str) -> Response:
    _q, page, limit = paging(request.args, allowed=frozenset({"page", "limit"}), default_limit=20)
    rows, total = pushes.push_history(session(), actor(), task_id, page, limit)
    language = lang()
    return json_response(
        {
            "pushes": [push_out(p, pushes.deliveries_of(session(), p), language) for p in rows],
            "total": total,
        }
    )
