"""Writing tasks: create, edit, pause, resume, copy, delete.

Each function takes the Session, the acting user and `now`; none commits. The caller
(a request, a batch item, a worker unit of work) decides the transaction boundary.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from pushtask.domain import recurrence
from pushtask.domain.actor import Actor
from pushtask.domain.text import count_chars, truncate_chars
from pushtask.errors import Conflict, FieldProblem, InvalidInput
from pushtask.models import (
    PRIORITIES,
    Organization,
    Task,
    TaskGroup,
    TaskRecipient,
    new_id,
)
from pushtask.schemas import BatchUpdates, ContentIn, ScheduleIn, SchedulePatch, TaskCreate, TaskUpdate
from pushtask.services import approval, group_tags, recipient_refs
from pushtask.services.schedules import rule_of
from pushtask.services.tasks.audit import _log, diff, snapshot
from pushtask.services.tasks.checks import NAME_LIMIT, Draft, _check, _zone_ok, time_problem
from pushtask.services.tasks.query import PRIORITY_NAMES, get_task, group_ids_of, recipient_ids_of


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
