"""The task trash: deleted tasks, restorable for 30 days."""

from __future__ import annotations

from flask import Blueprint, Response

from pushtask.api.base import actor, api_route, json_response, runtime, session
from pushtask.schemas import ErrorOut, TaskCreated
from pushtask.schemas.planner import TrashListOut
from pushtask.services import trash
from pushtask.services.schedules import iso_utc
from pushtask.services.tasks import PRIORITY_NAMES

bp = Blueprint("trash", __name__, url_prefix="/api/tasks")


@api_route(
    bp,
    "/trash",
    "GET",
    summary="Tasks deleted in the last 30 days (restorable), most recently deleted first.",
    role="viewer",
    responses={200: TrashListOut},
)
def list_trash() -> Response:
    tasks = trash.list_trash(session(), actor(), runtime().clock())
    return json_response(
        {
            "tasks": [
                {
                    "taskId": task.id,
                    "name": task.name,
                    "status": task.status,
                    "priority": PRIORITY_NAMES[task.priority],
                    "deletedAt": iso_utc(task.deleted_at),
                    "restorableUntil": iso_utc(task.deleted_at + trash.KEEP) if task.deleted_at else None,
                }
                for task in tasks
            ]
        }
    )


@api_route(
    bp,
    "/<id:task_id>/restore",
    "POST",
    summary="Restore a deleted task from the trash (within 30 days of its deletion).",
    role="operator",
    responses={200: TaskCreated, 404: ErrorOut, 409: ErrorOut},
)
def restore_task(task_id: str) -> Response:
    task = trash.restore(session(), actor(), task_id, runtime().clock())
    return json_response({"taskId": task.id, "message": "Task restored"})
