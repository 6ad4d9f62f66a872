"""Issue 5, maintenance windows (``schedulingConfig.maintenanceWindows``), end to end.

A job with maintenance windows notifies things only while a window is open
(from each start its cron expression names, for ``durationInMinutes``); its
rollout pauses outside them and resumes at the next opening.  Windows are
built from the mock's clock so the tests never depend on the real date.

Measured (issue 13): maintenance windows need a CONTINUOUS job with a
``schedulingConfig.startTime``.  So ``create_job`` schedules the job to start
at ``START_LEAD`` minutes from now and moves the clock there; the times the
tests name with ``minute_from_now`` count from that start.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Dict, List

import pytest
from botocore.exceptions import ClientError

DOCUMENT = '{"operation": "update"}'
MINUTE = 60
DAY = 86400


def make_things(iot: Any, n: int, prefix: str = "dev") -> List[str]:
    return [iot.create_thing(thingName=f"{prefix}{i}")["thingArn"] for i in range(n)]


def names(n: int, prefix: str = "dev") -> List[str]:
    return [f"{prefix}{i}" for i in range(n)]


START_LEAD = 30  # minutes: the earliest startTime AWS accepts


def minute_from_now(mock: Any, minutes: int) -> float:
    """``minutes`` after the start ``create_job`` will schedule (call before creating)."""
    return (int(mock.now()) // MINUTE + 1 + START_LEAD + minutes) * MINUTE


def daily_at(epoch: float) -> str:
    """A cron expression opening every day at ``epoch``'s UTC hour and minute."""
    at = dt.datetime.fromtimestamp(epoch, tz=dt.timezone.utc)
    return f"cron({at.minute} {at.hour} * * ? *)"


def stamp(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, tz=dt.timezone.utc).strftime("%Y-%m-%dT%H:%M")


def advance_to(mock: Any, epoch: float) -> None:
    mock.advance_time(seconds=max(0.0, epoch - mock.now()))


def windows(*pairs: Any, **scheduling: Any) -> Dict[str, Any]:
    return {
        "schedulingConfig": {
            "maintenanceWindows": [{"startTime": cron, "durationInMinutes": d} for cron, d in pairs],
            **scheduling,
        }
    }


def create_job(mock: Any, iot: Any, job_id: str, targets: List[str], **config: Any) -> None:
    """A CONTINUOUS job; without a startTime of its own it starts START_LEAD minutes from
    now, and the clock is moved to that start."""
    scheduling = config.setdefault("schedulingConfig", {})
    start = None
    if "startTime" not in scheduling:
        start = minute_from_now(mock, 0)
        scheduling["startTime"] = stamp(start)
    iot.create_job(jobId=job_id, targets=targets, document=DOCUMENT, targetSelection="CONTINUOUS", **config)
    if start is not None:
        advance_to(mock, start)


def job(iot: Any, job_id: str = "j") -> Dict[str, Any]:
    return iot.describe_job(jobId=job_id)["job"]


def released(iot: Any, job_id: str = "j") -> int:
    return len(iot.list_job_executions_for_job(jobId=job_id)["executionSummaries"])


def seeing(jobs_data: Any, things: List[str]) -> List[str]:
    out = []
    for thing in things:
        pending = jobs_data.get_pending_job_executions(thingName=thing)
        if pending["queuedJobs"] or pending["inProgressJobs"]:
            out.append(thing)
    return out


def test_rollout_waits_for_the_window_and_pauses_when_it_closes(mock, iot, jobs_data):
    opens = minute_from_now(mock, 10)
    create_job(
        mock,
        iot,
        "j",
        make_things(iot, 10),
        jobExecutionsRolloutConfig={"maximumPerMinute": 2},
        **windows((daily_at(opens), 3)),
    )
    assert job(iot)["status"] == "IN_PROGRESS"
    assert seeing(jobs_data, names(10)) == []
    assert all(mock.notifications(t) == [] for t in names(10))
    assert job(iot)["jobProcessDetails"]["processingTargets"]

    mock.advance_time(minutes=5)
    assert released(iot) == 0
    advance_to(mock, opens)
    assert released(iot) == 2
    mock.advance_time(minutes=1)
    assert released(iot) == 4
    mock.advance_time(minutes=1)
    assert released(iot) == 6
    mock.advance_time(minutes=1)  # the window closed three minutes after it opened
    assert released(iot) == 6
    mock.advance_time(hours=12)
    assert released(iot) == 6
    assert len(seeing(jobs_data, names(10))) == 6  # released things stay pending outside the window

    advance_to(mock, opens + DAY)  # the next day's window
    assert released(iot) == 8
    mock.advance_time(minutes=1)
    assert released(iot) == 10
    assert "processingTargets" not in job(iot)["jobProcessDetails"]


def test_unpaced_job_notifies_every_thing_when_the_window_opens(mock, iot, jobs_data):
    opens = minute_from_now(mock, 20)
    create_job(mock, iot, "j", make_things(iot, 4), **windows((daily_at(opens), 30)))
    mock.advance_time(minutes=10)
    assert seeing(jobs_data, names(4)) == []
    advance_to(mock, opens)
    assert seeing(jobs_data, names(4)) == names(4)
    assert all(mock.notifications(t) for t in names(4))


def test_job_started_inside_a_window_rolls_out_at_once(mock, iot, jobs_data):
    opened = minute_from_now(mock, -5)  # opened a few minutes before the start, open for an hour
    create_job(mock, iot, "j", make_things(iot, 3), **windows((daily_at(opened), 60)))
    assert seeing(jobs_data, names(3)) == names(3)


def test_any_open_window_allows_the_rollout(mock, iot, jobs_data):
    first, second = minute_from_now(mock, 10), minute_from_now(mock, 40)
    create_job(
        mock,
        iot,
        "j",
        make_things(iot, 6),
        jobExecutionsRolloutConfig={"maximumPerMinute": 2},
        **windows((daily_at(first), 1), (daily_at(second), 1)),
    )
    advance_to(mock, first)
    assert released(iot) == 2
    mock.advance_time(minutes=10)
    assert released(iot) == 2
    advance_to(mock, second)
    assert released(iot) == 4


def test_job_is_not_complete_while_things_wait_for_a_window(mock, iot, jobs_data):
    opens = minute_from_now(mock, 10)
    create_job(
        mock,
        iot,
        "j",
        make_things(iot, 2),
        jobExecutionsRolloutConfig={"maximumPerMinute": 1},
        **windows((daily_at(opens), 1)),
    )
    advance_to(mock, opens)
    [first] = seeing(jobs_data, names(2))
    jobs_data.start_next_pending_job_execution(thingName=first)
    jobs_data.update_job_execution(thingName=first, jobId="j", status="SUCCEEDED")
    mock.advance_time(hours=1)
    assert job(iot)["status"] == "IN_PROGRESS"
    advance_to(mock, opens + DAY)
    [second] = seeing(jobs_data, names(2))
    jobs_data.start_next_pending_job_execution(thingName=second)
    jobs_data.update_job_execution(thingName=second, jobId="j", status="SUCCEEDED")
    # A CONTINUOUS job never completes; both things ran.
    assert job(iot)["status"] == "IN_PROGRESS"
    assert job(iot)["jobProcessDetails"]["numberOfSucceededThings"] == 2


def test_scheduled_job_with_windows_starts_then_waits_for_a_window(mock, iot, jobs_data):
    start = minute_from_now(mock, 40)
    opens = start + 20 * MINUTE
    create_job(mock, iot, "j", make_things(iot, 2), **windows((daily_at(opens), 10), startTime=stamp(start)))
    assert job(iot)["status"] == "SCHEDULED"
    advance_to(mock, start)
    assert job(iot)["status"] == "IN_PROGRESS"
    assert released(iot) == 0
    advance_to(mock, opens)
    assert released(iot) == 2


def test_stop_rollout_at_end_time_drops_things_still_waiting_for_a_window(mock, iot, jobs_data):
    opens = minute_from_now(mock, 50)
    end = minute_from_now(mock, 35)
    create_job(
        mock,
        iot,
        "j",
        make_things(iot, 2),
        **windows((daily_at(opens), 10), endTime=stamp(end), endBehavior="STOP_ROLLOUT"),
    )
    mock.advance_time(hours=3)
    assert released(iot) == 0
    assert "processingTargets" not in job(iot)["jobProcessDetails"]  # nothing left to roll out


def test_windows_are_described_as_given(mock, iot):
    config = windows(("cron(0 2 ? * SUN *)", 120), ("cron(30 22 L * ? *)", 45))
    create_job(mock, iot, "j", make_things(iot, 1), **config)
    assert job(iot)["schedulingConfig"]["maintenanceWindows"] == config["schedulingConfig"]["maintenanceWindows"]


@pytest.mark.parametrize(
    "cron",
    [
        "nonsense",
        "cron(0 2 ? * SUN)",  # five fields
        "cron(0 2 * * SUN *)",  # neither day field is '?'
        "cron(0 2 ? * ? *)",  # both are
        "cron(60 2 ? * SUN *)",
        "cron(0 24 ? * SUN *)",
        "cron(0 2 32 * ? *)",
        "cron(0 2 ? 13 * *)",
        "cron(0 2 ? * XYZ *)",
        "cron(0 2 ? * 8 *)",
        "cron(0 2 ? * 2#6 *)",
        "cron(0 2 ? * SUN 1969)",
        "cron(10-5 2 ? * SUN *)",
    ],
)
def test_invalid_cron_expressions_are_refused_and_create_nothing(mock, iot, cron):
    arns = make_things(iot, 1)
    with pytest.raises(ClientError) as excinfo:
        create_job(mock, iot, "j", arns, **windows((cron, 30)))
    assert excinfo.value.response["Error"]["Code"] == "InvalidRequestException"
    assert iot.list_jobs()["jobs"] == []


@pytest.mark.parametrize("duration", [0, 1431])
def test_duration_out_of_range_is_refused(mock, make_client, duration):
    iot = make_client("iot", validate=False)
    arns = make_things(iot, 1)
    with pytest.raises(ClientError) as excinfo:
        create_job(mock, iot, "j", arns, **windows(("cron(0 2 ? * SUN *)", duration)))
    assert excinfo.value.response["Error"]["Code"] == "InvalidRequestException"
    assert iot.list_jobs()["jobs"] == []


def test_describe_job_lists_the_next_window_openings(mock, iot, jobs_data):
    opens = minute_from_now(mock, 10)
    create_job(mock, iot, "j", make_things(iot, 2), **windows((daily_at(opens), 30)))
    rollouts = job(iot).get("scheduledJobRollouts")
    assert rollouts and rollouts[0] == {"startTime": stamp(opens)}
    assert rollouts[1] == {"startTime": stamp(opens + DAY)}
    advance_to(mock, opens + MINUTE)
    assert released(iot) == 2
    assert "scheduledJobRollouts" not in job(iot)  # nothing left to roll out
