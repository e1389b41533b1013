"""Tracked links over a Session: plan a push's codes in bulk, find a code, count a visit, the org switch.

Hooks elsewhere call only `plan` (when a push's deliveries are planned, services/pushes.create_push)
and `pushtask.domain.links.track` (when a group's message is built, worker/notices.Notifier.decorate).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import CursorResult, insert, select, update
from sqlalchemy.dialects.mysql import insert as mysql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from pushtask.domain import links as rules
from pushtask.errors import NotFound
from pushtask.models import LinkClick, LinkDaily, LinkVisitor, Organization, Push, TrackedLink

DEFAULT_ZONE = "Asia/Shanghai"


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
    timezone: str  # the task's zone: clicks are counted per day there


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
    content = content or {}
    return Destination(link, fire_at, bool(content.get("feedback")), str(content.get("timezone") or DEFAULT_ZONE))


def _local_day(now: datetime, zone: str) -> date:
    try:
        return now.astimezone(ZoneInfo(zone)).date()
    except (ZoneInfoNotFoundError, ValueError):
        return now.astimezone(ZoneInfo(DEFAULT_ZONE)).date()


def record(session: Session, found: Destination, kind: str, visitor: str, now: datetime) -> None:
    """Count one visit of a person (the caller has already left bots out): the log and both roll-ups.

    Each roll-up is one atomic statement (insert-or-ignore, insert-or-add), so two API processes
    counting the same visitor at once count them once.
    """
    link = found.link
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
    dialect = session.get_bind().dialect.name
    first = {"push_id": link.push_id, "group_id": link.group_id, "visitor": visitor, "first_at": now}
    if dialect == "sqlite":
        result = session.execute(sqlite_insert(LinkVisitor).values(first).on_conflict_do_nothing())
    else:
        result = session.execute(mysql_insert(LinkVisitor).values(first).prefix_with("IGNORE"))
    new_visitor = cast("CursorResult[Any]", result).rowcount
    fresh = 1 if new_visitor else 0
    day = {
        "push_id": link.push_id,
        "group_id": link.group_id,
        "day": _local_day(now, found.timezone),
        "org_id": link.org_id,
        "task_id": link.task_id,
        "variant": link.variant,
        "clicks": 1,
        "visitors": fresh,
    }
    if dialect == "sqlite":
        statement = sqlite_insert(LinkDaily).values(day)
        session.execute(
            statement.on_conflict_do_update(
                index_elements=["push_id", "group_id", "day"],
                set_={"clicks": LinkDaily.clicks + 1, "visitors": LinkDaily.visitors + fresh},
            )
        )
    else:
        session.execute(
            mysql_insert(LinkDaily)
            .values(day)
            .on_duplicate_key_update(clicks=LinkDaily.clicks + 1, visitors=LinkDaily.visitors + fresh)
        )
