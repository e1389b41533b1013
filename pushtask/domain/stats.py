"""Comparing interaction rates: Wilson intervals and tests between 2–4 proportions, in exact formulas.

Three small formulas do not justify scipy (≈40 MB) as a dependency; each is written as its source
states it and checked against scipy's values in tests/unit/test_engagement_stats.py.

- Wilson score interval: E. B. Wilson, "Probable inference, the law of succession, and statistical
  inference", JASA 22 (1927) 209–212; as in Agresti & Coull, Am. Stat. 52 (1998) eq. (2).
- Two proportions: the pooled two-proportion z-test (Agresti, "Categorical Data Analysis", 3rd ed.,
  §2.1.3), two-sided p = erfc(|z| / √2).
- 3–4 proportions: Pearson's chi-square test of a k × 2 table, df = k − 1; its upper tail in closed
  form (Abramowitz & Stegun, Handbook of Mathematical Functions, 26.4.4 odd df, 26.4.5 even df).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

Z95 = 1.959963984540054  # the standard normal's 97.5 % quantile
ALPHA = 0.05
MIN_N = 30  # fewer members reached than this in a variant: not enough data
MIN_EXPECTED = 5.0  # Cochran's rule: every expected cell count at least 5


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float] | None:
    """Return the 95 % Wilson score interval of successes / n, or None when n is 0."""
    if n <= 0:
        return None
    p = min(max(successes, 0), n) / n  # stale member counts can make a group's interactors exceed them
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def two_proportion_z(s1: int, n1: int, s2: int, n2: int) -> tuple[float, float]:
    """Return (z, two-sided p) of the pooled two-proportion z-test."""
    pooled = (s1 + s2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return 0.0, 1.0
    z = (s1 / n1 - s2 / n2) / se
    return z, math.erfc(abs(z) / math.sqrt(2))


def chi_square_sf(x: float, df: int) -> float:
    """Return P(X ≥ x) for a chi-square variable with df degrees of freedom (A&S 26.4.4, 26.4.5)."""
    if x <= 0:
        return 1.0
    if df % 2 == 0:
        term, total = 1.0, 1.0
        for k in range(1, df // 2):
            term *= (x / 2) / k
            total += term
        return min(1.0, math.exp(-x / 2) * total)
    root = math.sqrt(x)
    tail = math.erfc(root / math.sqrt(2))
    density = math.exp(-x / 2) / math.sqrt(2 * math.pi)
    term, total = root, 0.0
    for r in range(1, (df - 1) // 2 + 1):
        total += term
        term *= x / (2 * r + 1)
    return min(1.0, tail + 2 * density * total)


def chi_square(successes: list[int], totals: list[int]) -> tuple[float, int, float]:
    """Return (statistic, df, p) of Pearson's chi-square test that k proportions are equal."""
    all_s, all_n = sum(successes), sum(totals)
    stat = 0.0
    for s, n in zip(successes, totals, strict=True):
        for observed, share in ((s, all_s / all_n), (n - s, 1 - all_s / all_n)):
            expected = n * share
            if expected > 0:
                stat += (observed - expected) ** 2 / expected
    df = len(totals) - 1
    return stat, df, chi_square_sf(stat, df)


@dataclass(frozen=True)
class Comparison:
    test: str  # "two-proportion z-test" | "chi-square" | "" (nothing to compare)
    statistic: float | None
    df: int | None
    p_value: float | None
    enough_data: bool
    significant: bool


def compare(successes: list[int], totals: list[int]) -> Comparison:
    """Compare 2–4 variants' rates; say whether there is enough data for the test to mean anything."""
    successes = [min(max(s, 0), n) for s, n in zip(successes, totals, strict=True)]
    k = len(totals)
    if k < 2 or k > 4 or any(n <= 0 for n in totals):
        return Comparison("", None, None, None, False, False)
    all_s, all_n = sum(successes), sum(totals)
    share = all_s / all_n
    expected_ok = all(n * share >= MIN_EXPECTED and n * (1 - share) >= MIN_EXPECTED for n in totals)
    enough = expected_ok and all(n >= MIN_N for n in totals)
    if k == 2:
        z, p = two_proportion_z(successes[0], totals[0], successes[1], totals[1])
        return Comparison("two-proportion z-test", z, None, p, enough, enough and p < ALPHA)
    stat, df, p = chi_square(successes, totals)
    return Comparison("chi-square", stat, df, p, enough, enough and p < ALPHA)
