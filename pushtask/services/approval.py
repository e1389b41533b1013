"""The approval gate and the content check tasks and previews share."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pushtask.channels.base import GroupTarget
from pushtask.domain import content as rules
from pushtask.errors import Conflict, FieldProblem
from pushtask.models import Group, Organization, Task


def group_targets(session: Session, org_id: str, group_ids: Iterable[str]) -> list[GroupTarget]:
    """Return the organisation's live groups as channel targets, in the order given."""
    ids = list(dict.fromkeys(group_ids))
    if not ids:
        return []
    rows = {
        g.id: g
        for g in session.scalars(
            select(Group).where(Group.id.in_(ids), Group.org_id == org_id, Group.deleted_at.is_(None))
        )
    }
    return [
        GroupTarget(g.id, g.name, g.channel, g.channel_ref, owner=g.owner_userid or "")
        for i in ids
        if (g := rows.get(i)) is not None
    ]


def content_problems(
    session: Session,
    org_id: str,
    content: Mapping[str, Any],
    group_ids: Iterable[str],
    *,
    scheduled: bool,
    image_exists: rules.ImageLookup | None = None,
) -> list[FieldProblem]:
    """Check content by the rules; a scheduled task is also checked against each target group's channel."""
    targets = group_targets(session, org_id, group_ids) if scheduled else []
    return rules.check(content, image_exists=image_exists, targets=targets, require_content=scheduled)


def check_gate(
    session: Session, org_id: str, task: Task | None, *, was: str, becomes: str, content_changed: bool
) -> None:
    """Refuse scheduling content that has not been confirmed in a preview, when the org requires it.

    Applies when a task enters `scheduled` (create, edit, batch) and when a scheduled task's
    content changes: in both cases the version that would be pushed has not been reviewed.
    """
    if becomes != "scheduled" or (was == "scheduled" and not content_changed):
        return
    if task is not None and not content_changed:
        # The stored content would be pushed: it may have been confirmed already.
        if not awaits_confirmation(session, task):
            return
    elif not _approval_required(session, org_id):
        return
    version = (task.content_version + (1 if content_changed else 0)) if task is not None else 1
    raise Conflict("approval_required", version=version)


def awaits_confirmation(session: Session, task: Task) -> bool:
    """Tell whether the task's organisation requires a confirmed preview and its content has none."""
    return task.preview_state != "confirmed" and _approval_required(session, task.org_id)


def _approval_required(session: Session, org_id: str) -> bool:
    return bool(session.scalar(select(Organization.approval_required).where(Organization.id == org_id)))
