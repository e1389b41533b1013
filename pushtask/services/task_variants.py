"""A/B variants of a task (issue 19): create and edit them, read the split, adopt the winner.

A task with variants keeps variant A's content in its own content columns, so everything that
reads one content (the list, exports, search, templates) keeps working and shows A; `t_tasks.variants`
holds every variant and `t_tasks.variant_groups` the groups assigned by hand. Create and update
wrap `pushtask.services.tasks` (which checks and writes the rest of the task) and add the variants'
own rules; nothing here commits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pushtask import schemas as base_schemas
from pushtask.domain import variants as split
from pushtask.domain.actor import Actor
from pushtask.errors import Conflict, FieldProblem, InvalidInput, NotFound
from pushtask.models import Group, Task, TaskLog, new_id
from pushtask.schemas import ContentIn, TaskCreate, TaskUpdate, VariantIn
from pushtask.services import approval, media_links
from pushtask.services import tasks as task_service

CONTENT_FIELDS = split.CONTENT_FIELDS


def _full(content: ContentIn) -> dict[str, Any]:
    """A variant's content with all four fields (absent ones None), as stored."""
    given = task_service._content_dict(content)
    return {f: given.get(f) for f in CONTENT_FIELDS}


def _stored(variants: Sequence[VariantIn]) -> list[dict[str, Any]]:
    return [{"key": v.key, "content": _full(v.content)} for v in variants]


def _as_input(content: dict[str, Any]) -> ContentIn:
    # Every field set explicitly (None included), so an update writes exactly this content.
    return ContentIn.model_validate({f: content.get(f) for f in CONTENT_FIELDS})


def _renamed(problem: FieldProblem, index: int) -> FieldProblem:
    return FieldProblem(f"variants[{index}].{problem.field}", problem.code, problem.params)


def _content_problems(
    session: Session, actor: Actor, stored: list[dict[str, Any]], groups: list[str], scheduled: bool, start: int
) -> list[FieldProblem]:
    """Check variants[start:] by the content rules (variant A's are the task's own, already checked)."""
    problems: list[FieldProblem] = []
    for index, variant in enumerate(stored[start:], start):
        found = approval.content_problems(
            session,
            actor.org_id,
            variant["content"],
            groups,
            scheduled=scheduled,
            image_exists=lambda key: media_links.owned(session, actor.org_id, key) is not None,
        )
        problems += [_renamed(p, index) for p in found]
    return problems


def _shape_problems(
    stored: list[dict[str, Any]], groups: list[str], pinned: dict[str, list[str]] | None, scheduled: bool
) -> list[FieldProblem]:
    """Keys once each; enough groups for every variant; hand-assigned groups among the task's, once each."""
    problems: list[FieldProblem] = []
    keys = [v["key"] for v in stored]
    if len(set(keys)) != len(keys):
        problems.append(FieldProblem("variants", "variant_keys_unique"))
    if (scheduled or groups) and len(groups) < len(stored):
        problems.append(FieldProblem("groups", "variants_need_groups", {"need": len(stored), "actual": len(groups)}))
    seen: set[str] = set()
    for key, ids in (pinned or {}).items():
        if key not in keys:
            problems.append(FieldProblem(f"variantGroups.{key}", "variant_key_unknown", {"keys": "、".join(keys)}))
            continue
        outside = [g for g in ids if g not in groups]
        if outside:
            problems.append(
                FieldProblem(f"variantGroups.{key}", "variant_groups_outside", {"ids": ", ".join(outside[:10])})
            )
        twice = [g for g in ids if g in seen]
        if twice:
            problems.append(
                FieldProblem(f"variantGroups.{key}", "variant_groups_twice", {"ids": ", ".join(twice[:10])})
            )
        seen.update(ids)
    return problems


def _with_renamed_content(exc: InvalidInput) -> list[FieldProblem]:
    """The task service's problems, its `content…` ones renamed to variant A's field."""
    return [_renamed(p, 0) if p.field.startswith("content") else p for p in exc.problems]


def _log_variants(session: Session, actor: Actor, task: Task, changes: dict[str, Any], now: datetime) -> None:
    """Add the variant changes to the log entry this edit wrote, or write one."""
    if not changes:
        return
    # The entry is still pending, or already flushed (then read back: the identity map holds it weakly).
    pending = [o for o in session.new if isinstance(o, TaskLog) and o.task_id == task.id and o.created_at == now]
    written = session.scalars(
        select(TaskLog).where(TaskLog.task_id == task.id, TaskLog.created_at == now, TaskLog.user_id == actor.user_id)
    ).first()
    entry = pending[-1] if pending else written
    if entry is not None:
        entry.changes = {**entry.changes, **changes}
        return
    session.add(
        TaskLog(
            id=new_id(),
            task_id=task.id,
            org_id=task.org_id,
            action="update",
            user_id=actor.user_id,
            changes=changes,
            created_at=now,
        )
    )


def _pinned(given: Mapping[Any, Sequence[str]] | None) -> dict[str, list[str]] | None:
    return {str(k): list(v) for k, v in (given or {}).items()} or None


def _no_pinned_without_variants(data: TaskCreate | TaskUpdate) -> None:
    if data.variantGroups and not data.variants:
        raise InvalidInput([FieldProblem("variantGroups", "variant_groups_without_variants")])


def create(session: Session, actor: Actor, data: TaskCreate, now: datetime) -> Task:
    """Create a task; with `variants`, variant A's content is the task's and every variant is checked."""
    _no_pinned_without_variants(data)
    if not data.variants:
        return task_service.create_task(session, actor, data, now)
    if "content" in data.model_fields_set:
        raise InvalidInput([FieldProblem("content", "variants_replace_content")])
    stored = _stored(data.variants)
    pinned = _pinned(data.variantGroups)
    scheduled = data.status == "scheduled"
    one = data.model_copy(update={"content": _as_input(stored[0]["content"]), "variants": None, "variantGroups": None})
    try:
        task = task_service.create_task(session, actor, one, now)
    except InvalidInput as exc:
        groups = list(data.groups)
        problems = _shape_problems(stored, groups, pinned, scheduled)
        raise InvalidInput(
            _with_renamed_content(exc) + problems + _content_problems(session, actor, stored, groups, scheduled, 1)
        ) from None
    groups = task_service.group_ids_of(session, [task.id]).get(task.id, [])
    problems = _shape_problems(stored, groups, pinned, scheduled)
    problems += _content_problems(session, actor, stored, groups, scheduled, 1)
    if problems:
        raise InvalidInput(problems)
    task.variants = stored
    task.variant_groups = pinned
    changes: dict[str, Any] = {"variants": {"old": None, "new": stored}}
    if pinned:
        changes["variantGroups"] = {"old": None, "new": pinned}
    _log_variants(session, actor, task, changes, now)
    return task


def update(session: Session, actor: Actor, task_id: str, data: TaskUpdate, now: datetime) -> Task:
    """Edit a task and its variants: `variants` replaces them, null removes them, absent keeps them."""
    fields = data.model_fields_set
    task = task_service.get_task(session, actor, task_id, for_update=True)
    current = task.variants or None
    if "variantGroups" in fields and data.variantGroups and "variants" in fields and not data.variants:
        raise InvalidInput([FieldProblem("variantGroups", "variant_groups_without_variants")])
    if current is None and not data.variants:
        _no_pinned_without_variants(data)
        return task_service.update_task(session, actor, task_id, data, now)
    stored = _stored(data.variants) if data.variants else (None if "variants" in fields else current)
    if stored is not None and data.content is not None:
        # Which would be sent? With variants, each one's content is edited in `variants`.
        raise InvalidInput([FieldProblem("content", "variants_replace_content")])
    if "variantGroups" in fields:
        pinned = _pinned(data.variantGroups)
    else:
        keys = {v["key"] for v in stored or []}
        pinned = {str(k): list(v) for k, v in (task.variant_groups or {}).items() if k in keys} or None
    payload = data.model_dump(exclude_unset=True, exclude={"variants", "variantGroups"})
    if stored:
        payload["content"] = {f: stored[0]["content"].get(f) for f in CONTENT_FIELDS}
    one = base_schemas.TaskUpdate.model_validate(payload)
    changed = stored != current
    becomes = data.status or task.status
    version = task.content_version
    if changed and stored:
        # A variant other than A changed: the version that would be pushed has not been reviewed.
        approval.check_gate(session, actor.org_id, task, was=task.status, becomes=becomes, content_changed=True)
    try:
        task = task_service.update_task(session, actor, task_id, one, now)
    except InvalidInput as exc:
        if not stored:
            raise
        groups = (
            list(data.groups) if data.groups is not None else task_service.group_ids_of(session, [task_id])[task_id]
        )
        problems = _shape_problems(stored, groups, pinned, becomes == "scheduled")
        problems += _content_problems(session, actor, stored, groups, becomes == "scheduled", 1)
        raise InvalidInput(_with_renamed_content(exc) + problems) from None
    if stored:
        groups = task_service.group_ids_of(session, [task.id]).get(task.id, [])
        scheduled = task.status == "scheduled"
        problems = _shape_problems(stored, groups, pinned, scheduled)
        problems += _content_problems(session, actor, stored, groups, scheduled, 1)
        if problems:
            raise InvalidInput(problems)
    if changed and task.content_version == version:
        task.content_version += 1
        if task.preview_state in ("pending", "confirmed", "modify_requested"):
            task.preview_state = "stale"
    changes: dict[str, Any] = {}
    if changed:
        changes["variants"] = {"old": current, "new": stored}
    if pinned != (task.variant_groups or None):
        changes["variantGroups"] = {"old": task.variant_groups, "new": pinned}
    task.variants = stored
    task.variant_groups = pinned if stored else None
    if changes:
        task.updated_at = now
    _log_variants(session, actor, task, changes, now)
    return task


def adopt(session: Session, actor: Actor, task_id: str, key: str, now: datetime) -> Task:
    """采用胜出版本: later occurrences send this variant's content only; the change is logged.

    The content version stays: the adopted content is one the reviewers already confirmed (every
    variant passes the approval gate), and an occurrence waiting for a group owner is not cancelled.
    """
    task = task_service.get_task(session, actor, task_id, for_update=True)
    if not task.variants:
        raise Conflict("variants_none")
    chosen = next((v for v in task.variants if v["key"] == key), None)
    if chosen is None:
        raise NotFound("Variant not found", code="variant_not_found")
    before = {f: getattr(task, f"content_{f}") for f in CONTENT_FIELDS}
    after = {f: chosen["content"].get(f) for f in CONTENT_FIELDS}
    changes: dict[str, Any] = {
        "adoptedVariant": {"old": None, "new": key},
        "variants": {"old": task.variants, "new": None},
    }
    changes.update(
        {f"content.{f}": {"old": before[f], "new": after[f]} for f in CONTENT_FIELDS if before[f] != after[f]}
    )
    if task.variant_groups:
        changes["variantGroups"] = {"old": task.variant_groups, "new": None}
    for f in CONTENT_FIELDS:
        setattr(task, f"content_{f}", after[f])
    task.variants = None
    task.variant_groups = None
    task.updated_at = now
    _log_variants(session, actor, task, changes, now)
    return task


def next_split(session: Session, task: Task) -> dict[str, list[str]] | None:
    """Which variant each of the task's groups receives at its next occurrence: {key: [group ids]}."""
    if not task.variants:
        return None
    rows = session.execute(
        select(Group.id, Group.member_count).where(
            Group.id.in_(task_service.group_ids_of(session, [task.id]).get(task.id, []))
        )
    ).all()
    keys = [v["key"] for v in task.variants]
    order = task_service.group_ids_of(session, [task.id]).get(task.id, [])
    sizes = {gid: int(n or 0) for gid, n in rows}
    chosen = split.assign(task.id, [(g, sizes[g]) for g in order if g in sizes], keys, task.variant_groups)
    out: dict[str, list[str]] = {k: [] for k in keys}
    for gid in order:
        if gid in chosen:
            out[chosen[gid]].append(gid)
    return out
