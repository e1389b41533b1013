"""The customer-group mass-send cap: periods in China time, and which planned push is one too many."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pushtask.domain import quota


def at(day: int, hour: int, month: int = 2) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=quota.WECOM_ZONE)


def test_days_in_month_follows_the_month_in_china_time() -> None:
    assert quota.period("days_in_month", at(10, 12)).limit == 28  # February 2026
    # 20:00 UTC on 31 January is already 1 February in China.
    assert quota.period("days_in_month", datetime(2026, 1, 31, 20, tzinfo=UTC)).start == at(1, 0)


def test_weeks_start_on_monday_and_days_at_midnight() -> None:
    week = quota.period("7_per_week", at(11, 9))  # Wednesday
    assert (week.start, week.end, week.limit) == (at(9, 0), at(16, 0), 7)
    assert quota.period("1_per_day", at(11, 23)).start == at(11, 0)


def test_only_planned_sends_over_the_cap_are_named() -> None:
    existing = [at(2, 9) + timedelta(minutes=i) for i in range(27)]  # 27 already this February
    planned = [at(20, 18), at(21, 18), at(1, 18, month=3)]
    over = quota.excesses("days_in_month", existing, planned)
    assert [(e.local_date.isoformat(), e.count, e.limit) for e in over] == [("2026-02-21", 29, 28)]


def test_one_per_day() -> None:
    over = quota.excesses("1_per_day", [at(5, 8)], [at(5, 20), at(6, 20)])
    assert [e.local_date.day for e in over] == [5]


def test_unknown_cap_is_an_error() -> None:
    with pytest.raises(ValueError, match="7_per_week"):
        quota.period("twice_a_day", at(1, 1))
