"""Notification routes (PRD §8.6): send one now, the bell's inbox, mark read, per-user settings."""

from __future__ import annotations

from flask import Blueprint, Response, request

from pushtask.api.base import QueryParam, actor, api_route, json_response, runtime, session
from pushtask.api.directory import paging
from pushtask.errors import FieldProblem, InvalidInput
from pushtask.models import InboxItem, NotificationSettings
from pushtask.notify import service
from pushtask.schemas import (
    ErrorOut,
    InboxOut,
    MarkedOut,
    MarkReadIn,
    NotificationIn,
    NotificationSent,
    NotificationSettingsIn,
    NotificationSettingsOut,
)
from pushtask.services.schedules import iso_utc

bp = Blueprint("notifications", __name__, url_prefix="/api/notifications")


def _item(row: InboxItem) -> dict[str, object]:
    return {
        "id": row.id,
        "type": row.type,
        "title": row.title,
        "body": row.body,
        "link": row.link,
        "taskId": row.task_id,
        "createdAt": iso_utc(row.created_at),
        "read": row.read_at is not None,
    }


def _settings(row: NotificationSettings) -> dict[str, object]:
    return {
        "recipientId": row.recipient_id,
        "channels": [c for c in row.channels.split(",") if c],
        "muteReminders": row.mute_reminders,
    }


@api_route(
    bp,
    "",
    "POST",
    summary="Send a notice to a user now (WeCom, mini program, or their inbox when neither reaches them).",
    role="operator",
    body=NotificationIn,
    responses={200: NotificationSent, 400: ErrorOut},
)
def send(body: NotificationIn) -> Response:
    row = service.send_now(
        session(),
        actor(),
        runtime().clock(),
        user_id=body.userId,
        type=body.type,
        task_id=body.taskId,
        message=body.content.message,
        status=body.content.status,
        error=body.content.error,
    )
    return json_response({"message": "Notification sent", "notificationId": row.id, "state": row.state})


@api_route(
    bp,
    "",
    "GET",
    summary="The signed-in user's inbox (the admin's bell), newest first.",
    role="viewer",
    query=(
        QueryParam("unread", "1: only unread notices.", {"type": "integer", "enum": [0, 1]}),
        QueryParam(
            "page", "Page number from 1.", {"type": "integer", "minimum": 1, "maximum": 1_000_000, "default": 1}
        ),
        QueryParam("limit", "Rows per page, 1–500.", {"type": "integer", "minimum": 1, "maximum": 500}),
    ),
    responses={200: InboxOut, 400: ErrorOut},
)
def inbox() -> Response:
    args = {k: v for k, v in request.args.items() if k != "unread"}
    _q, page, limit = paging(args, allowed=frozenset({"page", "limit"}), default_limit=20)
    unread = request.args.get("unread", "0")
    if unread not in ("0", "1"):
        raise InvalidInput([FieldProblem("unread", "choice", {"choices": "0, 1"})], error="Invalid query")
    result = service.inbox(session(), actor(), unread_only=unread == "1", page=page, limit=limit)
    return json_response(
        {"notifications": [_item(r) for r in result.items], "total": result.total, "unread": result.unread}
    )


@api_route(
    bp,
    "/read",
    "POST",
    summary="Mark notices read: the given ids, or all of the caller's when ids is omitted.",
    role="viewer",
    body=MarkReadIn,
    responses={200: MarkedOut, 400: ErrorOut},
)
def mark_read(body: MarkReadIn) -> Response:
    return json_response({"marked": service.mark_read(session(), actor(), body.ids, runtime().clock())})


@api_route(
    bp,
    "/settings",
    "GET",
    summary="How the signed-in user is notified: linked recipient, channels, muted reminders.",
    role="viewer",
    responses={200: NotificationSettingsOut},
)
def get_settings() -> Response:
    return json_response(_settings(service.get_settings(session(), actor())))


@api_route(
    bp,
    "/settings",
    "PUT",
    summary="Choose the signed-in user's channels (in order), their WeChat identity, and mute reminders.",
    role="viewer",
    body=NotificationSettingsIn,
    responses={200: NotificationSettingsOut, 400: ErrorOut},
)
def put_settings(body: NotificationSettingsIn) -> Response:
    row = service.save_settings(
        session(),
        actor(),
        runtime().clock(),
        recipient_id=body.recipientId,
        channels=list(body.channels),
        mute=body.muteReminders,
    )
    return json_response(_settings(row))
