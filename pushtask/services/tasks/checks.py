"""Checking a task before it is saved: names, content, the schedule, the groups and reviewers it names."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from unicodedata import category
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from pushtask.domain import recurrence
from pushtask.domain.actor import Actor
from pushtask.domain.text import count_chars
from pushtask.errors import FieldProblem, InvalidInput
from pushtask.models import (
    Group,
    Recipient,
)
from pushtask.services import approval, media_links
from pushtask.services.schedules import localize, problems_of

NAME_LIMIT = 50


TEXT_LIMIT = 500


GROUP_LIMIT = 100


# Times outside these years are typos; near datetime's own limits, zone conversions overflow.
YEAR_RANGE = (1970, 2199)


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
