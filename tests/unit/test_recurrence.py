"""Behaviour of the recurrence rules: local wall-clock semantics across DST, ends, and fast jumps."""

from __future__ import annotations

import calendar
import functools
import itertools
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from pushtask.domain import recurrence
from pushtask.domain.recurrence import (
    InvalidScheduleError,
    Schedule,
    describe,
    localize,
    next_fire,
    occurrences,
    upcoming,
    validate,
)

LA = "America/Los_Angeles"
BERLIN = "Europe/Berlin"
SHANGHAI = "Asia/Shanghai"
LORD_HOWE = "Australia/Lord_Howe"


def at(
    zone: str,
    year: int,
    month: int,
    day: int,
    hour: int = 0,
    minute: int = 0,
    second: int = 0,
    *,
    fold: int = 0,
) -> datetime:
    """Build an aware datetime from local wall-clock fields in ``zone``."""
    return datetime(year, month, day, hour, minute, second, tzinfo=ZoneInfo(zone), fold=fold)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def first(schedule: Schedule, n: int) -> list[datetime]:
    return list(itertools.islice(occurrences(schedule), n))


def daily(zone: str, start: datetime, **changes: object) -> Schedule:
    return replace(Schedule("recurring", start, zone, "daily"), **changes)  # type: ignore[arg-type]


def weekly(zone: str, start: datetime, weekdays: tuple[int, ...], **changes: object) -> Schedule:
    schedule = Schedule("recurring", start, zone, "weekly", weekdays=weekdays)
    return replace(schedule, **changes)  # type: ignore[arg-type]


def monthly(zone: str, start: datetime, **changes: object) -> Schedule:
    return replace(Schedule("recurring", start, zone, "monthly"), **changes)  # type: ignore[arg-type]


# --- DST in America/Los_Angeles ----------------------------------------------------------------


def test_daily_0230_los_angeles_fires_at_gap_end_on_spring_forward_day() -> None:
    fires = first(daily(LA, at(LA, 2025, 3, 8, 2, 30)), 3)
    assert fires == [
        utc(2025, 3, 8, 10, 30),  # 02:30 PST
        utc(2025, 3, 9, 10, 0),  # 02:30 does not exist: 03:00 PDT, the gap's end
        utc(2025, 3, 10, 9, 30),  # 02:30 PDT
    ]


def test_daily_0230_los_angeles_does_not_use_the_naive_fold0_shift_to_0330() -> None:
    spring_day = first(daily(LA, at(LA, 2025, 3, 9, 0, 0)), 1)[0].date()
    fire = next_fire(daily(LA, at(LA, 2025, 3, 8, 2, 30)), utc(2025, 3, 9))
    assert spring_day == date(2025, 3, 9)
    assert fire is not None
    assert fire.astimezone(ZoneInfo(LA)).time() == time(3, 0)
    assert fire != at(LA, 2025, 3, 9, 2, 30).astimezone(UTC)  # the 03:30 PDT trap


def test_daily_0130_los_angeles_fires_once_at_first_instant_on_fall_back_day() -> None:
    fires = first(daily(LA, at(LA, 2025, 11, 1, 1, 30)), 3)
    assert fires == [
        utc(2025, 11, 1, 8, 30),  # 01:30 PDT
        utc(2025, 11, 2, 8, 30),  # first 01:30 (PDT); the PST repeat is not a second fire
        utc(2025, 11, 3, 9, 30),  # 01:30 PST
    ]


def test_daily_0230_los_angeles_is_unaffected_by_fall_back() -> None:
    fires = first(daily(LA, at(LA, 2025, 11, 1, 2, 30)), 3)
    assert fires == [
        utc(2025, 11, 1, 9, 30),
        utc(2025, 11, 2, 10, 30),
        utc(2025, 11, 3, 10, 30),
    ]


def test_daily_0130_los_angeles_is_unaffected_by_spring_forward() -> None:
    fires = first(daily(LA, at(LA, 2025, 3, 8, 1, 30)), 3)
    assert fires == [
        utc(2025, 3, 8, 9, 30),
        utc(2025, 3, 9, 9, 30),
        utc(2025, 3, 10, 8, 30),
    ]


def test_weekly_monday_1800_los_angeles_stays_local_across_spring_forward() -> None:
    fires = first(weekly(LA, at(LA, 2025, 3, 3, 18, 0), (1,)), 2)
    assert fires == [utc(2025, 3, 4, 2, 0), utc(2025, 3, 11, 1, 0)]
    assert {f.astimezone(ZoneInfo(LA)).time() for f in fires} == {time(18, 0)}


def test_weekly_monday_1800_los_angeles_stays_local_across_fall_back() -> None:
    fires = first(weekly(LA, at(LA, 2025, 10, 27, 18, 0), (1,)), 2)
    assert fires == [utc(2025, 10, 28, 1, 0), utc(2025, 11, 4, 2, 0)]


def test_start_given_in_utc_is_read_in_the_schedule_zone() -> None:
    schedule = weekly(LA, utc(2025, 3, 4, 2, 0), ())  # Monday 18:00 PST
    assert first(schedule, 2) == [utc(2025, 3, 4, 2, 0), utc(2025, 3, 11, 1, 0)]


# --- other zones -------------------------------------------------------------------------------


def test_daily_0230_berlin_fires_at_0300_cest_on_spring_forward_day() -> None:
    fires = first(daily(BERLIN, at(BERLIN, 2025, 3, 29, 2, 30)), 3)
    assert fires == [
        utc(2025, 3, 29, 1, 30),
        utc(2025, 3, 30, 1, 0),
        utc(2025, 3, 31, 0, 30),
    ]


def test_daily_0230_berlin_fires_once_in_cest_on_fall_back_day() -> None:
    fires = first(daily(BERLIN, at(BERLIN, 2025, 10, 25, 2, 30)), 3)
    assert fires == [
        utc(2025, 10, 25, 0, 30),
        utc(2025, 10, 26, 0, 30),
        utc(2025, 10, 27, 1, 30),
    ]


def test_daily_0800_shanghai_is_always_midnight_utc() -> None:
    fires = first(daily(SHANGHAI, at(SHANGHAI, 2025, 1, 1, 8, 0)), 366)
    assert all(f.time() == time(0, 0) for f in fires)
    assert [f.date() for f in fires] == [date(2025, 1, 1) + timedelta(days=i) for i in range(366)]


def test_daily_shanghai_1991_dst_moves_gap_and_overlap_times() -> None:
    spring = first(daily(SHANGHAI, at(SHANGHAI, 1991, 4, 13, 2, 30)), 3)
    assert spring == [
        utc(1991, 4, 12, 18, 30),
        utc(1991, 4, 13, 18, 0),
        utc(1991, 4, 14, 17, 30),
    ]
    autumn = first(daily(SHANGHAI, at(SHANGHAI, 1991, 9, 14, 1, 30)), 3)
    assert autumn == [
        utc(1991, 9, 13, 16, 30),
        utc(1991, 9, 14, 16, 30),
        utc(1991, 9, 15, 17, 30),
    ]


def test_lord_howe_half_hour_gap_fires_at_0230_and_overlap_at_first_instant() -> None:
    spring = first(daily(LORD_HOWE, at(LORD_HOWE, 2025, 10, 4, 2, 15)), 3)
    assert spring == [
        utc(2025, 10, 3, 15, 45),
        utc(2025, 10, 4, 15, 30),
        utc(2025, 10, 5, 15, 15),
    ]
    autumn = first(daily(LORD_HOWE, at(LORD_HOWE, 2025, 4, 5, 1, 45)), 3)
    assert autumn == [
        utc(2025, 4, 4, 14, 45),
        utc(2025, 4, 5, 14, 45),
        utc(2025, 4, 6, 15, 15),
    ]


def test_dublin_negative_dst_overlap_still_fires_at_first_instant() -> None:
    fires = first(daily("Europe/Dublin", at("Europe/Dublin", 2025, 10, 25, 1, 30)), 3)
    assert fires == [
        utc(2025, 10, 25, 0, 30),
        utc(2025, 10, 26, 0, 30),
        utc(2025, 10, 27, 1, 30),
    ]


def test_santiago_midnight_gap_fires_at_0100() -> None:
    santiago = "America/Santiago"
    fires = first(daily(santiago, at(santiago, 2025, 9, 6, 0, 30)), 2)
    assert fires[1] == utc(2025, 9, 7, 4, 0)
    assert fires[1].astimezone(ZoneInfo(santiago)).time() == time(1, 0)


def test_localize_resolves_gap_and_overlap_like_slots() -> None:
    assert localize(datetime(2025, 3, 9, 2, 30), LA) == utc(2025, 3, 9, 10, 0)
    assert localize(datetime(2025, 11, 2, 1, 30), LA) == utc(2025, 11, 2, 8, 30)
    with pytest.raises(ValueError):
        localize(datetime(2025, 1, 1), "Mars/Olympus")


# --- rule shapes -------------------------------------------------------------------------------


def test_monthly_31st_clamps_to_month_end_in_short_months() -> None:
    fires = first(monthly(SHANGHAI, at(SHANGHAI, 2025, 1, 31, 10, 0)), 5)
    local = [f.astimezone(ZoneInfo(SHANGHAI)).date() for f in fires]
    assert local == [
        date(2025, 1, 31),
        date(2025, 2, 28),
        date(2025, 3, 31),
        date(2025, 4, 30),
        date(2025, 5, 31),
    ]


def test_monthly_31st_uses_february_29_in_leap_years() -> None:
    fires = first(monthly(SHANGHAI, at(SHANGHAI, 2024, 1, 5, 10, 0), month_day=31), 3)
    local = [f.astimezone(ZoneInfo(SHANGHAI)).date() for f in fires]
    assert local == [date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 31)]


def test_monthly_every_2_months_counts_from_start_month() -> None:
    fires = first(monthly(SHANGHAI, at(SHANGHAI, 2025, 1, 15, 10, 0), interval=2), 4)
    months = [f.astimezone(ZoneInfo(SHANGHAI)).date() for f in fires]
    assert months == [
        date(2025, 1, 15),
        date(2025, 3, 15),
        date(2025, 5, 15),
        date(2025, 7, 15),
    ]


def test_monthly_day_before_start_day_first_fires_in_next_active_month() -> None:
    fires = first(monthly(SHANGHAI, at(SHANGHAI, 2025, 1, 20, 9, 0), month_day=10, interval=2), 2)
    local = [f.astimezone(ZoneInfo(SHANGHAI)).date() for f in fires]
    assert local == [date(2025, 3, 10), date(2025, 5, 10)]


def test_weekly_start_on_unchosen_weekday_first_fires_on_next_chosen_day() -> None:
    # 2025-06-10 is a Tuesday; the rule is Monday and Wednesday.
    fires = first(weekly(SHANGHAI, at(SHANGHAI, 2025, 6, 10, 18, 0), (3, 1)), 3)
    local = [f.astimezone(ZoneInfo(SHANGHAI)) for f in fires]
    assert [d.date() for d in local] == [
        date(2025, 6, 11),
        date(2025, 6, 16),
        date(2025, 6, 18),
    ]
    assert {d.time() for d in local} == {time(18, 0)}


def test_weekly_every_2_weeks_counts_iso_weeks_from_start_week() -> None:
    # Start Wednesday 2025-06-11: Monday of that week is already past, Friday is not.
    schedule = weekly(SHANGHAI, at(SHANGHAI, 2025, 6, 11, 9, 30), (1, 5), interval=2)
    local = [f.astimezone(ZoneInfo(SHANGHAI)).date() for f in first(schedule, 4)]
    assert local == [
        date(2025, 6, 13),
        date(2025, 6, 23),
        date(2025, 6, 27),
        date(2025, 7, 7),
    ]


def test_weekly_without_weekdays_uses_start_weekday() -> None:
    fires = first(weekly(SHANGHAI, at(SHANGHAI, 2025, 6, 13, 9, 30), ()), 2)
    assert [f.astimezone(ZoneInfo(SHANGHAI)).isoweekday() for f in fires] == [5, 5]


def test_daily_every_3_days_counts_from_start_date() -> None:
    fires = first(daily(SHANGHAI, at(SHANGHAI, 2025, 2, 27, 8, 0), interval=3), 3)
    local = [f.astimezone(ZoneInfo(SHANGHAI)).date() for f in fires]
    assert local == [date(2025, 2, 27), date(2025, 3, 2), date(2025, 3, 5)]


def test_outputs_are_utc_aware() -> None:
    fires = first(weekly(LA, at(LA, 2025, 3, 3, 18, 0), (1, 4)), 5)
    assert all(f.tzinfo is UTC for f in fires)
    nxt = next_fire(weekly(LA, at(LA, 2025, 3, 3, 18, 0), (1,)), at(LA, 2025, 3, 5, 0, 0))
    assert nxt is not None and nxt.tzinfo is UTC


# --- ends --------------------------------------------------------------------------------------


def test_end_after_10_gives_exactly_10() -> None:
    schedule = weekly(LA, at(LA, 2025, 3, 4, 18, 0), (1, 3), end_after=10)
    fires = list(occurrences(schedule))
    assert len(fires) == 10
    assert fires[0] == at(LA, 2025, 3, 5, 18, 0).astimezone(UTC)  # Monday 3rd was before start


def test_end_at_is_an_inclusive_boundary() -> None:
    start = at(SHANGHAI, 2025, 6, 1, 8, 0)
    last = at(SHANGHAI, 2025, 6, 5, 8, 0)
    assert list(occurrences(daily(SHANGHAI, start, end_at=last)))[-1] == last.astimezone(UTC)
    just_before = last - timedelta(microseconds=1)
    fires = list(occurrences(daily(SHANGHAI, start, end_at=just_before)))
    assert len(fires) == 4


def test_next_fire_after_the_last_occurrence_is_none() -> None:
    schedule = daily(SHANGHAI, at(SHANGHAI, 2025, 6, 1, 8, 0), end_after=3)
    last = list(occurrences(schedule))[-1]
    assert next_fire(schedule, last) is None
    assert next_fire(schedule, last - timedelta(seconds=1)) == last
    assert next_fire(daily(SHANGHAI, at(SHANGHAI, 2025, 6, 1, 8, 0), end_at=last), last) is None


def test_next_fire_is_strictly_after_and_before_start_gives_first() -> None:
    schedule = daily(SHANGHAI, at(SHANGHAI, 2025, 6, 1, 8, 0))
    start = schedule.start.astimezone(UTC)
    assert next_fire(schedule, start - timedelta(days=400)) == start
    assert next_fire(schedule, start) == start + timedelta(days=1)


def test_once_fires_exactly_once_at_start() -> None:
    start = at(LA, 2025, 6, 10, 18, 0)
    schedule = Schedule("once", start, LA)
    assert list(occurrences(schedule)) == [utc(2025, 6, 11, 1, 0)]
    assert next_fire(schedule, start - timedelta(seconds=1)) == utc(2025, 6, 11, 1, 0)
    assert next_fire(schedule, start) is None
    assert upcoming(schedule, start - timedelta(days=1), 5) == [utc(2025, 6, 11, 1, 0)]


def test_upcoming_returns_next_count_instants() -> None:
    schedule = daily(SHANGHAI, at(SHANGHAI, 2025, 6, 1, 8, 0))
    after = at(SHANGHAI, 2025, 6, 3, 8, 0)
    expected = [at(SHANGHAI, 2025, 6, d, 8, 0).astimezone(UTC) for d in range(4, 9)]
    assert upcoming(schedule, after) == expected
    assert upcoming(schedule, after, 0) == []


def test_ambiguous_start_in_second_fold_skips_that_days_earlier_slot() -> None:
    # Start is the second 01:30 (PST); that day's slot is the first 01:30, already before start.
    schedule = daily(LA, at(LA, 2025, 11, 2, 1, 30, fold=1))
    assert first(schedule, 1) == [utc(2025, 11, 3, 9, 30)]


# --- efficiency --------------------------------------------------------------------------------


def count_resolutions(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls = [0]
    original: Callable[[date, time, ZoneInfo], datetime] = recurrence._resolve_local

    def counting(day: date, time_of_day: time, zone: ZoneInfo) -> datetime:
        calls[0] += 1
        return original(day, time_of_day, zone)

    monkeypatch.setattr(recurrence, "_resolve_local", counting)
    return calls


def test_next_fire_of_daily_rule_started_20_years_ago_jumps_instead_of_iterating(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    schedule = daily(LA, at(LA, 2005, 3, 1, 2, 30))
    calls = count_resolutions(monkeypatch)
    assert next_fire(schedule, utc(2025, 3, 9, 0, 0)) == utc(2025, 3, 9, 10, 0)
    assert calls[0] < 10


def test_next_fire_with_end_after_far_in_the_past_answers_none_without_iterating(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    schedule = weekly(LA, at(LA, 2005, 3, 1, 18, 0), (1, 3, 5), end_after=1000)
    last = list(occurrences(schedule))[-1]
    calls = count_resolutions(monkeypatch)
    assert next_fire(schedule, utc(2030, 1, 1)) is None
    assert next_fire(schedule, last - timedelta(seconds=1)) == last
    assert calls[0] < 40


def test_next_fire_of_monthly_rule_started_decades_ago_jumps(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    schedule = monthly(SHANGHAI, at(SHANGHAI, 1990, 1, 31, 10, 0), interval=3)
    calls = count_resolutions(monkeypatch)
    fire = next_fire(schedule, utc(2025, 6, 1))
    assert fire is not None
    assert fire.astimezone(ZoneInfo(SHANGHAI)) == at(SHANGHAI, 2025, 7, 31, 10, 0)
    assert calls[0] < 10


# --- validation and wording --------------------------------------------------------------------


def test_validate_accepts_a_good_schedule() -> None:
    assert validate(weekly(LA, at(LA, 2025, 3, 3, 18, 0), (1, 3), end_after=10)) == []
    assert validate(Schedule("once", at(LA, 2025, 3, 3, 18, 0), LA)) == []


@pytest.mark.parametrize(
    ("schedule", "problem"),
    [
        (Schedule("sometimes", utc(2025, 1, 1), SHANGHAI), ("type", "invalid")),
        (
            Schedule("once", datetime(2025, 1, 1), SHANGHAI),
            ("time", "not_timezone_aware"),
        ),
        (
            Schedule("once", utc(2025, 1, 1), "Mars/Olympus"),
            ("timezone", "unknown_timezone"),
        ),
        (
            Schedule("once", utc(2025, 1, 1), "../etc/passwd"),
            ("timezone", "unknown_timezone"),
        ),
        (
            Schedule("recurring", utc(2025, 1, 1), SHANGHAI),
            ("recurringInterval", "required"),
        ),
        (
            Schedule("recurring", utc(2025, 1, 1), SHANGHAI, "hourly"),
            ("recurringInterval", "invalid"),
        ),
        (daily(SHANGHAI, utc(2025, 1, 1), interval=0), ("interval", "out_of_range")),
        (daily(SHANGHAI, utc(2025, 1, 1), interval=367), ("interval", "out_of_range")),
        (daily(SHANGHAI, utc(2025, 1, 1), interval=True), ("interval", "out_of_range")),
        (weekly(SHANGHAI, utc(2025, 1, 1), (0, 3)), ("weekdays", "invalid")),
        (weekly(SHANGHAI, utc(2025, 1, 1), (8,)), ("weekdays", "invalid")),
        (
            daily(SHANGHAI, utc(2025, 1, 1), weekdays=(1,)),
            ("weekdays", "not_applicable"),
        ),
        (
            monthly(SHANGHAI, utc(2025, 1, 1), month_day=32),
            ("monthDay", "out_of_range"),
        ),
        (monthly(SHANGHAI, utc(2025, 1, 1), month_day=0), ("monthDay", "out_of_range")),
        (daily(SHANGHAI, utc(2025, 1, 1), month_day=5), ("monthDay", "not_applicable")),
        (
            daily(SHANGHAI, utc(2025, 1, 2), end_at=utc(2025, 1, 1)),
            ("recurringEnd", "before_start"),
        ),
        (
            daily(SHANGHAI, utc(2025, 1, 2), end_at=datetime(2026, 1, 1)),
            ("recurringEnd", "not_timezone_aware"),
        ),
        (daily(SHANGHAI, utc(2025, 1, 1), end_after=0), ("endAfter", "out_of_range")),
    ],
)
def test_validate_reports_field_and_code(schedule: Schedule, problem: tuple[str, str]) -> None:
    assert problem in validate(schedule)


def test_computing_an_invalid_schedule_raises_with_problems() -> None:
    with pytest.raises(InvalidScheduleError) as caught:
        occurrences(Schedule("recurring", utc(2025, 1, 1), "Nowhere/Land", "daily"))
    assert caught.value.problems == [("timezone", "unknown_timezone")]


@pytest.mark.parametrize(
    ("schedule", "zh", "en"),
    [
        (
            Schedule("once", at(SHANGHAI, 2025, 6, 10, 18, 0), SHANGHAI),
            "2025年6月10日 18:00（单次）",
            "Once on 2025-06-10 18:00",
        ),
        (
            daily(SHANGHAI, at(SHANGHAI, 2025, 6, 10, 8, 0)),
            "每天 08:00",
            "Every day at 08:00",
        ),
        (
            daily(SHANGHAI, at(SHANGHAI, 2025, 6, 10, 8, 0), interval=2),
            "每2天 08:00",
            "Every 2 days at 08:00",
        ),
        (
            weekly(LA, at(LA, 2025, 6, 9, 18, 0), (3, 1)),
            "每周一、周三 18:00",
            "Every Monday, Wednesday at 18:00",
        ),
        (
            weekly(SHANGHAI, at(SHANGHAI, 2025, 6, 13, 9, 30), (), interval=2),
            "每2周周五 09:30",
            "Every 2 weeks on Friday at 09:30",
        ),
        (
            monthly(SHANGHAI, at(SHANGHAI, 2025, 6, 15, 10, 0)),
            "每月15日 10:00",
            "Monthly on day 15 at 10:00",
        ),
        (
            monthly(SHANGHAI, at(SHANGHAI, 2025, 5, 31, 10, 0)),
            "每月31日 10:00（小月为月末）",
            "Monthly on day 31 at 10:00 (last day in shorter months)",
        ),
        (
            monthly(SHANGHAI, at(SHANGHAI, 2025, 6, 15, 10, 0), interval=2),
            "每2个月15日 10:00",
            "Every 2 months on day 15 at 10:00",
        ),
        (
            daily(
                SHANGHAI,
                at(SHANGHAI, 2025, 6, 10, 8, 0),
                end_at=at(SHANGHAI, 2025, 12, 31, 23, 59, 59),
            ),
            "每天 08:00，至2025年12月31日",
            "Every day at 08:00, until 2025-12-31",
        ),
        (
            weekly(LA, at(LA, 2025, 6, 9, 18, 0), (1,), end_after=10),
            "每周一 18:00，共10次",
            "Every Monday at 18:00, 10 times",
        ),
    ],
)
def test_describe_reads_the_rule_in_its_own_zone(schedule: Schedule, zh: str, en: str) -> None:
    assert describe(schedule) == zh
    assert describe(schedule, "en") == en


def test_describe_names_the_end_time_when_it_cuts_off_that_days_fire() -> None:
    schedule = daily(SHANGHAI, at(SHANGHAI, 2025, 6, 10, 8, 0), end_at=at(SHANGHAI, 2025, 7, 1))
    assert describe(schedule) == "每天 08:00，至2025年7月1日 00:00"
    assert describe(schedule, "en-US") == "Every day at 08:00, until 2025-07-01 00:00"


# --- properties --------------------------------------------------------------------------------

ZONES = (
    "America/Los_Angeles",
    "America/New_York",
    "America/Sao_Paulo",
    "Europe/Berlin",
    "Europe/London",
    "Europe/Dublin",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "Pacific/Auckland",
    "Asia/Shanghai",
    "Asia/Kolkata",
    "Asia/Tehran",
    "Africa/Casablanca",
    "America/Santiago",
    "Pacific/Chatham",
)
PROPERTY_SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@functools.cache
def transitions(zone_name: str, year: int) -> tuple[datetime, ...]:
    """Return the UTC instants in ``year`` at which the zone's offset changes."""
    zone = ZoneInfo(zone_name)
    found = []
    moment = datetime(year, 1, 1, tzinfo=UTC)
    while moment.year == year:
        later = moment + timedelta(hours=12)
        if moment.astimezone(zone).utcoffset() != later.astimezone(zone).utcoffset():
            low, high = moment, later
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                if middle.astimezone(zone).utcoffset() == low.astimezone(zone).utcoffset():
                    low = middle
                else:
                    high = middle
            found.append(high.replace(microsecond=0))
        moment = later
    return tuple(found)


@st.composite
def schedules(draw: st.DrawFn, ends: bool = False) -> Schedule:
    """Draw recurring schedules, biased towards starts just before a DST transition."""
    zone_name = draw(st.sampled_from(ZONES))
    zone = ZoneInfo(zone_name)
    year = draw(st.integers(2000, 2037))
    changes = transitions(zone_name, year)
    near_change = draw(st.booleans())
    if changes and near_change:
        # Put the rule's time of day inside (or right next to) a gap or overlap.
        change = draw(st.sampled_from(changes))
        before = (change - timedelta(seconds=1)).astimezone(zone)
        wall = before.replace(tzinfo=None) + timedelta(seconds=1)
        wall += timedelta(minutes=draw(st.sampled_from((-30, 0, 15, 30, 45, 59, 60, 90))))
        local = wall - timedelta(days=draw(st.integers(0, 20)))
    else:
        local = draw(st.datetimes(datetime(year, 1, 1), datetime(year, 12, 31, 23, 59)))
        local = local.replace(second=0, microsecond=0)
    start = local.replace(tzinfo=zone, fold=draw(st.integers(0, 1)))
    frequency = draw(st.sampled_from(("daily", "weekly", "monthly")))
    interval = draw(st.one_of(st.integers(1, 3), st.integers(1, 366)))
    weekdays: tuple[int, ...] = ()
    month_day = None
    if frequency == "weekly":
        weekdays = tuple(draw(st.lists(st.integers(1, 7), max_size=7)))
    if frequency == "monthly":
        month_day = draw(st.one_of(st.none(), st.integers(1, 31), st.integers(28, 31)))
    schedule = Schedule("recurring", start, zone_name, frequency, interval, weekdays, month_day)
    if ends:
        end_after = draw(st.one_of(st.none(), st.integers(1, 40)))
        end_at = None
        if end_after is None or draw(st.booleans()):
            end_at = start.astimezone(UTC) + timedelta(hours=draw(st.integers(0, 24 * 400)))
        schedule = replace(schedule, end_after=end_after, end_at=end_at)
    return schedule


def local_rule(schedule: Schedule) -> tuple[ZoneInfo, datetime]:
    zone = ZoneInfo(schedule.timezone)
    # Via UTC: astimezone() to the datetime's own zone is a no-op that keeps a meaningless fold=1.
    return zone, schedule.start.astimezone(UTC).astimezone(zone)


def slot_date(fire: datetime, zone: ZoneInfo, time_of_day: time) -> date:
    """Return the rule date a fire belongs to, checking its wall time is the rule's or a gap end."""
    wall = fire.astimezone(zone)
    if wall.time() == time_of_day:
        assert wall.fold == 0, f"{fire} is the second instant of an ambiguous {wall}"
        return wall.date()
    # Otherwise the rule time must not exist and `fire` must be the first instant after the gap.
    just_before = (fire - timedelta(microseconds=1)).astimezone(zone).replace(tzinfo=None)
    assert (fire - timedelta(seconds=1)).astimezone(zone).utcoffset() != wall.utcoffset()
    for day in (wall.date(), wall.date() - timedelta(days=1)):
        if just_before < datetime.combine(day, time_of_day) < wall.replace(tzinfo=None):
            return day
    raise AssertionError(f"{fire} ({wall}) is neither {time_of_day} nor the end of its gap")


def rule_matches(schedule: Schedule, day: date) -> bool:
    """Brute-force the rule for one local date, straight from the specification."""
    _, start_local = local_rule(schedule)
    first_day = start_local.date()
    if day < first_day:
        return False
    if schedule.frequency == "daily":
        return (day - first_day).days % schedule.interval == 0
    if schedule.frequency == "weekly":
        weekdays = schedule.weekdays or (first_day.isoweekday(),)
        monday, first_monday = (d - timedelta(days=d.weekday()) for d in (day, first_day))
        weeks = (monday - first_monday).days // 7
        return day.isoweekday() in weekdays and weeks % schedule.interval == 0
    month_day = schedule.month_day or first_day.day
    months = (day.year - first_day.year) * 12 + day.month - first_day.month
    wanted = min(month_day, calendar.monthrange(day.year, day.month)[1])
    return day.day == wanted and months % schedule.interval == 0


@PROPERTY_SETTINGS
@given(schedules())
def test_property_occurrences_follow_the_rule_in_local_wall_time(
    schedule: Schedule,
) -> None:
    zone, start_local = local_rule(schedule)
    time_of_day = start_local.time().replace(tzinfo=None)
    horizon = start_local.date() + timedelta(days=1500)
    fires = []
    for fire in itertools.islice(occurrences(schedule), 40):
        if fire.astimezone(zone).date() > horizon:
            break
        fires.append(fire)
    assume(fires)
    assert all(f.tzinfo is UTC for f in fires)
    assert fires[0] >= schedule.start
    assert all(a < b for a, b in itertools.pairwise(fires))
    local_dates = [f.astimezone(zone).date() for f in fires]
    assert len(set(local_dates)) == len(local_dates)

    slots = [slot_date(f, zone, time_of_day) for f in fires]
    # The first day's slot is the first instant of its wall time, so it is before start exactly
    # when start is the repeat of an ambiguous time.
    include_first = start_local.fold == 0
    expected = [
        day
        for offset in range((slots[-1] - start_local.date()).days + 1)
        if rule_matches(schedule, day := start_local.date() + timedelta(days=offset))
        and (day != start_local.date() or include_first)
    ]
    assert slots == expected


@PROPERTY_SETTINGS
@given(schedules(ends=True))
def test_property_ends_truncate_the_endless_sequence(schedule: Schedule) -> None:
    endless = occurrences(replace(schedule, end_after=None, end_at=None))
    limit = schedule.end_at or datetime.max.replace(tzinfo=UTC)
    expected = []
    for fire in itertools.islice(endless, schedule.end_after or 2000):
        if fire > limit:
            break
        expected.append(fire)
    fires = list(itertools.islice(occurrences(schedule), 2001))
    assert fires == expected
    if schedule.end_after is not None and schedule.end_at is None:
        assert len(fires) == schedule.end_after
    if fires:
        assert next_fire(schedule, fires[-1]) is None


@PROPERTY_SETTINGS
@given(schedules(ends=True), st.data())
def test_property_next_fire_agrees_with_plain_iteration(schedule: Schedule, data: st.DataObject) -> None:
    fires = list(itertools.islice(occurrences(schedule), 60))
    anchors = [schedule.start.astimezone(UTC), *fires]
    anchor = data.draw(st.sampled_from(anchors))
    after = anchor + data.draw(
        st.one_of(
            st.just(timedelta(0)),
            st.timedeltas(timedelta(days=-3), timedelta(days=3)),
            st.sampled_from([timedelta(microseconds=-1), timedelta(hours=1), timedelta(hours=-1)]),
        )
    )
    later = [f for f in fires if f > after]
    ended = len(fires) < 60
    assume(later or ended)
    expected = later[0] if later else None
    assert next_fire(schedule, after) == expected
    if len(later) >= 3 or ended:
        assert upcoming(schedule, after, 3) == later[:3]


@settings(max_examples=60, deadline=None)
@given(schedules(), st.integers(1, 4000), st.one_of(st.none(), st.integers(1, 1000)))
def test_property_far_jump_agrees_with_iterating_from_start(
    schedule: Schedule, days: int, end_after: int | None
) -> None:
    schedule = replace(schedule, end_after=end_after)
    after = schedule.start.astimezone(UTC) + timedelta(days=days, minutes=7)
    expected = next((fire for fire in occurrences(schedule) if fire > after), None)
    assert next_fire(schedule, after) == expected
    if end_after is None:
        assert expected is not None
