"""Issue 5, timeouts: the in-progress timer (``timeoutConfig``) and the step timer
(``stepTimeoutInMinutes``), driven by ``advance_time`` only.

Both timers start when an execution goes IN_PROGRESS; a QUEUED execution never
times out.  A step timer is reset by a new IN_PROGRESS update carrying a new
step value and cancelled by ``-1``; it never extends the in-progress timer.
``approximateSecondsBeforeTimedOut`` is reported while a timer runs.
"""

from __future__ import annotations

from typing import Any, Dict, List

import pytest
from botocore.exceptions import ClientError

DOCUMENT = '{"operation": "update"}'


# --- helpers -------------------------------------------------------------------
def make_things(iot: Any, n: int, prefix: str = "dev") -> List[str]:
    return [iot.create_thing(thingName=f"{prefix}{i}")["thingArn"] for i in range(n)]


def create_job(iot: Any, job_id: str, targets: List[str], **config: Any) -> None:
    iot.create_job(jobId=job_id, targets=targets, document=DOCUMENT, **config)


def job(iot: Any, job_id: str) -> Dict[str, Any]:
    return iot.describe_job(jobId=job_id)["job"]


def details(iot: Any, job_id: str) -> Dict[str, Any]:
    return job(iot, job_id)["jobProcessDetails"]


def control_execution(iot: Any, job_id: str, thing: str, **kw: Any) -> Dict[str, Any]:
    return iot.describe_job_execution(jobId=job_id, thingName=thing, **kw)["execution"]


def device_execution(jobs_data: Any, job_id: str, thing: str) -> Dict[str, Any]:
    return jobs_data.describe_job_execution(jobId=job_id, thingName=thing)["execution"]


def assert_seconds(reported: int, expected: int) -> None:
    """The mock's clock is real time plus the advanced offset, so a few real
    milliseconds pass between calls: allow for the count having ticked over."""
    assert expected - 2 <= reported <= expected, (reported, expected)


def error_code(excinfo: Any) -> str:
    return excinfo.value.response["Error"]["Code"]


TIMEOUT_10 = {"timeoutConfig": {"inProgressTimeoutInMinutes": 10}}


# --- in-progress timeout ----------------------------------------------------------
def test_in_progress_timeout_times_out_at_the_deadline_and_completes_the_job(mock, iot, jobs_data):
    [arn] = make_things(iot, 1)
    create_job(iot, "j", [arn], **TIMEOUT_10)
    started = jobs_data.start_next_pending_job_execution(thingName="dev0")["execution"]
    assert started["status"] == "IN_PROGRESS"

    mock.advance_time(minutes=9, seconds=30)
    assert control_execution(iot, "j", "dev0")["status"] == "IN_PROGRESS"
    assert job(iot, "j")["status"] == "IN_PROGRESS"

    mock.advance_time(seconds=30)
    execution = control_execution(iot, "j", "dev0")
    assert execution["status"] == "TIMED_OUT"
    assert "approximateSecondsBeforeTimedOut" not in execution
    d = details(iot, "j")
    assert d["numberOfTimedOutThings"] == 1
    assert d["numberOfInProgressThings"] == 0
    described = job(iot, "j")
    assert described["status"] == "COMPLETED"
    assert "completedAt" in described


def test_timeout_is_stamped_at_its_due_time_even_when_the_clock_jumps_past_it(mock, iot, jobs_data):
    [arn] = make_things(iot, 1)
    create_job(iot, "j", [arn], **TIMEOUT_10)
    started = jobs_data.start_next_pending_job_execution(thingName="dev0")["execution"]
    mock.advance_time(hours=5)
    timed_out = control_execution(iot, "j", "dev0")
    assert timed_out["status"] == "TIMED_OUT"
    stamped = timed_out["lastUpdatedAt"].timestamp()
    assert abs(stamped - (started["startedAt"] + 600)) <= 1


def test_queued_execution_never_times_out(mock, iot, jobs_data):
    [arn] = make_things(iot, 1)
    create_job(iot, "j", [arn], **TIMEOUT_10)
    mock.advance_time(hours=3)
    execution = control_execution(iot, "j", "dev0")
    assert execution["status"] == "QUEUED"
    assert "approximateSecondsBeforeTimedOut" not in execution
    assert "approximateSecondsBeforeTimedOut" not in device_execution(jobs_data, "j", "dev0")
    # The timer starts when the device starts the execution.
    jobs_data.start_next_pending_job_execution(thingName="dev0")
    assert_seconds(device_execution(jobs_data, "j", "dev0")["approximateSecondsBeforeTimedOut"], 600)


def test_execution_finished_in_time_does_not_time_out(mock, iot, jobs_data):
    [arn] = make_things(iot, 1)
    create_job(iot, "j", [arn], **TIMEOUT_10)
    jobs_data.start_next_pending_job_execution(thingName="dev0")
    mock.advance_time(minutes=5)
    jobs_data.update_job_execution(thingName="dev0", jobId="j", status="SUCCEEDED")
    mock.advance_time(minutes=30)
    assert control_execution(iot, "j", "dev0")["status"] == "SUCCEEDED"
    d = details(iot, "j")
    assert (d["numberOfSucceededThings"], d["numberOfTimedOutThings"]) == (1, 0)


def test_mixed_outcomes_complete_the_job_once_the_last_one_times_out(mock, iot, jobs_data):
    arns = make_things(iot, 3)
    create_job(iot, "j", arns, **TIMEOUT_10)
    for thing in ("dev0", "dev1"):
        jobs_data.start_next_pending_job_execution(thingName=thing)
    jobs_data.update_job_execution(thingName="dev0", jobId="j", status="SUCCEEDED")
    mock.advance_time(minutes=11)
    d = details(iot, "j")
    assert (d["numberOfSucceededThings"], d["numberOfTimedOutThings"], d["numberOfQueuedThings"]) == (1, 1, 1)
    assert job(iot, "j")["status"] == "IN_PROGRESS"  # dev2 has not run yet
    jobs_data.start_next_pending_job_execution(thingName="dev2")
    mock.advance_time(minutes=10)
    d = details(iot, "j")
    assert (d["numberOfSucceededThings"], d["numberOfTimedOutThings"], d["numberOfQueuedThings"]) == (1, 2, 0)
    assert job(iot, "j")["status"] == "COMPLETED"


def test_timed_out_execution_is_terminal_for_the_device(mock, iot, jobs_data):
    [arn] = make_things(iot, 1)
    create_job(iot, "j", [arn], **TIMEOUT_10)
    jobs_data.start_next_pending_job_execution(thingName="dev0")
    mock.advance_time(minutes=10)
    pending = jobs_data.get_pending_job_executions(thingName="dev0")
    assert (pending["inProgressJobs"], pending["queuedJobs"]) == ([], [])
    with pytest.raises(ClientError) as excinfo:
        jobs_data.update_job_execution(thingName="dev0", jobId="j", status="SUCCEEDED")
    assert error_code(excinfo) == "InvalidStateTransitionException"
    assert control_execution(iot, "j", "dev0")["status"] == "TIMED_OUT"


@pytest.mark.iot_jobs_events("JOB", "JOB_EXECUTION")
def test_timeout_notifies_the_device_and_publishes_the_timed_out_event(mock, iot, jobs_data):
    [arn] = make_things(iot, 1)
    create_job(iot, "j", [arn], **TIMEOUT_10)
    jobs_data.start_next_pending_job_execution(thingName="dev0")
    before = len(mock.notifications("dev0"))
    mock.advance_time(minutes=10)
    new = mock.notifications("dev0")[before:]
    topics = [n.topic for n in new]
    assert "$aws/things/dev0/jobs/notify" in topics
    next_message = [n for n in new if n.topic.endswith("/notify-next")][-1]
    assert "execution" not in next_message.payload  # nothing left to run
    assert any(e.topic == "$aws/events/jobExecution/j/timed_out" for e in mock.events())


@pytest.mark.parametrize("minutes", [0, -1, 10081])
def test_in_progress_timeout_out_of_range_is_refused_and_creates_nothing(iot, minutes):
    [arn] = make_things(iot, 1)
    with pytest.raises(ClientError) as excinfo:
        create_job(iot, "j", [arn], timeoutConfig={"inProgressTimeoutInMinutes": minutes})
    assert error_code(excinfo) == "InvalidRequestException"
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(ClientError) as missing:
        iot.describe_job(jobId="j")
    assert error_code(missing) == "ResourceNotFoundException"


@pytest.mark.parametrize("minutes", [1, 10080])
def test_in_progress_timeout_bounds_are_accepted(mock, iot, jobs_data, minutes):
    [arn] = make_things(iot, 1)
    create_job(iot, "j", [arn], timeoutConfig={"inProgressTimeoutInMinutes": minutes})
    assert job(iot, "j")["timeoutConfig"] == {"inProgressTimeoutInMinutes": minutes}
    jobs_data.start_next_pending_job_execution(thingName="dev0")
    mock.advance_time(minutes=minutes - 1)
    assert control_execution(iot, "j", "dev0")["status"] == "IN_PROGRESS"
    mock.advance_time(minutes=1)
    assert control_execution(iot, "j", "dev0")["status"] == "TIMED_OUT"


def test_update_job_refuses_an_out_of_range_timeout_and_changes_nothing(iot):
    [arn] = make_things(iot, 1)
    create_job(iot, "j", [arn], **TIMEOUT_10)
    with pytest.raises(ClientError) as excinfo:
        iot.update_job(jobId="j", description="new", timeoutConfig={"inProgressTimeoutInMinutes": 10081})
    assert error_code(excinfo) == "InvalidRequestException"
    described = job(iot, "j")
    assert described["timeoutConfig"] == {"inProgressTimeoutInMinutes": 10}
    assert "description" not in described


# --- UpdateJob timeoutConfig ---------------------------------------------------------
def test_updated_timeout_applies_only_to_executions_started_afterwards(mock, iot, jobs_data):
    arns = make_things(iot, 2)
    create_job(iot, "j", arns, timeoutConfig={"inProgressTimeoutInMinutes": 60})
    jobs_data.start_next_pending_job_execution(thingName="dev0")  # old timer: 60 minutes
    iot.update_job(jobId="j", timeoutConfig={"inProgressTimeoutInMinutes": 5})
    assert job(iot, "j")["timeoutConfig"] == {"inProgressTimeoutInMinutes": 5}
    jobs_data.start_next_pending_job_execution(thingName="dev1")  # new timer: 5 minutes
    assert_seconds(device_execution(jobs_data, "j", "dev0")["approximateSecondsBeforeTimedOut"], 3600)
    assert_seconds(device_execution(jobs_data, "j", "dev1")["approximateSecondsBeforeTimedOut"], 300)

    mock.advance_time(minutes=5)
    assert control_execution(iot, "j", "dev1")["status"] == "TIMED_OUT"
    assert control_execution(iot, "j", "dev0")["status"] == "IN_PROGRESS"
    mock.advance_time(minutes=54)
    assert control_execution(iot, "j", "dev0")["status"] == "IN_PROGRESS"
    mock.advance_time(minutes=1)
    assert control_execution(iot, "j", "dev0")["status"] == "TIMED_OUT"
    assert details(iot, "j")["numberOfTimedOutThings"] == 2


def test_timeout_added_by_update_job_does_not_reach_running_executions(mock, iot, jobs_data):
    arns = make_things(iot, 2)
    create_job(iot, "j", arns)
    jobs_data.start_next_pending_job_execution(thingName="dev0")
    iot.update_job(jobId="j", timeoutConfig={"inProgressTimeoutInMinutes": 3})
    jobs_data.start_next_pending_job_execution(thingName="dev1")
    assert "approximateSecondsBeforeTimedOut" not in device_execution(jobs_data, "j", "dev0")
    mock.advance_time(minutes=30)
    assert control_execution(iot, "j", "dev0")["status"] == "IN_PROGRESS"
    assert control_execution(iot, "j", "dev1")["status"] == "TIMED_OUT"


# --- step timeout ---------------------------------------------------------------------
def test_step_timeout_from_start_next(mock, iot, jobs_data):
    [arn] = make_things(iot, 1)
    create_job(iot, "j", [arn])
    started = jobs_data.start_next_pending_job_execution(thingName="dev0", stepTimeoutInMinutes=5)["execution"]
    assert_seconds(started["approximateSecondsBeforeTimedOut"], 300)
    mock.advance_time(minutes=4, seconds=30)
    assert control_execution(iot, "j", "dev0")["status"] == "IN_PROGRESS"
    mock.advance_time(seconds=30)
    assert control_execution(iot, "j", "dev0")["status"] == "TIMED_OUT"
    assert details(iot, "j")["numberOfTimedOutThings"] == 1
    assert job(iot, "j")["status"] == "COMPLETED"


def test_step_timeout_from_update_job_execution(mock, iot, jobs_data):
    [arn] = make_things(iot, 1)
    create_job(iot, "j", [arn])
    jobs_data.update_job_execution(thingName="dev0", jobId="j", status="IN_PROGRESS", stepTimeoutInMinutes=3)
    assert_seconds(device_execution(jobs_data, "j", "dev0")["approximateSecondsBeforeTimedOut"], 180)
    mock.advance_time(minutes=2)
    assert control_execution(iot, "j", "dev0")["status"] == "IN_PROGRESS"
    mock.advance_time(minutes=1)
    assert control_execution(iot, "j", "dev0")["status"] == "TIMED_OUT"


def test_new_step_value_resets_the_step_timer(mock, iot, jobs_data):
    [arn] = make_things(iot, 1)
    create_job(iot, "j", [arn])
    jobs_data.start_next_pending_job_execution(thingName="dev0", stepTimeoutInMinutes=5)
    mock.advance_time(minutes=4)
    jobs_data.update_job_execution(thingName="dev0", jobId="j", status="IN_PROGRESS", stepTimeoutInMinutes=5)
    assert_seconds(device_execution(jobs_data, "j", "dev0")["approximateSecondsBeforeTimedOut"], 300)
    mock.advance_time(minutes=4)  # 8 minutes in: the first timer would have fired at 5
    assert control_execution(iot, "j", "dev0")["status"] == "IN_PROGRESS"
    mock.advance_time(minutes=1)  # 9 minutes: 5 after the reset
    assert control_execution(iot, "j", "dev0")["status"] == "TIMED_OUT"


def test_reset_can_shorten_the_step_timer(mock, iot, jobs_data):
    [arn] = make_things(iot, 1)
    create_job(iot, "j", [arn])
    jobs_data.start_next_pending_job_execution(thingName="dev0", stepTimeoutInMinutes=60)
    jobs_data.update_job_execution(thingName="dev0", jobId="j", status="IN_PROGRESS", stepTimeoutInMinutes=2)
    mock.advance_time(minutes=2)
    assert control_execution(iot, "j", "dev0")["status"] == "TIMED_OUT"


def test_in_progress_update_without_a_step_value_leaves_the_step_timer_running(mock, iot, jobs_data):
    [arn] = make_things(iot, 1)
    create_job(iot, "j", [arn])
    jobs_data.start_next_pending_job_execution(thingName="dev0", stepTimeoutInMinutes=5)
    mock.advance_time(minutes=3)
    jobs_data.update_job_execution(
        thingName="dev0", jobId="j", status="IN_PROGRESS", statusDetails={"step": "download"}
    )
    assert_seconds(device_execution(jobs_data, "j", "dev0")["approximateSecondsBeforeTimedOut"], 120)
    mock.advance_time(minutes=2)
    assert control_execution(iot, "j", "dev0")["status"] == "TIMED_OUT"


def test_minus_one_cancels_the_step_timer(mock, iot, jobs_data):
    # UpdateJobExecution: "A value of -1 is also valid and will cancel the current step timer".
    [arn] = make_things(iot, 1)
    create_job(iot, "j", [arn])
    jobs_data.start_next_pending_job_execution(thingName="dev0", stepTimeoutInMinutes=5)
    jobs_data.update_job_execution(thingName="dev0", jobId="j", status="IN_PROGRESS", stepTimeoutInMinutes=-1)
    assert "approximateSecondsBeforeTimedOut" not in device_execution(jobs_data, "j", "dev0")
    mock.advance_time(hours=2)
    assert control_execution(iot, "j", "dev0")["status"] == "IN_PROGRESS"


def test_step_timer_never_extends_the_in_progress_timer(mock, iot, jobs_data):
    [arn] = make_things(iot, 1)
    create_job(iot, "j", [arn], **TIMEOUT_10)
    jobs_data.start_next_pending_job_execution(thingName="dev0", stepTimeoutInMinutes=4)
    for _ in range(3):  # keep resetting the step timer: 3, 6, 9 minutes in
        mock.advance_time(minutes=3)
        jobs_data.update_job_execution(thingName="dev0", jobId="j", status="IN_PROGRESS", stepTimeoutInMinutes=4)
    # The in-progress timer (10 minutes) is sooner than the step timer (13).
    assert_seconds(device_execution(jobs_data, "j", "dev0")["approximateSecondsBeforeTimedOut"], 60)
    mock.advance_time(minutes=1)
    assert control_execution(iot, "j", "dev0")["status"] == "TIMED_OUT"


@pytest.mark.parametrize("minutes", [0, 10081])
def test_step_timeout_out_of_range_is_refused_and_changes_nothing(iot, jobs_data, minutes):
    [arn] = make_things(iot, 1)
    create_job(iot, "j", [arn])
    with pytest.raises(ClientError) as excinfo:
        jobs_data.start_next_pending_job_execution(thingName="dev0", stepTimeoutInMinutes=minutes)
    assert error_code(excinfo) == "InvalidRequestException"
    with pytest.raises(ClientError) as excinfo:
        jobs_data.update_job_execution(thingName="dev0", jobId="j", status="IN_PROGRESS", stepTimeoutInMinutes=minutes)
    assert error_code(excinfo) == "InvalidRequestException"
    execution = control_execution(iot, "j", "dev0")
    assert (execution["status"], execution["versionNumber"]) == ("QUEUED", 1)


# --- approximateSecondsBeforeTimedOut ------------------------------------------------------
def test_approximate_seconds_counts_down_on_both_planes(mock, iot, jobs_data):
    [arn] = make_things(iot, 1)
    create_job(iot, "j", [arn], **TIMEOUT_10)
    started = jobs_data.start_next_pending_job_execution(thingName="dev0")["execution"]
    assert_seconds(started["approximateSecondsBeforeTimedOut"], 600)
    mock.advance_time(minutes=4)
    assert_seconds(device_execution(jobs_data, "j", "dev0")["approximateSecondsBeforeTimedOut"], 360)
    assert_seconds(control_execution(iot, "j", "dev0")["approximateSecondsBeforeTimedOut"], 360)
    nxt = jobs_data.describe_job_execution(thingName="dev0", jobId="$next")["execution"]
    assert_seconds(nxt["approximateSecondsBeforeTimedOut"], 360)


def test_approximate_seconds_absent_without_a_timer(mock, iot, jobs_data):
    [arn] = make_things(iot, 1)
    create_job(iot, "j", [arn])
    started = jobs_data.start_next_pending_job_execution(thingName="dev0")["execution"]
    assert "approximateSecondsBeforeTimedOut" not in started
    assert "approximateSecondsBeforeTimedOut" not in device_execution(jobs_data, "j", "dev0")
    assert "approximateSecondsBeforeTimedOut" not in control_execution(iot, "j", "dev0")


def test_approximate_seconds_absent_once_the_execution_is_terminal(mock, iot, jobs_data):
    [arn] = make_things(iot, 1)
    create_job(iot, "j", [arn], **TIMEOUT_10)
    jobs_data.start_next_pending_job_execution(thingName="dev0", stepTimeoutInMinutes=5)
    jobs_data.update_job_execution(thingName="dev0", jobId="j", status="SUCCEEDED")
    assert "approximateSecondsBeforeTimedOut" not in control_execution(iot, "j", "dev0")
    with pytest.raises(ClientError) as excinfo:  # the device plane hides terminal executions
        device_execution(jobs_data, "j", "dev0")
    assert error_code(excinfo) == "TerminalStateException"
    # And nothing fires later.
    mock.advance_time(hours=1)
    assert control_execution(iot, "j", "dev0")["status"] == "SUCCEEDED"


def test_timer_of_an_earlier_execution_does_not_touch_a_later_one(mock, iot, jobs_data):
    """A rerun of the job on the thing (next execution number) is not hit by the
    stale timer of the execution it replaced."""
    [arn] = make_things(iot, 1)
    create_job(
        iot,
        "j",
        [arn],
        **TIMEOUT_10,
        jobExecutionsRetryConfig={"criteriaList": [{"failureType": "FAILED", "numberOfRetries": 1}]},
    )
    jobs_data.start_next_pending_job_execution(thingName="dev0")  # timer due at 10
    mock.advance_time(minutes=8)
    jobs_data.update_job_execution(thingName="dev0", jobId="j", status="FAILED")  # retried
    jobs_data.start_next_pending_job_execution(thingName="dev0")  # new timer due at 18
    mock.advance_time(minutes=3)  # 11: past the first deadline
    second = control_execution(iot, "j", "dev0")
    assert (second["executionNumber"], second["status"]) == (2, "IN_PROGRESS")
    assert_seconds(second["approximateSecondsBeforeTimedOut"], 420)
    mock.advance_time(minutes=7)
    assert control_execution(iot, "j", "dev0")["status"] == "TIMED_OUT"


def test_job_completed_by_a_timeout_is_stamped_at_the_timeout(mock, iot, jobs_data):
    """Work that fell due during a long jump happens at its due time, not at the end
    of the jump: the job completes when its last execution timed out."""
    [arn] = make_things(iot, 1)
    create_job(iot, "j", [arn], **TIMEOUT_10)
    started = jobs_data.start_next_pending_job_execution(thingName="dev0")["execution"]["startedAt"]
    mock.advance_time(hours=6)
    described = job(iot, "j")
    assert described["status"] == "COMPLETED"
    assert abs(described["completedAt"].timestamp() - (started + 600)) <= 1
    assert abs(described["lastUpdatedAt"].timestamp() - (started + 600)) <= 1


@pytest.mark.iot_jobs_events("JOB", "JOB_EXECUTION")
def test_timeout_notifications_are_stamped_at_the_timeout(mock, iot, jobs_data):
    [arn] = make_things(iot, 1)
    create_job(iot, "j", [arn], **TIMEOUT_10)
    started = jobs_data.start_next_pending_job_execution(thingName="dev0")["execution"]["startedAt"]
    before = len(mock.notifications("dev0"))
    mock.advance_time(hours=3)
    new = mock.notifications("dev0")[before:]
    assert new
    for message in new:
        assert abs(message.timestamp - (started + 600)) <= 1, message.topic
    [event] = [e for e in mock.events() if e.topic.endswith("/timed_out")]
    assert abs(event.timestamp - (started + 600)) <= 1


def test_in_progress_update_does_not_restart_the_in_progress_timer(mock, iot, jobs_data):
    [arn] = make_things(iot, 1)
    create_job(iot, "j", [arn], **TIMEOUT_10)
    jobs_data.start_next_pending_job_execution(thingName="dev0")
    mock.advance_time(minutes=8)
    jobs_data.update_job_execution(thingName="dev0", jobId="j", status="IN_PROGRESS", statusDetails={"p": "80"})
    assert_seconds(device_execution(jobs_data, "j", "dev0")["approximateSecondsBeforeTimedOut"], 120)
    mock.advance_time(minutes=2)
    assert control_execution(iot, "j", "dev0")["status"] == "TIMED_OUT"


def test_canceled_executions_do_not_time_out_later(mock, iot, jobs_data):
    arns = make_things(iot, 2)
    create_job(iot, "j", arns, **TIMEOUT_10)
    jobs_data.start_next_pending_job_execution(thingName="dev0", stepTimeoutInMinutes=3)
    jobs_data.start_next_pending_job_execution(thingName="dev1")
    iot.cancel_job_execution(jobId="j", thingName="dev0", force=True)
    mock.advance_time(minutes=5)
    assert control_execution(iot, "j", "dev0")["status"] == "CANCELED"
    iot.cancel_job(jobId="j", force=True)
    mock.advance_time(minutes=10)
    assert [control_execution(iot, "j", t)["status"] for t in ("dev0", "dev1")] == ["CANCELED", "CANCELED"]
    d = details(iot, "j")
    assert (d["numberOfCanceledThings"], d["numberOfTimedOutThings"]) == (2, 0)
    assert not [e for e in mock.events() if e.topic.endswith("/timed_out")]


def test_executions_of_a_non_force_canceled_job_still_time_out(mock, iot, jobs_data):
    """CancelJob without force leaves IN_PROGRESS executions running, timers included."""
    arns = make_things(iot, 2)
    create_job(iot, "j", arns, **TIMEOUT_10)
    jobs_data.start_next_pending_job_execution(thingName="dev0")
    iot.cancel_job(jobId="j")
    mock.advance_time(minutes=10)
    assert control_execution(iot, "j", "dev0")["status"] == "TIMED_OUT"
    assert control_execution(iot, "j", "dev1")["status"] == "CANCELED"
    assert job(iot, "j")["status"] == "CANCELED"
