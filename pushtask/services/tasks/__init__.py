"""Task use cases, one module per feature: query (reading, the list), checks (validation), audit
(the change log), edit (create, edit, pause, resume, copy, delete) and batch.

This package re-exports their names, so `from pushtask.services import tasks` and
`tasks.create_task(...)` keep working.
`_filtered`, `_ordered` and `_content_dict` are re-exported for the modules that already import them.
"""

from pushtask.services.tasks.audit import diff, snapshot, task_logs
from pushtask.services.tasks.batch import batch
from pushtask.services.tasks.checks import GROUP_LIMIT, NAME_LIMIT, TEXT_LIMIT, YEAR_RANGE, Draft, time_problem
from pushtask.services.tasks.edit import (
    COPY_SUFFIX,
    _content_dict,
    copy_task,
    create_task,
    delete_task,
    org_timezone,
    pause_task,
    resume_task,
    update_task,
)
from pushtask.services.tasks.query import (
    EDITABLE_CONTENT,
    LIST_TOTALS,
    PRIORITY_NAMES,
    SORT_KEYS,
    TaskQuery,
    _filtered,
    _ordered,
    get_task,
    group_ids_of,
    iter_tasks,
    list_tasks,
    recipient_ids_of,
)

__all__ = [
    "COPY_SUFFIX",
    "EDITABLE_CONTENT",
    "GROUP_LIMIT",
    "LIST_TOTALS",
    "NAME_LIMIT",
    "PRIORITY_NAMES",
    "SORT_KEYS",
    "TEXT_LIMIT",
    "YEAR_RANGE",
    "Draft",
    "TaskQuery",
    "_content_dict",
    "_filtered",
    "_ordered",
    "batch",
    "copy_task",
    "create_task",
    "delete_task",
    "diff",
    "get_task",
    "group_ids_of",
    "iter_tasks",
    "list_tasks",
    "org_timezone",
    "pause_task",
    "recipient_ids_of",
    "resume_task",
    "snapshot",
    "task_logs",
    "time_problem",
    "update_task",
]
