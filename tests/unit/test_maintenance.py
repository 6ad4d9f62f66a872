"""AWS cron expressions and maintenance windows (backend/jobs/maintenance.py)."""

from __future__ import annotations

import datetime as dt
from typing import List

import pytest

from mock_iotjobs.backend.jobs import maintenance
from mock_iotjobs.protocol.errors import ServiceError

UTC = dt.timezone.utc
SAT_NOON = dt.datetime(2030, 6, 1, 12, 0, tzinfo=UTC).timestamp()  # Saturday 1 June 2030


def iso(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%d %a %H:%M")


def starts(expression: str, after: float = SAT_NOON, count: int = 3) -> List[str]:
    cron = maintenance.parse(expression)
    out: List[str] = []
    at = after
    for _ in range(count):
        nxt = cron.next_start(at)
        if nxt is None:
            break
        out.append(iso(nxt))
        at = nxt
    return out


@pytest.mark.parametrize(
    "expression, expected",
    [
        ("cron(0 2 ? * SUN *)", ["2030-06-02 Sun 02:00", "2030-06-09 Sun 02:00", "2030-06-16 Sun 02:00"]),
        ("0 2 ? * 1 *", ["2030-06-02 Sun 02:00", "2030-06-09 Sun 02:00", "2030-06-16 Sun 02:00"]),
        ("cron(*/20 12 * * ? *)", ["2030-06-01 Sat 12:20", "2030-06-01 Sat 12:40", "2030-06-02 Sun 12:00"]),
        ("cron(5/30 13-14 * * ? *)", ["2030-06-01 Sat 13:05", "2030-06-01 Sat 13:35", "2030-06-01 Sat 14:05"]),
        ("cron(0 18 ? * MON-FRI *)", ["2030-06-03 Mon 18:00", "2030-06-04 Tue 18:00", "2030-06-05 Wed 18:00"]),
        ("cron(0 8 1,15 * ? *)", ["2030-06-15 Sat 08:00", "2030-07-01 Mon 08:00", "2030-07-15 Mon 08:00"]),
        ("cron(0 0 1 JAN,JUL ? *)", ["2030-07-01 Mon 00:00", "2031-01-01 Wed 00:00", "2031-07-01 Tue 00:00"]),
        ("cron(0 8 L * ? *)", ["2030-06-30 Sun 08:00", "2030-07-31 Wed 08:00", "2030-08-31 Sat 08:00"]),
        ("cron(0 8 LW * ? *)", ["2030-06-28 Fri 08:00", "2030-07-31 Wed 08:00", "2030-08-30 Fri 08:00"]),
        ("cron(30 9 15W * ? *)", ["2030-06-14 Fri 09:30", "2030-07-15 Mon 09:30", "2030-08-15 Thu 09:30"]),
        ("cron(0 8 ? * 6L *)", ["2030-06-28 Fri 08:00", "2030-07-26 Fri 08:00", "2030-08-30 Fri 08:00"]),
        ("cron(0 8 ? * MON#1 *)", ["2030-06-03 Mon 08:00", "2030-07-01 Mon 08:00", "2030-08-05 Mon 08:00"]),
        ("cron(0 0 29 2 ? *)", ["2032-02-29 Sun 00:00", "2036-02-29 Fri 00:00", "2040-02-29 Wed 00:00"]),
        ("cron(0 0 1 1 ? 2031-2032)", ["2031-01-01 Wed 00:00", "2032-01-01 Thu 00:00"]),
        ("cron(0 0 1 1 ? 2020)", []),
    ],
)
def test_next_starts(expression, expected):
    assert starts(expression) == expected


def test_next_start_is_strictly_after():
    cron = maintenance.parse("cron(0 12 * * ? *)")
    assert iso(cron.next_start(SAT_NOON)) == "2030-06-02 Sun 12:00"
    assert iso(cron.next_start(SAT_NOON - 0.5)) == "2030-06-01 Sat 12:00"


@pytest.mark.parametrize(
    "expression",
    [
        "",
        "nonsense",
        "cron()",
        "cron(0 2 ? * SUN)",
        "cron(0 2 ? * SUN * *)",
        "cron(0 2 * * SUN *)",
        "cron(0 2 ? * ? *)",
        "cron(60 2 ? * SUN *)",
        "cron(0 24 ? * SUN *)",
        "cron(0 2 0 * ? *)",
        "cron(0 2 32 * ? *)",
        "cron(0 2 ? 0 * *)",
        "cron(0 2 ? 13 * *)",
        "cron(0 2 ? FOO * *)",
        "cron(0 2 ? * 0 *)",
        "cron(0 2 ? * 8 *)",
        "cron(0 2 ? * XYZ *)",
        "cron(0 2 ? * 2#0 *)",
        "cron(0 2 ? * 2#6 *)",
        "cron(0 2 ? * SUN 1969)",
        "cron(0 2 ? * SUN 2200)",
        "cron(10-5 2 ? * SUN *)",
        "cron(*/0 2 ? * SUN *)",
        "cron(a 2 ? * SUN *)",
    ],
)
def test_invalid_expressions(expression):
    with pytest.raises(ValueError):
        maintenance.parse(expression)


def config(*pairs) -> dict:
    return {
        "schedulingConfig": {"maintenanceWindows": [{"startTime": cron, "durationInMinutes": d} for cron, d in pairs]}
    }


def test_no_windows_never_holds_a_rollout_back():
    assert maintenance.closed_until({}, SAT_NOON) is None
    assert maintenance.closed_until({"schedulingConfig": {"startTime": "2030-06-01T12:00"}}, SAT_NOON) is None


def test_open_from_start_for_the_duration():
    daily_noon = config(("cron(0 12 * * ? *)", 30))
    assert maintenance.closed_until(daily_noon, SAT_NOON) is None  # opens exactly now
    assert maintenance.closed_until(daily_noon, SAT_NOON + 29 * 60 + 59) is None
    assert maintenance.closed_until(daily_noon, SAT_NOON + 30 * 60) == SAT_NOON + 86400  # closed at the end
    assert maintenance.closed_until(daily_noon, SAT_NOON - 1) == SAT_NOON


def test_window_open_across_midnight():
    late = config(("cron(0 23 * * ? *)", 120))
    assert maintenance.closed_until(late, SAT_NOON + 12 * 3600 + 30 * 60) is None  # 00:30 Sunday


def test_earliest_of_several_windows():
    two = config(("cron(0 20 * * ? *)", 10), ("cron(0 15 * * ? *)", 10))
    assert maintenance.closed_until(two, SAT_NOON) == SAT_NOON + 3 * 3600
    assert maintenance.closed_until(two, SAT_NOON + 3 * 3600 + 5 * 60) is None


def test_window_that_never_opens_again():
    past = config(("cron(0 0 1 1 ? 2020)", 60))
    assert maintenance.closed_until(past, SAT_NOON) == maintenance.NEVER


def test_check_names_the_bad_window():
    maintenance.check(config(("cron(0 2 ? * SUN *)", 60)))
    with pytest.raises(ServiceError) as excinfo:
        maintenance.check(config(("cron(0 2 ? * SUN *)", 60), ("cron(0 2 * * SUN *)", 60)))
    assert excinfo.value.code == "InvalidRequestException"
    assert "maintenanceWindows[1]" in excinfo.value.message


def test_upcoming_starts_merges_windows():
    two = config(("cron(0 20 * * ? *)", 10), ("cron(0 15 * * ? *)", 10))
    assert [iso(t) for t in maintenance.upcoming_starts(two, SAT_NOON, 3)] == [
        "2030-06-01 Sat 15:00",
        "2030-06-01 Sat 20:00",
        "2030-06-02 Sun 15:00",
    ]
