"""Compute when a push task fires: one-off and recurring schedules in the task's own time zone.

Everything here is pure: no clock is read, the caller passes every instant in. Rules are evaluated
in the local wall-clock time of the schedule's IANA zone, so "every Monday 18:00
America/Los_Angeles" stays 18:00 local across DST and its UTC instant moves by an hour. A local
time that does not exist on a date (spring-forward gap) fires at the end of the gap, i.e. the
transition instant; an ambiguous local time (fall-back overlap) fires once, at the first of its two
instants. All returned instants are aware UTC datetimes.

``next_fire`` jumps to the period containing ``after`` arithmetically (in local dates) rather than
iterating from ``start``, and computes the occurrence index the same way, so a rule started decades
ago costs the same as one started yesterday.
"""

from __future__ import annotations

import calendar
import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

KIND_ONCE = "once"
KIND_RECURRING = "recurring"
DAILY = "daily"
WEEKLY = "weekly"
MONTHLY = "monthly"

MAX_INTERVAL = 366

# API field names (camelCase, under ``schedule``) used in validation problems.
FIELD_TYPE = "type"
FIELD_TIME = "time"
FIELD_TIMEZONE = "timezone"
FIELD_FREQUENCY = "recurringInterval"
FIELD_INTERVAL = "interval"
FIELD_WEEKDAYS = "weekdays"
FIELD_MONTH_DAY = "monthDay"
FIELD_END_AT = "recurringEnd"
FIELD_END_AFTER = "endAfter"


@dataclass(frozen=True)
class Schedule:
    """A push schedule as the user defined it (see the module docstring for the semantics)."""

    kind: str
    start: datetime
    timezone: str
    frequency: str | None = None
    interval: int = 1
    weekdays: tuple[int, ...] = ()
    month_day: int | None = None
    end_at: datetime | None = None
    end_after: int | None = None


class InvalidScheduleError(ValueError):
    """Raised by the computing functions when ``validate`` finds problems."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__(", ".join(f"{field}: {code}" for field, code in problems))
        self.problems = problems


@dataclass(frozen=True)
class _Rule:
    """A validated recurring schedule, normalised for computation."""

    zone: ZoneInfo
    start: datetime  # UTC
    first_date: date  # start's local date
    time_of_day: time  # start's local wall-clock time
    frequency: str
    interval: int
    weekdays: tuple[int, ...]  # sorted, unique; weekly only
    month_day: int  # monthly only
    end_at: datetime | None  # UTC
    end_after: int | None


def validate(schedule: Schedule) -> list[tuple[str, str]]:
    """Return the schedule's problems as (API field, code) pairs; an empty list means valid.

    Codes: ``required``, ``invalid``, ``not_timezone_aware``, ``unknown_timezone``,
    ``out_of_range``, ``not_applicable`` (a weekly/monthly-only field on another frequency) and
    ``before_start``. Recurring-only fields are ignored for a one-off schedule.
    """
    problems: list[tuple[str, str]] = []
    if schedule.kind not in (KIND_ONCE, KIND_RECURRING):
        problems.append((FIELD_TYPE, "invalid"))
    start_ok = _is_aware(schedule.start)
    if not start_ok:
        problems.append((FIELD_TIME, "not_timezone_aware"))
    if _load_zone(schedule.timezone) is None:
        problems.append((FIELD_TIMEZONE, "unknown_timezone"))
    if schedule.kind != KIND_RECURRING:
        return problems

    frequency = schedule.frequency
    if frequency is None:
        problems.append((FIELD_FREQUENCY, "required"))
    elif frequency not in (DAILY, WEEKLY, MONTHLY):
        problems.append((FIELD_FREQUENCY, "invalid"))
    if not _is_int_in(schedule.interval, 1, MAX_INTERVAL):
        problems.append((FIELD_INTERVAL, "out_of_range"))
    if schedule.weekdays:
        if frequency != WEEKLY:
            problems.append((FIELD_WEEKDAYS, "not_applicable"))
        elif not all(_is_int_in(day, 1, 7) for day in schedule.weekdays):
            problems.append((FIELD_WEEKDAYS, "invalid"))
    if schedule.month_day is not None:
        if frequency != MONTHLY:
            problems.append((FIELD_MONTH_DAY, "not_applicable"))
        elif not _is_int_in(schedule.month_day, 1, 31):
            problems.append((FIELD_MONTH_DAY, "out_of_range"))
    end_at = schedule.end_at
    if end_at is not None:
        if not _is_aware(end_at):
            problems.append((FIELD_END_AT, "not_timezone_aware"))
        # Compare in UTC: two datetimes sharing a tzinfo compare by wall clock, ignoring fold.
        elif start_ok and end_at.astimezone(UTC) < schedule.start.astimezone(UTC):
            problems.append((FIELD_END_AT, "before_start"))
    if schedule.end_after is not None and not _is_int_in(schedule.end_after, 1, None):
        problems.append((FIELD_END_AFTER, "out_of_range"))
    return problems


def occurrences(schedule: Schedule) -> Iterator[datetime]:
    """Yield every fire instant in order as aware UTC datetimes (endless for never-ending rules).

    Raises InvalidScheduleError at once (not on first iteration) if the schedule is invalid.
    """
    _ensure_valid(schedule)
    if schedule.kind == KIND_ONCE:
        return iter((schedule.start.astimezone(UTC),))
    return _fires_after(_normalise(schedule), None)


def next_fire(schedule: Schedule, after: datetime) -> datetime | None:
    """Return the first fire instant strictly after ``after`` (aware UTC), or None once ended."""
    return next(iter(upcoming(schedule, after, 1)), None)


def upcoming(schedule: Schedule, after: datetime, count: int = 5) -> list[datetime]:
    """Return up to ``count`` fire instants strictly after ``after`` (aware UTC), in order."""
    _ensure_valid(schedule)
    if not _is_aware(after):
        raise ValueError("after must be timezone-aware")
    if count <= 0:
        return []
    after = after.astimezone(UTC)
    if schedule.kind == KIND_ONCE:
        start = schedule.start.astimezone(UTC)
        return [start] if start > after else []
    return list(itertools.islice(_fires_after(_normalise(schedule), after), count))


def localize(wall_clock: datetime, timezone: str) -> datetime:
    """Return the UTC instant a naive local wall-clock time in ``timezone`` fires at.

    Uses the same rules as recurring slots (ambiguous: first instant; nonexistent: gap end), so
    the API can turn a user's "2025-03-09 02:30 America/Los_Angeles" into ``Schedule.start``.
    Raises ValueError for an aware ``wall_clock`` or an unknown zone.
    """
    zone = _load_zone(timezone)
    if zone is None:
        raise ValueError(f"unknown time zone {timezone!r}")
    if wall_clock.tzinfo is not None:
        raise ValueError("wall_clock must be naive local time")
    return _resolve_local(wall_clock.date(), wall_clock.time(), zone)


def describe(schedule: Schedule, lang: str = "zh-CN") -> str:
    """Describe the rule in words in the schedule's own zone, in zh-CN (default) or English."""
    _ensure_valid(schedule)
    english = lang.lower().startswith("en")
    zone = ZoneInfo(schedule.timezone)
    local_start = schedule.start.astimezone(UTC).astimezone(zone)
    clock = _format_clock(local_start.time())
    if schedule.kind == KIND_ONCE:
        if english:
            return f"Once on {local_start:%Y-%m-%d} {clock}"
        return f"{_format_zh_date(local_start.date())} {clock}（单次）"

    rule = _normalise(schedule)
    text = _describe_en(rule, clock) if english else _describe_zh(rule, clock)
    if rule.end_at is not None:
        local_end = rule.end_at.astimezone(zone)
        # A bare date reads as "including that day"; name the time when that day's slot is cut off.
        cut_off = local_end.time() < rule.time_of_day
        end_clock = f" {_format_clock(local_end.time())}" if cut_off else ""
        if english:
            text += f", until {local_end:%Y-%m-%d}{end_clock}"
        else:
            text += f"，至{_format_zh_date(local_end.date())}{end_clock}"
    if rule.end_after is not None:
        if english:
            text += f", {rule.end_after} time{'s' if rule.end_after != 1 else ''}"
        else:
            text += f"，共{rule.end_after}次"
    return text


# --- computation -------------------------------------------------------------------------------


def _fires_after(rule: _Rule, after: datetime | None) -> Iterator[datetime]:
    """Yield the rule's fire instants strictly after ``after`` (all of them when None)."""
    if after is not None and rule.end_at is not None and after >= rule.end_at:
        return
    first_period = 0
    if after is not None and after > rule.start:
        # One period of slack: the slot just before `after`'s local date may still lie after it.
        local_day = after.astimezone(rule.zone).date()
        first_period = max(0, _period_containing(rule, local_day) - 1)
    skipped = _count_before_start(rule)
    per_period = len(rule.weekdays) if rule.frequency == WEEKLY else 1
    for period in itertools.count(first_period):
        try:
            days = _period_dates(rule, period)
        except (OverflowError, ValueError):
            return  # past year 9999: the rule has nowhere left to fire
        for position, day in enumerate(days):
            try:
                instant = _resolve_local(day, rule.time_of_day, rule.zone)
            except (OverflowError, ValueError):
                return
            if instant < rule.start:
                continue  # only ever in period 0; counted in `skipped`
            if after is not None and instant <= after:
                continue
            index = period * per_period + position - skipped
            if rule.end_after is not None and index >= rule.end_after:
                return
            if rule.end_at is not None and instant > rule.end_at:
                return
            yield instant


def _count_before_start(rule: _Rule) -> int:
    """Count period 0's slots that fall before start (they are a prefix and never fire)."""
    return sum(1 for day in _period_dates(rule, 0) if _resolve_local(day, rule.time_of_day, rule.zone) < rule.start)


def _period_dates(rule: _Rule, period: int) -> list[date]:
    """Return the local dates of the slots in ``period`` (0 = the period containing start)."""
    if rule.frequency == DAILY:
        return [rule.first_date + timedelta(days=period * rule.interval)]
    if rule.frequency == WEEKLY:
        monday = _monday_of(rule.first_date) + timedelta(weeks=period * rule.interval)
        return [monday + timedelta(days=weekday - 1) for weekday in rule.weekdays]
    year, month0 = divmod(_month_number(rule.first_date) + period * rule.interval, 12)
    last_day = calendar.monthrange(year, month0 + 1)[1]
    return [date(year, month0 + 1, min(rule.month_day, last_day))]


def _period_containing(rule: _Rule, day: date) -> int:
    """Return the index of the period whose span contains ``day`` (floor; may be negative)."""
    if rule.frequency == DAILY:
        return (day - rule.first_date).days // rule.interval
    if rule.frequency == WEEKLY:
        weeks = (_monday_of(day) - _monday_of(rule.first_date)).days // 7
        return weeks // rule.interval
    return (_month_number(day) - _month_number(rule.first_date)) // rule.interval


def _resolve_local(day: date, time_of_day: time, zone: ZoneInfo) -> datetime:
    """Convert a local date and wall-clock time in ``zone`` to the UTC instant it fires at.

    An ambiguous time maps to its first instant; a nonexistent one to the end of its gap.
    """
    # A time taken from an aware datetime keeps its fold; drop it so ambiguity resolves to the first.
    naive = datetime.combine(day, time_of_day).replace(fold=0)
    # fold=0 takes the pre-transition offset: the first instant of an overlap, as required.
    first = naive.replace(tzinfo=zone).astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) == naive:
        return first
    # In a gap fold=0 lands past the gap end by the gap length (02:30 -> 03:30 PDT), so search for
    # the transition instant itself: the first whole second whose wall clock is past `naive`.
    other = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
    low = math.floor(min(first, other).timestamp())  # wall clock here is before `naive`
    high = math.floor(max(first, other).timestamp()) + 1  # and here after it
    while high - low > 1:
        middle = (low + high) // 2
        wall = datetime.fromtimestamp(middle, UTC).astimezone(zone).replace(tzinfo=None)
        if wall > naive:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)


def _monday_of(day: date) -> date:
    return day - timedelta(days=day.isoweekday() - 1)


def _month_number(day: date) -> int:
    return day.year * 12 + day.month - 1


# --- validation helpers ------------------------------------------------------------------------


def _ensure_valid(schedule: Schedule) -> None:
    problems = validate(schedule)
    if problems:
        raise InvalidScheduleError(problems)


def _normalise(schedule: Schedule) -> _Rule:
    """Build the computation view of a valid recurring schedule."""
    zone = ZoneInfo(schedule.timezone)
    # Via UTC: astimezone() into the datetime's own tzinfo is a no-op that would keep a wall time
    # that does not exist (02:30 on a spring-forward day) instead of the instant's real one.
    local_start = schedule.start.astimezone(UTC).astimezone(zone)
    return _Rule(
        zone=zone,
        start=schedule.start.astimezone(UTC),
        first_date=local_start.date(),
        time_of_day=local_start.time().replace(fold=0),
        frequency=schedule.frequency or DAILY,
        interval=schedule.interval,
        weekdays=tuple(sorted(set(schedule.weekdays))) or (local_start.isoweekday(),),
        month_day=schedule.month_day or local_start.day,
        end_at=schedule.end_at.astimezone(UTC) if schedule.end_at is not None else None,
        end_after=schedule.end_after,
    )


def _load_zone(name: object) -> ZoneInfo | None:
    if not isinstance(name, str) or not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def _is_aware(value: object) -> bool:
    return isinstance(value, datetime) and value.utcoffset() is not None


def _is_int_in(value: object, low: int, high: int | None) -> bool:
    # bool is an int subclass; True must not pass as an interval of 1.
    if not isinstance(value, int) or isinstance(value, bool):
        return False
    return low <= value and (high is None or value <= high)


# --- wording -----------------------------------------------------------------------------------

_ZH_WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
_EN_WEEKDAYS = (
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
)


def _describe_zh(rule: _Rule, clock: str) -> str:
    every = "每" if rule.interval == 1 else f"每{rule.interval}"
    if rule.frequency == DAILY:
        return f"{every}天 {clock}"
    if rule.frequency == WEEKLY:
        days = "、".join(_ZH_WEEKDAYS[day - 1] for day in rule.weekdays)
        if rule.interval == 1:
            return f"每{days} {clock}"  # 每周一 reads naturally; 每周周一 does not
        return f"{every}周{days} {clock}"
    unit = "月" if rule.interval == 1 else "个月"
    clamp = "（小月为月末）" if rule.month_day > 28 else ""
    return f"{every}{unit}{rule.month_day}日 {clock}{clamp}"


def _describe_en(rule: _Rule, clock: str) -> str:
    if rule.frequency == DAILY:
        every = "Every day" if rule.interval == 1 else f"Every {rule.interval} days"
        return f"{every} at {clock}"
    if rule.frequency == WEEKLY:
        days = ", ".join(_EN_WEEKDAYS[day - 1] for day in rule.weekdays)
        if rule.interval == 1:
            return f"Every {days} at {clock}"
        return f"Every {rule.interval} weeks on {days} at {clock}"
    every = "Monthly" if rule.interval == 1 else f"Every {rule.interval} months"
    clamp = " (last day in shorter months)" if rule.month_day > 28 else ""
    return f"{every} on day {rule.month_day} at {clock}{clamp}"


def _format_clock(value: time) -> str:
    return f"{value:%H:%M:%S}" if value.second else f"{value:%H:%M}"


def _format_zh_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"
