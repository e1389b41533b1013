"""Task management use cases: create, edit, pause, resume, copy, delete, batch, list.

Each function takes the Session, the acting user and `now`; none commits. The caller
(a request, a batch item, a worker unit of work) decides the transaction boundary.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from unicodedata import category
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Select, and_, case, exists, func, select
from sqlalchemy.orm import Session

from pushtask.domain import recurrence
from pushtask.domain.text import count_chars, truncate_chars
from pushtask.errors import Conflict, FieldProblem, InvalidInput, NotFound
from pushtask.infra.counts import CountCache
from pushtask.models import (
    PRIORITIES,
    Group,
    Organization,
    Recipient,
    Task,
    TaskGroup,
    TaskLog,
    TaskRecipient,
    User,
    new_id,
)
from pushtask.schemas import BatchUpdates, ContentIn, ScheduleIn, SchedulePatch, TaskCreate, TaskUpdate
from pushtask.services import approval, group_tags, media_links, recipient_refs
from pushtask.services.context import Actor
from pushtask.services.schedules import localize, problems_of, rule_of, schedule_out

NAME_LIMIT = 50
TEXT_LIMIT = 500
GROUP_LIMIT = 100
PRIORITY_NAMES = {v: k for k, v in PRIORITIES.items()}
EDITABLE_CONTENT = ("text", "image", "link", "miniprogram")
# Times outside these years are typos; near datetime's own limits, zone conversions overflow.
YEAR_RANGE = (1970, 2199)


# ---- reading -----------------------------------------------------------------------------------


def get_task(session: Session, actor: Actor, task_id: str, *, for_update: bool = False) -> Task:
    """Return the caller's live task, or raise NotFound (also for another organisation's)."""
    query = select(Task).where(Task.id == task_id, Task.org_id == actor.org_id, Task.deleted_at.is_(None))
    if for_update:
        # Edits and pauses re-read the row under lock so a scheduler claim cannot interleave.
        query = query.with_for_update()
    task = session.scalars(query).first()
    if task is None:
        raise NotFound("Task not found")
    return task


def group_ids_of(session: Session, task_ids: Iterable[str]) -> dict[str, list[str]]:
    """Return each task's group ids in the order they were chosen."""
    out: dict[str, list[str]] = {}
    rows = session.execute(
        select(TaskGroup.task_id, TaskGroup.group_id)
        .where(TaskGroup.task_id.in_(list(task_ids)))
        .order_by(TaskGroup.task_id, TaskGroup.position)
    )
    for task_id, group_id in rows:
        out.setdefault(task_id, []).append(group_id)
    return out


def recipient_ids_of(session: Session, task_ids: Iterable[str]) -> dict[str, list[str]]:
    """Return each task's preview recipient ids in the order they were chosen."""
    out: dict[str, list[str]] = {}
    rows = session.execute(
        select(TaskRecipient.task_id, TaskRecipient.recipient_id)
        .where(TaskRecipient.task_id.in_(list(task_ids)))
        .order_by(TaskRecipient.task_id, TaskRecipient.position)
    )
    for task_id, recipient_id in rows:
        out.setdefault(task_id, []).append(recipient_id)
    return out


def task_logs(session: Session, actor: Actor, task_id: str) -> list[tuple[TaskLog, str]]:
    """Return the task's change log, newest first, with each author's name.

    The author is a user, or a reviewer (a directory recipient) who answered a preview in WeChat.
    """
    task = get_task(session, actor, task_id)
    rows = session.execute(
        select(TaskLog, func.coalesce(User.name, Recipient.name))
        .outerjoin(User, User.id == TaskLog.user_id)
        .outerjoin(Recipient, and_(Recipient.id == TaskLog.user_id, Recipient.org_id == TaskLog.org_id))
        .where(TaskLog.task_id == task.id)
        .order_by(TaskLog.created_at.desc(), TaskLog.id)
    )
    return [(log, name or "") for log, name in rows]


@dataclass(frozen=True)
class TaskQuery:
    """Filters, sort and page of the task list (PRD §8.3) plus name search and priority."""

    status: tuple[str, ...] = ()
    start_time: datetime | None = None
    end_time: datetime | None = None
    group_id: str | None = None
    creator_id: str | None = None
    recipient_id: str | None = None
    q: str | None = None
    priority: tuple[str, ...] = ()
    sort: tuple[tuple[str, bool], ...] = (("createdAt", True),)
    page: int = 1
    limit: int = 20


SORT_KEYS = ("scheduleTime", "status", "priority", "createdAt", "updatedAt", "name")
_STATUS_ORDER = case(
    {"draft": 0, "scheduled": 1, "running": 2, "paused": 3, "failed": 4, "completed": 5},
    value=Task.status,
    else_=9,
)


def _filtered(actor: Actor, query: TaskQuery) -> Select[tuple[Task]]:
    stmt = select(Task).where(Task.org_id == actor.org_id, Task.deleted_at.is_(None))
    if query.status:
        stmt = stmt.where(Task.status.in_(query.status))
    if query.priority:
        stmt = stmt.where(Task.priority.in_([PRIORITIES[p] for p in query.priority]))
    if query.start_time is not None:
        stmt = stmt.where(Task.display_time >= query.start_time)
    if query.end_time is not None:
        stmt = stmt.where(Task.display_time <= query.end_time)
    if query.creator_id:
        stmt = stmt.where(Task.creator_id == query.creator_id)
    if query.group_id:
        stmt = stmt.where(exists().where(and_(TaskGroup.task_id == Task.id, TaskGroup.group_id == query.group_id)))
    if query.recipient_id:
        stmt = stmt.where(
            exists().where(and_(TaskRecipient.task_id == Task.id, TaskRecipient.recipient_id == query.recipient_id))
        )
    if query.q:
        pattern = "%" + query.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(Task.name.like(pattern, escape="\\"))
    return stmt


def _ordered(stmt: Select[tuple[Task]], sort: tuple[tuple[str, bool], ...]) -> Select[tuple[Task]]:
    columns: dict[str, Any] = {
        "scheduleTime": Task.display_time,
        "status": _STATUS_ORDER,
        "priority": Task.priority,
        "createdAt": Task.created_at,
        "updatedAt": Task.updated_at,
        "name": Task.name,
    }
    order = [columns[key].desc() if descending else columns[key].asc() for key, descending in sort]
    # The id makes the order total, so pages never repeat or skip a row. It runs in the direction of
    # the last key, as the index (…, created_at) + primary key does: `created_at DESC, id ASC` would
    # make MariaDB sort every matching row (150 ms at 100,000 tasks) instead of reading 20 in order.
    last_descending = sort[-1][1] if sort else False
    return stmt.order_by(*order, Task.id.desc() if last_descending else Task.id.asc())


LIST_TOTALS = CountCache()


def list_tasks(
    session: Session, actor: Actor, query: TaskQuery, totals: CountCache = LIST_TOTALS
) -> tuple[list[Task], int]:
    """Return one page of the caller's tasks and the total matching the filters."""
    stmt = _filtered(actor, query)
    offset = (query.page - 1) * query.limit
    page = list(session.scalars(_ordered(stmt, query.sort).limit(query.limit).offset(offset)))
    if 0 < len(page) < query.limit or (offset == 0 and not page):
        # The last page: its rows tell the total, and counting every match is saved.
        return page, offset + len(page)
    key = (
        actor.org_id,
        query.status,
        query.priority,
        query.start_time,
        query.end_time,
        query.group_id,
        query.creator_id,
        query.recipient_id,
        query.q,
    )
    total = totals.get(key)
    if total is None or total < offset + len(page):
        # Count with the same WHERE but no columns: a derived table of whole rows would be materialised.
        total = int(session.scalar(stmt.with_only_columns(func.count(Task.id)).order_by(None)) or 0)
        totals.put(key, total)
    return page, total


def iter_tasks(session: Session, actor: Actor, query: TaskQuery, chunk: int = 1000) -> Iterable[list[Task]]:
    """Yield every matching task in list order, a chunk at a time (for exports)."""
    stmt = _ordered(_filtered(actor, query), query.sort)
    offset = 0
    while True:
        rows = list(session.scalars(stmt.limit(chunk).offset(offset)))
        if not rows:
            return
        yield rows
        offset += len(rows)


# ---- validation --------------------------------------------------------------------------------


@dataclass
class Draft:
    """The full desired state of a task, before it is checked and written."""

    name: str
    schedule: dict[str, Any]
    content: dict[str, Any]
    groups: list[str]
    priority: str
    status: str
    recipients: list[str]


def _rule(draft: Draft) -> recurrence.Schedule:
    s = draft.schedule
    zone = s["timezone"]
    return recurrence.Schedule(
        kind=s["type"],
        # With an unknown zone, read the time as UTC so only the zone is reported, not the time too.
        start=localize(s["time"], zone if _zone_ok(zone) else "UTC"),
        timezone=zone,
        frequency=s.get("recurringInterval") if s["type"] == "recurring" else None,
        interval=s.get("interval") or 1,
        weekdays=tuple(s.get("weekdays") or ()),
        month_day=s.get("monthDay"),
        end_at=localize(s["recurringEnd"], zone) if s.get("recurringEnd") and _zone_ok(zone) else None,
        end_after=s.get("endAfter"),
        calendar=(s.get("calendar") or "all") if s["type"] == "recurring" else "all",
    )


def _zone_ok(zone: str) -> bool:
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def time_problem(field: str, value: datetime | None) -> FieldProblem | None:
    """Return the problem with a time outside YEAR_RANGE (checked before any zone conversion)."""
    low, high = YEAR_RANGE
    if value is None or low <= value.year <= high:
        return None
    return FieldProblem(field, "out_of_range", {"min": f"{low}-01-01", "max": f"{high}-12-31"})


def _check(session: Session, actor: Actor, draft: Draft, now: datetime) -> tuple[recurrence.Schedule, datetime | None]:
    """Validate the whole desired state; return the rule and the next fire time when scheduled."""
    problems: list[FieldProblem] = []
    name_len = count_chars(draft.name.strip())
    if name_len == 0 or name_len > NAME_LIMIT:
        problems.append(FieldProblem("name", "name_length", {"actual": name_len}))
    elif any(category(c) == "Cc" for c in draft.name):
        # NUL, line breaks and other control characters break lists, CSV exports and the WeChat card.
        problems.append(FieldProblem("name", "invalid"))
    scheduled = draft.status == "scheduled"
    # One set of content rules for tasks, previews and pushes (pushtask.domain.content).
    problems += approval.content_problems(
        session,
        actor.org_id,
        draft.content,
        draft.groups,
        scheduled=scheduled,
        # Only the organisation's own uploads: another's image id must not be borrowed into a push.
        image_exists=lambda key: media_links.owned(session, actor.org_id, key) is not None,
    )
    problems += _check_ids(session, actor, draft, scheduled)
    times = [time_problem(f"schedule.{key}", draft.schedule.get(key)) for key in ("time", "recurringEnd")]
    if any(times):
        raise InvalidInput(problems + [p for p in times if p])
    rule = _rule(draft)
    schedule_problems = problems_of(rule)
    problems += schedule_problems
    next_fire: datetime | None = None
    if scheduled and not schedule_problems:
        next_fire = recurrence.next_fire(rule, now)
        if next_fire is None or (rule.kind == "once" and rule.start <= now):
            code = "time_in_past" if rule.kind == "once" else "schedule_ended"
            problems.append(FieldProblem("schedule.time" if rule.kind == "once" else "schedule", code))
    if problems:
        raise InvalidInput(problems)
    return rule, next_fire


def _check_ids(session: Session, actor: Actor, draft: Draft, scheduled: bool) -> list[FieldProblem]:
    problems = []
    groups = draft.groups
    if len(set(groups)) != len(groups):
        problems.append(FieldProblem("groups", "duplicate_items"))
    if scheduled and not groups:
        problems.append(FieldProblem("groups", "groups_required"))
    elif len(groups) > GROUP_LIMIT:
        problems.append(FieldProblem("groups", "groups_too_many", {"actual": len(groups)}))
    elif groups:
        found = set(
            session.scalars(
                select(Group.id).where(Group.id.in_(groups), Group.org_id == actor.org_id, Group.deleted_at.is_(None))
            )
        )
        missing = [g for g in dict.fromkeys(groups) if g not in found]
        if missing:
            problems.append(FieldProblem("groups", "groups_unknown", {"ids": ", ".join(missing[:10])}))
    recipients = draft.recipients
    if len(set(recipients)) != len(recipients):
        problems.append(FieldProblem("previewRecipients", "duplicate_items"))
    elif recipients:
        found = set(
            session.scalars(
                select(Recipient.id).where(
                    Recipient.id.in_(recipients),
                    Recipient.org_id == actor.org_id,
                    Recipient.deleted_at.is_(None),
                )
            )
        )
        missing = [r for r in recipients if r not in found]
        if missing:
            problems.append(FieldProblem("previewRecipients", "recipients_unknown", {"ids": ", ".join(missing[:10])}))
    return problems


# ---- snapshots and the change log --------------------------------------------------------------


def snapshot(task: Task, groups: list[str], recipients: list[str]) -> dict[str, Any]:
    """Return the task's editable state as flat fields, as the change log records them."""
    flat: dict[str, Any] = {"name": task.name}
    for key, value in schedule_out(task).items():
        flat[f"schedule.{key}"] = value
    flat.update(
        {
            "content.text": task.content_text,
            "content.image": task.content_image,
            "content.link": task.content_link,
            "content.miniprogram": task.content_miniprogram,
            "groups": list(groups),
            "priority": PRIORITY_NAMES[task.priority],
            "status": task.status,
            "previewRecipients": list(recipients),
        }
    )
    return flat


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Return {field: {old, new}} for each field whose value changed."""
    return {key: {"old": before.get(key), "new": after.get(key)} for key in after if before.get(key) != after.get(key)}


def _log(session: Session, actor: Actor, task: Task, action: str, changes: dict[str, Any], now: datetime) -> None:
    session.add(
        TaskLog(
            id=new_id(),
            task_id=task.id,
            org_id=task.org_id,
            action=action,
            user_id=actor.user_id,
            changes=changes,
            created_at=now,
        )
    )


# ---- writing -----------------------------------------------------------------------------------


def _org_timezone(session: Session, actor: Actor) -> str:
    zone = session.scalar(select(Organization.timezone).where(Organization.id == actor.org_id))
    return zone or "Asia/Shanghai"


def org_timezone(session: Session, actor: Actor) -> str:
    """Return the caller's organisation's time zone (Asia/Shanghai when unset)."""
    return _org_timezone(session, actor)


def _content_dict(content: ContentIn | None) -> dict[str, Any]:
    if content is None:
        return {}
    out = content.model_dump(include=set(content.model_fields_set))
    mini = out.get("miniprogram")
    if isinstance(mini, dict):
        out["miniprogram"] = {k: v for k, v in mini.items() if v is not None} or None
    return out


def _apply(task: Task, draft: Draft, rule: recurrence.Schedule, next_fire: datetime | None) -> None:
    """Write a checked draft onto the task row (not its links)."""
    task.name = draft.name.strip()
    recurring = rule.kind == "recurring"
    task.schedule_type = rule.kind
    task.schedule_time = rule.start
    task.timezone = rule.timezone
    task.recurring_interval = rule.frequency if recurring else None
    task.interval = rule.interval if recurring else 1
    task.weekdays = (",".join(str(d) for d in sorted(set(rule.weekdays))) or None) if recurring else None
    task.month_day = rule.month_day if recurring else None
    task.recurring_end = rule.end_at if recurring else None
    task.end_after = rule.end_after if recurring else None
    task.schedule_calendar = rule.calendar if recurring else "all"
    task.content_text = draft.content.get("text")
    task.content_image = draft.content.get("image")
    task.content_link = draft.content.get("link")
    task.content_miniprogram = draft.content.get("miniprogram")
    task.priority = PRIORITIES[draft.priority]
    task.status = draft.status
    task.next_fire_at = next_fire
    task.display_time = next_fire or rule.start


def _replace_links(session: Session, task: Task, groups: list[str], recipients: list[str]) -> None:
    session.query(TaskGroup).filter(TaskGroup.task_id == task.id).delete(synchronize_session=False)
    session.query(TaskRecipient).filter(TaskRecipient.task_id == task.id).delete(synchronize_session=False)
    session.add_all(TaskGroup(task_id=task.id, group_id=g, position=i) for i, g in enumerate(groups))
    session.add_all(TaskRecipient(task_id=task.id, recipient_id=r, position=i) for i, r in enumerate(recipients))


def _schedule_dict(schedule: ScheduleIn, default_zone: str) -> dict[str, Any]:
    data = schedule.model_dump()
    data["timezone"] = data.get("timezone") or default_zone
    return data


def _with_tagged(session: Session, actor: Actor, groups: list[str], tags: list[str] | None) -> list[str]:
    """Add the groups carrying `tags` now (a snapshot: later tag changes do not touch the task)."""
    if not tags:
        return groups
    tagged = group_tags.groups_tagged(session, actor.org_id, tags)
    return groups + [g for g in tagged if g not in groups]


def create_task(session: Session, actor: Actor, data: TaskCreate, now: datetime) -> Task:
    """Create a task (draft or scheduled) after checking every rule."""
    draft = Draft(
        name=data.name,
        schedule=_schedule_dict(data.schedule, _org_timezone(session, actor)),
        content=_content_dict(data.content),
        groups=_with_tagged(session, actor, list(data.groups), data.groupTags),
        priority=data.priority,
        status=data.status,
        recipients=recipient_refs.resolve(session, actor.org_id, data.previewRecipients, "previewRecipients"),
    )
    rule, next_fire = _check(session, actor, draft, now)
    approval.check_gate(session, actor.org_id, None, was="draft", becomes=draft.status, content_changed=True)
    task = Task(
        id=new_id(),
        org_id=actor.org_id,
        creator_id=actor.user_id,
        content_version=1,
        preview_state="none",
        created_at=now,
        updated_at=now,
    )
    _apply(task, draft, rule, next_fire)
    task.feedback_enabled = data.feedbackEnabled
    session.add(task)
    session.flush()
    _replace_links(session, task, draft.groups, draft.recipients)
    created = snapshot(task, draft.groups, draft.recipients)
    _log(session, actor, task, "create", {k: {"old": None, "new": v} for k, v in created.items() if v is not None}, now)
    return task


def _current_draft(session: Session, task: Task) -> Draft:
    return Draft(
        name=task.name,
        schedule={
            "type": task.schedule_type,
            "time": task.schedule_time,
            "timezone": task.timezone,
            "recurringInterval": task.recurring_interval,
            "interval": task.interval,
            "weekdays": [int(d) for d in task.weekdays.split(",")] if task.weekdays else None,
            "monthDay": task.month_day,
            "recurringEnd": task.recurring_end,
            "endAfter": task.end_after,
            "calendar": task.schedule_calendar,
        },
        content={
            "text": task.content_text,
            "image": task.content_image,
            "link": task.content_link,
            "miniprogram": task.content_miniprogram,
        },
        groups=group_ids_of(session, [task.id]).get(task.id, []),
        priority=PRIORITY_NAMES[task.priority],
        status=task.status,
        recipients=recipient_ids_of(session, [task.id]).get(task.id, []),
    )


def _merge_schedule(current: dict[str, Any], patch: SchedulePatch | None) -> dict[str, Any]:
    if patch is None:
        return current
    merged = dict(current)
    for key in patch.model_fields_set:
        merged[key] = getattr(patch, key)
    if merged.get("recurringInterval") != current.get("recurringInterval"):
        # Weekdays belong to weekly rules and the day of month to monthly ones: a new frequency drops them.
        for key in ("weekdays", "monthDay"):
            if key not in patch.model_fields_set:
                merged[key] = None
    if "timezone" in patch.model_fields_set and patch.timezone and "time" not in patch.model_fields_set:
        # Changing only the zone keeps the wall-clock time the operator sees.
        old_zone = current["timezone"]
        if _zone_ok(old_zone) and _zone_ok(patch.timezone):
            merged["time"] = current["time"].astimezone(ZoneInfo(old_zone)).replace(tzinfo=None)
    if merged.get("interval") is None:
        merged["interval"] = 1
    return merged


def _refuse_edit(task: Task) -> None:
    if task.status == "running":
        raise Conflict("edit_running")
    if task.status == "completed":
        raise Conflict("edit_completed")


def update_task(session: Session, actor: Actor, task_id: str, data: TaskUpdate | BatchUpdates, now: datetime) -> Task:
    """Apply a partial update, log each changed field, and re-plan the next fire time."""
    nulls = [
        key for key in ("name", "schedule", "groups") if key in data.model_fields_set and getattr(data, key, 0) is None
    ]
    if data.schedule is not None:
        # A schedule always has a type, a time and a zone: null cannot clear them.
        nulls += [
            f"schedule.{key}"
            for key in ("type", "time", "timezone")
            if key in data.schedule.model_fields_set and getattr(data.schedule, key) is None
        ]
    if nulls:
        raise InvalidInput([FieldProblem(key, "required") for key in nulls])
    task = get_task(session, actor, task_id, for_update=True)
    _refuse_edit(task)
    current = _current_draft(session, task)
    draft = Draft(
        name=data.name if isinstance(data, TaskUpdate) and data.name is not None else current.name,
        schedule=_merge_schedule(current.schedule, data.schedule),
        content=current.content,
        groups=_with_tagged(
            session, actor, list(data.groups) if data.groups is not None else current.groups, data.groupTags
        ),
        priority=current.priority,
        status=current.status,
        recipients=(
            recipient_refs.resolve(session, actor.org_id, data.previewRecipients, "previewRecipients")
            if data.previewRecipients is not None
            else current.recipients
        ),
    )
    if isinstance(data, TaskUpdate):
        if data.content is not None:
            draft.content = {**current.content, **_content_dict(data.content)}
        if data.priority is not None:
            draft.priority = data.priority
        if data.status is not None:
            draft.status = data.status
        if data.feedbackEnabled is not None:
            task.feedback_enabled = data.feedbackEnabled
    # A paused task stays paused through edits; its time is checked when it is resumed.
    check_as = draft if draft.status != "paused" else Draft(**{**draft.__dict__, "status": "draft"})
    rule, next_fire = _check(session, actor, check_as, now)
    before = snapshot(task, current.groups, current.recipients)
    content_changed = draft.content != current.content
    approval.check_gate(
        session, actor.org_id, task, was=current.status, becomes=draft.status, content_changed=content_changed
    )
    _apply(task, draft, rule, next_fire)
    if draft.status == "paused":
        task.next_fire_at = None
        task.display_time = rule.start
    else:
        task.paused_until = None
    _replace_links(session, task, draft.groups, draft.recipients)
    if content_changed:
        task.content_version += 1
        if task.preview_state in ("pending", "confirmed", "modify_requested"):
            task.preview_state = "stale"
    changes = diff(before, snapshot(task, draft.groups, draft.recipients))
    if changes:
        task.updated_at = now
        _log(session, actor, task, "update", changes, now)
    return task


def delete_task(session: Session, actor: Actor, task_id: str, now: datetime) -> None:
    """Soft-delete a draft or paused task; its logs and history stay."""
    task = get_task(session, actor, task_id, for_update=True)
    if task.status not in ("draft", "paused"):
        raise Conflict("delete_active")
    task.deleted_at = now
    task.next_fire_at = None
    task.updated_at = now
    _log(session, actor, task, "delete", {"deletedAt": {"old": None, "new": now.isoformat()}}, now)


def pause_task(session: Session, actor: Actor, task_id: str, resume_at: datetime | None, now: datetime) -> Task:
    """Stop a task from firing, optionally until `resume_at`."""
    task = get_task(session, actor, task_id, for_update=True)
    pausable = task.status in ("scheduled", "running") or (task.status == "failed" and task.next_fire_at)
    if not pausable:
        raise Conflict("pause_state", status=task.status)
    if resume_at is not None and (problem := time_problem("resumeAt", resume_at)):
        raise InvalidInput([problem])
    if resume_at is not None and resume_at <= now:
        raise InvalidInput([FieldProblem("resumeAt", "resume_in_past")])
    changes = {
        "status": {"old": task.status, "new": "paused"},
        "pausedUntil": {"old": None, "new": resume_at.isoformat() if resume_at else None},
    }
    task.status = "paused"
    task.paused_until = resume_at
    task.next_fire_at = None
    task.updated_at = now
    _log(session, actor, task, "pause", changes, now)
    return task


def resume_task(session: Session, actor: Actor, task_id: str, now: datetime) -> Task:
    """Put a paused task back on schedule from its next occurrence after `now`."""
    task = get_task(session, actor, task_id, for_update=True)
    if task.status != "paused":
        raise Conflict("resume_state", status=task.status)
    # Content edited while paused has not been reviewed: resuming would push it.
    approval.check_gate(session, actor.org_id, task, was="paused", becomes="scheduled", content_changed=False)
    rule = rule_of(task)
    next_fire = recurrence.next_fire(rule, now)
    if next_fire is None:
        raise Conflict("resume_expired" if rule.kind == "once" else "schedule_ended")
    task.status = "scheduled"
    task.paused_until = None
    task.next_fire_at = next_fire
    task.display_time = next_fire
    task.updated_at = now
    _log(session, actor, task, "resume", {"status": {"old": "paused", "new": "scheduled"}}, now)
    return task


COPY_SUFFIX = " (副本)"


def copy_task(session: Session, actor: Actor, task_id: str, now: datetime) -> Task:
    """Copy a task into a new draft named "… (副本)" that the caller owns."""
    source = get_task(session, actor, task_id)
    groups = group_ids_of(session, [source.id]).get(source.id, [])
    recipients = recipient_ids_of(session, [source.id]).get(source.id, [])
    name = truncate_chars(source.name, NAME_LIMIT - count_chars(COPY_SUFFIX)) + COPY_SUFFIX
    copy = Task(
        id=new_id(),
        org_id=source.org_id,
        name=name,
        schedule_type=source.schedule_type,
        schedule_time=source.schedule_time,
        timezone=source.timezone,
        recurring_interval=source.recurring_interval,
        interval=source.interval,
        weekdays=source.weekdays,
        month_day=source.month_day,
        recurring_end=source.recurring_end,
        end_after=source.end_after,
        schedule_calendar=source.schedule_calendar,
        content_text=source.content_text,
        content_image=source.content_image,
        content_link=source.content_link,
        content_miniprogram=source.content_miniprogram,
        variants=source.variants,  # A/B variants (issue 19) and their hand-assigned groups
        variant_groups=source.variant_groups,
        feedback_enabled=source.feedback_enabled,
        content_version=1,
        priority=source.priority,
        status="draft",
        preview_state="none",
        creator_id=actor.user_id,
        next_fire_at=None,
        display_time=source.schedule_time,
        created_at=now,
        updated_at=now,
    )
    session.add(copy)
    session.flush()
    _replace_links(session, copy, groups, recipients)
    created = snapshot(copy, groups, recipients)
    changes = {k: {"old": None, "new": v} for k, v in created.items() if v is not None}
    changes["copiedFrom"] = {"old": None, "new": source.id}
    _log(session, actor, copy, "create", changes, now)
    return copy


def batch(
    session: Session, actor: Actor, task_ids: list[str], action: str, updates: BatchUpdates | None, now: datetime
) -> list[tuple[str, Task | None, Exception | None]]:
    """Apply one action to each task on its own; one task's failure never undoes another's.

    Each task runs inside a SAVEPOINT: a refusal rolls back that task's partial writes only.
    Returns (task id, the resulting task — the new copy for "copy" —, the error or None).
    """
    outcomes: list[tuple[str, Task | None, Exception | None]] = []
    for task_id in dict.fromkeys(task_ids):
        savepoint = session.begin_nested()
        try:
            result: Task | None
            if action == "delete":
                delete_task(session, actor, task_id, now)
                result = None
            elif action == "pause":
                result = pause_task(session, actor, task_id, updates.resumeAt if updates else None, now)
            elif action == "resume":
                result = resume_task(session, actor, task_id, now)
            elif action == "copy":
                result = copy_task(session, actor, task_id, now)
            else:
                result = update_task(session, actor, task_id, updates or BatchUpdates(), now)
            session.flush()
            savepoint.commit()
            outcomes.append((task_id, result, None))
        except (InvalidInput, NotFound, Conflict) as exc:
            savepoint.rollback()
            outcomes.append((task_id, None, exc))
    return outcomes
