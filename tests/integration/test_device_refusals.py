"""Every refusal of the device plane: its error code, HTTP status, body, and that nothing changed."""

from __future__ import annotations

import functools
import json
from typing import Any, Callable, Dict

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

REGION = "us-east-1"
BASE = f"https://data.jobs.iot.{REGION}.amazonaws.com"
NO_RETRY = Config(retries={"max_attempts": 1})
UNVALIDATED = Config(parameter_validation=False, retries={"max_attempts": 1})
REFUSED_DEVICE_STATUSES = ["QUEUED", "CANCELED", "TIMED_OUT", "REMOVED"]


@functools.lru_cache(maxsize=None)
def _client(service: str, validate: bool = True) -> Any:
    """One client per kind for the whole run: creating clients is the slowest part of a test."""
    return boto3.client(service, region_name=REGION, aws_access_key_id="AKIDDEVICETESTS", aws_secret_access_key="x",
                        config=NO_RETRY if validate else UNVALIDATED)


@pytest.fixture
def iot(mock: Any) -> Any:
    return _client("iot")


@pytest.fixture
def jobs_data(mock: Any) -> Any:
    return _client("iot-jobs-data")


@pytest.fixture
def loose(mock: Any) -> Any:
    """An ``iot-jobs-data`` client that lets any value through to the mock."""
    return _client("iot-jobs-data", validate=False)


@pytest.fixture
def unchanged(mock: Any) -> Callable[[], Any]:
    """``with unchanged(): ...`` asserts the block leaves the whole backend as it was."""

    class Proof:
        def __enter__(self) -> None:
            self.before = mock.backend().snapshot()

        def __exit__(self, *exc: Any) -> None:
            if exc[0] is None:
                assert mock.backend().snapshot() == self.before

    return Proof


def _things(iot: Any, *names: str) -> Dict[str, str]:
    return {name: iot.create_thing(thingName=name)["thingArn"] for name in names}


def _error(raised: Any) -> tuple:
    response = raised.value.response
    return (response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"],
            response["Error"]["Message"])


def _setup(iot: Any, jobs_data: Any) -> None:
    """Thing t: j-queued (QUEUED), j-running (IN_PROGRESS, v2, details), j-done (SUCCEEDED)."""
    arn = _things(iot, "t")["t"]
    for job_id in ("j-running", "j-queued", "j-done"):
        iot.create_job(jobId=job_id, targets=[arn], document=json.dumps({"id": job_id}))
    jobs_data.update_job_execution(thingName="t", jobId="j-running", status="IN_PROGRESS",
                                   statusDetails={"step": "1"})
    jobs_data.update_job_execution(thingName="t", jobId="j-done", status="SUCCEEDED",
                                   statusDetails={"result": "ok"})


# --- statuses a device may not report -------------------------------------------------------


@pytest.mark.parametrize("status", REFUSED_DEVICE_STATUSES)
@pytest.mark.parametrize("thing, job_id", [
    ("t", "j-queued"), ("t", "j-running"), ("t", "j-done"),
    ("t", "no-such-job"), ("no-such-thing", "j-queued"),
])
def test_device_may_not_report_status(iot: Any, jobs_data: Any, unchanged: Any,
                                      status: str, thing: str, job_id: str) -> None:
    _setup(iot, jobs_data)
    with unchanged(), pytest.raises(ClientError) as refused:
        jobs_data.update_job_execution(thingName=thing, jobId=job_id, status=status,
                                       statusDetails={"x": "y"}, expectedVersion=99)
    assert _error(refused) == ("InvalidStateTransitionException", 409,
                               f"The status of job execution cannot be changed to be {status}")


@pytest.mark.parametrize("status", REFUSED_DEVICE_STATUSES)
def test_device_may_not_report_status_over_raw_https(iot: Any, jobs_data: Any, unchanged: Any,
                                                     status: str) -> None:
    _setup(iot, jobs_data)
    with unchanged():
        answer = requests.post(f"{BASE}/things/t/jobs/j-queued", json={"status": status}, timeout=5)
    assert answer.status_code == 409
    assert answer.headers["x-amzn-ErrorType"].split(":")[0] == "InvalidStateTransitionException"
    assert answer.json()["message"] == f"The status of job execution cannot be changed to be {status}"


@pytest.mark.parametrize("status", ["DONE", "succeeded", "", "IN PROGRESS"])
@pytest.mark.parametrize("job_id", ["j-queued", "no-such-job"])
def test_status_outside_the_enum_is_an_invalid_request(iot: Any, jobs_data: Any, loose: Any, unchanged: Any,
                                                       status: str, job_id: str) -> None:
    _setup(iot, jobs_data)
    with unchanged(), pytest.raises(ClientError) as refused:
        loose.update_job_execution(thingName="t", jobId=job_id, status=status)
    code, http, message = _error(refused)
    assert (code, http) == ("InvalidRequestException", 400)
    assert "'status'" in message


# --- terminal executions ----------------------------------------------------------------------


@pytest.mark.parametrize("status", ["IN_PROGRESS", "SUCCEEDED", "FAILED", "REJECTED"])
def test_a_terminal_execution_cannot_change(iot: Any, jobs_data: Any, unchanged: Any, status: str) -> None:
    _setup(iot, jobs_data)
    with unchanged(), pytest.raises(ClientError) as refused:
        jobs_data.update_job_execution(thingName="t", jobId="j-done", status=status,
                                       statusDetails={"result": "changed"})
    code, http, _ = _error(refused)
    assert (code, http) == ("InvalidStateTransitionException", 409)
    execution = iot.describe_job_execution(jobId="j-done", thingName="t")["execution"]
    assert execution["status"] == "SUCCEEDED"
    assert execution["statusDetails"] == {"detailsMap": {"result": "ok"}}
    assert execution["versionNumber"] == 2


def test_a_terminal_refusal_carries_the_execution_state(iot: Any, jobs_data: Any) -> None:
    """ErrorResponse: executionState is included for InvalidStateTransition."""
    _setup(iot, jobs_data)
    answer = requests.post(f"{BASE}/things/t/jobs/j-done", json={"status": "IN_PROGRESS"}, timeout=5)
    assert answer.status_code == 409
    assert answer.json()["executionState"] == {"status": "SUCCEEDED", "statusDetails": {"result": "ok"},
                                               "versionNumber": 2}


@pytest.mark.parametrize("final", ["SUCCEEDED", "FAILED", "REJECTED"])
def test_describing_a_terminal_execution_is_refused_on_the_device_plane(iot: Any, jobs_data: Any,
                                                                        unchanged: Any, final: str) -> None:
    _things(iot, "t")
    iot.create_job(jobId="j", targets=[iot.describe_thing(thingName="t")["thingArn"]], document="{}")
    jobs_data.update_job_execution(thingName="t", jobId="j", status=final)
    with unchanged(), pytest.raises(ClientError) as refused:
        jobs_data.describe_job_execution(thingName="t", jobId="j")
    code, http, _ = _error(refused)
    assert (code, http) == ("TerminalStateException", 410)
    with pytest.raises(ClientError) as numbered:
        jobs_data.describe_job_execution(thingName="t", jobId="j", executionNumber=1, includeJobDocument=False)
    assert _error(numbered)[:2] == ("TerminalStateException", 410)
    # The control plane still shows it.
    assert iot.describe_job_execution(jobId="j", thingName="t")["execution"]["status"] == final
    # And $next simply moves past it.
    assert "execution" not in jobs_data.describe_job_execution(thingName="t", jobId="$next")


def test_describing_a_timed_out_execution_is_refused(iot: Any, jobs_data: Any, mock: Any) -> None:
    arn = _things(iot, "t")["t"]
    iot.create_job(jobId="j", targets=[arn], document="{}")
    jobs_data.start_next_pending_job_execution(thingName="t", stepTimeoutInMinutes=1)
    mock.advance_time(minutes=2)
    with pytest.raises(ClientError) as refused:
        jobs_data.describe_job_execution(thingName="t", jobId="j")
    assert _error(refused)[:2] == ("TerminalStateException", 410)
    assert iot.describe_job_execution(jobId="j", thingName="t")["execution"]["status"] == "TIMED_OUT"
    with pytest.raises(ClientError) as update:
        jobs_data.update_job_execution(thingName="t", jobId="j", status="SUCCEEDED")
    assert _error(update)[:2] == ("InvalidStateTransitionException", 409)


def test_describing_a_canceled_execution_is_refused(iot: Any, jobs_data: Any) -> None:
    arn = _things(iot, "t")["t"]
    iot.create_job(jobId="j", targets=[arn], document="{}")
    iot.cancel_job_execution(jobId="j", thingName="t")
    with pytest.raises(ClientError) as refused:
        jobs_data.describe_job_execution(thingName="t", jobId="j")
    assert _error(refused)[:2] == ("TerminalStateException", 410)
    assert iot.describe_job_execution(jobId="j", thingName="t")["execution"]["status"] == "CANCELED"


def test_terminal_describe_over_raw_https(iot: Any, jobs_data: Any) -> None:
    _setup(iot, jobs_data)
    answer = requests.get(f"{BASE}/things/t/jobs/j-done", timeout=5)
    assert answer.status_code == 410
    assert answer.headers["x-amzn-ErrorType"].split(":")[0] == "TerminalStateException"
    assert answer.json()["message"]


# --- expectedVersion --------------------------------------------------------------------------


@pytest.mark.parametrize("expected", [1, 3, 0])
def test_expected_version_mismatch(iot: Any, jobs_data: Any, unchanged: Any, expected: int) -> None:
    _setup(iot, jobs_data)  # j-running is at version 2
    with unchanged(), pytest.raises(ClientError) as refused:
        jobs_data.update_job_execution(thingName="t", jobId="j-running", status="SUCCEEDED",
                                       statusDetails={"step": "2"}, expectedVersion=expected)
    assert _error(refused) == ("InvalidRequestException", 400, f"Expected version {expected} but found version 2")
    assert jobs_data.meta.service_model.metadata["endpointPrefix"] == "data.jobs.iot"


def test_expected_version_mismatch_body_carries_the_execution_state(iot: Any, jobs_data: Any,
                                                                    unchanged: Any) -> None:
    _setup(iot, jobs_data)
    with unchanged():
        answer = requests.post(f"{BASE}/things/t/jobs/j-running",
                               json={"status": "IN_PROGRESS", "expectedVersion": 7}, timeout=5)
    assert answer.status_code == 400
    assert answer.headers["x-amzn-ErrorType"].split(":")[0] == "InvalidRequestException"
    body = answer.json()
    assert body["message"] == "Expected version 7 but found version 2"
    assert body["executionState"] == {"status": "IN_PROGRESS", "statusDetails": {"step": "1"},
                                      "versionNumber": 2}


def test_expected_version_mismatch_raw_body_through_botocore(iot: Any, jobs_data: Any) -> None:
    """The same body reaches a boto3 caller (botocore's raw response)."""
    _setup(iot, jobs_data)
    raw: Dict[str, Any] = {}
    jobs_data = boto3.client("iot-jobs-data", region_name=REGION, config=NO_RETRY)
    jobs_data.meta.events.register(
        "before-parse.iot-jobs-data-plane.UpdateJobExecution",
        lambda response_dict, **_: raw.update(json.loads(response_dict["body"])),
    )
    with pytest.raises(ClientError) as refused:
        jobs_data.update_job_execution(thingName="t", jobId="j-running", status="IN_PROGRESS", expectedVersion=1)
    assert refused.value.response["Error"]["Code"] == "InvalidRequestException"
    assert raw["executionState"]["versionNumber"] == 2


def test_never_a_version_conflict_on_the_device_plane(iot: Any, jobs_data: Any) -> None:
    _setup(iot, jobs_data)
    codes = set()
    for expected in (0, 1, 3, 100):
        with pytest.raises(ClientError) as refused:
            jobs_data.update_job_execution(thingName="t", jobId="j-running", status="IN_PROGRESS",
                                           expectedVersion=expected)
        codes.add(refused.value.response["Error"]["Code"])
    assert codes == {"InvalidRequestException"}
    assert "VersionConflictException" not in jobs_data.meta.service_model.shape_names


# --- stepTimeoutInMinutes and statusDetails ---------------------------------------------------


@pytest.mark.parametrize("minutes", [0, -2, 10081, 100000])
def test_update_refuses_step_timeouts_out_of_range(iot: Any, jobs_data: Any, unchanged: Any,
                                                   minutes: int) -> None:
    _setup(iot, jobs_data)
    with unchanged(), pytest.raises(ClientError) as refused:
        jobs_data.update_job_execution(thingName="t", jobId="j-running", status="IN_PROGRESS",
                                       stepTimeoutInMinutes=minutes)
    assert _error(refused)[:2] == ("InvalidRequestException", 400)


@pytest.mark.parametrize("details", [
    {"bad key": "v"},
    {"k": ""},
    {"": "v"},
    {"k" * 129: "v"},
    {"k": "bell\u0007"},
])
def test_invalid_status_details_are_refused(iot: Any, jobs_data: Any, loose: Any, unchanged: Any,
                                            details: Dict[str, str]) -> None:
    _setup(iot, jobs_data)
    with unchanged(), pytest.raises(ClientError) as update:
        loose.update_job_execution(thingName="t", jobId="j-running", status="IN_PROGRESS", statusDetails=details)
    assert _error(update)[:2] == ("InvalidRequestException", 400)
    with unchanged(), pytest.raises(ClientError) as start:
        loose.start_next_pending_job_execution(thingName="t", statusDetails=details)
    assert _error(start)[:2] == ("InvalidRequestException", 400)


# --- missing things and executions ------------------------------------------------------------


@pytest.mark.parametrize("thing, job_id", [("t", "no-such-job"), ("no-such-thing", "j-queued")])
def test_updating_a_missing_execution_is_not_found(iot: Any, jobs_data: Any, unchanged: Any,
                                                   thing: str, job_id: str) -> None:
    _setup(iot, jobs_data)
    with unchanged(), pytest.raises(ClientError) as refused:
        jobs_data.update_job_execution(thingName=thing, jobId=job_id, status="IN_PROGRESS")
    assert _error(refused)[:2] == ("ResourceNotFoundException", 404)


def test_update_with_an_unknown_execution_number_is_not_found(iot: Any, jobs_data: Any, unchanged: Any) -> None:
    _setup(iot, jobs_data)
    with unchanged(), pytest.raises(ClientError) as refused:
        jobs_data.update_job_execution(thingName="t", jobId="j-queued", status="IN_PROGRESS", executionNumber=2)
    assert _error(refused)[:2] == ("ResourceNotFoundException", 404)


def test_invalid_names_are_refused_by_validation(iot: Any, jobs_data: Any, loose: Any, unchanged: Any) -> None:
    _setup(iot, jobs_data)
    with unchanged(), pytest.raises(ClientError) as bad_thing:
        loose.get_pending_job_executions(thingName="bad thing!")
    assert _error(bad_thing)[:2] == ("InvalidRequestException", 400)
    with unchanged(), pytest.raises(ClientError) as bad_job:
        loose.describe_job_execution(thingName="t", jobId="bad job!")
    assert _error(bad_job)[:2] == ("InvalidRequestException", 400)


# --- malformed raw HTTPS requests -------------------------------------------------------------


@pytest.mark.parametrize("method, path, kwargs", [
    ("POST", "/things/t/jobs/j-queued", {"data": b"not json"}),
    ("POST", "/things/t/jobs/j-queued", {"json": {}}),
    ("POST", "/things/t/jobs/j-queued", {"json": {"status": "IN_PROGRESS", "expectedVersion": "abc"}}),
    ("POST", "/things/t/jobs/j-queued", {"json": {"status": "IN_PROGRESS", "statusDetails": {"a": 1}}}),
    ("PUT", "/things/t/jobs/$next", {"json": {"stepTimeoutInMinutes": 5.5}}),
    ("GET", "/things/t/jobs/j-queued?includeJobDocument=maybe", {}),
    ("GET", "/things/t/jobs/j-queued?executionNumber=x", {}),
])
def test_malformed_raw_requests_are_invalid(iot: Any, jobs_data: Any, unchanged: Any,
                                            method: str, path: str, kwargs: Dict[str, Any]) -> None:
    _setup(iot, jobs_data)
    with unchanged():
        answer = requests.request(method, BASE + path, timeout=5, **kwargs)
    assert answer.status_code == 400
    assert answer.headers["x-amzn-ErrorType"].split(":")[0] == "InvalidRequestException"
    assert answer.json()["message"]
