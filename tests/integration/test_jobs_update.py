"""UpdateJob end to end through boto3 (issue 3).

The members the model lets UpdateJob change, what it must leave alone, and
that a new ``timeoutConfig`` applies only to executions that start after the
update (read through both planes' ``approximateSecondsBeforeTimedOut``).
"""

from __future__ import annotations

import json
from typing import Any, Dict, List

import boto3
import pytest
from botocore.exceptions import ClientError
from jobs_support import (  # noqa: F401  (fixtures are used by name)
    ACCOUNT,
    CREDS,
    NO_RETRY,
    REGION,
    UNVALIDATED,
    data,
    iot,
    job,
    mock,
    raw_iot,
    thing_arn,
    thing_views,
    things,
)

from mock_iotjobs import MockIotJobs

DOC = json.dumps({"operation": "update"})
ROLE = "arn:aws:iam::123456789012:role/jobs-s3"


def error(excinfo: pytest.ExceptionInfo) -> Dict[str, Any]:
    response = excinfo.value.response
    return {"code": response["Error"]["Code"], "status": response["ResponseMetadata"]["HTTPStatusCode"]}


def world(iot: Any, data: Any, thing_names: List[str]) -> Dict[str, Any]:
    state: Dict[str, Any] = {"jobs": iot.list_jobs()["jobs"]}
    for summary in state["jobs"]:
        state[summary["jobId"]] = iot.describe_job(jobId=summary["jobId"])
        state[summary["jobId"]].pop("ResponseMetadata")
        state[summary["jobId"] + "/doc"] = iot.get_job_document(jobId=summary["jobId"])["document"]
        executions = iot.list_job_executions_for_job(jobId=summary["jobId"])["executionSummaries"]
        state[summary["jobId"] + "/executions"] = executions
    state.update(thing_views(iot, data, thing_names, executions=False))
    return state


def test_update_job_changes_the_updatable_members(iot: Any, mock: MockIotJobs) -> None:
    things(iot, "t")
    iot.create_job(
        jobId="j",
        targets=[thing_arn("t")],
        document=DOC,
        description="before",
        timeoutConfig={"inProgressTimeoutInMinutes": 10},
    )
    created = job(iot, "j")
    mock.advance_time(seconds=30)
    updates = {
        "description": "after",
        "presignedUrlConfig": {"roleArn": ROLE, "expiresInSec": 900},
        "jobExecutionsRolloutConfig": {
            "maximumPerMinute": 200,
            "exponentialRate": {
                "baseRatePerMinute": 10,
                "incrementFactor": 2.0,
                "rateIncreaseCriteria": {"numberOfNotifiedThings": 5},
            },
        },
        "abortConfig": {
            "criteriaList": [
                {"failureType": "ALL", "action": "CANCEL", "thresholdPercentage": 20.0, "minNumberOfExecutedThings": 3}
            ]
        },
        "timeoutConfig": {"inProgressTimeoutInMinutes": 60},
        "jobExecutionsRetryConfig": {"criteriaList": [{"failureType": "TIMED_OUT", "numberOfRetries": 3}]},
    }
    answer = iot.update_job(jobId="j", **updates)
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert set(answer) == {"ResponseMetadata"}
    updated = job(iot, "j")
    for member, value in updates.items():
        assert updated[member] == value, member
    assert updated["createdAt"] == created["createdAt"]
    assert updated["lastUpdatedAt"].timestamp() >= created["lastUpdatedAt"].timestamp() + 30 - 0.002
    # What UpdateJob does not touch stays.
    for member in ("jobArn", "targets", "targetSelection", "status", "jobProcessDetails"):
        assert updated[member] == created[member], member
    assert iot.get_job_document(jobId="j")["document"] == DOC


def test_update_job_leaves_members_it_is_not_given(iot: Any) -> None:
    things(iot, "t")
    iot.create_job(
        jobId="j",
        targets=[thing_arn("t")],
        document=DOC,
        description="keep me",
        presignedUrlConfig={"roleArn": ROLE, "expiresInSec": 300},
        timeoutConfig={"inProgressTimeoutInMinutes": 10},
    )
    iot.update_job(jobId="j", abortConfig={
        "criteriaList": [
            {"failureType": "FAILED", "action": "CANCEL", "thresholdPercentage": 50.0, "minNumberOfExecutedThings": 1}
        ]
    })  # fmt: skip
    updated = job(iot, "j")
    assert updated["description"] == "keep me"
    assert updated["presignedUrlConfig"] == {"roleArn": ROLE, "expiresInSec": 300}
    assert updated["timeoutConfig"] == {"inProgressTimeoutInMinutes": 10}
    assert updated["abortConfig"]["criteriaList"][0]["failureType"] == "FAILED"


def test_update_missing_job_is_404(iot: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        iot.update_job(jobId="nope", description="x")
    assert error(excinfo) == {"code": "ResourceNotFoundException", "status": 404}


INVALID_UPDATES = [
    pytest.param({"description": "bad\u0007bell"}, id="control-char-description"),
    pytest.param({"presignedUrlConfig": {"roleArn": ROLE, "expiresInSec": 30}}, id="expires-too-short"),
    pytest.param({"presignedUrlConfig": {"roleArn": ROLE, "expiresInSec": 7200}}, id="expires-too-long"),
    pytest.param({"jobExecutionsRolloutConfig": {"maximumPerMinute": 0}}, id="rollout-zero"),
    pytest.param({"timeoutConfig": {"inProgressTimeoutInMinutes": 0}}, id="timeout-zero"),
    pytest.param({"timeoutConfig": {"inProgressTimeoutInMinutes": 10081}}, id="timeout-over-7-days"),
    pytest.param({"abortConfig": {"criteriaList": []}}, id="abort-empty"),
    pytest.param(
        {"jobExecutionsRetryConfig": {"criteriaList": [{"failureType": "FAILED", "numberOfRetries": 11}]}},
        id="too-many-retries",
    ),
]


@pytest.mark.parametrize("update", INVALID_UPDATES)
def test_refused_update_changes_nothing(raw_iot: Any, iot: Any, data: Any, update: Dict[str, Any]) -> None:
    things(iot, "t")
    iot.create_job(
        jobId="j",
        targets=[thing_arn("t")],
        document=DOC,
        description="d",
        timeoutConfig={"inProgressTimeoutInMinutes": 10},
    )
    before = world(iot, data, ["t"])
    # A valid member alongside the bad one must not be applied either.
    with pytest.raises(ClientError) as excinfo:
        raw_iot.update_job(jobId="j", **{"description": "half-applied", **update})
    assert error(excinfo) == {"code": "InvalidRequestException", "status": 400}
    assert world(iot, data, ["t"]) == before


def test_update_job_cannot_change_targets_or_document(raw_iot: Any, iot: Any, data: Any) -> None:
    things(iot, "t", "u")
    iot.create_job(jobId="j", targets=[thing_arn("t")], document=DOC)
    before = world(iot, data, ["t", "u"])
    sneaky = boto3.client("iot", region_name=REGION, config=NO_RETRY, **CREDS)

    def add_members(params: Dict[str, Any], **_: Any) -> None:
        body = json.loads(params["body"] or b"{}")
        body.update({"targets": [thing_arn("u")], "document": '{"other": 1}', "targetSelection": "CONTINUOUS"})
        params["body"] = json.dumps(body).encode()

    # Members the model does not have for UpdateJob, added to the serialised body.
    sneaky.meta.events.register_first("before-call.iot.UpdateJob", add_members)
    try:
        sneaky.update_job(jobId="j", description="ok")
    except ClientError as refused:
        assert refused.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    after = world(iot, data, ["t", "u"])
    # At most the description (a member UpdateJob may change) differs.
    after["j"]["job"].pop("description", None)
    after["j"]["job"]["lastUpdatedAt"] = before["j"]["job"]["lastUpdatedAt"]
    after["jobs"][0]["lastUpdatedAt"] = before["jobs"][0]["lastUpdatedAt"]
    assert after == before


def _seconds_left(iot: Any, data: Any, thing: str) -> List[int]:
    """approximateSecondsBeforeTimedOut as the control plane and the device see it."""
    control = iot.describe_job_execution(jobId="j", thingName=thing)["execution"]
    device = data.describe_job_execution(jobId="j", thingName=thing, includeJobDocument=False)["execution"]
    return [control.get("approximateSecondsBeforeTimedOut"), device.get("approximateSecondsBeforeTimedOut")]


def test_new_timeout_applies_only_to_executions_started_afterwards(iot: Any, data: Any, mock: MockIotJobs) -> None:
    things(iot, "early", "late")
    iot.create_job(
        jobId="j",
        targets=[thing_arn("early"), thing_arn("late")],
        document=DOC,
        timeoutConfig={"inProgressTimeoutInMinutes": 10},
    )
    data.start_next_pending_job_execution(thingName="early")
    mock.advance_time(minutes=1)
    iot.update_job(jobId="j", timeoutConfig={"inProgressTimeoutInMinutes": 60})
    assert job(iot, "j")["timeoutConfig"] == {"inProgressTimeoutInMinutes": 60}
    for seconds in _seconds_left(iot, data, "early"):
        assert 539 <= seconds <= 540  # still the old ten minutes, one gone
    started = data.start_next_pending_job_execution(thingName="late")["execution"]
    assert 3599 <= started["approximateSecondsBeforeTimedOut"] <= 3600
    for seconds in _seconds_left(iot, data, "late"):
        assert 3599 <= seconds <= 3600
    # A device update does not re-arm the job's in-progress timer.
    data.update_job_execution(jobId="j", thingName="early", status="IN_PROGRESS")
    for seconds in _seconds_left(iot, data, "early"):
        assert 539 <= seconds <= 540
    mock.advance_time(minutes=9, seconds=30)
    assert iot.describe_job_execution(jobId="j", thingName="early")["execution"]["status"] == "TIMED_OUT"
    late = iot.describe_job_execution(jobId="j", thingName="late")["execution"]
    assert late["status"] == "IN_PROGRESS"
    assert 3599 - 630 <= late["approximateSecondsBeforeTimedOut"] <= 3600 - 570
    mock.advance_time(minutes=51)
    assert iot.describe_job_execution(jobId="j", thingName="late")["execution"]["status"] == "TIMED_OUT"
    assert job(iot, "j")["jobProcessDetails"]["numberOfTimedOutThings"] == 2


def test_timeout_added_by_update_spares_running_executions(iot: Any, data: Any, mock: MockIotJobs) -> None:
    things(iot, "early", "late")
    iot.create_job(jobId="j", targets=[thing_arn("early"), thing_arn("late")], document=DOC)
    data.start_next_pending_job_execution(thingName="early")
    iot.update_job(jobId="j", timeoutConfig={"inProgressTimeoutInMinutes": 5})
    assert _seconds_left(iot, data, "early") == [None, None]
    data.start_next_pending_job_execution(thingName="late")
    for seconds in _seconds_left(iot, data, "late"):
        assert 299 <= seconds <= 300
    mock.advance_time(minutes=6)
    assert iot.describe_job_execution(jobId="j", thingName="early")["execution"]["status"] == "IN_PROGRESS"
    assert iot.describe_job_execution(jobId="j", thingName="late")["execution"]["status"] == "TIMED_OUT"
