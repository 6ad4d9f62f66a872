"""The life of a job end to end through boto3 (issue 3).

Execution numbers, version numbers and timestamps; job status (SNAPSHOT
completes, CONTINUOUS does not, CancelJob cancels); jobProcessDetails always
equal to the executions' statuses; CancelJob, DeleteJob and DeleteThing.
Executions are driven from the device plane (``iot-jobs-data``).
"""

from __future__ import annotations

import collections
import json
import random
from typing import Any, Dict, List

import pytest
from botocore.exceptions import ClientError
from jobs_support import (  # noqa: F401  (fixtures are used by name)
    ACCOUNT,
    COUNT_MEMBERS,
    CREDS,
    NO_RETRY,
    REGION,
    UNVALIDATED,
    data,
    error,
    execution,
    group_arn,
    iot,
    job,
    job_on,
    mock,
    raw_iot,
    report,
    thing_arn,
    thing_views,
    things,
)

from mock_iotjobs import MockIotJobs

DOC = json.dumps({"operation": "update"})
TOLERANCE = 0.002  # control-plane timestamps travel with millisecond precision


def start(data: Any, thing: str) -> Dict[str, Any]:
    return data.start_next_pending_job_execution(thingName=thing)["execution"]


def all_executions(iot: Any, job_id: str) -> List[Dict[str, Any]]:
    answer = iot.list_job_executions_for_job(jobId=job_id, maxResults=250)
    assert "nextToken" not in answer
    return answer["executionSummaries"]


def assert_counts_match(iot: Any, job_id: str) -> Dict[str, int]:
    """jobProcessDetails equals the tally of the job's executions' statuses."""
    details = job(iot, job_id)["jobProcessDetails"]
    tally = collections.Counter(s["jobExecutionSummary"]["status"] for s in all_executions(iot, job_id))
    for status, member in COUNT_MEMBERS.items():
        assert details.get(member, 0) == tally.get(status, 0), (status, details, tally)
    return dict(tally)


def ts(value: Any) -> float:
    return value.timestamp()


def world(iot: Any, data: Any, thing_names: List[str]) -> Dict[str, Any]:
    jobs = iot.list_jobs()["jobs"]
    state: Dict[str, Any] = {"jobs": jobs}
    for summary in jobs:
        state[summary["jobId"]] = job(iot, summary["jobId"])
        state[summary["jobId"] + "/executions"] = all_executions(iot, summary["jobId"])
    state.update(thing_views(iot, data, thing_names))
    return state


# --- execution numbers, versions and timestamps --------------------------------------
def test_version_number_starts_at_one_and_grows_by_one_per_change(iot: Any, data: Any) -> None:
    things(iot, "t")
    job_on(iot, "j", "t")
    assert execution(iot, "j", "t")["versionNumber"] == 1
    assert execution(iot, "j", "t")["executionNumber"] == 1
    assert start(data, "t")["versionNumber"] == 2
    assert execution(iot, "j", "t")["versionNumber"] == 2
    report(data, "j", "t", "IN_PROGRESS", statusDetails={"step": "1"})
    assert execution(iot, "j", "t")["versionNumber"] == 3
    report(data, "j", "t", "IN_PROGRESS", statusDetails={"step": "2"}, expectedVersion=3)
    assert execution(iot, "j", "t")["versionNumber"] == 4
    report(data, "j", "t", "SUCCEEDED", expectedVersion=4)
    final = execution(iot, "j", "t")
    assert (final["versionNumber"], final["executionNumber"], final["status"]) == (5, 1, "SUCCEEDED")
    # Reading changes nothing.
    data.get_pending_job_executions(thingName="t")
    iot.list_job_executions_for_thing(thingName="t")
    assert execution(iot, "j", "t")["versionNumber"] == 5


def test_refused_device_update_does_not_bump_the_version(iot: Any, data: Any) -> None:
    things(iot, "t")
    job_on(iot, "j", "t")
    start(data, "t")
    with pytest.raises(ClientError):
        report(data, "j", "t", "SUCCEEDED", expectedVersion=1)
    assert execution(iot, "j", "t")["versionNumber"] == 2
    assert execution(iot, "j", "t")["status"] == "IN_PROGRESS"


def test_every_thing_gets_execution_number_one(iot: Any) -> None:
    things(iot, "a", "b", "c")
    job_on(iot, "j1", "a", "b", "c")
    job_on(iot, "j2", "a", "b")
    for summary in all_executions(iot, "j1") + all_executions(iot, "j2"):
        assert summary["jobExecutionSummary"]["executionNumber"] == 1
    for summary in iot.list_job_executions_for_thing(thingName="a")["executionSummaries"]:
        assert summary["jobExecutionSummary"]["executionNumber"] == 1


def test_retried_execution_gets_the_next_execution_number(iot: Any, data: Any) -> None:
    things(iot, "t")
    job_on(iot, "j", "t", jobExecutionsRetryConfig={"criteriaList": [{"failureType": "FAILED", "numberOfRetries": 2}]})
    start(data, "t")
    report(data, "j", "t", "FAILED")
    latest = execution(iot, "j", "t")
    assert (latest["executionNumber"], latest["status"], latest["versionNumber"]) == (2, "QUEUED", 1)
    first = execution(iot, "j", "t", executionNumber=1)
    assert (first["executionNumber"], first["status"]) == (1, "FAILED")
    started = start(data, "t")
    assert (started["executionNumber"], started["versionNumber"]) == (2, 2)
    report(data, "j", "t", "FAILED")
    assert execution(iot, "j", "t")["executionNumber"] == 3
    start(data, "t")
    report(data, "j", "t", "FAILED")
    # Retries exhausted: the third failure is final and the job completes.
    assert execution(iot, "j", "t")["executionNumber"] == 3
    numbers = [
        s["jobExecutionSummary"]["executionNumber"]
        for s in iot.list_job_executions_for_thing(thingName="t", jobId="j")["executionSummaries"]
    ]
    assert sorted(numbers) == [1, 2, 3]
    assert job(iot, "j")["status"] == "COMPLETED"
    assert assert_counts_match(iot, "j") == {"FAILED": 1}


def test_timestamps_are_kept_truthfully(iot: Any, data: Any, mock: MockIotJobs) -> None:
    things(iot, "t")
    t0 = mock.advance_time()
    job_on(iot, "j", "t")
    t1 = mock.advance_time(seconds=100)
    queued = execution(iot, "j", "t")
    assert "startedAt" not in queued
    assert t0 - TOLERANCE <= ts(queued["queuedAt"]) <= t1 - 100 + TOLERANCE
    assert queued["lastUpdatedAt"] == queued["queuedAt"]
    assert ts(queued["queuedAt"]) == pytest.approx(ts(job(iot, "j")["createdAt"]), abs=TOLERANCE)

    start(data, "t")
    t2 = mock.advance_time(seconds=100)
    running = execution(iot, "j", "t")
    assert t1 - TOLERANCE <= ts(running["startedAt"]) <= t2 - 100 + TOLERANCE
    assert running["lastUpdatedAt"] == running["startedAt"]
    assert running["queuedAt"] == queued["queuedAt"]

    report(data, "j", "t", "IN_PROGRESS", statusDetails={"p": "50"})
    t3 = mock.advance_time(seconds=100)
    progressed = execution(iot, "j", "t")
    assert progressed["startedAt"] == running["startedAt"]  # started once, not restarted
    # The device plane sees the same moments in whole seconds.
    device = data.describe_job_execution(jobId="j", thingName="t", includeJobDocument=False)["execution"]
    assert device["startedAt"] == int(ts(progressed["startedAt"]))
    assert device["queuedAt"] == int(ts(progressed["queuedAt"]))
    assert device["lastUpdatedAt"] == int(ts(progressed["lastUpdatedAt"]))
    assert t2 - TOLERANCE <= ts(progressed["lastUpdatedAt"]) <= t3 - 100 + TOLERANCE

    report(data, "j", "t", "SUCCEEDED")
    t4 = mock.advance_time()
    done = execution(iot, "j", "t")
    assert done["startedAt"] == running["startedAt"]
    assert done["queuedAt"] == queued["queuedAt"]
    assert t3 - TOLERANCE <= ts(done["lastUpdatedAt"]) <= t4 + TOLERANCE
    # Listings carry the same timestamps.
    summary = iot.list_job_executions_for_job(jobId="j")["executionSummaries"][0]["jobExecutionSummary"]
    for member in ("queuedAt", "startedAt", "lastUpdatedAt"):
        assert summary[member] == done[member]


def test_execution_canceled_while_queued_has_no_started_at(iot: Any, mock: MockIotJobs) -> None:
    things(iot, "t")
    job_on(iot, "j", "t")
    mock.advance_time(seconds=30)
    iot.cancel_job_execution(jobId="j", thingName="t")
    canceled = execution(iot, "j", "t")
    assert "startedAt" not in canceled
    assert ts(canceled["lastUpdatedAt"]) >= ts(canceled["queuedAt"]) + 30 - TOLERANCE


# --- job status -------------------------------------------------------------------
def test_snapshot_job_completes_when_every_execution_is_terminal(iot: Any, data: Any, mock: MockIotJobs) -> None:
    things(iot, "ok", "bad", "no", "cancel", "gone")
    job_on(iot, "j", "ok", "bad", "no", "cancel", "gone")
    steps = [
        lambda: (start(data, "ok"), report(data, "j", "ok", "SUCCEEDED")),
        lambda: (start(data, "bad"), report(data, "j", "bad", "FAILED")),
        lambda: report(data, "j", "no", "REJECTED"),
        lambda: iot.cancel_job_execution(jobId="j", thingName="cancel"),
    ]
    for step in steps:
        step()
        mock.advance_time(seconds=10)
        described = job(iot, "j")
        assert described["status"] == "IN_PROGRESS"
        assert "completedAt" not in described
        assert_counts_match(iot, "j")
    before_last = mock.advance_time()
    iot.delete_thing(thingName="gone")
    described = job(iot, "j")
    assert described["status"] == "COMPLETED"
    assert ts(described["completedAt"]) >= before_last - TOLERANCE
    assert described["lastUpdatedAt"] >= described["createdAt"]
    assert assert_counts_match(iot, "j") == {
        "SUCCEEDED": 1,
        "FAILED": 1,
        "REJECTED": 1,
        "CANCELED": 1,
        "REMOVED": 1,
    }
    assert [j["status"] for j in iot.list_jobs()["jobs"]] == ["COMPLETED"]
    assert iot.list_jobs()["jobs"][0]["completedAt"] == described["completedAt"]


def test_completed_job_stays_completed(iot: Any, data: Any, mock: MockIotJobs) -> None:
    things(iot, "t")
    job_on(iot, "j", "t")
    start(data, "t")
    report(data, "j", "t", "SUCCEEDED")
    completed = job(iot, "j")
    mock.advance_time(minutes=5)
    iot.create_thing(thingName="late")
    assert job(iot, "j") == completed


def test_continuous_job_stays_in_progress(iot: Any, data: Any) -> None:
    things(iot, "a", "b")
    job_on(iot, "j", "a", "b", targetSelection="CONTINUOUS")
    for name in ("a", "b"):
        start(data, name)
        report(data, "j", name, "SUCCEEDED")
    described = job(iot, "j")
    assert described["status"] == "IN_PROGRESS"
    assert "completedAt" not in described
    assert assert_counts_match(iot, "j") == {"SUCCEEDED": 2}


def test_cancel_job_cancels_queued_and_keeps_reason_and_comment(iot: Any, data: Any, mock: MockIotJobs) -> None:
    things(iot, "queued", "running", "done")
    job_on(iot, "j", "queued", "running", "done")
    start(data, "done")
    report(data, "j", "done", "SUCCEEDED")
    start(data, "running")
    mock.advance_time(seconds=10)
    answer = iot.cancel_job(jobId="j", reasonCode="BAD_BUILD_42", comment="wrong image")
    assert answer["jobId"] == "j"
    assert answer["jobArn"].endswith(":job/j")
    described = job(iot, "j")
    assert described["status"] == "CANCELED"
    assert described["reasonCode"] == "BAD_BUILD_42"
    assert described["comment"] == "wrong image"
    assert not described.get("forceCanceled")
    assert "completedAt" not in described
    assert execution(iot, "j", "queued")["status"] == "CANCELED"
    assert not execution(iot, "j", "queued").get("forceCanceled")
    assert execution(iot, "j", "running")["status"] == "IN_PROGRESS"
    assert execution(iot, "j", "done")["status"] == "SUCCEEDED"
    assert assert_counts_match(iot, "j") == {"CANCELED": 1, "IN_PROGRESS": 1, "SUCCEEDED": 1}
    assert data.get_pending_job_executions(thingName="queued")["queuedJobs"] == []
    # The device still running may finish; the job stays CANCELED.
    report(data, "j", "running", "SUCCEEDED")
    assert job(iot, "j")["status"] == "CANCELED"
    assert assert_counts_match(iot, "j") == {"CANCELED": 1, "SUCCEEDED": 2}
    assert [j["jobId"] for j in iot.list_jobs(status="CANCELED")["jobs"]] == ["j"]


def test_cancel_job_with_force_cancels_in_progress_executions(iot: Any, data: Any) -> None:
    things(iot, "queued", "running")
    job_on(iot, "j", "queued", "running")
    start(data, "running")
    iot.cancel_job(jobId="j", force=True, comment="stop now")
    described = job(iot, "j")
    assert described["status"] == "CANCELED"
    assert described["forceCanceled"] is True
    assert described["comment"] == "stop now"
    running = execution(iot, "j", "running")
    assert running["status"] == "CANCELED"
    assert running["forceCanceled"] is True
    assert running["versionNumber"] == 3
    assert assert_counts_match(iot, "j") == {"CANCELED": 2}
    # The device can no longer report on a force-canceled execution.
    with pytest.raises(ClientError) as excinfo:
        report(data, "j", "running", "SUCCEEDED")
    assert error(excinfo)["status"] in (404, 409, 410)
    assert data.get_pending_job_executions(thingName="running")["inProgressJobs"] == []


def test_canceled_job_can_be_force_canceled_afterwards(iot: Any, data: Any) -> None:
    things(iot, "running")
    job_on(iot, "j", "running")
    start(data, "running")
    iot.cancel_job(jobId="j")
    assert execution(iot, "j", "running")["status"] == "IN_PROGRESS"
    iot.cancel_job(jobId="j", force=True)
    assert execution(iot, "j", "running")["status"] == "CANCELED"
    assert job(iot, "j")["forceCanceled"] is True
    assert_counts_match(iot, "j")


def test_refused_cancel_job_changes_nothing(iot: Any, raw_iot: Any, data: Any) -> None:
    things(iot, "t")
    job_on(iot, "j", "t")
    before = world(iot, data, ["t"])
    with pytest.raises(ClientError) as excinfo:
        raw_iot.cancel_job(jobId="j", reasonCode="lower case", comment="c")
    assert error(excinfo)["code"] == "InvalidRequestException"
    with pytest.raises(ClientError) as missing:
        iot.cancel_job(jobId="nope")
    assert error(missing)["code"] == "ResourceNotFoundException"
    assert world(iot, data, ["t"]) == before


def test_cancel_completed_job_is_refused(iot: Any, data: Any) -> None:
    things(iot, "t")
    job_on(iot, "j", "t")
    start(data, "t")
    report(data, "j", "t", "SUCCEEDED")
    before = world(iot, data, ["t"])
    with pytest.raises(ClientError) as excinfo:
        iot.cancel_job(jobId="j", force=True)
    assert 400 <= error(excinfo)["status"] < 500
    assert world(iot, data, ["t"]) == before


# --- DeleteJob -----------------------------------------------------------------------
def test_delete_in_progress_job_needs_force(iot: Any, data: Any, mock: MockIotJobs) -> None:
    things(iot, "a", "b")
    job_on(iot, "j", "a", "b")
    start(data, "a")
    before = world(iot, data, ["a", "b"])
    with pytest.raises(ClientError) as excinfo:
        iot.delete_job(jobId="j")
    assert error(excinfo)["code"] == "InvalidStateTransitionException"
    assert error(excinfo)["status"] == 409
    assert world(iot, data, ["a", "b"]) == before

    iot.delete_job(jobId="j", force=True)
    # The spec: the job shows DELETION_IN_PROGRESS while it is deleted (one second of the
    # mock clock); its executions are gone at once, and deleting it again is refused.
    assert iot.describe_job(jobId="j")["job"]["status"] == "DELETION_IN_PROGRESS"
    assert data.get_pending_job_executions(thingName="a")["inProgressJobs"] == []
    with pytest.raises(ClientError) as again:
        iot.delete_job(jobId="j", force=True)
    assert error(again)["code"] == "InvalidStateTransitionException"
    with pytest.raises(ClientError) as cancel:
        iot.cancel_job(jobId="j")
    assert error(cancel)["code"] == "InvalidRequestException"
    mock.advance_time(seconds=1)
    with pytest.raises(ClientError) as gone:
        iot.describe_job(jobId="j")
    assert error(gone)["code"] == "ResourceNotFoundException"
    assert iot.list_jobs()["jobs"] == []
    for name in ("a", "b"):
        assert iot.list_job_executions_for_thing(thingName=name)["executionSummaries"] == []
        pending = data.get_pending_job_executions(thingName=name)
        assert pending["inProgressJobs"] == [] and pending["queuedJobs"] == []
        with pytest.raises(ClientError) as no_execution:
            iot.describe_job_execution(jobId="j", thingName=name)
        assert error(no_execution)["code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as no_executions:
        iot.list_job_executions_for_job(jobId="j")
    assert error(no_executions)["code"] == "ResourceNotFoundException"
    assert "execution" not in data.start_next_pending_job_execution(thingName="a")


def test_delete_continuous_job_needs_force(iot: Any, mock: MockIotJobs) -> None:
    things(iot, "a")
    job_on(iot, "j", "a", targetSelection="CONTINUOUS")
    with pytest.raises(ClientError) as excinfo:
        iot.delete_job(jobId="j")
    assert error(excinfo)["code"] == "InvalidStateTransitionException"
    iot.delete_job(jobId="j", force=True)
    mock.advance_time(seconds=1)
    assert iot.list_jobs()["jobs"] == []


def test_delete_terminal_jobs_without_force(iot: Any, data: Any, mock: MockIotJobs) -> None:
    things(iot, "a", "b")
    job_on(iot, "done", "a")
    start(data, "a")
    report(data, "done", "a", "SUCCEEDED")
    job_on(iot, "canceled", "b")
    iot.cancel_job(jobId="canceled")
    iot.delete_job(jobId="done")
    iot.delete_job(jobId="canceled")
    mock.advance_time(seconds=1)
    assert iot.list_jobs()["jobs"] == []
    assert iot.list_job_executions_for_thing(thingName="a")["executionSummaries"] == []
    assert iot.list_job_executions_for_thing(thingName="b")["executionSummaries"] == []
    with pytest.raises(ClientError) as excinfo:
        iot.delete_job(jobId="done")
    assert error(excinfo)["code"] == "ResourceNotFoundException"


def test_canceled_job_with_a_running_execution_is_deleted_without_force(
    iot: Any, data: Any, mock: MockIotJobs
) -> None:
    """The spec: without force, any job in a terminal state (COMPLETED or CANCELED) may be deleted."""
    things(iot, "busy")
    job_on(iot, "half", "busy")
    start(data, "busy")
    iot.cancel_job(jobId="half")  # no force: the IN_PROGRESS execution keeps running
    assert execution(iot, "half", "busy")["status"] == "IN_PROGRESS"
    iot.delete_job(jobId="half")
    mock.advance_time(seconds=1)
    assert iot.list_jobs()["jobs"] == []
    with pytest.raises(ClientError) as excinfo:
        report(data, "half", "busy", "SUCCEEDED")
    assert error(excinfo)["code"] == "ResourceNotFoundException"


def test_deleting_one_job_leaves_the_others(iot: Any, data: Any) -> None:
    things(iot, "t")
    job_on(iot, "keep", "t")
    job_on(iot, "drop", "t")
    iot.delete_job(jobId="drop", force=True)
    assert [s["jobId"] for s in iot.list_job_executions_for_thing(thingName="t")["executionSummaries"]] == ["keep"]
    assert start(data, "t")["jobId"] == "keep"
    assert_counts_match(iot, "keep")


def test_force_deleted_job_leaves_nothing_behind(iot: Any, data: Any, mock: MockIotJobs) -> None:
    """Timers, retries and rollout ticks of a deleted job must not bring it back."""
    things(iot, "t", "a", "b", "c")
    job_on(
        iot,
        "j",
        "t",
        timeoutConfig={"inProgressTimeoutInMinutes": 1},
        jobExecutionsRetryConfig={"criteriaList": [{"failureType": "TIMED_OUT", "numberOfRetries": 2}]},
    )
    start(data, "t")
    job_on(iot, "paced", "a", "b", "c", jobExecutionsRolloutConfig={"maximumPerMinute": 1})
    iot.delete_job(jobId="j", force=True)
    iot.delete_job(jobId="paced", force=True)
    mock.advance_time(seconds=1)  # deletion takes a second of the mock clock
    job_on(iot, "j", "t")  # a new job reusing the id
    mock.advance_time(minutes=5)
    pending = data.get_pending_job_executions(thingName="t")
    assert pending["inProgressJobs"] == []
    assert [(q["jobId"], q["executionNumber"], q["versionNumber"]) for q in pending["queuedJobs"]] == [("j", 1, 1)]
    assert json.loads(start(data, "t")["jobDocument"]) == json.loads(DOC)
    summaries = iot.list_job_executions_for_thing(thingName="t")["executionSummaries"]
    assert [(s["jobId"], s["jobExecutionSummary"]["executionNumber"]) for s in summaries] == [("j", 1)]
    assert assert_counts_match(iot, "j") == {"IN_PROGRESS": 1}
    for name in ("a", "b", "c"):
        assert data.get_pending_job_executions(thingName=name)["queuedJobs"] == []
        assert iot.list_job_executions_for_thing(thingName=name)["executionSummaries"] == []
    assert [j["jobId"] for j in iot.list_jobs()["jobs"]] == ["j"]


# --- DeleteThing --------------------------------------------------------------------------
def test_delete_thing_removes_its_unfinished_executions(iot: Any, data: Any) -> None:
    things(iot, "queued", "running", "finished", "other")
    job_on(iot, "j", "queued", "running", "finished", "other")
    start(data, "running")
    start(data, "finished")
    report(data, "j", "finished", "SUCCEEDED")
    for name in ("queued", "running", "finished"):
        iot.delete_thing(thingName=name)
    described = job(iot, "j")
    assert described["status"] == "IN_PROGRESS"  # "other" is still queued
    tally = assert_counts_match(iot, "j")
    assert tally == {"REMOVED": 2, "SUCCEEDED": 1, "QUEUED": 1}
    assert described["jobProcessDetails"]["numberOfRemovedThings"] == 2
    iot.cancel_job_execution(jobId="j", thingName="other")
    assert job(iot, "j")["status"] == "COMPLETED"


def test_delete_thing_completes_a_snapshot_job(iot: Any, data: Any) -> None:
    things(iot, "a", "b")
    job_on(iot, "j", "a", "b")
    start(data, "a")
    report(data, "j", "a", "SUCCEEDED")
    start(data, "b")
    iot.delete_thing(thingName="b")
    described = job(iot, "j")
    assert described["status"] == "COMPLETED"
    assert "completedAt" in described
    assert assert_counts_match(iot, "j") == {"SUCCEEDED": 1, "REMOVED": 1}


def test_new_thing_of_the_same_name_starts_with_no_history(iot: Any, data: Any) -> None:
    things(iot, "t", "other")
    job_on(iot, "j", "t", "other")
    job_on(iot, "k", "t")
    start(data, "t")
    iot.delete_thing(thingName="t")
    iot.create_thing(thingName="t")
    assert iot.list_job_executions_for_thing(thingName="t")["executionSummaries"] == []
    pending = data.get_pending_job_executions(thingName="t")
    assert pending == {**pending, "inProgressJobs": [], "queuedJobs": []}
    assert "execution" not in data.start_next_pending_job_execution(thingName="t")
    for job_id in ("j", "k"):
        with pytest.raises(ClientError) as excinfo:
            iot.describe_job_execution(jobId=job_id, thingName="t")
        assert error(excinfo)["code"] == "ResourceNotFoundException"
        with pytest.raises(ClientError) as cancel:
            iot.cancel_job_execution(jobId=job_id, thingName="t")
        assert error(cancel)["code"] == "ResourceNotFoundException"
        assert_counts_match(iot, job_id)
    # The old executions still count as REMOVED for the job.
    assert job(iot, "j")["jobProcessDetails"]["numberOfRemovedThings"] == 1
    assert job(iot, "k")["status"] == "COMPLETED"


def test_recreated_thing_in_continuous_group_starts_at_execution_one(iot: Any, data: Any) -> None:
    things(iot, "t")
    iot.create_thing_group(thingGroupName="g")
    iot.add_thing_to_thing_group(thingGroupName="g", thingName="t")
    iot.create_job(jobId="j", targets=[group_arn("g")], document=DOC, targetSelection="CONTINUOUS")
    start(data, "t")
    report(data, "j", "t", "SUCCEEDED")
    iot.delete_thing(thingName="t")
    iot.create_thing(thingName="t")
    iot.add_thing_to_thing_group(thingGroupName="g", thingName="t")
    fresh = execution(iot, "j", "t")
    assert (fresh["status"], fresh["executionNumber"], fresh["versionNumber"]) == ("QUEUED", 1, 1)
    assert len(iot.list_job_executions_for_thing(thingName="t")["executionSummaries"]) == 1
    assert assert_counts_match(iot, "j") == {"SUCCEEDED": 1, "QUEUED": 1}


def test_deleted_thing_not_yet_reached_by_the_rollout(iot: Any, data: Any, mock: MockIotJobs) -> None:
    things(iot, "a", "b")
    job_on(iot, "j", "a", "b", jobExecutionsRolloutConfig={"maximumPerMinute": 1})
    assert [s["thingArn"] for s in all_executions(iot, "j")] == [thing_arn("a")]
    iot.delete_thing(thingName="b")
    start(data, "a")
    report(data, "j", "a", "SUCCEEDED")
    mock.advance_time(minutes=3)
    # The deleted thing never gets an execution, so the SNAPSHOT job can complete.
    assert [s["thingArn"] for s in all_executions(iot, "j")] == [thing_arn("a")]
    assert job(iot, "j")["status"] == "COMPLETED"
    assert_counts_match(iot, "j")
    iot.create_thing(thingName="b")
    mock.advance_time(minutes=3)
    assert data.get_pending_job_executions(thingName="b")["queuedJobs"] == []
    assert iot.list_job_executions_for_thing(thingName="b")["executionSummaries"] == []


# --- jobProcessDetails under a random workload -------------------------------------------
@pytest.mark.parametrize("seed", range(3))
def test_counts_always_equal_execution_statuses(iot: Any, data: Any, mock: MockIotJobs, seed: int) -> None:
    rng = random.Random(seed)
    names = [f"t{i}" for i in range(8)]
    things(iot, *names)
    iot.create_thing_group(thingGroupName="g")
    for name in names[:4]:
        iot.add_thing_to_thing_group(thingGroupName="g", thingName=name)
    iot.create_job(
        jobId="snap",
        targets=[group_arn("g")] + [thing_arn(n) for n in names[4:]],
        document=DOC,
        timeoutConfig={"inProgressTimeoutInMinutes": 5},
        jobExecutionsRetryConfig={"criteriaList": [{"failureType": "ALL", "numberOfRetries": 1}]},
    )
    iot.create_job(jobId="cont", targets=[group_arn("g")], document=DOC, targetSelection="CONTINUOUS")
    alive = list(names)

    def device_step() -> None:
        name = rng.choice(alive)
        pending = data.get_pending_job_executions(thingName=name)
        running = pending["inProgressJobs"]
        if running and rng.random() < 0.8:
            target = rng.choice(running)["jobId"]
            report(data, target, name, rng.choice(["SUCCEEDED", "FAILED", "REJECTED", "IN_PROGRESS"]))
        elif pending["queuedJobs"]:
            if rng.random() < 0.2:
                report(data, pending["queuedJobs"][0]["jobId"], name, "REJECTED")
            else:
                start(data, name)

    def control_step() -> None:
        choice = rng.random()
        name = rng.choice(alive)
        job_id = rng.choice(["snap", "cont"])
        try:
            if choice < 0.3:
                iot.cancel_job_execution(jobId=job_id, thingName=name, force=rng.random() < 0.5)
            elif choice < 0.5:
                iot.add_thing_to_thing_group(thingGroupName="g", thingName=name)
            elif choice < 0.7:
                iot.remove_thing_from_thing_group(thingGroupName="g", thingName=name)
            elif choice < 0.8:
                mock.advance_time(minutes=rng.choice([1, 6]))
            elif choice < 0.9 and len(alive) > 2:
                alive.remove(name)
                iot.delete_thing(thingName=name)
            else:
                latest = execution(iot, job_id, name)
                iot.delete_job_execution(
                    jobId=job_id, thingName=name, executionNumber=latest["executionNumber"], force=True
                )
        except ClientError as refused:
            assert refused.response["Error"]["Code"] in (
                "InvalidStateTransitionException",
                "ResourceNotFoundException",
            ), refused.response

    for _ in range(30):
        (device_step if rng.random() < 0.6 else control_step)()
        for job_id in ("snap", "cont"):
            tally = assert_counts_match(iot, job_id)
            described = job(iot, job_id)
            unfinished = tally.get("QUEUED", 0) + tally.get("IN_PROGRESS", 0)
            if job_id == "snap":
                assert (described["status"] == "COMPLETED") == (unfinished == 0), (described, tally)
            else:
                assert described["status"] == "IN_PROGRESS"
