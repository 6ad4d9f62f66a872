"""Shared set-up of the control-plane job tests (issue 3): clients, a fresh mock per
test, ARNs and small helpers, so each test file holds only its own rules."""

from __future__ import annotations

import json
from typing import Any, Dict, Iterator, List

import boto3
import pytest
from botocore.config import Config

from mock_iotjobs import MockIotJobs, mock_iotjobs

ACCOUNT = "123456789012"

REGION = "us-east-1"

NO_RETRY = Config(retries={"max_attempts": 1})

UNVALIDATED = Config(retries={"max_attempts": 1}, parameter_validation=False)

CREDS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
DOC = json.dumps({"operation": "update"})

COUNT_MEMBERS = {
    "QUEUED": "numberOfQueuedThings",
    "IN_PROGRESS": "numberOfInProgressThings",
    "SUCCEEDED": "numberOfSucceededThings",
    "FAILED": "numberOfFailedThings",
    "REJECTED": "numberOfRejectedThings",
    "CANCELED": "numberOfCanceledThings",
    "TIMED_OUT": "numberOfTimedOutThings",
    "REMOVED": "numberOfRemovedThings",
}


@pytest.fixture(scope="module")
def iot() -> Any:
    return boto3.client("iot", region_name=REGION, config=NO_RETRY, **CREDS)


@pytest.fixture(scope="module")
def raw_iot() -> Any:
    """No client-side validation: the mock's own checks answer."""
    return boto3.client("iot", region_name=REGION, config=UNVALIDATED, **CREDS)


@pytest.fixture(scope="module")
def data() -> Any:
    return boto3.client("iot-jobs-data", region_name=REGION, config=NO_RETRY, **CREDS)


@pytest.fixture(autouse=True)
def mock() -> Iterator[MockIotJobs]:
    with mock_iotjobs() as handle:
        yield handle


def thing_arn(name: str, region: str = REGION, account: str = ACCOUNT) -> str:
    return f"arn:aws:iot:{region}:{account}:thing/{name}"


def group_arn(name: str, region: str = REGION, account: str = ACCOUNT) -> str:
    return f"arn:aws:iot:{region}:{account}:thinggroup/{name}"


def things(iot: Any, *names: str) -> None:
    for name in names:
        iot.create_thing(thingName=name)


def group(iot: Any, name: str, *members: str, parent: str = "") -> None:
    kwargs = {"parentGroupName": parent} if parent else {}
    iot.create_thing_group(thingGroupName=name, **kwargs)
    for member in members:
        iot.add_thing_to_thing_group(thingGroupName=name, thingName=member)


def error(excinfo: pytest.ExceptionInfo) -> Dict[str, Any]:
    response = excinfo.value.response
    return {
        "code": response["Error"]["Code"],
        "message": response["Error"].get("Message", ""),
        "status": response["ResponseMetadata"]["HTTPStatusCode"],
    }


def job_on(iot: Any, job_id: str, *names: str, **kwargs: Any) -> None:
    iot.create_job(jobId=job_id, targets=[thing_arn(n) for n in names], document=DOC, **kwargs)


def execution(iot: Any, job_id: str, thing: str, **kwargs: Any) -> Dict[str, Any]:
    return iot.describe_job_execution(jobId=job_id, thingName=thing, **kwargs)["execution"]


def report(data: Any, job_id: str, thing: str, status: str, **kwargs: Any) -> None:
    data.update_job_execution(jobId=job_id, thingName=thing, status=status, **kwargs)


def job(iot: Any, job_id: str) -> Dict[str, Any]:
    return iot.describe_job(jobId=job_id)["job"]


def thing_views(iot: Any, data: Any, thing_names: List[str], executions: bool = True) -> Dict[str, Any]:
    """What each thing shows of its jobs, for the tests' before/after ``world``s: its
    execution summaries (``thing/<name>``, control plane; left out unless ``executions``)
    and its pending jobs (``pending/<name>``, device plane)."""
    state: Dict[str, Any] = {}
    for name in thing_names:
        if executions:
            state["thing/" + name] = iot.list_job_executions_for_thing(thingName=name)["executionSummaries"]
        pending = data.get_pending_job_executions(thingName=name)
        state["pending/" + name] = (pending["inProgressJobs"], pending["queuedJobs"])
    return state


def world(iot: Any, data: Any, thing_names: List[str]) -> Dict[str, Any]:
    """Everything observable about jobs: for comparing before and after a refused call."""
    jobs = iot.list_jobs()["jobs"]
    state: Dict[str, Any] = {"jobs": jobs}
    for summary in jobs:
        job_id = summary["jobId"]
        state[job_id] = iot.describe_job(jobId=job_id)["job"]
        state[job_id + "/executions"] = iot.list_job_executions_for_job(jobId=job_id)["executionSummaries"]
    state.update(thing_views(iot, data, thing_names))
    return state
