"""The mini program's pages that notices open, with the ids each page reads (one place for both sides)."""

from __future__ import annotations

from urllib.parse import urlencode

PREVIEW = "pages/preview/preview"  # ?id=<previewId>: read and decide a preview
TASK = "pages/task/task"  # ?id=<taskId>: a task read-only, its per-group results and log
TASKS = "pages/tasks/tasks"  # the task list
FEEDBACK = "pages/feedback/feedback"  # ?ptfb=<token>: a group member answers a push


def preview(preview_id: str) -> str:
    return f"{PREVIEW}?{urlencode({'id': preview_id})}"


def task(task_id: str) -> str:
    return f"{TASK}?{urlencode({'id': task_id})}"


def feedback(token: str) -> str:
    return f"{FEEDBACK}?{urlencode({'ptfb': token})}"
