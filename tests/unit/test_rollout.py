"""Rollout pacing and schedule parsing/validation (backend/jobs/rollout.py), without HTTP."""

from __future__ import annotations

import datetime as dt
from typing import Any, Dict, List, Tuple

import pytest

from mock_iotjobs.backend.jobs import rollout
from mock_iotjobs.protocol.errors import ServiceError

NOW = dt.datetime(2030, 6, 1, 12, 0, tzinfo=dt.timezone.utc).timestamp()
MINUTE = 60.0
DAY = 86400.0


def things(n: int) -> List[Tuple[str, str]]:
    return [(f"t{i}", f"arn:t{i}") for i in range(n)]


def exponential(base: int, factor: float, maximum: Any = None, **criteria: int) -> Dict[str, Any]:
    config: Dict[str, Any] = {
        "exponentialRate": {"baseRatePerMinute": base, "incrementFactor": factor, "rateIncreaseCriteria": criteria}
    }
    if maximum is not None:
        config["maximumPerMinute"] = maximum
    return {"jobExecutionsRolloutConfig": config}


def release(state: rollout.RolloutState, succeeded: int = 0) -> int:
    """One tick as Jobs._release does it: size the batch, take it, count it notified."""
    size = rollout.batch_size(state, succeeded)
    batch, state.waiting = state.waiting[:size], state.waiting[size:]
    state.notified += len(batch)
    return len(batch)


# --- rollout_state / batch_size -------------------------------------------------------------
def test_no_rollout_config_is_unpaced():
    state = rollout.rollout_state({})
    state.waiting = things(5)
    assert not state.paced
    assert rollout.batch_size(state, 0) == 5


def test_maximum_per_minute_is_a_constant_rate():
    state = rollout.rollout_state({"jobExecutionsRolloutConfig": {"maximumPerMinute": 2}})
    state.waiting = things(5)
    assert state.paced
    assert [release(state) for _ in range(4)] == [2, 2, 1, 0]


def test_exponential_rate_grows_each_time_enough_things_were_notified():
    state = rollout.rollout_state(exponential(1, 2.0, numberOfNotifiedThings=2))
    state.waiting = things(20)
    assert [release(state) for _ in range(6)] == [1, 1, 2, 4, 8, 4]


def test_exponential_rate_grows_only_with_successes_since_the_last_increase():
    state = rollout.rollout_state(exponential(2, 3.0, numberOfSucceededThings=2))
    state.waiting = things(100)
    assert release(state, succeeded=0) == 2
    assert release(state, succeeded=1) == 2  # one success: not enough
    assert release(state, succeeded=2) == 6  # two since the start: x3
    assert release(state, succeeded=3) == 6  # one since the increase
    assert release(state, succeeded=4) == 18


def test_increase_is_at_least_one_thing_a_minute():
    # A small factor on a small rate (ceil(2 * 1.1) = 3, but 1 * 1.1 rounds back to 1
    # without the ceiling) still grows the rate by at least one thing a minute.
    state = rollout.rollout_state(exponential(1, 1.1, numberOfNotifiedThings=1))
    state.waiting = things(100)
    sizes = [release(state) for _ in range(5)]
    assert sizes[0] == 1
    assert all(b > a for a, b in zip(sizes[1:], sizes[2:]))


def test_maximum_per_minute_caps_base_and_increases():
    state = rollout.rollout_state(exponential(10, 5.0, maximum=4, numberOfNotifiedThings=1))
    state.waiting = things(20)
    assert [release(state) for _ in range(5)] == [4, 4, 4, 4, 4]


# --- parse_schedule_time ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "value, expected",
    [
        ("2030-06-01T12:30", dt.datetime(2030, 6, 1, 12, 30, tzinfo=dt.timezone.utc)),
        ("2030-12-31T23:59", dt.datetime(2030, 12, 31, 23, 59, tzinfo=dt.timezone.utc)),
    ],
)
def test_schedule_times_are_utc(value, expected):
    assert rollout.parse_schedule_time(value, "startTime") == expected.timestamp()


@pytest.mark.parametrize(
    "value",
    [
        "",
        "tomorrow",
        "2030-06-01",
        "2030-06-01 12:30",
        "20300601T1230",
        "2030-13-01T12:30",
        "2030-02-30T12:30",
        "2030-06-01T24:30",
        "2030-06-01T12:30 ",
        "2030-6-1T12:30",
        # Measured: seconds, "Z" and offsets are refused too (exactly YYYY-MM-DDThh:mm).
        "2030-06-01T12:30:15",
        "2030-06-01T12:30Z",
        "2030-06-01T14:30+02:00",
    ],
)
def test_malformed_schedule_times_are_refused(value):
    with pytest.raises(ServiceError) as excinfo:
        rollout.parse_schedule_time(value, "endTime")
    assert excinfo.value.code == "InvalidRequestException"
    assert excinfo.value.message == (
        f"1 validation error detected: Provided time {value} UTC must follow the format YYYY-MM-DDThh:mm."
    )


# --- schedule_window ------------------------------------------------------------------------------------
def stamp(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, tz=dt.timezone.utc).strftime("%Y-%m-%dT%H:%M")


def window(**scheduling: Any):
    return rollout.schedule_window({"schedulingConfig": scheduling}, NOW)


def test_no_scheduling_config_means_no_window():
    assert rollout.schedule_window({}, NOW) == (None, None)
    assert window() == (None, None)


def test_valid_windows():
    assert window(startTime=stamp(NOW + 30 * MINUTE)) == (NOW + 30 * MINUTE, None)
    assert window(endTime=stamp(NOW + 30 * MINUTE), endBehavior="CANCEL") == (None, NOW + 30 * MINUTE)
    start, end = NOW + DAY, NOW + DAY + 30 * MINUTE
    assert window(startTime=stamp(start), endTime=stamp(end), endBehavior="STOP_ROLLOUT") == (start, end)
    assert window(startTime=stamp(NOW + 365 * DAY)) == (NOW + 365 * DAY, None)
    assert window(endTime=stamp(NOW + 730 * DAY)) == (None, NOW + 730 * DAY)
    # botocore's docs: endBehavior "does not apply" without an endTime (accepted, no effect).
    assert window(endBehavior="CANCEL") == (None, None)
    assert window(startTime=stamp(NOW + DAY), endBehavior="FORCE_CANCEL") == (NOW + DAY, None)


@pytest.mark.parametrize(
    "scheduling",
    [
        {"startTime": stamp(NOW + 29 * MINUTE)},
        {"startTime": stamp(NOW - DAY)},
        {"startTime": stamp(NOW + 367 * DAY)},
        {"endTime": stamp(NOW - MINUTE)},
        {"endTime": stamp(NOW)},
        {"endTime": stamp(NOW + 29 * MINUTE)},
        {"startTime": stamp(NOW + DAY), "endTime": stamp(NOW + DAY + 29 * MINUTE)},
        {"startTime": stamp(NOW + DAY), "endTime": stamp(NOW + DAY - MINUTE)},
        {"endTime": stamp(NOW + 733 * DAY)},
        {"startTime": stamp(NOW + 300 * DAY), "endTime": stamp(NOW + 300 * DAY + 733 * DAY)},
    ],
    ids=[
        "start-too-soon",
        "start-in-past",
        "start-over-a-year",
        "end-in-past",
        "end-now",
        "end-too-soon",
        "window-too-short",
        "end-before-start",
        "end-over-two-years",
        "window-over-two-years",
    ],
)
def test_invalid_windows_are_refused(scheduling):
    with pytest.raises(ServiceError) as excinfo:
        window(**scheduling)
    assert excinfo.value.code == "InvalidRequestException"
