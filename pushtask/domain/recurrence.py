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

Two layers sit on the rule's slots (docs/calendars.md):

* ``calendar``: ``all`` fires on every slot; ``skip_cn_holidays`` skips slots on China's statutory
  holidays; ``cn_workdays`` fires only on China's working days (holidays skipped, ordinary weekends
  dropped, and a weekly rule covering Monday–Friday also fires on the 调休 make-up Saturdays and
  Sundays of its weeks). In a year the holiday data does not know yet, slots fire on the rule's days
  (``cn_workdays``: Monday–Friday) and are marked ``unverified``. Calendar-skipped slots do not
  count towards ``end_after``.
* single occurrences: ``skips`` (slot instants that do not fire) and ``moves`` (slot instant → the
  instant it fires instead). A skipped or moved slot still counts towards ``end_after``; a move
  whose source is not a slot, or whose target is a skipped slot, is ignored; no instant fires twice.
"""

from __future__ import annotations

import calendar
import heapq
import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pushtask.domain import workcalendar
from pushtask.domain.workcalendar import ALL, CALENDARS, CN_WORKDAYS, SKIP_CN_HOLIDAYS

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
FIELD_CALENDAR = "calendar"

# Why a slot does not fire (Occurrence.reason).
REASON_HOLIDAY = "holiday"
REASON_SKIPPED = "skipped"
REASON_MOVED = "moved"
# A calendar rule that matches no day for this many slots in a row has nowhere left to fire.
_MAX_BARREN_SLOTS = 2000


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
    calendar: str = ALL
    # Single occurrences (recurring only): slot instants that do not fire, and slot → new instant.
    skips: frozenset[datetime] = field(default_factory=frozenset)
    moves: tuple[tuple[datetime, datetime], ...] = ()


@dataclass(frozen=True)
class Occurrence:
    """One slot of a schedule: when it fires, or why it does not."""

    at: datetime  # UTC: the fire instant, or the slot's own instant when it does not fire
    fires: bool
    reason: str | None = None  # REASON_HOLIDAY, REASON_SKIPPED or REASON_MOVED when it does not fire
    holiday: str | None = None  # the holiday's Chinese name for REASON_HOLIDAY ("国庆节")
    moved_from: datetime | None = None  # a moved occurrence: the slot it was moved from
    moved_to: datetime | None = None  # REASON_MOVED: where it fires instead
    unverified: bool = False  # in a year China's holiday data does not cover yet


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
    calendar: str = ALL


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
    if schedule.calendar not in CALENDARS:
        problems.append((FIELD_CALENDAR, "invalid"))
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
    return (o.at for o in _plan(schedule, _normalise(schedule), None) if o.fires)


def next_fire(schedule: Schedule, after: datetime) -> datetime | None:
    """Return the first fire instant strictly after ``after`` (aware UTC), or None once ended."""
    return next(iter(upcoming(schedule, after, 1)), None)


def upcoming(schedule: Schedule, after: datetime, count: int = 5) -> list[datetime]:
    """Return up to ``count`` fire instants strictly after ``after`` (aware UTC), in order."""
    return [o.at for o in plan(schedule, after, count) if o.fires]


def plan(schedule: Schedule, after: datetime, count: int = 5, until: datetime | None = None) -> list[Occurrence]:
    """Return the slots strictly after ``after`` until ``count`` of them fire (or past ``until``).

    Slots that do not fire (a holiday, a skip, a move's source) are included between the firing
    ones with their reason, so a planner can show "10月1日 国庆节 不推送".
    """
    _ensure_valid(schedule)
    if not _is_aware(after):
        raise ValueError("after must be timezone-aware")
    if count <= 0:
        return []
    after = after.astimezone(UTC)
    until = until.astimezone(UTC) if until is not None else None
    if schedule.kind == KIND_ONCE:
        start = schedule.start.astimezone(UTC)
        return [Occurrence(start, True)] if start > after and (until is None or start <= until) else []
    out: list[Occurrence] = []
    fired = 0
    for occurrence in _plan(schedule, _normalise(schedule), after):
        if until is not None and occurrence.at > until:
            break
        out.append(occurrence)
        fired += occurrence.fires
        if fired >= count:
            break
    return out


def is_slot(schedule: Schedule, instant: datetime) -> bool:
    """Tell whether ``instant`` is one of the rule's own firing slots (before skips and moves)."""
    _ensure_valid(schedule)
    if schedule.kind != KIND_RECURRING:
        return False
    instant = instant.astimezone(UTC)
    rule = _normalise(schedule)
    for occurrence in _calendar_slots(rule, instant - timedelta(microseconds=1)):
        if occurrence.at != instant:
            return False
        return occurrence.fires
    return False


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
    if rule.calendar != ALL:
        text += _CALENDAR_WORDS[rule.calendar][english]
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


def _plan(schedule: Schedule, rule: _Rule, after: datetime | None) -> Iterator[Occurrence]:
    """Yield the slots after ``after`` with the calendar, skips and moves applied, in time order."""
    skips = {s.astimezone(UTC) for s in schedule.skips}
    moves: dict[datetime, datetime] = {}
    for source, target in schedule.moves:
        source, target = source.astimezone(UTC), target.astimezone(UTC)
        if source not in skips and target not in skips and is_slot(schedule, source):
            moves[source] = target
    targets = sorted(
        (
            Occurrence(target, True, moved_from=source)
            for source, target in moves.items()
            if after is None or target > after
        ),
        key=lambda o: o.at,
    )
    slots = (_override(o, skips, moves) for o in _calendar_slots(rule, after))
    last_fired: datetime | None = None
    for occurrence in heapq.merge(slots, targets, key=lambda o: o.at):
        if occurrence.fires:
            if occurrence.at == last_fired:
                continue  # a move onto an instant that fires anyway: never twice
            last_fired = occurrence.at
        yield occurrence


def _override(occurrence: Occurrence, skips: set[datetime], moves: dict[datetime, datetime]) -> Occurrence:
    if not occurrence.fires:
        return occurrence
    if occurrence.at in skips:
        return Occurrence(occurrence.at, False, REASON_SKIPPED, unverified=occurrence.unverified)
    if occurrence.at in moves:
        return Occurrence(occurrence.at, False, REASON_MOVED, moved_to=moves[occurrence.at])
    return occurrence


def _calendar_slots(rule: _Rule, after: datetime | None) -> Iterator[Occurrence]:
    """Yield the rule's slots after ``after`` judged by its work calendar."""
    if rule.calendar == ALL:
        for instant, _day in _fires_after(rule, after):
            yield Occurrence(instant, True)
        return
    # end_after counts only the days the calendar fires on, so count from the start.
    scan_from = None if rule.end_after is not None else after
    fired = barren = 0
    for instant, day in _fires_after(rule, scan_from, count_limit=False):
        info = workcalendar.day_info(day)
        if rule.calendar == CN_WORKDAYS:
            fires = info.workday
        else:
            fires = info.holiday is None
        if fires:
            fired += 1
            barren = 0
            if rule.end_after is not None and fired > rule.end_after:
                return
        else:
            barren += 1
            if barren > _MAX_BARREN_SLOTS:
                return
        if after is not None and instant <= after:
            continue
        if fires:
            yield Occurrence(instant, True, unverified=not info.known)
        elif info.holiday is not None:
            yield Occurrence(instant, False, REASON_HOLIDAY, holiday=info.holiday)
        # An ordinary weekend under cn_workdays is simply not a slot: nothing to show.


def _fires_after(rule: _Rule, after: datetime | None, count_limit: bool = True) -> Iterator[tuple[datetime, date]]:
    """Yield the rule's slot instants (with their local dates) strictly after ``after`` (all when None).

    With ``count_limit`` False, ``end_after`` is left to the caller (it counts calendar days only).
    """
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
        if rule.calendar == CN_WORKDAYS and rule.frequency == WEEKLY and set(rule.weekdays) >= {1, 2, 3, 4, 5}:
            monday = days[0] - timedelta(days=days[0].isoweekday() - 1)
            weekend = [monday + timedelta(days=offset) for offset in (5, 6)]
            extra = [d for d in weekend if d not in days and workcalendar.day_info(d).makeup]
            days = sorted([*days, *extra])
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
            if count_limit and rule.end_after is not None and index >= rule.end_after:
                return
            if rule.end_at is not None and instant > rule.end_at:
                return
            yield instant, day


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
        calendar=schedule.calendar,
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

_CALENDAR_WORDS = {
    CN_WORKDAYS: ("（仅中国工作日）", " (China's working days only)"),
    SKIP_CN_HOLIDAYS: ("（法定节假日不推送）", " (not on China's public holidays)"),
}
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
