"""When the engine asks a channel what became of an uncertain delivery, and when it stops asking."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pushtask.worker.readback import SCHEDULE_S, next_check

ATTEMPT = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def test_asks_a_minute_after_the_attempt_then_at_5_15_60_minutes_and_6_hours() -> None:
    minutes = [(next_check(ATTEMPT, n) - ATTEMPT) / timedelta(minutes=1) for n in range(5)]  # type: ignore[operator]
    assert minutes == [1, 5, 15, 60, 360]


def test_stops_after_five_questions_so_a_person_decides() -> None:
    assert len(SCHEDULE_S) == 5
    assert next_check(ATTEMPT, 5) is None
    assert next_check(ATTEMPT, 9) is None


def test_counts_from_the_attempt_not_from_when_it_was_noticed() -> None:
    # A worker that was down for an hour asks at once (the time is already past), not an hour later.
    assert next_check(ATTEMPT, 0) == ATTEMPT + timedelta(seconds=60)
