"""China's work calendar in recurrence, and single occurrences (skips and moves), against known dates."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from pushtask.domain import recurrence, workcalendar
from pushtask.domain.recurrence import Schedule, describe, next_fire, plan, upcoming

SH = ZoneInfo("Asia/Shanghai")


def sh(year: int, month: int, day: int, hour: int = 9) -> datetime:
    return datetime(year, month, day, hour, tzinfo=SH)


def days(instants: list[datetime]) -> list[date]:
    return [i.astimezone(SH).date() for i in instants]


def rule(start: datetime, frequency: str = "daily", **changes: object) -> Schedule:
    return replace(Schedule("recurring", start, "Asia/Shanghai", frequency), **changes)  # type: ignore[arg-type]


def test_cn_workdays_skips_national_day_2025_and_works_the_make_up_sunday_and_saturday() -> None:
    schedule = rule(sh(2025, 9, 26), calendar="cn_workdays")
    fired = days(upcoming(schedule, sh(2025, 9, 25), 6))
    # 9-27 is an ordinary Saturday; 9-28 (Sunday) and 10-11 (Saturday) are 调休 make-up workdays.
    assert fired[:4] == [date(2025, 9, 26), date(2025, 9, 28), date(2025, 9, 29), date(2025, 9, 30)]
    assert fired[4:] == [date(2025, 10, 9), date(2025, 10, 10)]
    assert date(2025, 10, 11) in days(upcoming(schedule, sh(2025, 10, 10), 1))


def test_plan_shows_each_skipped_holiday_and_why() -> None:
    schedule = rule(sh(2025, 9, 29), calendar="cn_workdays")
    entries = plan(schedule, sh(2025, 9, 29, 0), 3)
    skipped = {o.at.astimezone(SH).date(): o.holiday for o in entries if not o.fires}
    assert skipped[date(2025, 10, 1)] == "国庆节"
    assert skipped[date(2025, 10, 6)] == "中秋"  # 2025's Mid-autumn falls inside the National Day week
    assert all(o.reason == recurrence.REASON_HOLIDAY for o in entries if not o.fires)
    assert days([o.at for o in entries if o.fires]) == [date(2025, 9, 29), date(2025, 9, 30), date(2025, 10, 9)]


def test_cn_workdays_national_day_2026_with_make_up_sunday_and_saturday() -> None:
    schedule = rule(sh(2026, 9, 18), calendar="cn_workdays")
    fired = days(upcoming(schedule, sh(2026, 9, 17), 30))
    assert date(2026, 9, 20) in fired  # Sunday make-up day
    assert date(2026, 10, 10) in fired  # Saturday make-up day
    assert not any(date(2026, 10, 1) <= d <= date(2026, 10, 7) for d in fired)
    assert date(2026, 9, 19) not in fired  # ordinary Saturday


def test_spring_festival_2025_and_2026() -> None:
    monday = rule(sh(2025, 1, 20), "weekly", weekdays=(1,), calendar="skip_cn_holidays")
    fired = days(upcoming(monday, sh(2025, 1, 19), 3))
    assert fired == [date(2025, 1, 20), date(2025, 1, 27), date(2025, 2, 10)]
    skipped = [o for o in plan(monday, sh(2025, 1, 19), 3) if not o.fires]
    # 2025-01-27 is a Monday before the holiday (a workday); 2025-02-03 is inside 春节.
    assert [(o.at.astimezone(SH).date(), o.holiday) for o in skipped] == [(date(2025, 2, 3), "春节")]

    weekdays = rule(sh(2026, 2, 9), "weekly", weekdays=(1, 2, 3, 4, 5), calendar="cn_workdays")
    fired = days(upcoming(weekdays, sh(2026, 2, 8), 12))
    assert date(2026, 2, 14) in fired  # Saturday make-up day before 春节
    assert date(2026, 2, 28) in fired  # Saturday make-up day after it
    assert not any(date(2026, 2, 15) <= d <= date(2026, 2, 23) for d in fired)


def test_skip_cn_holidays_keeps_the_rules_own_days_and_a_make_up_saturday() -> None:
    saturdays = rule(sh(2026, 9, 26), "weekly", weekdays=(6,), calendar="skip_cn_holidays")
    entries = plan(saturdays, sh(2026, 9, 25), 3)
    assert [(o.at.astimezone(SH).date(), o.fires, o.holiday) for o in entries] == [
        (date(2026, 9, 26), False, "中秋"),
        (date(2026, 10, 3), False, "国庆节"),
        (date(2026, 10, 10), True, None),  # a 调休 Saturday: a workday, and the rule's own day
        (date(2026, 10, 17), True, None),
        (date(2026, 10, 24), True, None),
    ]


def test_all_fires_on_holidays() -> None:
    schedule = rule(sh(2025, 10, 1))
    assert days(upcoming(schedule, sh(2025, 9, 30), 2)) == [date(2025, 10, 1), date(2025, 10, 2)]


def test_an_unknown_year_fires_on_the_rules_days_and_is_marked_unverified() -> None:
    assert 2028 not in workcalendar.known_years()
    holidays = rule(sh(2028, 9, 29), calendar="skip_cn_holidays")
    entries = plan(holidays, sh(2028, 9, 28), 5)
    assert days([o.at for o in entries]) == [date(2028, 9, 29) + timedelta(days=n) for n in range(5)]
    assert all(o.fires and o.unverified for o in entries)
    # Working days of an unknown year: Monday to Friday.
    workdays = rule(sh(2028, 1, 1), calendar="cn_workdays")
    assert days(upcoming(workdays, sh(2027, 12, 31), 3)) == [date(2028, 1, 3), date(2028, 1, 4), date(2028, 1, 5)]
    assert workcalendar.unknown_year_message(2028).startswith("2028 年节假日安排尚未公布")


def test_end_after_counts_only_the_days_the_calendar_fires_on() -> None:
    schedule = rule(sh(2025, 9, 30), calendar="cn_workdays", end_after=3)
    assert days(list(recurrence.occurrences(schedule))) == [date(2025, 9, 30), date(2025, 10, 9), date(2025, 10, 10)]
    assert next_fire(schedule, sh(2025, 10, 10)) is None


def test_describe_names_the_calendar_and_validate_refuses_an_unknown_one() -> None:
    assert describe(rule(sh(2025, 9, 1), calendar="cn_workdays")) == "每天 09:00（仅中国工作日）"
    assert "public holidays" in describe(rule(sh(2025, 9, 1), calendar="skip_cn_holidays"), "en")
    assert ("calendar", "invalid") in recurrence.validate(rule(sh(2025, 9, 1), calendar="us_holidays"))


# ---- single occurrences ---------------------------------------------------------------------------


def test_skip_and_move_one_occurrence() -> None:
    weekly = rule(sh(2026, 3, 2), "weekly", weekdays=(1,))
    changed = replace(weekly, skips=frozenset([sh(2026, 3, 9)]), moves=((sh(2026, 3, 16), sh(2026, 3, 18, 15)),))
    assert upcoming(changed, sh(2026, 3, 1), 3) == [
        sh(2026, 3, 2).astimezone(UTC),
        sh(2026, 3, 18, 15).astimezone(UTC),
        sh(2026, 3, 23).astimezone(UTC),
    ]
    entries = plan(changed, sh(2026, 3, 1), 3)
    assert [(o.reason, o.moved_to) for o in entries if not o.fires] == [
        ("skipped", None),
        ("moved", sh(2026, 3, 18, 15).astimezone(UTC)),
    ]
    assert entries[3].moved_from == sh(2026, 3, 16).astimezone(UTC)


def test_a_move_from_a_time_that_is_no_slot_is_ignored() -> None:
    weekly = rule(sh(2026, 3, 2), "weekly", weekdays=(1,))
    changed = replace(weekly, moves=((sh(2026, 3, 10), sh(2026, 3, 11)),))
    assert upcoming(changed, sh(2026, 3, 1), 3) == upcoming(weekly, sh(2026, 3, 1), 3)


SLOTS = [sh(2026, 3, 2) + timedelta(days=n) for n in range(20)]


@st.composite
def changes(draw: st.DrawFn) -> tuple[frozenset[datetime], tuple[tuple[datetime, datetime], ...]]:
    skips = frozenset(draw(st.lists(st.sampled_from(SLOTS), max_size=6)))
    sources = draw(st.lists(st.sampled_from(SLOTS), max_size=6, unique=True))
    moves = tuple(
        (source, draw(st.sampled_from(SLOTS)) + timedelta(hours=draw(st.integers(-30, 30)))) for source in sources
    )
    return skips, moves


@settings(max_examples=300, deadline=None)
@given(changes(), st.integers(0, 25))
def test_skips_and_moves_never_fire_twice_nor_on_a_skipped_slot(
    change: tuple[frozenset[datetime], tuple[tuple[datetime, datetime], ...]], start_offset: int
) -> None:
    skips, moves = change
    daily = replace(rule(SLOTS[0], end_after=20), skips=skips, moves=moves)
    after = SLOTS[0] - timedelta(hours=40) + timedelta(hours=start_offset * 12)
    # The worker's walk: fire at next_fire, then ask for the one after it, and so on.
    walk, cursor = [], after
    while (fire := next_fire(daily, cursor)) is not None and len(walk) < 100:
        walk.append(fire)
        cursor = fire
    assert len(walk) == len(set(walk)), "an instant fired twice"
    assert walk == sorted(walk)
    assert not {s.astimezone(UTC) for s in skips} & set(walk), "a skipped slot fired"
    moved_away = {a.astimezone(UTC) for a, b in moves if a not in skips and b not in skips and a != b}
    targets = {b.astimezone(UTC) for _, b in moves}
    assert not (moved_away - targets) & set(walk), "a moved slot fired at its old time"
    # upcoming() agrees with the walk.
    assert upcoming(daily, after, 100) == walk
