"""Task use cases, one module per feature: query (reading, the list), checks (validation), audit
(the change log), edit (create, edit, pause, resume, copy, delete) and batch.

This package re-exports their names, so `from pushtask.services import tasks` and
`tasks.create_task(...)` keep working.
The private names of the former services/tasks.py stay importable from here for code written before
the split; new code imports them from their module.
"""

from pushtask.services.tasks.audit import _log, diff, snapshot, task_logs
from pushtask.services.tasks.batch import batch
from pushtask.services.tasks.checks import (
    GROUP_LIMIT,
    NAME_LIMIT,
    TEXT_LIMIT,
    YEAR_RANGE,
    Draft,
    _check,
    _check_ids,
    _rule,
    _zone_ok,
    time_problem,
)
from pushtask.services.tasks.edit import (
    COPY_SUFFIX,
    _apply,
    _content_dict,
    _current_draft,
    _merge_schedule,
    _org_timezone,
    _refuse_edit,
    _replace_links,
    _schedule_dict,
    _with_tagged,
    copy_task,
    create_task,
    delete_task,
    org_timezone,
    pause_task,
    resume_task,
    update_task,
)
from pushtask.services.tasks.query import (
    _STATUS_ORDER,
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
    "_STATUS_ORDER",
    "Draft",
    "TaskQuery",
    "_apply",
    "_check",
    "_check_ids",
    "_content_dict",
    "_current_draft",
    "_filtered",
    "_log",
    "_merge_schedule",
    "_ordered",
    "_org_timezone",
    "_refuse_edit",
    "_replace_links",
    "_rule",
    "_schedule_dict",
    "_with_tagged",
    "_zone_ok",
    "batch",
    "copy_task",
    "create_task",
    "delete_task",
    "diff",
    "get_task",
    "group_ids_of",
    "iter_tasks",
    "org_timezone",
    "pause_task",
    "recipient_ids_of",
    "resume_task",
    "snapshot",
    "task_logs",
    "time_problem",
    "update_task",
]
