"""Tracked links over a Session: plan a push's codes in bulk, find a code, count a visit, the org switch.

Hooks elsewhere call only `plan` (when a push's deliveries are planned, worker/planner.create_push)
and `pushtask.domain.links.track` (when a group's message is built, worker/notices.Notifier.decorate).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from pushtask.domain import links as rules
from pushtask.errors import NotFound
from pushtask.models import LinkClick, Organization, Push, TrackedLink


def tracking_enabled(session: Session, org_id: str) -> bool:
    """Tell whether the organisation sends tracked links (the default) or the original ones."""
    value = session.scalar(select(Organization.link_tracking).where(Organization.id == org_id))
    return bool(value) if value is not None else True


def set_tracking(session: Session, org_id: str, enabled: bool) -> None:
    """Turn tracked links on or off for pushes planned from now on (planned pushes keep theirs)."""
    session.execute(update(Organization).where(Organization.id == org_id).values(link_tracking=enabled))


def plan(
    session: Session,
    push: Push,
    deliveries: Iterable[Mapping[str, Any]],
    now: datetime,
    contents: Mapping[str | None, dict[str, Any]] | None = None,
) -> int:
    """Write one short code per planned group and link of the push, in one INSERT; return how many.

    `deliveries` are the planned rows (each with `group_id`, and `variant` once a task has variants);
    `contents` gives each variant's content (default: the push's one content for every group). The
    push's content gets the salt the send path derives each group's code from.
    """
    contents = contents or {None: push.content}
    kinds = {key: rules.originals(content) for key, content in contents.items()}
    if not any(kinds.values()) or not tracking_enabled(session, push.org_id):
        return 0
    salt = secrets.token_hex(16)
    rows = []
    for delivery in deliveries:
        variant = delivery.get("variant")
        for kind, url in kinds.get(variant, kinds.get(None, {})).items():
            rows.append(
                {
                    "code": rules.code_for(salt, str(delivery["group_id"]), kind),
                    "org_id": push.org_id,
                    "task_id": push.task_id,
                    "push_id": push.id,
                    "group_id": delivery["group_id"],
                    "variant": variant,
                    "kind": kind,
                    "url": url,
                    "created_at": now,
                }
            )
    if not rows:
        return 0
    session.execute(insert(TrackedLink), rows)
    push.content = {**push.content, "tracking": {"salt": salt}}
    return len(rows)


@dataclass(frozen=True)
class Destination:
    link: TrackedLink
    fire_at: datetime
    feedback: bool  # the push asks for feedback: the redirect carries the group's signed feedback token


def find(session: Session, code: str, kind: str) -> Destination:
    """Return where a code leads, or raise NotFound (unknown code, or a code of the other kind)."""
    if not rules.is_code(code):
        raise NotFound("Link not found", "link_not_found")
    row = session.execute(
        select(TrackedLink, Push.fire_at, Push.content)
        .join(Push, Push.id == TrackedLink.push_id)
        .where(TrackedLink.code == code, TrackedLink.kind == kind)
    ).one_or_none()
    if row is None:
        raise NotFound("Link not found", "link_not_found")
    link, fire_at, content = row
    return Destination(link, fire_at, bool((content or {}).get("feedback")))


def record(session: Session, link: TrackedLink, kind: str, visitor: str, now: datetime) -> None:
    """Count one visit of a person (the caller has already left bots out)."""
    session.execute(
        insert(LinkClick).values(
            code=link.code,
            org_id=link.org_id,
            task_id=link.task_id,
            push_id=link.push_id,
            group_id=link.group_id,
            variant=link.variant,
            kind=kind,
            visitor=visitor,
            clicked_at=now,
        )
    )
