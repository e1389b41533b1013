"""Warn before scheduling a push a WeCom customer group could not receive (its mass-send cap).

Each customer group's mass sends are counted: what WeCom reports (`get_groupmsg_list_v2`, which
also sees sends made outside PushTask) when the caller could read it, else PushTask's own
deliveries; plus the upcoming pushes of the organisation's other active tasks to that group.
A planned push of the task being checked that would exceed the organisation's cap
(`days_in_month`, `7_per_week`, `1_per_day`) is named with its group and date.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from pushtask.domain import quota, recurrence
from pushtask.i18n import translate
from pushtask.models import Delivery, Group, Organization, Task, TaskGroup
from pushtask.schemas import ScheduleIn
from pushtask.services.schedules import rule_of

CHANNEL = "wecom_customer_group"
HORIZON = timedelta(days=62)  # this month and the next
MAX_OCCURRENCES = 500
_ACTIVE = ("scheduled", "running", "paused")
_PERIOD = {"days_in_month": "本月", "7_per_week": "本周", "1_per_day": "当天"}
_PERIOD_EN = {"days_in_month": "this month", "7_per_week": "this week", "1_per_day": "that day"}


@dataclass(frozen=True)
class QuotaWarning:
    group_id: str
    group_name: str
    date: date
    count: int
    limit: int
    cap: str

    def message(self, lang: str) -> str:
        period = (_PERIOD_EN if lang == "en" else _PERIOD)[self.cap]
        return translate(
            "quota_exceeded",
            lang,
            group=self.group_name,
            date=self.date.isoformat(),
            count=self.count,
            limit=self.limit,
            period=period,
        )

    def to_json(self, lang: str) -> dict[str, object]:
        return {
            "groupId": self.group_id,
            "groupName": self.group_name,
            "date": self.date.isoformat(),
            "count": self.count,
            "limit": self.limit,
            "cap": self.cap,
            "message": self.message(lang),
        }


def rule_from(schedule: ScheduleIn, default_zone: str) -> recurrence.Schedule | None:
    """The rule a schedule being typed describes, or None while it is not valid yet."""
    zone = schedule.timezone or default_zone
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return None

    def local(value: datetime) -> datetime:
        return value if value.tzinfo is not None else value.replace(tzinfo=tz)

    rule = recurrence.Schedule(
        kind=schedule.type,
        start=local(schedule.time),
        timezone=zone,
        frequency=schedule.recurringInterval if schedule.type == "recurring" else None,
        interval=schedule.interval,
        weekdays=tuple(schedule.weekdays or ()),
        month_day=schedule.monthDay,
        end_at=local(schedule.recurringEnd) if schedule.recurringEnd else None,
        end_after=schedule.endAfter,
    )
    return None if recurrence.validate(rule) else rule


def _planned(rule: recurrence.Schedule, now: datetime) -> list[datetime]:
    horizon = now + HORIZON
    return [t for t in recurrence.upcoming(rule, now, MAX_OCCURRENCES) if t <= horizon]


def warnings(
    session: Session,
    org_id: str,
    group_ids: Sequence[str],
    rule: recurrence.Schedule | None,
    now: datetime,
    *,
    exclude_task_id: str | None = None,
    reported: Mapping[str, Sequence[datetime]] | None = None,
) -> list[QuotaWarning]:
    """The first over-cap push per customer group of this schedule (empty when none)."""
    if rule is None or not group_ids:
        return []
    groups = session.scalars(
        select(Group).where(
            Group.id.in_(list(group_ids)), Group.org_id == org_id, Group.channel == CHANNEL, Group.deleted_at.is_(None)
        )
    ).all()
    if not groups:
        return []
    now = now.astimezone(UTC)
    planned = _planned(rule, now)
    if not planned:
        return []
    cap = session.scalar(select(Organization.customer_group_cap).where(Organization.id == org_id)) or quota.DEFAULT_CAP
    since = quota.period(cap, now).start
    out: list[QuotaWarning] = []
    for group in sorted(groups, key=lambda g: list(group_ids).index(g.id)):
        existing = _sent(session, group, since, now, reported) + _others(session, group, now, exclude_task_id)
        over = quota.excesses(cap, existing, planned)
        if over:
            first = over[0]
            out.append(QuotaWarning(group.id, group.name, first.local_date, first.count, first.limit, cap))
    return out


def _sent(
    session: Session,
    group: Group,
    since: datetime,
    now: datetime,
    reported: Mapping[str, Sequence[datetime]] | None,
) -> list[datetime]:
    if reported is not None and group.channel_ref in reported:
        return [t for t in reported[group.channel_ref] if since <= t <= now]
    rows = session.scalars(
        select(Delivery.fire_at).where(
            Delivery.group_id == group.id,
            Delivery.fire_at >= since,
            Delivery.fire_at <= now,
            Delivery.state != "failed",
        )
    ).all()
    return [t if t.tzinfo else t.replace(tzinfo=UTC) for t in rows]


def _others(session: Session, group: Group, now: datetime, exclude_task_id: str | None) -> list[datetime]:
    query = (
        select(Task)
        .join(TaskGroup, TaskGroup.task_id == Task.id)
        .where(TaskGroup.group_id == group.id, Task.deleted_at.is_(None), Task.status.in_(_ACTIVE))
    )
    if exclude_task_id is not None:
        query = query.where(Task.id != exclude_task_id)
    out: list[datetime] = []
    for task in session.scalars(query):
        try:
            out += _planned(rule_of(task), now)
        except (recurrence.InvalidScheduleError, ValueError):
            continue
    return out
