"""Maintenance windows (``schedulingConfig.maintenanceWindows``): when a rollout may
notify things.

Each window opens at the times its ``startTime`` cron expression names (UTC)
and stays open ``durationInMinutes``.  A job with windows releases waiting
things only while one of them is open; outside, its rollout waits for the next
opening (things already notified keep their executions).

The expressions use the AWS (EventBridge) cron syntax, with or without the
``cron(...)`` wrapper: six fields ``minutes hours day-of-month month
day-of-week year``, exactly one of day-of-month and day-of-week being ``?``.
Fields take ``*``, lists ``a,b``, ranges ``a-b``, steps ``*/n``, ``a/n`` and
``a-b/n``; months ``JAN``..``DEC``; days of the week ``1``..``7`` or
``SUN``..``SAT`` (1 is Sunday); day-of-month ``L`` (last day), ``LW`` (last
weekday) and ``nW`` (weekday nearest day n); day-of-week ``nL`` (last such day
of the month) and ``n#k`` (k-th such day).
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import re
from dataclasses import dataclass
from typing import Any, Callable, Dict, FrozenSet, List, Optional, Set

from ...protocol.errors import invalid_request

NEVER = float("inf")
MINUTE = 60
_UTC = dt.timezone.utc
_MONTHS = {
    name: i
    for i, name in enumerate(
        ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), start=1
    )
}
_DAYS = {name: i for i, name in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"), start=1)}
_WRAPPED = re.compile(r"cron\((.*)\)", re.IGNORECASE | re.DOTALL)
YEARS = (1970, 2199)

DayTest = Callable[[dt.date], bool]


@dataclass(frozen=True)
class Cron:
    minutes: List[int]  # sorted
    hours: List[int]  # sorted
    months: FrozenSet[int]
    years: FrozenSet[int]
    day: DayTest  # day-of-month or day-of-week, whichever is not "?"

    def next_start(self, after: float) -> Optional[float]:
        """The first start strictly after ``after`` (epoch seconds), or None if none is left."""
        first = dt.datetime.fromtimestamp((int(after // MINUTE) + 1) * MINUTE, tz=_UTC)
        day = first.date()
        while day.year <= YEARS[1]:
            if day.year not in self.years:
                day = dt.date(day.year + 1, 1, 1)
                continue
            if day.month not in self.months:
                day = _first_of_next_month(day)
                continue
            if self.day(day):
                for hour in self.hours:
                    for minute in self.minutes:
                        start = dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=_UTC)
                        if start >= first:
                            return start.timestamp()
            day += dt.timedelta(days=1)
        return None


def _first_of_next_month(day: dt.date) -> dt.date:
    return dt.date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def _aws_weekday(day: dt.date) -> int:
    """1 (Sunday) .. 7 (Saturday)."""
    return (day.weekday() + 1) % 7 + 1


def _number(text: str, low: int, high: int, names: Dict[str, int]) -> int:
    value = names.get(text.upper()) if names else None
    if value is None:
        if not text.isdigit():
            raise ValueError(f"'{text}' is not a number")
        value = int(text)
    if not low <= value <= high:
        raise ValueError(f"{value} is outside {low}-{high}")
    return value


def _values(field: str, low: int, high: int, names: Optional[Dict[str, int]] = None) -> FrozenSet[int]:
    """The values of a plain field: ``*``, lists, ranges and steps."""
    out: Set[int] = set()
    for part in field.split(","):
        base, _, step_text = part.partition("/")
        step = _number(step_text, 1, high - low + 1 if high > low else 1, {}) if step_text else 1
        if base == "*":
            first, last = low, high
        elif "-" in base:
            a, _, b = base.partition("-")
            first, last = _number(a, low, high, names or {}), _number(b, low, high, names or {})
            if first > last:
                raise ValueError(f"range {base} runs backwards")
        else:
            first = _number(base, low, high, names or {})
            last = high if step_text else first
        out.update(range(first, last + 1, step))
    return frozenset(out)


def _is_last_day(d: dt.date) -> bool:
    return d.day == calendar.monthrange(d.year, d.month)[1]


def _is_last_weekday(d: dt.date) -> bool:
    return d == _nearest_weekday(d, calendar.monthrange(d.year, d.month)[1])


def _nearest_weekday_to(n: int) -> DayTest:
    return lambda d: d == _nearest_weekday(d, n)


def _day_in(days: FrozenSet[int]) -> DayTest:
    return lambda d: d.day in days


def _weekday_in(days: FrozenSet[int]) -> DayTest:
    return lambda d: _aws_weekday(d) in days


def _last_weekday_of_month(weekday: int) -> DayTest:
    return lambda d: _aws_weekday(d) == weekday and d.day + 7 > calendar.monthrange(d.year, d.month)[1]


def _nth_weekday_of_month(weekday: int, nth: int) -> DayTest:
    return lambda d: _aws_weekday(d) == weekday and (d.day - 1) // 7 + 1 == nth


def _any_of(tests: List[DayTest]) -> DayTest:
    return lambda d: any(test(d) for test in tests)


def _day_of_month(field: str) -> DayTest:
    tests: List[DayTest] = []
    for part in field.split(","):
        upper = part.upper()
        if upper == "L":
            tests.append(_is_last_day)
        elif upper == "LW":
            tests.append(_is_last_weekday)
        elif upper.endswith("W"):
            tests.append(_nearest_weekday_to(_number(upper[:-1], 1, 31, {})))
        else:
            tests.append(_day_in(_values(part, 1, 31)))
    return _any_of(tests)


def _nearest_weekday(within: dt.date, n: int) -> Optional[dt.date]:
    """The weekday nearest day ``n`` of ``within``'s month, not leaving the month."""
    last = calendar.monthrange(within.year, within.month)[1]
    if n > last:
        return None
    target = dt.date(within.year, within.month, n)
    if target.weekday() == 5:  # Saturday: Friday, or Monday if Friday is last month
        return target - dt.timedelta(days=1) if n > 1 else target + dt.timedelta(days=2)
    if target.weekday() == 6:  # Sunday: Monday, or Friday if Monday is next month
        return target + dt.timedelta(days=1) if n < last else target - dt.timedelta(days=2)
    return target


def _day_of_week(field: str) -> DayTest:
    tests: List[DayTest] = []
    for part in field.split(","):
        upper = part.upper()
        if upper == "L":  # alone, L is the last day of the week: Saturday
            tests.append(_weekday_in(frozenset({7})))
        elif upper.endswith("L"):
            tests.append(_last_weekday_of_month(_number(upper[:-1], 1, 7, _DAYS)))
        elif "#" in upper:
            day_text, _, nth_text = upper.partition("#")
            tests.append(_nth_weekday_of_month(_number(day_text, 1, 7, _DAYS), _number(nth_text, 1, 5, {})))
        else:
            tests.append(_weekday_in(_values(part, 1, 7, _DAYS)))
    return _any_of(tests)


@functools.lru_cache(maxsize=256)
def parse(expression: str) -> Cron:
    """Parse an AWS cron expression; ``ValueError`` says what is wrong with it."""
    wrapped = _WRAPPED.fullmatch(expression.strip())
    fields = (wrapped.group(1) if wrapped else expression).split()
    if len(fields) != 6:
        raise ValueError(f"expected 6 fields (minutes hours day-of-month month day-of-week year), got {len(fields)}")
    minutes, hours, dom, month, dow, year = fields
    if (dom == "?") == (dow == "?"):
        raise ValueError("exactly one of day-of-month and day-of-week must be '?'")
    day = _day_of_week(dow) if dom == "?" else _day_of_month(dom)
    return Cron(
        minutes=sorted(_values(minutes, 0, 59)),
        hours=sorted(_values(hours, 0, 23)),
        months=_values(month, 1, 12, _MONTHS),
        years=_values(year, *YEARS),
        day=day,
    )


# --- what the backend uses ------------------------------------------------------------
def windows(config: Dict[str, Any]) -> List[Dict[str, Any]]:
    return list((config.get("schedulingConfig") or {}).get("maintenanceWindows") or [])


def check(config: Dict[str, Any]) -> None:
    """Refuse (InvalidRequestException) a job whose maintenance windows do not parse."""
    for i, window in enumerate(windows(config)):
        try:
            parse(window["startTime"])
        except ValueError as error:
            raise invalid_request(
                f"schedulingConfig.maintenanceWindows[{i}].startTime '{window['startTime']}' "
                f"is not a valid cron expression: {error}."
            ) from None


def closed_until(config: Dict[str, Any], now: float) -> Optional[float]:
    """None if the job may release things at ``now`` (no windows, or one is open);
    otherwise when the next window opens (``NEVER`` if none will)."""
    configured = windows(config)
    if not configured:
        return None
    opening = NEVER
    for window in configured:
        cron = parse(window["startTime"])
        duration = window["durationInMinutes"] * MINUTE
        # Open now if it last started within the past ``duration`` seconds; if not,
        # the first start after that is its next opening.
        started = cron.next_start(now - duration)
        if started is None:
            continue
        if started <= now:
            return None
        opening = min(opening, started)
    return opening


def upcoming_starts(config: Dict[str, Any], now: float, count: int = 7) -> List[float]:
    """The next ``count`` window openings after ``now``, earliest first (what DescribeJob's
    ``scheduledJobRollouts`` lists)."""
    starts: List[float] = []
    for window in windows(config):
        cron = parse(window["startTime"])
        at = now
        for _ in range(count):
            nxt = cron.next_start(at)
            if nxt is None:
                break
            starts.append(nxt)
            at = nxt
    return sorted(set(starts))[:count]
