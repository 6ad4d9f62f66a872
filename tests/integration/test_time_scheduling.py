"""Issue 5, scheduling (``schedulingConfig``), end to end with boto3.

A job with a future ``startTime`` is SCHEDULED (no executions, nothing for
devices) until the clock reaches it; at ``endTime`` its ``endBehavior``
applies: STOP_ROLLOUT (no more things are notified; released executions run
on), CANCEL or FORCE_CANCEL (CancelJob without / with force).  Times are
strings ``yyyy-MM-ddTHH:mm`` in UTC, computed from the mock's clock.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Dict, List, Optional

import pytest
from botocore.exceptions import ClientError

DOCUMENT = '{"operation": "update"}'
MINUTE = 60


def make_things(iot: Any, n: int, prefix: str = "dev") -> List[str]:
    return [iot.create_thing(thingName=f"{prefix}{i}")["thingArn"] for i in range(n)]


def names(n: int, prefix: str = "dev") -> List[str]:
    return [f"{prefix}{i}" for i in range(n)]


def stamp(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, tz=dt.timezone.utc).strftime("%Y-%m-%dT%H:%M")


def minute_from_now(mock: Any, minutes: int) -> float:
    """The start of the whole minute at least ``minutes`` minutes from the mock's now
    (the string format has no seconds, so this is what a stamp can express)."""
    return (int(mock.now()) // MINUTE + 1 + minutes) * MINUTE


def advance_to(mock: Any, epoch: float, plus_seconds: float = 0) -> None:
    mock.advance_time(seconds=max(0.0, epoch - mock.now()) + plus_seconds)


def scheduling(start: Optional[float] = None, end: Optional[float] = None, behavior: Optional[str] = None) -> Dict:
    config: Dict[str, Any] = {}
    if start is not None:
        config["startTime"] = stamp(start)
    if end is not None:
        config["endTime"] = stamp(end)
    if behavior is not None:
        config["endBehavior"] = behavior
    return {"schedulingConfig": config}


def create_job(iot: Any, job_id: str, targets: List[str], **config: Any) -> None:
    iot.create_job(jobId=job_id, targets=targets, document=DOCUMENT, **config)


def job(iot: Any, job_id: str = "j") -> Dict[str, Any]:
    return iot.describe_job(jobId=job_id)["job"]


def counts(iot: Any, job_id: str = "j") -> Dict[str, int]:
    d = job(iot, job_id)["jobProcessDetails"]
    return {k[len("numberOf") : -len("Things")]: v for k, v in d.items() if k.startswith("numberOf") and v}


def seeing(jobs_data: Any, things: List[str]) -> List[str]:
    out = []
    for thing in things:
        pending = jobs_data.get_pending_job_executions(thingName=thing)
        if pending["queuedJobs"] or pending["inProgressJobs"]:
            out.append(thing)
    return out


def status_of(iot: Any, thing: str, job_id: str = "j") -> str:
    return iot.describe_job_execution(jobId=job_id, thingName=thing)["execution"]["status"]


# --- SCHEDULED -> IN_PROGRESS ---------------------------------------------------------------------
def test_scheduled_job_starts_at_its_start_time(mock, iot, jobs_data):
    start = minute_from_now(mock, 40)
    create_job(iot, "j", make_things(iot, 3), **scheduling(start))
    described = job(iot)
    assert described["status"] == "SCHEDULED"
    assert described["schedulingConfig"] == {"startTime": stamp(start)}
    assert counts(iot) == {}
    assert seeing(jobs_data, names(3)) == []
    assert all(mock.notifications(t) == [] for t in names(3))
    assert iot.list_job_executions_for_job(jobId="j")["executionSummaries"] == []
    assert [j["jobId"] for j in iot.list_jobs(status="SCHEDULED")["jobs"]] == ["j"]

    advance_to(mock, start, plus_seconds=-30)
    assert job(iot)["status"] == "SCHEDULED"
    assert seeing(jobs_data, names(3)) == []

    advance_to(mock, start)
    assert job(iot)["status"] == "IN_PROGRESS"
    assert seeing(jobs_data, names(3)) == names(3)
    assert counts(iot) == {"Queued": 3}
    assert all(mock.notifications(t) for t in names(3))
    assert [j["jobId"] for j in iot.list_jobs(status="IN_PROGRESS")["jobs"]] == ["j"]


def test_scheduled_job_then_runs_to_completion(mock, iot, jobs_data):
    start = minute_from_now(mock, 31)
    create_job(iot, "j", make_things(iot, 1), **scheduling(start))
    assert "execution" not in jobs_data.start_next_pending_job_execution(thingName="dev0")
    mock.advance_time(hours=1)
    jobs_data.start_next_pending_job_execution(thingName="dev0")
    jobs_data.update_job_execution(thingName="dev0", jobId="j", status="SUCCEEDED")
    assert job(iot)["status"] == "COMPLETED"


def test_rollout_of_a_scheduled_job_begins_at_its_start_time(mock, iot, jobs_data):
    start = minute_from_now(mock, 35)
    create_job(iot, "j", make_things(iot, 5), jobExecutionsRolloutConfig={"maximumPerMinute": 2}, **scheduling(start))
    mock.advance_time(minutes=20)
    assert seeing(jobs_data, names(5)) == []
    advance_to(mock, start)
    assert len(seeing(jobs_data, names(5))) == 2
    mock.advance_time(minutes=1)
    assert len(seeing(jobs_data, names(5))) == 4
    mock.advance_time(minutes=1)
    assert len(seeing(jobs_data, names(5))) == 5


def test_canceled_scheduled_job_never_starts(mock, iot, jobs_data):
    start = minute_from_now(mock, 31)
    create_job(iot, "j", make_things(iot, 2), **scheduling(start))
    iot.cancel_job(jobId="j")
    assert job(iot)["status"] == "CANCELED"
    mock.advance_time(hours=2)
    assert job(iot)["status"] == "CANCELED"
    assert seeing(jobs_data, names(2)) == []
    assert counts(iot) == {}


def test_deleted_scheduled_job_is_not_resurrected_by_its_start_time(mock, iot, jobs_data):
    start = minute_from_now(mock, 31)
    create_job(iot, "j", make_things(iot, 1), **scheduling(start))
    iot.delete_job(jobId="j", force=True)
    create_job(iot, "j2", [iot.describe_thing(thingName="dev0")["thingArn"]])
    mock.advance_time(hours=1)
    with pytest.raises(ClientError):
        iot.describe_job(jobId="j")
    assert [j["jobId"] for j in jobs_data.get_pending_job_executions(thingName="dev0")["queuedJobs"]] == ["j2"]


# --- end behaviours -------------------------------------------------------------------------------------
def paced_job_with_end(mock: Any, iot: Any, jobs_data: Any, behavior: Optional[str]) -> float:
    """Five things released one a minute from now; the window ends in 32 minutes
    and dev0 is IN_PROGRESS by then.  Returns the end time."""
    end = minute_from_now(mock, 32)
    create_job(
        iot,
        "j",
        make_things(iot, 40),
        jobExecutionsRolloutConfig={"maximumPerMinute": 1},
        **scheduling(end=end, behavior=behavior),
    )
    assert job(iot)["status"] == "IN_PROGRESS"
    jobs_data.start_next_pending_job_execution(thingName="dev0")
    jobs_data.update_job_execution(thingName="dev0", jobId="j", status="IN_PROGRESS")
    advance_to(mock, end, plus_seconds=-30)
    return end


def test_stop_rollout_at_end_time(mock, iot, jobs_data):
    end = paced_job_with_end(mock, iot, jobs_data, "STOP_ROLLOUT")
    released_before = len(iot.list_job_executions_for_job(jobId="j")["executionSummaries"])
    assert released_before < 40
    advance_to(mock, end)
    released = len(iot.list_job_executions_for_job(jobId="j")["executionSummaries"])
    mock.advance_time(minutes=10)
    # No thing is notified any more; those already notified keep their executions.
    assert len(iot.list_job_executions_for_job(jobId="j")["executionSummaries"]) == released
    assert released in (released_before, released_before + 1)  # the wave due at the end itself
    assert status_of(iot, "dev0") == "IN_PROGRESS"
    assert status_of(iot, "dev1") == "QUEUED"
    assert "processingTargets" not in job(iot)["jobProcessDetails"]
    assert job(iot)["status"] == "IN_PROGRESS"
    # The job completes once the released executions finish.
    for thing in names(released):
        jobs_data.start_next_pending_job_execution(thingName=thing)
        jobs_data.update_job_execution(thingName=thing, jobId="j", status="SUCCEEDED")
    assert job(iot)["status"] == "COMPLETED"
    assert counts(iot) == {"Succeeded": released}


def test_stop_rollout_is_the_default_end_behavior(mock, iot, jobs_data):
    end = paced_job_with_end(mock, iot, jobs_data, None)
    advance_to(mock, end)
    released = len(iot.list_job_executions_for_job(jobId="j")["executionSummaries"])
    mock.advance_time(minutes=10)
    assert len(iot.list_job_executions_for_job(jobId="j")["executionSummaries"]) == released
    assert job(iot)["status"] == "IN_PROGRESS"
    assert status_of(iot, "dev1") == "QUEUED"


def test_cancel_at_end_time(mock, iot, jobs_data):
    end = paced_job_with_end(mock, iot, jobs_data, "CANCEL")
    advance_to(mock, end)
    described = job(iot)
    assert described["status"] == "CANCELED"
    assert not described.get("forceCanceled")
    assert status_of(iot, "dev0") == "IN_PROGRESS"  # runs on, as with CancelJob
    assert status_of(iot, "dev1") == "CANCELED"
    released = len(iot.list_job_executions_for_job(jobId="j")["executionSummaries"])
    assert counts(iot) == {"InProgress": 1, "Canceled": released - 1}
    mock.advance_time(minutes=10)
    assert len(iot.list_job_executions_for_job(jobId="j")["executionSummaries"]) == released
    assert seeing(jobs_data, names(40)) == ["dev0"]


def test_force_cancel_at_end_time(mock, iot, jobs_data):
    end = paced_job_with_end(mock, iot, jobs_data, "FORCE_CANCEL")
    advance_to(mock, end)
    described = job(iot)
    assert described["status"] == "CANCELED"
    assert described["forceCanceled"] is True
    execution = iot.describe_job_execution(jobId="j", thingName="dev0")["execution"]
    assert (execution["status"], execution["forceCanceled"]) == ("CANCELED", True)
    released = len(iot.list_job_executions_for_job(jobId="j")["executionSummaries"])
    assert counts(iot) == {"Canceled": released}
    assert seeing(jobs_data, names(40)) == []


def test_scheduled_job_moves_through_start_and_end(mock, iot, jobs_data):
    start = minute_from_now(mock, 31)
    end = start + 30 * MINUTE
    create_job(iot, "j", make_things(iot, 2), **scheduling(start, end, "CANCEL"))
    assert job(iot)["status"] == "SCHEDULED"
    advance_to(mock, start)
    assert job(iot)["status"] == "IN_PROGRESS"
    jobs_data.start_next_pending_job_execution(thingName="dev0")
    jobs_data.update_job_execution(thingName="dev0", jobId="j", status="SUCCEEDED")
    advance_to(mock, end)
    assert job(iot)["status"] == "CANCELED"
    assert counts(iot) == {"Succeeded": 1, "Canceled": 1}


def test_end_time_after_completion_changes_nothing(mock, iot, jobs_data):
    end = minute_from_now(mock, 31)
    create_job(iot, "j", make_things(iot, 1), **scheduling(end=end, behavior="FORCE_CANCEL"))
    jobs_data.start_next_pending_job_execution(thingName="dev0")
    jobs_data.update_job_execution(thingName="dev0", jobId="j", status="SUCCEEDED")
    assert job(iot)["status"] == "COMPLETED"
    mock.advance_time(hours=1)
    described = job(iot)
    assert described["status"] == "COMPLETED"
    assert "forceCanceled" not in described or described["forceCanceled"] is False


# --- invalid windows ---------------------------------------------------------------------------------
def refused(iot: Any, **config: Any) -> str:
    arns = [iot.describe_thing(thingName="dev0")["thingArn"]]
    with pytest.raises(ClientError) as excinfo:
        create_job(iot, "j", arns, **config)
    with pytest.raises(ClientError):
        iot.describe_job(jobId="j")  # a refused call creates nothing
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    return excinfo.value.response["Error"]["Code"]


def test_end_behavior_without_end_time_is_accepted_and_does_nothing(mock, iot):
    # botocore's docs: endBehavior "does not apply" without an endTime (issue 13; it used to be refused).
    arns = make_things(iot, 1)
    start = minute_from_now(mock, 40)
    create_job(iot, "later", arns, **scheduling(start, behavior="CANCEL"))
    create_job(iot, "now", arns, **scheduling(behavior="FORCE_CANCEL"))
    assert job(iot, "later")["schedulingConfig"] == {"startTime": stamp(start), "endBehavior": "CANCEL"}
    mock.advance_time(hours=24 * 30)
    assert job(iot, "later")["status"] == "IN_PROGRESS"
    assert job(iot, "now")["status"] == "IN_PROGRESS"


def test_window_shorter_than_thirty_minutes_is_refused(mock, iot):
    make_things(iot, 1)
    start = minute_from_now(mock, 40)
    assert refused(iot, **scheduling(start, start + 29 * MINUTE)) == "InvalidRequestException"
    assert refused(iot, **scheduling(start, start)) == "InvalidRequestException"
    assert refused(iot, **scheduling(start, start - 10 * MINUTE)) == "InvalidRequestException"
    # Without a start time the window starts now.
    assert refused(iot, **scheduling(end=mock.now() + 20 * MINUTE)) == "InvalidRequestException"
    # Exactly thirty minutes is enough.
    create_job(iot, "ok", [iot.describe_thing(thingName="dev0")["thingArn"]], **scheduling(start, start + 30 * MINUTE))
    assert job(iot, "ok")["status"] == "SCHEDULED"


def test_end_time_in_the_past_is_refused(mock, iot):
    make_things(iot, 1)
    assert refused(iot, **scheduling(end=mock.now() - 3600)) == "InvalidRequestException"
    assert refused(iot, schedulingConfig={"endTime": "2001-01-01T00:00"}) == "InvalidRequestException"


def test_start_time_less_than_thirty_minutes_ahead_is_refused(mock, iot):
    # SchedulingConfig.startTime "must be scheduled a minimum of thirty minutes from the current time".
    make_things(iot, 1)
    assert refused(iot, **scheduling(minute_from_now(mock, 10))) == "InvalidRequestException"
    assert refused(iot, schedulingConfig={"startTime": "2001-01-01T00:00"}) == "InvalidRequestException"


def test_start_time_more_than_a_year_ahead_is_refused(mock, iot):
    make_things(iot, 1)
    assert refused(iot, **scheduling(mock.now() + 367 * 86400)) == "InvalidRequestException"


def test_window_longer_than_two_years_is_refused(mock, iot):
    make_things(iot, 1)
    start = minute_from_now(mock, 40)
    assert refused(iot, **scheduling(start, start + 2 * 366 * 86400)) == "InvalidRequestException"


@pytest.mark.parametrize(
    "value",
    ["tomorrow", "2030/01/01 10:00", "2030-13-01T10:00", "2030-01-01T25:00", "2030-02-30T10:00", "2030-01-01"],
)
@pytest.mark.parametrize("member", ["startTime", "endTime"])
def test_malformed_times_are_refused(make_client, member, value):
    iot = make_client("iot")
    make_things(iot, 1)
    assert refused(iot, schedulingConfig={member: value}) == "InvalidRequestException"


def test_end_behavior_outside_the_enum_is_refused(mock, make_client):
    iot = make_client("iot", validate=False)
    make_things(iot, 1)
    end = minute_from_now(mock, 40)
    assert refused(iot, schedulingConfig={"endTime": stamp(end), "endBehavior": "PAUSE"}) == "InvalidRequestException"


@pytest.mark.parametrize("behavior", ["CANCEL", "FORCE_CANCEL", "STOP_ROLLOUT"])
def test_end_behavior_is_stamped_at_the_end_time_after_a_long_jump(mock, iot, jobs_data, behavior):
    end = minute_from_now(mock, 31)
    create_job(iot, "j", make_things(iot, 1), **scheduling(end=end, behavior=behavior))
    mock.advance_time(hours=6)
    described = job(iot)
    assert abs(described["lastUpdatedAt"].timestamp() - end) <= 1
    if behavior != "STOP_ROLLOUT":
        execution = iot.describe_job_execution(jobId="j", thingName="dev0")["execution"]
        assert execution["status"] == "CANCELED"
        assert abs(execution["lastUpdatedAt"].timestamp() - end) <= 1
