"""Control-plane job-execution operations end to end through boto3 (issue 3).

DescribeJobExecution (statusDetails nested as ``detailsMap``),
CancelJobExecution (force, terminal states, expectedVersion, statusDetails)
and DeleteJobExecution (terminal only unless force, executionNumber must
match).  Every refused call is checked to change nothing.
"""

from __future__ import annotations

import collections
import json
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
    iot,
    job_on,
    mock,
    raw_iot,
    report,
    thing_arn,
    things,
)
from jobs_support import world as jobs_world

from mock_iotjobs import MockIotJobs

DOC = json.dumps({"operation": "update"})


def start(data: Any, thing: str) -> None:
    data.start_next_pending_job_execution(thingName=thing)


def assert_counts_match(iot: Any, job_id: str) -> Dict[str, int]:
    details = iot.describe_job(jobId=job_id)["job"]["jobProcessDetails"]
    summaries = iot.list_job_executions_for_job(jobId=job_id)["executionSummaries"]
    tally = collections.Counter(s["jobExecutionSummary"]["status"] for s in summaries)
    for status, member in COUNT_MEMBERS.items():
        assert details.get(member, 0) == tally.get(status, 0), (status, details, tally)
    return dict(tally)


def world(iot: Any, data: Any, thing_names: List[str]) -> Dict[str, Any]:
    """jobs_support's world, and each job's execution on each thing (None where there is none)."""
    state = jobs_world(iot, data, thing_names)
    for summary in state["jobs"]:
        job_id = summary["jobId"]
        for name in thing_names:
            try:
                state[f"{job_id}/{name}"] = execution(iot, job_id, name)
            except ClientError:
                state[f"{job_id}/{name}"] = None
    return state


# --- DescribeJobExecution ---------------------------------------------------------------
def test_describe_job_execution_nests_status_details(iot: Any, data: Any) -> None:
    things(iot, "t")
    job_on(iot, "j", "t")
    queued = execution(iot, "j", "t")
    assert queued["jobId"] == "j"
    assert queued["thingArn"] == thing_arn("t")
    assert queued["status"] == "QUEUED"
    assert queued.get("statusDetails", {"detailsMap": {}}).get("detailsMap", {}) == {}
    start(data, "t")
    report(data, "j", "t", "IN_PROGRESS", statusDetails={"step": "download", "percent": "40"})
    described = execution(iot, "j", "t")
    assert described["statusDetails"] == {"detailsMap": {"step": "download", "percent": "40"}}
    # The device plane returns the same details flat.
    device = data.describe_job_execution(jobId="j", thingName="t")["execution"]
    assert device["statusDetails"] == {"step": "download", "percent": "40"}
    assert "approximateSecondsBeforeTimedOut" not in described


def test_describe_job_execution_by_number_and_missing(iot: Any, data: Any) -> None:
    things(iot, "t", "untargeted")
    job_on(iot, "j", "t")
    assert execution(iot, "j", "t", executionNumber=1)["executionNumber"] == 1
    cases = [
        {"jobId": "j", "thingName": "t", "executionNumber": 2},
        {"jobId": "j", "thingName": "untargeted"},
        {"jobId": "j", "thingName": "no-such-thing"},
        {"jobId": "nope", "thingName": "t"},
    ]
    for kwargs in cases:
        with pytest.raises(ClientError) as excinfo:
            iot.describe_job_execution(**kwargs)
        assert error(excinfo)["code"] == "ResourceNotFoundException", kwargs
        assert error(excinfo)["status"] == 404


def test_describe_job_execution_shows_time_left_before_timeout(iot: Any, data: Any, mock: MockIotJobs) -> None:
    things(iot, "t")
    job_on(iot, "j", "t", timeoutConfig={"inProgressTimeoutInMinutes": 10})
    assert "approximateSecondsBeforeTimedOut" not in execution(iot, "j", "t")
    start(data, "t")
    assert 599 <= execution(iot, "j", "t")["approximateSecondsBeforeTimedOut"] <= 600
    mock.advance_time(minutes=4)
    assert 239 <= 600 - execution(iot, "j", "t")["approximateSecondsBeforeTimedOut"] <= 241
    report(data, "j", "t", "SUCCEEDED")
    assert "approximateSecondsBeforeTimedOut" not in execution(iot, "j", "t")


# --- CancelJobExecution --------------------------------------------------------------------
def test_cancel_queued_execution(iot: Any, data: Any, mock: MockIotJobs) -> None:
    things(iot, "t", "other")
    job_on(iot, "j", "t", "other")
    mock.advance_time(seconds=5)
    iot.cancel_job_execution(jobId="j", thingName="t", statusDetails={"why": "operator"})
    canceled = execution(iot, "j", "t")
    assert canceled["status"] == "CANCELED"
    assert canceled["versionNumber"] == 2
    assert canceled["statusDetails"] == {"detailsMap": {"why": "operator"}}
    assert not canceled.get("forceCanceled")
    assert canceled["lastUpdatedAt"] > canceled["queuedAt"]
    assert data.get_pending_job_executions(thingName="t")["queuedJobs"] == []
    assert "execution" not in data.start_next_pending_job_execution(thingName="t")
    assert assert_counts_match(iot, "j") == {"CANCELED": 1, "QUEUED": 1}


def test_cancel_queued_execution_with_matching_expected_version(iot: Any) -> None:
    things(iot, "t")
    job_on(iot, "j", "t")
    iot.cancel_job_execution(jobId="j", thingName="t", expectedVersion=1)
    assert execution(iot, "j", "t")["status"] == "CANCELED"


def test_cancel_in_progress_execution_needs_force(iot: Any, data: Any) -> None:
    things(iot, "t")
    job_on(iot, "j", "t")
    start(data, "t")
    report(data, "j", "t", "IN_PROGRESS", statusDetails={"step": "1"})
    before = world(iot, data, ["t"])
    with pytest.raises(ClientError) as excinfo:
        iot.cancel_job_execution(jobId="j", thingName="t", statusDetails={"why": "x"})
    assert error(excinfo)["code"] == "InvalidStateTransitionException"
    assert error(excinfo)["status"] == 409
    with pytest.raises(ClientError) as explicit:
        iot.cancel_job_execution(jobId="j", thingName="t", force=False)
    assert error(explicit)["code"] == "InvalidStateTransitionException"
    assert world(iot, data, ["t"]) == before

    iot.cancel_job_execution(jobId="j", thingName="t", force=True, expectedVersion=3)
    canceled = execution(iot, "j", "t")
    assert canceled["status"] == "CANCELED"
    assert canceled["forceCanceled"] is True
    assert canceled["versionNumber"] == 4
    # Details were not given: the device's details stay.
    assert canceled["statusDetails"] == {"detailsMap": {"step": "1"}}
    assert data.get_pending_job_executions(thingName="t")["inProgressJobs"] == []
    assert iot.describe_job(jobId="j")["job"]["status"] == "COMPLETED"
    assert assert_counts_match(iot, "j") == {"CANCELED": 1}


@pytest.mark.parametrize("final", ["SUCCEEDED", "FAILED", "REJECTED", "CANCELED", "TIMED_OUT", "REMOVED"])
def test_cancel_terminal_execution_is_an_invalid_transition(iot: Any, data: Any, mock: MockIotJobs, final: str) -> None:
    things(iot, "t", "keep")
    iot.create_thing_group(thingGroupName="g")
    iot.add_thing_to_thing_group(thingGroupName="g", thingName="t")
    iot.create_job(
        jobId="j",
        targets=[f"arn:aws:iot:{REGION}:{ACCOUNT}:thinggroup/g", thing_arn("keep")],
        document=DOC,
        targetSelection="CONTINUOUS",
        timeoutConfig={"inProgressTimeoutInMinutes": 1},
    )
    if final == "CANCELED":
        iot.cancel_job_execution(jobId="j", thingName="t")
    elif final == "REMOVED":
        iot.remove_thing_from_thing_group(thingGroupName="g", thingName="t")
    elif final == "TIMED_OUT":
        start(data, "t")
        mock.advance_time(minutes=2)
    elif final == "REJECTED":
        report(data, "j", "t", "REJECTED")
    else:
        start(data, "t")
        report(data, "j", "t", final)
    assert execution(iot, "j", "t")["status"] == final
    before = world(iot, data, ["t", "keep"])
    for force in (False, True):
        with pytest.raises(ClientError) as excinfo:
            iot.cancel_job_execution(jobId="j", thingName="t", force=force)
        assert error(excinfo)["code"] == "InvalidStateTransitionException", final
        assert error(excinfo)["status"] == 409
    assert world(iot, data, ["t", "keep"]) == before


def test_cancel_with_wrong_expected_version_is_a_version_conflict(iot: Any, data: Any) -> None:
    things(iot, "q", "r")
    job_on(iot, "j", "q", "r")
    start(data, "r")
    before = world(iot, data, ["q", "r"])
    for thing, stale in (("q", 2), ("q", 0), ("r", 1)):
        with pytest.raises(ClientError) as excinfo:
            iot.cancel_job_execution(jobId="j", thingName=thing, expectedVersion=stale, force=True)
        assert error(excinfo)["code"] == "VersionConflictException", (thing, stale)
        assert error(excinfo)["status"] == 409
    assert world(iot, data, ["q", "r"]) == before
    iot.cancel_job_execution(jobId="j", thingName="r", expectedVersion=2, force=True)
    assert execution(iot, "j", "r")["status"] == "CANCELED"


def test_cancel_missing_execution(iot: Any) -> None:
    things(iot, "t", "untargeted")
    job_on(iot, "j", "t")
    for kwargs in ({"jobId": "nope", "thingName": "t"}, {"jobId": "j", "thingName": "untargeted"}):
        with pytest.raises(ClientError) as excinfo:
            iot.cancel_job_execution(**kwargs)
        assert error(excinfo)["code"] == "ResourceNotFoundException"


def test_cancel_execution_of_retried_execution_targets_the_latest(iot: Any, data: Any) -> None:
    things(iot, "t")
    job_on(iot, "j", "t", jobExecutionsRetryConfig={"criteriaList": [{"failureType": "FAILED", "numberOfRetries": 1}]})
    start(data, "t")
    report(data, "j", "t", "FAILED")
    iot.cancel_job_execution(jobId="j", thingName="t")
    assert execution(iot, "j", "t")["status"] == "CANCELED"
    assert execution(iot, "j", "t")["executionNumber"] == 2
    assert execution(iot, "j", "t", executionNumber=1)["status"] == "FAILED"
    assert assert_counts_match(iot, "j") == {"CANCELED": 1}


def test_bad_status_details_are_refused(raw_iot: Any, iot: Any, data: Any) -> None:
    things(iot, "t")
    job_on(iot, "j", "t")
    before = world(iot, data, ["t"])
    with pytest.raises(ClientError) as excinfo:
        raw_iot.cancel_job_execution(jobId="j", thingName="t", statusDetails={"bad key!": "v"})
    assert error(excinfo)["code"] == "InvalidRequestException"
    assert world(iot, data, ["t"]) == before


# --- DeleteJobExecution -------------------------------------------------------------------
def test_delete_terminal_execution(iot: Any, data: Any) -> None:
    things(iot, "done", "waiting")
    job_on(iot, "j", "done", "waiting")
    start(data, "done")
    report(data, "j", "done", "SUCCEEDED")
    iot.delete_job_execution(jobId="j", thingName="done", executionNumber=1)
    with pytest.raises(ClientError) as excinfo:
        execution(iot, "j", "done")
    assert error(excinfo)["code"] == "ResourceNotFoundException"
    assert iot.list_job_executions_for_thing(thingName="done")["executionSummaries"] == []
    assert assert_counts_match(iot, "j") == {"QUEUED": 1}
    assert iot.describe_job(jobId="j")["job"]["status"] == "IN_PROGRESS"
    # Deleting it again: it is gone.
    with pytest.raises(ClientError) as again:
        iot.delete_job_execution(jobId="j", thingName="done", executionNumber=1)
    assert error(again)["code"] == "ResourceNotFoundException"


@pytest.mark.parametrize("running", [False, True], ids=["queued", "in-progress"])
def test_delete_unfinished_execution_needs_force(iot: Any, data: Any, running: bool) -> None:
    things(iot, "t", "other")
    job_on(iot, "j", "t", "other")
    start(data, "other")
    report(data, "j", "other", "SUCCEEDED")
    if running:
        start(data, "t")
    before = world(iot, data, ["t", "other"])
    with pytest.raises(ClientError) as excinfo:
        iot.delete_job_execution(jobId="j", thingName="t", executionNumber=1)
    assert error(excinfo)["code"] == "InvalidStateTransitionException"
    assert error(excinfo)["status"] == 409
    assert world(iot, data, ["t", "other"]) == before

    iot.delete_job_execution(jobId="j", thingName="t", executionNumber=1, force=True)
    pending = data.get_pending_job_executions(thingName="t")
    assert pending["inProgressJobs"] == [] and pending["queuedJobs"] == []
    assert iot.list_job_executions_for_thing(thingName="t")["executionSummaries"] == []
    # Nothing is left to run: the SNAPSHOT job is complete.
    assert assert_counts_match(iot, "j") == {"SUCCEEDED": 1}
    assert iot.describe_job(jobId="j")["job"]["status"] == "COMPLETED"


def test_delete_execution_number_must_match(iot: Any, data: Any) -> None:
    things(iot, "t")
    job_on(iot, "j", "t")
    start(data, "t")
    report(data, "j", "t", "SUCCEEDED")
    before = world(iot, data, ["t"])
    for number in (0, 2, 99):
        with pytest.raises(ClientError) as excinfo:
            iot.delete_job_execution(jobId="j", thingName="t", executionNumber=number, force=True)
        assert error(excinfo)["code"] == "ResourceNotFoundException", number
    with pytest.raises(ClientError) as missing_job:
        iot.delete_job_execution(jobId="nope", thingName="t", executionNumber=1)
    assert error(missing_job)["code"] == "ResourceNotFoundException"
    assert world(iot, data, ["t"]) == before


def test_delete_an_earlier_execution_of_a_retried_thing(iot: Any, data: Any) -> None:
    things(iot, "t")
    job_on(iot, "j", "t", jobExecutionsRetryConfig={"criteriaList": [{"failureType": "FAILED", "numberOfRetries": 1}]})
    start(data, "t")
    report(data, "j", "t", "FAILED")
    iot.delete_job_execution(jobId="j", thingName="t", executionNumber=1)
    latest = execution(iot, "j", "t")
    assert (latest["executionNumber"], latest["status"]) == (2, "QUEUED")
    with pytest.raises(ClientError):
        execution(iot, "j", "t", executionNumber=1)
    numbers = [
        s["jobExecutionSummary"]["executionNumber"]
        for s in iot.list_job_executions_for_thing(thingName="t", jobId="j")["executionSummaries"]
    ]
    assert numbers == [2]
    assert assert_counts_match(iot, "j") == {"QUEUED": 1}
    start(data, "t")
    report(data, "j", "t", "SUCCEEDED")
    assert iot.describe_job(jobId="j")["job"]["status"] == "COMPLETED"


def test_delete_the_latest_execution_of_a_retried_thing(iot: Any, data: Any) -> None:
    things(iot, "t")
    job_on(iot, "j", "t", jobExecutionsRetryConfig={"criteriaList": [{"failureType": "FAILED", "numberOfRetries": 1}]})
    start(data, "t")
    report(data, "j", "t", "FAILED")
    iot.delete_job_execution(jobId="j", thingName="t", executionNumber=2, force=True)
    latest = execution(iot, "j", "t")
    assert (latest["executionNumber"], latest["status"]) == (1, "FAILED")
    assert assert_counts_match(iot, "j") == {"FAILED": 1}
    assert iot.describe_job(jobId="j")["job"]["status"] == "COMPLETED"


def test_execution_numbers_stay_unique_after_deleting_an_earlier_one(iot: Any, data: Any) -> None:
    things(iot, "t")
    job_on(iot, "j", "t", jobExecutionsRetryConfig={"criteriaList": [{"failureType": "FAILED", "numberOfRetries": 3}]})
    start(data, "t")
    report(data, "j", "t", "FAILED")
    iot.delete_job_execution(jobId="j", thingName="t", executionNumber=1)
    start(data, "t")
    report(data, "j", "t", "FAILED")  # execution 2 fails: retried as execution 3
    summaries = iot.list_job_executions_for_thing(thingName="t", jobId="j")["executionSummaries"]
    numbers = sorted(s["jobExecutionSummary"]["executionNumber"] for s in summaries)
    assert numbers == [2, 3]
    assert execution(iot, "j", "t", executionNumber=3)["status"] == "QUEUED"
    assert execution(iot, "j", "t", executionNumber=2)["status"] == "FAILED"


def test_force_canceled_marks_every_execution_canceled_with_force(iot: Any, data: Any) -> None:
    """The docs: forceCanceled is true when the execution was canceled with force=true."""
    things(iot, "queued", "running", "gentle")
    job_on(iot, "forced", "queued", "running")
    start(data, "running")
    iot.cancel_job(jobId="forced", force=True)
    assert execution(iot, "forced", "queued")["forceCanceled"] is True
    assert execution(iot, "forced", "running")["forceCanceled"] is True
    job_on(iot, "soft", "gentle")
    iot.cancel_job(jobId="soft")
    assert "forceCanceled" not in execution(iot, "soft", "gentle")
    job_on(iot, "one", "gentle")
    iot.cancel_job_execution(jobId="one", thingName="gentle", force=True)
    assert execution(iot, "one", "gentle")["forceCanceled"] is True
