"""How many mass sends a WeCom customer group may receive, and which planned push would be one too many.

WeCom lets each customer group receive at most as many mass sends per month as the month has days
(`days_in_month`); an organisation may hold itself to less: `7_per_week` or `1_per_day`. Periods
are counted in China time, where WeCom counts them.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

CAPS = ("days_in_month", "7_per_week", "1_per_day")
DEFAULT_CAP = "days_in_month"
WECOM_ZONE = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class Period:
    start: datetime  # aware, China time
    end: datetime
    limit: int


def period(cap: str, at: datetime) -> Period:
    """The counting period of `cap` that contains the instant `at`, and its limit."""
    local = at.astimezone(WECOM_ZONE)
    day = local.date()
    if cap == "1_per_day":
        first, following, limit = day, day + timedelta(days=1), 1
    elif cap == "7_per_week":
        first = day - timedelta(days=day.weekday())
        following, limit = first + timedelta(days=7), 7
    elif cap == "days_in_month":
        first = day.replace(day=1)
        limit = calendar.monthrange(day.year, day.month)[1]
        following = first + timedelta(days=limit)
    else:
        raise ValueError(f"unknown cap {cap!r}; use one of {', '.join(CAPS)}")
    return Period(_midnight(first), _midnight(following), limit)


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=WECOM_ZONE)


@dataclass(frozen=True)
class Excess:
    """A planned push that would be the `count`-th mass send of its period (over `limit`)."""

    at: datetime
    count: int
    limit: int

    @property
    def local_date(self) -> date:
        return self.at.astimezone(WECOM_ZONE).date()


def excesses(cap: str, existing: Sequence[datetime], planned: Sequence[datetime]) -> list[Excess]:
    """Planned sends that would exceed the cap, given the sends already made or planned (`existing`)."""
    events = sorted([(t, False) for t in existing] + [(t, True) for t in planned], key=lambda e: e[0])
    counts: dict[datetime, int] = {}
    out: list[Excess] = []
    for at, mine in events:
        window = period(cap, at)
        counts[window.start] = counts.get(window.start, 0) + 1
        if mine and counts[window.start] > window.limit:
            out.append(Excess(at, counts[window.start], window.limit))
    return out
