"""Issue 5, abort criteria (``abortConfig``), end to end with boto3.

Once at least ``minNumberOfExecutedThings`` things have finished and the share
of them failing with ``failureType`` reaches ``thresholdPercentage``, the job
is canceled (``CANCEL``) with an auto-populated ``reasonCode``; its executions
follow the CancelJob rules (QUEUED ones are canceled, IN_PROGRESS ones run on).
Timeouts are driven by ``advance_time``.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List

import pytest
from botocore.exceptions import ClientError

DOCUMENT = '{"operation": "update"}'
REASON_CODE = re.compile(r"[A-Z0-9_]+")  # the model's pattern: [\p{Upper}\p{Digit}_]+


def make_things(iot: Any, n: int, prefix: str = "dev") -> List[str]:
    return [iot.create_thing(thingName=f"{prefix}{i}")["thingArn"] for i in range(n)]


def abort_config(*criteria: Any) -> Dict[str, Any]:
    return {
        "abortConfig": {
            "criteriaList": [
                {
                    "failureType": kind,
                    "action": "CANCEL",
                    "thresholdPercentage": threshold,
                    "minNumberOfExecutedThings": minimum,
                }
                for kind, threshold, minimum in criteria
            ]
        }
    }


def create_job(iot: Any, job_id: str, targets: List[str], **config: Any) -> None:
    iot.create_job(jobId=job_id, targets=targets, document=DOCUMENT, **config)


def job(iot: Any, job_id: str = "j") -> Dict[str, Any]:
    return iot.describe_job(jobId=job_id)["job"]


def counts(iot: Any, job_id: str = "j") -> Dict[str, int]:
    d = job(iot, job_id)["jobProcessDetails"]
    return {k[len("numberOf") : -len("Things")]: v for k, v in d.items() if k.startswith("numberOf") and v}


def status_of(iot: Any, thing: str, job_id: str = "j") -> str:
    return iot.describe_job_execution(jobId=job_id, thingName=thing)["execution"]["status"]


def report(jobs_data: Any, thing: str, status: str, job_id: str = "j") -> None:
    jobs_data.start_next_pending_job_execution(thingName=thing)
    jobs_data.update_job_execution(thingName=thing, jobId=job_id, status=status)


def assert_aborted(described: Dict[str, Any]) -> None:
    assert described["status"] == "CANCELED"
    assert REASON_CODE.fullmatch(described.get("reasonCode", "")), described.get("reasonCode")
    assert not described.get("forceCanceled")


# --- threshold reached ---------------------------------------------------------------------
@pytest.mark.iot_jobs_events("JOB", "JOB_EXECUTION")
def test_threshold_reached_cancels_the_job_and_its_queued_executions(mock, iot, jobs_data):
    arns = make_things(iot, 5)
    create_job(iot, "j", arns, **abort_config(("FAILED", 50, 2)))
    jobs_data.start_next_pending_job_execution(thingName="dev4")  # stays IN_PROGRESS
    report(jobs_data, "dev0", "FAILED")
    assert job(iot)["status"] == "IN_PROGRESS"  # 1 executed thing: below the minimum of 2
    report(jobs_data, "dev1", "SUCCEEDED")  # 2 executed, 1 failed: 50% reaches the threshold

    described = job(iot)
    assert_aborted(described)
    # CancelJob rules: QUEUED executions are canceled, IN_PROGRESS ones keep running.
    assert [status_of(iot, f"dev{i}") for i in range(5)] == [
        "FAILED",
        "SUCCEEDED",
        "CANCELED",
        "CANCELED",
        "IN_PROGRESS",
    ]
    assert counts(iot) == {"Failed": 1, "Succeeded": 1, "Canceled": 2, "InProgress": 1}
    assert jobs_data.get_pending_job_executions(thingName="dev2")["queuedJobs"] == []
    assert any(e.topic == "$aws/events/job/j/canceled" for e in mock.events())

    # The device still running may finish; the job stays CANCELED.
    jobs_data.update_job_execution(thingName="dev4", jobId="j", status="SUCCEEDED")
    assert status_of(iot, "dev4") == "SUCCEEDED"
    assert job(iot)["status"] == "CANCELED"


def test_timeouts_reaching_the_threshold_abort_the_job_when_the_clock_moves(mock, iot, jobs_data):
    arns = make_things(iot, 4)
    create_job(
        iot,
        "j",
        arns,
        timeoutConfig={"inProgressTimeoutInMinutes": 5},
        **abort_config(("TIMED_OUT", 60, 2)),
    )
    jobs_data.start_next_pending_job_execution(thingName="dev0")
    jobs_data.start_next_pending_job_execution(thingName="dev1")
    report(jobs_data, "dev2", "SUCCEEDED")
    mock.advance_time(minutes=4)
    assert job(iot)["status"] == "IN_PROGRESS"
    mock.advance_time(minutes=1)  # 2 timed out of 3 executed: 66.7% >= 60%
    assert_aborted(job(iot))
    assert counts(iot) == {"TimedOut": 2, "Succeeded": 1, "Canceled": 1}


# --- not reached -------------------------------------------------------------------------------
def test_threshold_not_reached_leaves_the_job_in_progress_until_it_completes(mock, iot, jobs_data):
    arns = make_things(iot, 4)
    create_job(iot, "j", arns, **abort_config(("FAILED", 50, 2)))
    report(jobs_data, "dev0", "SUCCEEDED")
    report(jobs_data, "dev1", "SUCCEEDED")
    report(jobs_data, "dev2", "FAILED")  # 1 of 3: 33%
    described = job(iot)
    assert described["status"] == "IN_PROGRESS"
    assert "reasonCode" not in described
    assert status_of(iot, "dev3") == "QUEUED"
    report(jobs_data, "dev3", "SUCCEEDED")  # 1 of 4: 25%
    assert job(iot)["status"] == "COMPLETED"


def test_only_the_configured_failure_type_counts(mock, iot, jobs_data):
    arns = make_things(iot, 3)
    create_job(iot, "j", arns, **abort_config(("REJECTED", 50, 2)))
    report(jobs_data, "dev0", "FAILED")
    report(jobs_data, "dev1", "FAILED")  # 100% failed, 0% rejected
    assert job(iot)["status"] == "IN_PROGRESS"
    report(jobs_data, "dev2", "REJECTED")  # 1 of 3 rejected: 33%
    assert job(iot)["status"] == "COMPLETED"


def test_canceled_executions_are_not_failures(mock, iot, jobs_data):
    arns = make_things(iot, 4)
    create_job(iot, "j", arns, **abort_config(("ALL", 50, 2)))
    iot.cancel_job_execution(jobId="j", thingName="dev0")
    iot.cancel_job_execution(jobId="j", thingName="dev1")
    report(jobs_data, "dev2", "SUCCEEDED")
    assert job(iot)["status"] == "IN_PROGRESS"
    report(jobs_data, "dev3", "SUCCEEDED")
    assert job(iot)["status"] == "COMPLETED"


# --- minNumberOfExecutedThings ----------------------------------------------------------------------
def test_minimum_number_of_executed_things_is_respected(mock, iot, jobs_data):
    arns = make_things(iot, 5)
    create_job(iot, "j", arns, **abort_config(("FAILED", 10, 3)))
    report(jobs_data, "dev0", "FAILED")
    report(jobs_data, "dev1", "FAILED")  # 100% failed, but only 2 executed
    assert job(iot)["status"] == "IN_PROGRESS"
    assert counts(iot) == {"Failed": 2, "Queued": 3}
    report(jobs_data, "dev2", "SUCCEEDED")  # 3 executed: 66% >= 10%
    assert_aborted(job(iot))
    assert counts(iot) == {"Failed": 2, "Succeeded": 1, "Canceled": 2}


def test_in_progress_and_queued_things_are_not_executed_things(mock, iot, jobs_data):
    arns = make_things(iot, 4)
    create_job(iot, "j", arns, **abort_config(("FAILED", 50, 2)))
    jobs_data.start_next_pending_job_execution(thingName="dev1")
    jobs_data.start_next_pending_job_execution(thingName="dev2")
    report(jobs_data, "dev0", "FAILED")  # 1 executed (2 IN_PROGRESS, 1 QUEUED don't count)
    assert job(iot)["status"] == "IN_PROGRESS"


# --- failureType ALL ------------------------------------------------------------------------------------
def test_all_counts_failed_rejected_and_timed_out_together(mock, iot, jobs_data):
    arns = make_things(iot, 6)
    create_job(
        iot,
        "j",
        arns,
        timeoutConfig={"inProgressTimeoutInMinutes": 5},
        **abort_config(("ALL", 75, 4)),
    )
    report(jobs_data, "dev0", "FAILED")
    report(jobs_data, "dev1", "REJECTED")
    report(jobs_data, "dev2", "SUCCEEDED")
    assert job(iot)["status"] == "IN_PROGRESS"  # 3 executed: below the minimum
    jobs_data.start_next_pending_job_execution(thingName="dev3")
    mock.advance_time(minutes=5)  # dev3 times out: 3 of 4 = 75%
    assert_aborted(job(iot))
    assert counts(iot) == {"Failed": 1, "Rejected": 1, "Succeeded": 1, "TimedOut": 1, "Canceled": 2}


def test_any_criterion_of_the_list_aborts(mock, iot, jobs_data):
    arns = make_things(iot, 4)
    create_job(iot, "j", arns, **abort_config(("FAILED", 90, 1), ("REJECTED", 50, 2)))
    report(jobs_data, "dev0", "REJECTED")
    assert job(iot)["status"] == "IN_PROGRESS"  # FAILED: 0%; REJECTED: below its minimum
    report(jobs_data, "dev1", "SUCCEEDED")  # REJECTED: 1 of 2 = 50%
    assert_aborted(job(iot))


# --- with retries ---------------------------------------------------------------------------------------
def test_a_retried_failure_is_not_counted_while_its_retry_is_pending(mock, iot, jobs_data):
    arns = make_things(iot, 3)
    create_job(
        iot,
        "j",
        arns,
        jobExecutionsRetryConfig={"criteriaList": [{"failureType": "FAILED", "numberOfRetries": 1}]},
        **abort_config(("FAILED", 50, 2)),
    )
    report(jobs_data, "dev0", "FAILED")  # retried: dev0's latest execution is QUEUED
    report(jobs_data, "dev1", "SUCCEEDED")
    assert job(iot)["status"] == "IN_PROGRESS"
    assert counts(iot) == {"Queued": 2, "Succeeded": 1}
    report(jobs_data, "dev0", "FAILED")  # no retry left: 1 of 2 failed
    assert_aborted(job(iot))


# --- validation -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "criterion",
    [
        {"failureType": "FAILED", "action": "CANCEL", "thresholdPercentage": 101, "minNumberOfExecutedThings": 1},
        {"failureType": "FAILED", "action": "CANCEL", "thresholdPercentage": 50, "minNumberOfExecutedThings": 0},
        {"failureType": "SOMETIMES", "action": "CANCEL", "thresholdPercentage": 50, "minNumberOfExecutedThings": 1},
        {"failureType": "FAILED", "action": "PAUSE", "thresholdPercentage": 50, "minNumberOfExecutedThings": 1},
    ],
    ids=["threshold-over-100", "minimum-zero", "unknown-failure-type", "unknown-action"],
)
def test_invalid_abort_criteria_are_refused_and_create_nothing(make_client, criterion):
    iot = make_client("iot", validate=False)
    [arn] = make_things(iot, 1)
    with pytest.raises(ClientError) as excinfo:
        create_job(iot, "j", [arn], abortConfig={"criteriaList": [criterion]})
    assert excinfo.value.response["Error"]["Code"] == "InvalidRequestException"
    assert iot.list_jobs()["jobs"] == []


def test_abort_config_added_by_update_job_applies(mock, iot, jobs_data):
    arns = make_things(iot, 3)
    create_job(iot, "j", arns)
    report(jobs_data, "dev0", "FAILED")
    iot.update_job(jobId="j", **abort_config(("FAILED", 50, 2)))
    assert job(iot)["abortConfig"]["criteriaList"][0]["failureType"] == "FAILED"
    report(jobs_data, "dev1", "FAILED")
    assert_aborted(job(iot))
    assert status_of(iot, "dev2") == "CANCELED"
