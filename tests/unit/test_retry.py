"""Retry timing and eligibility."""

from __future__ import annotations

import pytest

from pushtask.domain.retry import MAX_ATTEMPTS, retry_delay, should_retry


@pytest.mark.parametrize(("attempt", "nominal"), [(1, 2.0), (2, 8.0), (3, 32.0)])
def test_backoff_grows_exponentially_with_bounded_jitter(attempt: int, nominal: float) -> None:
    assert retry_delay(attempt, 0.0) == pytest.approx(nominal * 0.8)
    assert retry_delay(attempt, 0.5) == pytest.approx(nominal)
    assert retry_delay(attempt, 0.999999) == pytest.approx(nominal * 1.2, rel=1e-5)


def test_all_three_retries_finish_within_a_minute() -> None:
    assert sum(retry_delay(a, 0.999999) for a in range(1, MAX_ATTEMPTS)) < 60


def test_a_rate_limit_hint_longer_than_the_backoff_wins() -> None:
    assert retry_delay(1, 0.5, retry_after_s=45.0) == 45.0
    assert retry_delay(3, 0.5, retry_after_s=1.0) == 32.0


def test_three_retries_then_give_up() -> None:
    assert [should_retry(a, permanent=False, may_duplicate=False) for a in (1, 2, 3, 4)] == [True, True, True, False]


def test_permanent_errors_and_possible_duplicates_are_never_retried() -> None:
    assert not should_retry(1, permanent=True, may_duplicate=False)
    assert not should_retry(1, permanent=False, may_duplicate=True)
