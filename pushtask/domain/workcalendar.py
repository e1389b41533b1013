"""China's work calendar: statutory holidays and 调休 make-up workdays, from the chinese-calendar package.

The package (PyPI ``chinese-calendar``) ships the State Council's yearly 节假日安排 as data and is
updated each year when the next year's arrangement is published (usually in November). A year it
has no data for is *unknown*: the callers fire on the rule's own days then and warn the operator.
Pure: no clock, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import chinese_calendar
from chinese_calendar.constants import Holiday, holidays, workdays

ALL = "all"
CN_WORKDAYS = "cn_workdays"
SKIP_CN_HOLIDAYS = "skip_cn_holidays"
CALENDARS = (ALL, CN_WORKDAYS, SKIP_CN_HOLIDAYS)

_ZH_NAMES = {holiday.value: holiday.chinese for holiday in Holiday}


@dataclass(frozen=True)
class Day:
    """What China's calendar says about one date."""

    known: bool  # False: the package has no arrangement for this year yet
    workday: bool  # a working day (weekday not on holiday, or a make-up day); for unknown years Mon–Fri
    holiday: str | None  # the statutory holiday's Chinese name ("国庆节") when the date is one
    makeup: bool  # a 调休 make-up workday on a Saturday or Sunday


@lru_cache(maxsize=1)
def known_years() -> range:
    """Return the years the installed package has holiday arrangements for."""
    years = [d.year for d in holidays]
    return range(min(years), max(years) + 1)


@lru_cache(maxsize=4096)
def day_info(day: date) -> Day:
    """Describe ``day`` in China's work calendar (cached: the data is fixed for the process)."""
    if day.year not in known_years():
        return Day(known=False, workday=day.isoweekday() <= 5, holiday=None, makeup=False)
    workday = chinese_calendar.is_workday(day)
    name = holidays.get(day)
    return Day(
        known=True,
        workday=workday,
        holiday=_ZH_NAMES.get(name, name) if name is not None else None,
        makeup=day in workdays and day.isoweekday() > 5,
    )


def unknown_year_message(year: int, lang: str = "zh-CN") -> str:
    """Return the warning shown when a schedule reaches a year without published holidays."""
    if lang.lower().startswith("en"):
        return (
            f"China's {year} public holiday arrangement is not published yet: pushes that year follow the"
            " rule's days until PushTask is updated with it."
        )
    return f"{year} 年节假日安排尚未公布：该年按规则日期推送，待 PushTask 更新节假日数据后自动按新安排执行。"
