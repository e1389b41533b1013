"""The report's statistics agree with scipy (values computed once with scipy 1.17, written here)."""

from __future__ import annotations

import pytest

from pushtask.domain import stats


@pytest.mark.parametrize(
    ("x", "df", "expected"),
    [
        (3.2, 1, 0.07363827012030258),
        (7.5, 2, 0.023517745856009114),
        (7.8, 3, 0.050331097859853326),
        (0.4, 3, 0.9402424948393607),
        (12.0, 2, 0.002478752176666357),
    ],
)
def test_chi_square_tail_matches_scipy(x: float, df: int, expected: float) -> None:
    assert stats.chi_square_sf(x, df) == pytest.approx(expected, rel=1e-12)


def test_chi_square_of_three_variants_matches_scipy_contingency() -> None:
    stat, df, p = stats.chi_square([30, 45, 20], [100, 100, 100])
    assert (df, stat, p) == (2, pytest.approx(14.634146341463415), pytest.approx(0.0006641030858712745))


def test_two_proportion_z_test_matches_scipy_normal_tail() -> None:
    z, p = stats.two_proportion_z(30, 100, 45, 100)
    assert (z, p) == (pytest.approx(-2.1908902300206647), pytest.approx(0.02845973691631055))


def test_wilson_interval_matches_scipy_binomtest() -> None:
    assert stats.wilson(12, 40) == (pytest.approx(0.18074845229746528), pytest.approx(0.45430018818144935))
    assert stats.wilson(0, 0) is None


def test_compare_says_when_there_is_not_enough_data() -> None:
    few = stats.compare([1, 2], [10, 12])
    assert not few.enough_data and not few.significant and few.test == "two-proportion z-test"
    many = stats.compare([30, 45], [100, 100])
    assert many.enough_data and many.significant
    assert stats.compare([30, 45, 20], [100, 100, 100]).test == "chi-square"
    assert stats.compare([3], [10]).test == ""
