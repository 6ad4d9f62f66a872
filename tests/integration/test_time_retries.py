"""Issue 5, retries (``jobExecutionsRetryConfig``), end to end with boto3.

A retry is a new QUEUED execution of the job on the same thing with the next
``executionNumber`` (and ``retryAttempt``); the job's counts reflect each
thing's latest execution; the job completes only once no retry remains.
Timeouts that trigger retries are driven by ``advance_time``.
"""

from __future__ import annotations

from typing import Any, Dict, List

import pytest
from botocore.exceptions import ClientError

DOCUMENT = '{"operation": "update"}'


def make_things(iot: Any, n: int, prefix: str = "dev") -> List[str]:
    return [iot.create_thing(thingName=f"{prefix}{i}")["thingArn"] for i in range(n)]


def retry_config(*criteria: Any) -> Dict[str, Any]:
    return {
        "jobExecutionsRetryConfig": {
            "criteriaList": [{"failureType": kind, "numberOfRetries": n} for kind, n in criteria]
        }
    }


def create_job(iot: Any, job_id: str, targets: List[str], **config: Any) -> None:
    iot.create_job(jobId=job_id, targets=targets, document=DOCUMENT, **config)


def job(iot: Any, job_id: str) -> Dict[str, Any]:
    return iot.describe_job(jobId=job_id)["job"]


def counts(iot: Any, job_id: str) -> Dict[str, int]:
    d = job(iot, job_id)["jobProcessDetails"]
    return {k[len("numberOf") : -len("Things")]: v for k, v in d.items() if k.startswith("numberOf") and v}


def latest(iot: Any, job_id: str, thing: str) -> Dict[str, Any]:
    return iot.describe_job_execution(jobId=job_id, thingName=thing)["execution"]


def runs(iot: Any, job_id: str, thing: str) -> List[Dict[str, Any]]:
    """Every execution of the job on the thing, oldest first (ListJobExecutionsForThing)."""
    summaries = iot.list_job_executions_for_thing(thingName=thing, jobId=job_id)["executionSummaries"]
    return sorted((s["jobExecutionSummary"] for s in summaries), key=lambda s: s["executionNumber"])


def fail(jobs_data: Any, thing: str, job_id: str = "j", status: str = "FAILED") -> None:
    """The device picks the job up and reports ``status``."""
    jobs_data.start_next_pending_job_execution(thingName=thing)
    jobs_data.update_job_execution(thingName=thing, jobId=job_id, status=status)


def time_out(mock: Any, jobs_data: Any, thing: str, minutes: int = 10) -> None:
    jobs_data.start_next_pending_job_execution(thingName=thing)
    mock.advance_time(minutes=minutes)


TIMEOUT_10 = {"timeoutConfig": {"inProgressTimeoutInMinutes": 10}}


# --- FAILED ---------------------------------------------------------------------------
def test_failed_execution_is_retried_with_the_next_execution_number(mock, iot, jobs_data):
    [arn] = make_things(iot, 1)
    create_job(iot, "j", [arn], **retry_config(("FAILED", 2)))
    fail(jobs_data, "dev0")

    retry = latest(iot, "j", "dev0")
    assert (retry["status"], retry["executionNumber"]) == ("QUEUED", 2)
    assert counts(iot, "j") == {"Queued": 1}  # the latest execution is what counts
    assert job(iot, "j")["status"] == "IN_PROGRESS"
    first = iot.describe_job_execution(jobId="j", thingName="dev0", executionNumber=1)["execution"]
    assert first["status"] == "FAILED"
    assert [(r["executionNumber"], r["status"], r.get("retryAttempt", 0)) for r in runs(iot, "j", "dev0")] == [
        (1, "FAILED", 0),
        (2, "QUEUED", 1),
    ]
    [summary] = iot.list_job_executions_for_job(jobId="j")["executionSummaries"]
    assert summary["jobExecutionSummary"]["executionNumber"] == 2
    assert summary["jobExecutionSummary"]["retryAttempt"] == 1

    # The device sees the retry as a new pending execution.
    [queued] = jobs_data.get_pending_job_executions(thingName="dev0")["queuedJobs"]
    assert (queued["jobId"], queued["executionNumber"]) == ("j", 2)
    started = jobs_data.start_next_pending_job_execution(thingName="dev0")["execution"]
    assert (started["executionNumber"], started["status"]) == (2, "IN_PROGRESS")


def test_retries_stop_after_number_of_retries_and_the_job_completes(mock, iot, jobs_data):
    [arn] = make_things(iot, 1)
    create_job(iot, "j", [arn], **retry_config(("FAILED", 2)))
    fail(jobs_data, "dev0")
    fail(jobs_data, "dev0")
    assert latest(iot, "j", "dev0")["executionNumber"] == 3
    assert job(iot, "j")["status"] == "IN_PROGRESS"
    fail(jobs_data, "dev0")  # third failure: both retries used

    assert [(r["executionNumber"], r["status"]) for r in runs(iot, "j", "dev0")] == [
        (1, "FAILED"),
        (2, "FAILED"),
        (3, "FAILED"),
    ]
    assert counts(iot, "j") == {"Failed": 1}
    described = job(iot, "j")
    assert described["status"] == "COMPLETED"
    assert jobs_data.get_pending_job_executions(thingName="dev0")["queuedJobs"] == []


def test_success_after_a_retry_counts_as_succeeded(mock, iot, jobs_data):
    arns = make_things(iot, 2)
    create_job(iot, "j", arns, **retry_config(("FAILED", 3)))
    fail(jobs_data, "dev0")
    fail(jobs_data, "dev0", status="SUCCEEDED")
    fail(jobs_data, "dev1", status="SUCCEEDED")
    assert counts(iot, "j") == {"Succeeded": 2}
    assert job(iot, "j")["status"] == "COMPLETED"
    assert latest(iot, "j", "dev0")["executionNumber"] == 2
    assert latest(iot, "j", "dev1")["executionNumber"] == 1


def test_retry_notifies_the_device(mock, iot, jobs_data):
    [arn] = make_things(iot, 1)
    create_job(iot, "j", [arn], **retry_config(("FAILED", 1)))
    jobs_data.start_next_pending_job_execution(thingName="dev0")
    before = len(mock.notifications("dev0"))
    jobs_data.update_job_execution(thingName="dev0", jobId="j", status="FAILED")
    new = mock.notifications("dev0")[before:]
    nxt = [n for n in new if n.topic == "$aws/things/dev0/jobs/notify-next"]
    assert nxt, [n.topic for n in new]
    assert nxt[-1].payload["execution"]["executionNumber"] == 2
    assert nxt[-1].payload["execution"]["status"] == "QUEUED"


# --- TIMED_OUT ----------------------------------------------------------------------------
def test_timed_out_execution_is_retried(mock, iot, jobs_data):
    [arn] = make_things(iot, 1)
    create_job(iot, "j", [arn], **TIMEOUT_10, **retry_config(("TIMED_OUT", 1)))
    time_out(mock, jobs_data, "dev0")
    retry = latest(iot, "j", "dev0")
    assert (retry["executionNumber"], retry["status"]) == (2, "QUEUED")
    assert counts(iot, "j") == {"Queued": 1}
    # The retry gets a fresh in-progress timer when it starts.
    time_out(mock, jobs_data, "dev0")
    assert [(r["executionNumber"], r["status"]) for r in runs(iot, "j", "dev0")] == [
        (1, "TIMED_OUT"),
        (2, "TIMED_OUT"),
    ]
    assert counts(iot, "j") == {"TimedOut": 1}
    assert job(iot, "j")["status"] == "COMPLETED"


def test_step_timeout_is_retried_like_any_timeout(mock, iot, jobs_data):
    [arn] = make_things(iot, 1)
    create_job(iot, "j", [arn], **retry_config(("TIMED_OUT", 1)))
    jobs_data.start_next_pending_job_execution(thingName="dev0", stepTimeoutInMinutes=2)
    mock.advance_time(minutes=2)
    assert (latest(iot, "j", "dev0")["executionNumber"], latest(iot, "j", "dev0")["status"]) == (2, "QUEUED")


def test_failed_retries_do_not_apply_to_timeouts(mock, iot, jobs_data):
    [arn] = make_things(iot, 1)
    create_job(iot, "j", [arn], **TIMEOUT_10, **retry_config(("FAILED", 3)))
    time_out(mock, jobs_data, "dev0")
    assert [r["status"] for r in runs(iot, "j", "dev0")] == ["TIMED_OUT"]
    assert job(iot, "j")["status"] == "COMPLETED"


def test_timeout_retries_do_not_apply_to_failures(mock, iot, jobs_data):
    [arn] = make_things(iot, 1)
    create_job(iot, "j", [arn], **retry_config(("TIMED_OUT", 3)))
    fail(jobs_data, "dev0")
    assert [r["status"] for r in runs(iot, "j", "dev0")] == ["FAILED"]
    assert job(iot, "j")["status"] == "COMPLETED"


def test_each_failure_type_has_its_own_allowance(mock, iot, jobs_data):
    [arn] = make_things(iot, 1)
    create_job(iot, "j", [arn], **TIMEOUT_10, **retry_config(("FAILED", 1), ("TIMED_OUT", 1)))
    fail(jobs_data, "dev0")  # FAILED retry 1/1
    time_out(mock, jobs_data, "dev0")  # TIMED_OUT retry 1/1
    assert latest(iot, "j", "dev0")["executionNumber"] == 3
    fail(jobs_data, "dev0")  # no FAILED retry left
    assert [r["status"] for r in runs(iot, "j", "dev0")] == ["FAILED", "TIMED_OUT", "FAILED"]
    assert job(iot, "j")["status"] == "COMPLETED"


# --- ALL -----------------------------------------------------------------------------------
def test_all_shares_one_allowance_between_failures_and_timeouts(mock, iot, jobs_data):
    [arn] = make_things(iot, 1)
    create_job(iot, "j", [arn], **TIMEOUT_10, **retry_config(("ALL", 2)))
    fail(jobs_data, "dev0")  # retry 1
    time_out(mock, jobs_data, "dev0")  # retry 2
    assert latest(iot, "j", "dev0")["executionNumber"] == 3
    assert job(iot, "j")["status"] == "IN_PROGRESS"
    fail(jobs_data, "dev0")  # no retry left
    assert [(r["executionNumber"], r["status"]) for r in runs(iot, "j", "dev0")] == [
        (1, "FAILED"),
        (2, "TIMED_OUT"),
        (3, "FAILED"),
    ]
    assert counts(iot, "j") == {"Failed": 1}
    assert job(iot, "j")["status"] == "COMPLETED"


# --- what is never retried ----------------------------------------------------------------------
def test_rejected_and_canceled_executions_are_not_retried(mock, iot, jobs_data):
    arns = make_things(iot, 2)
    create_job(iot, "j", arns, **retry_config(("ALL", 5)))
    fail(jobs_data, "dev0", status="REJECTED")
    iot.cancel_job_execution(jobId="j", thingName="dev1")
    assert [r["status"] for r in runs(iot, "j", "dev0")] == ["REJECTED"]
    assert [r["status"] for r in runs(iot, "j", "dev1")] == ["CANCELED"]
    assert counts(iot, "j") == {"Rejected": 1, "Canceled": 1}
    assert job(iot, "j")["status"] == "COMPLETED"


def test_no_retry_once_the_job_is_canceled(mock, iot, jobs_data):
    [arn] = make_things(iot, 1)
    create_job(iot, "j", [arn], **retry_config(("FAILED", 5)))
    jobs_data.start_next_pending_job_execution(thingName="dev0")
    iot.cancel_job(jobId="j")  # the IN_PROGRESS execution keeps running
    jobs_data.update_job_execution(thingName="dev0", jobId="j", status="FAILED")
    assert [r["status"] for r in runs(iot, "j", "dev0")] == ["FAILED"]
    assert job(iot, "j")["status"] == "CANCELED"


def test_job_with_several_things_completes_only_when_no_retry_remains(mock, iot, jobs_data):
    arns = make_things(iot, 3)
    create_job(iot, "j", arns, **TIMEOUT_10, **retry_config(("ALL", 1)))
    fail(jobs_data, "dev0", status="SUCCEEDED")
    fail(jobs_data, "dev1")  # retried
    jobs_data.start_next_pending_job_execution(thingName="dev2")
    mock.advance_time(minutes=10)  # dev2 times out: retried
    assert counts(iot, "j") == {"Succeeded": 1, "Queued": 2}
    assert job(iot, "j")["status"] == "IN_PROGRESS"
    fail(jobs_data, "dev1")
    assert job(iot, "j")["status"] == "IN_PROGRESS"
    time_out(mock, jobs_data, "dev2")
    assert counts(iot, "j") == {"Succeeded": 1, "Failed": 1, "TimedOut": 1}
    assert job(iot, "j")["status"] == "COMPLETED"


# --- validation -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "criteria",
    [
        [{"failureType": "FAILED", "numberOfRetries": 11}],
        [{"failureType": "FAILED", "numberOfRetries": -1}],
        [{"failureType": "REJECTED", "numberOfRetries": 1}],
        [],
    ],
    ids=["too-many", "negative", "rejected-is-not-retryable", "empty-list"],
)
def test_invalid_retry_config_is_refused_and_creates_nothing(make_client, criteria):
    iot = make_client("iot", validate=False)
    [arn] = make_things(iot, 1)
    with pytest.raises(ClientError) as excinfo:
        create_job(iot, "j", [arn], jobExecutionsRetryConfig={"criteriaList": criteria})
    assert excinfo.value.response["Error"]["Code"] == "InvalidRequestException"
    assert iot.list_jobs()["jobs"] == []


def test_retry_config_is_described_and_can_be_updated(mock, iot, jobs_data):
    [arn] = make_things(iot, 1)
    create_job(iot, "j", [arn], **retry_config(("FAILED", 1)))
    assert job(iot, "j")["jobExecutionsRetryConfig"] == {
        "criteriaList": [{"failureType": "FAILED", "numberOfRetries": 1}]
    }
    iot.update_job(jobId="j", **retry_config(("FAILED", 2)))
    fail(jobs_data, "dev0")
    fail(jobs_data, "dev0")
    assert latest(iot, "j", "dev0")["executionNumber"] == 3  # the new allowance applies


def test_retry_of_a_timeout_is_queued_when_the_timeout_fell_due(mock, iot, jobs_data):
    """A long jump applies what fell due at its own time: the retry of a timeout is
    queued at the timeout, not at the end of the jump."""
    [arn] = make_things(iot, 1)
    create_job(iot, "j", [arn], **TIMEOUT_10, **retry_config(("TIMED_OUT", 1)))
    started = jobs_data.start_next_pending_job_execution(thingName="dev0")["execution"]["startedAt"]
    mock.advance_time(hours=6)
    first, retry = runs(iot, "j", "dev0")
    assert abs(first["lastUpdatedAt"].timestamp() - (started + 600)) <= 1
    assert abs(retry["queuedAt"].timestamp() - (started + 600)) <= 1
