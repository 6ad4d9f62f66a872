"""Rollout pacing and scheduling: when a job's executions are created.

Things a job reaches but may not notify yet wait in ``RolloutState.waiting``;
they have no execution (devices see nothing, counts don't include them) until
a rollout tick or the job's start time releases them.  Rates follow
``jobExecutionsRolloutConfig``: a constant ``maximumPerMinute``, or
``exponentialRate`` starting at ``baseRatePerMinute`` and multiplied by
``incrementFactor`` each time ``rateIncreaseCriteria`` is met, capped by
``maximumPerMinute``.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from ...protocol.errors import invalid_request
from . import maintenance

MINUTE = 60.0
MIN_SCHEDULE_WINDOW = 30 * MINUTE


@dataclass
class RolloutState:
    waiting: List[Tuple[str, str]] = field(default_factory=list)
    rate: Optional[int] = None
    maximum: Optional[int] = None
    factor: float = 1.0
    notified_step: Optional[int] = None
    succeeded_step: Optional[int] = None
    # Counts at the last rate increase, to measure the criteria from there.
    notified_mark: int = 0
    succeeded_mark: int = 0
    notified: int = 0

    @property
    def paced(self) -> bool:
        return self.rate is not None


def rollout_state(config: Dict[str, Any]) -> RolloutState:
    rollout = config.get("jobExecutionsRolloutConfig") or {}
    state = RolloutState(maximum=rollout.get("maximumPerMinute"))
    exponential = rollout.get("exponentialRate")
    if exponential:
        state.rate = exponential["baseRatePerMinute"]
        state.factor = exponential["incrementFactor"]
        criteria = exponential.get("rateIncreaseCriteria") or {}
        state.notified_step = criteria.get("numberOfNotifiedThings")
        state.succeeded_step = criteria.get("numberOfSucceededThings")
        if state.maximum is not None:
            state.rate = min(state.rate, state.maximum)
    elif state.maximum is not None:
        state.rate = state.maximum
    return state


def batch_size(state: RolloutState, succeeded: int) -> int:
    """How many waiting things the next release may notify (raising the rate first
    if the increase criteria have been met since the last increase)."""
    if state.rate is None:
        return len(state.waiting)
    if state.factor > 1.0:
        met = (state.notified_step is not None and state.notified - state.notified_mark >= state.notified_step) or (
            state.succeeded_step is not None and succeeded - state.succeeded_mark >= state.succeeded_step
        )
        if met:
            state.rate = max(state.rate + 1, math.ceil(state.rate * state.factor))
            if state.maximum is not None:
                state.rate = min(state.rate, state.maximum)
            state.notified_mark = state.notified
            state.succeeded_mark = succeeded
    return state.rate


# SchedulingConfig times are "YYYY-MM-DD for the date and HH:MM for the time", in
# UTC.  Measured: exactly that; seconds or a "Z" are refused too.
_SCHEDULE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
# Documented limits (botocore's SchedulingConfig): the start "can be scheduled up to
# a year in advance and must be scheduled a minimum of thirty minutes from the
# current time"; the end "no later than two years from the current time", at least
# thirty minutes from now and from the start, at most two years after the start.
# A year is taken as 366 days so that leap years never refuse a valid date.
MIN_LEAD = 30 * MINUTE
YEAR = 366 * 24 * 60 * MINUTE
MAX_START_AHEAD = YEAR
MAX_END_AHEAD = 2 * YEAR
MAX_SCHEDULE_WINDOW = 2 * YEAR


def parse_schedule_time(value: str, member: str) -> float:
    parsed = None
    if _SCHEDULE_TIME.fullmatch(value):
        try:
            parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:  # e.g. month 13 or February 30th
            parsed = None
    if parsed is None:
        raise invalid_request(
            f"1 validation error detected: Provided time {value} UTC must follow the format YYYY-MM-DDThh:mm."
        )
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    return parsed.timestamp()


def schedule_window(config: Dict[str, Any], now: float) -> Tuple[Optional[float], Optional[float]]:
    """(start, end) epoch seconds of ``schedulingConfig``, validated (maintenance windows too)."""
    scheduling = config.get("schedulingConfig") or {}
    maintenance.check(config)
    start = scheduling.get("startTime")
    end = scheduling.get("endTime")
    start_at = parse_schedule_time(start, "startTime") if start else None
    end_at = parse_schedule_time(end, "endTime") if end else None
    # endBehavior without endTime is accepted: botocore's docs say it "does not apply".
    if start_at is not None:
        if start_at - now < MIN_LEAD:
            raise invalid_request("schedulingConfig.startTime must be at least 30 minutes in the future.")
        if start_at - now > MAX_START_AHEAD:
            raise invalid_request("schedulingConfig.startTime can be at most one year in the future.")
    if end_at is not None:
        if end_at <= now:
            raise invalid_request("schedulingConfig.endTime must be in the future.")
        if end_at - (start_at if start_at is not None else now) < MIN_SCHEDULE_WINDOW:
            raise invalid_request("schedulingConfig.endTime must be at least 30 minutes after startTime.")
        if end_at - now > MAX_END_AHEAD:
            raise invalid_request("schedulingConfig.endTime can be at most two years in the future.")
        if start_at is not None and end_at - start_at > MAX_SCHEDULE_WINDOW:
            raise invalid_request("schedulingConfig.endTime can be at most two years after startTime.")
    return start_at, end_at
