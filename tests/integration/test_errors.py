"""Errors look like AWS's for both services: code, status, headers, JSON body.

Checked through boto3 and with raw HTTP (``requests``) against the real
endpoint hosts, which the mock serves while it is active.
"""

from __future__ import annotations

import json
import uuid
from typing import Any, Dict

import pytest
import requests
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mock_iotjobs import MockIotJobs
from mock_iotjobs.handlers.base import HANDLERS

IOT_URL = "https://iot.us-east-1.amazonaws.com"
DATA_URL = "https://data.jobs.iot.us-east-1.amazonaws.com"


def client_error(call: Any, **params: Any) -> Dict[str, Any]:
    with pytest.raises(ClientError) as caught:
        call(**params)
    return dict(caught.value.response)


def assert_aws_error(answer: requests.Response, code: str, status: int) -> Dict[str, Any]:
    assert answer.status_code == status
    assert answer.headers["x-amzn-ErrorType"] == code
    assert answer.headers["Content-Type"] == "application/json"
    uuid.UUID(answer.headers["x-amzn-RequestId"])
    body = answer.json()
    assert isinstance(body["message"], str) and body["message"]
    return dict(body)


# --- through boto3 ---------------------------------------------------------------
def test_iot_not_found_shape(iot: Any) -> None:
    error = client_error(iot.describe_thing, thingName="ghost")
    assert error["Error"] == {"Code": "ResourceNotFoundException", "Message": "Thing ghost cannot be found."}
    meta = error["ResponseMetadata"]
    assert meta["HTTPStatusCode"] == 404
    assert meta["HTTPHeaders"]["x-amzn-errortype"] == "ResourceNotFoundException"
    assert meta["HTTPHeaders"]["x-amzn-requestid"] == meta["RequestId"]
    uuid.UUID(meta["RequestId"])


def test_iot_modeled_error_members_reach_the_client(iot: Any) -> None:
    created = iot.create_thing(thingName="t", attributePayload={"attributes": {"a": "1"}})
    error = client_error(iot.create_thing, thingName="t", attributePayload={"attributes": {"a": "2"}})
    assert error["Error"]["Code"] == "ResourceAlreadyExistsException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 409
    assert error["resourceId"] == created["thingId"]
    assert error["resourceArn"] == created["thingArn"]


def test_device_not_found_shape(jobs_data: Any) -> None:
    error = client_error(jobs_data.get_pending_job_executions, thingName="ghost")
    assert error["Error"]["Code"] == "ResourceNotFoundException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert error["ResponseMetadata"]["HTTPHeaders"]["x-amzn-errortype"] == "ResourceNotFoundException"


def test_status_comes_from_each_services_model(iot: Any, jobs_data: Any, mock: MockIotJobs) -> None:
    # ThrottlingException is a 400 in the iot model and a 429 in iot-jobs-data.
    iot.create_thing(thingName="t")
    mock.fail_next("ListThings", "ThrottlingException")
    mock.fail_next("GetPendingJobExecutions", "ThrottlingException")
    iot_error = client_error(iot.list_things)
    data_error = client_error(jobs_data.get_pending_job_executions, thingName="t")
    assert iot_error["Error"]["Code"] == data_error["Error"]["Code"] == "ThrottlingException"
    assert iot_error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert data_error["ResponseMetadata"]["HTTPStatusCode"] == 429
    # Each injected fault fires once.
    assert iot.list_things()["things"][0]["thingName"] == "t"


def test_a_failed_call_changes_nothing(iot: Any) -> None:
    iot.create_thing(thingName="t", attributePayload={"attributes": {"a": "1"}})
    client_error(iot.update_thing, thingName="t", expectedVersion=7, attributePayload={"attributes": {"a": "2"}})
    described = iot.describe_thing(thingName="t")
    assert (described["version"], described["attributes"]) == (1, {"a": "1"})


# --- raw HTTP with requests ---------------------------------------------------
def test_raw_iot_error_shape(mock: MockIotJobs) -> None:
    body = assert_aws_error(requests.get(f"{IOT_URL}/things/ghost", timeout=5), "ResourceNotFoundException", 404)
    assert body == {"message": "Thing ghost cannot be found."}


def test_raw_device_validation_error_shape(mock: MockIotJobs) -> None:
    answer = requests.post(f"{DATA_URL}/things/bad%20name!/jobs/job-1", json={"status": "BOGUS"}, timeout=5)
    body = assert_aws_error(answer, "InvalidRequestException", 400)
    assert body["message"].startswith("2 validation errors detected: Value 'bad name!' at 'thingName'")


def test_raw_success_shape(iot: Any) -> None:
    iot.create_thing(thingName="t")
    answer = requests.get(f"{IOT_URL}/things/t", timeout=5)
    assert answer.status_code == 200
    assert "x-amzn-ErrorType" not in answer.headers
    uuid.UUID(answer.headers["x-amzn-RequestId"])
    assert answer.json()["thingArn"] == "arn:aws:iot:us-east-1:123456789012:thing/t"


@pytest.mark.parametrize(
    "method,url,payload",
    [
        ("PATCH", f"{IOT_URL}/things/t", {"expectedVersion": "abc"}),
        ("PATCH", f"{IOT_URL}/things/t", {"attributePayload": {"merge": "yes"}}),
        ("PATCH", f"{IOT_URL}/things/t", {"attributePayload": {"attributes": {"k": 5}}}),
        ("POST", f"{IOT_URL}/things/u", {"attributePayload": ["not", "an", "object"]}),
        ("POST", f"{DATA_URL}/things/t/jobs/job-1", {"status": "IN_PROGRESS", "expectedVersion": "abc"}),
        ("POST", f"{DATA_URL}/things/t/jobs/job-1", {"status": 3}),
        ("PUT", f"{DATA_URL}/things/t/jobs/$next", {"stepTimeoutInMinutes": "ten"}),
    ],
)
def test_wrong_json_types_are_invalid_requests(iot: Any, method: str, url: str, payload: Any) -> None:
    iot.create_thing(thingName="t")
    answer = requests.request(method, url, data=json.dumps(payload), timeout=5)
    assert_aws_error(answer, "InvalidRequestException", 400)
    assert iot.describe_thing(thingName="t")["version"] == 1


@pytest.mark.parametrize("url", [f"{IOT_URL}/things?maxResults=ten", f"{DATA_URL}/things/t/jobs/j?executionNumber=x"])
def test_wrong_query_types_are_invalid_requests(mock: MockIotJobs, url: str) -> None:
    assert_aws_error(requests.get(url, timeout=5), "InvalidRequestException", 400)


@pytest.mark.parametrize(
    "method,url",
    [("PATCH", f"{IOT_URL}/things/t"), ("POST", f"{DATA_URL}/things/t/jobs/job-1")],
)
@pytest.mark.parametrize("body", [b"{not json", b"\xff\xfe\x00", b"[]", b"42"])
def test_malformed_json_is_a_400(iot: Any, method: str, url: str, body: bytes) -> None:
    iot.create_thing(thingName="t")
    assert_aws_error(requests.request(method, url, data=body, timeout=5), "InvalidRequestException", 400)


@pytest.mark.parametrize("base", [IOT_URL, DATA_URL])
def test_unknown_route_names_method_and_path(mock: MockIotJobs, base: str) -> None:
    answer = requests.delete(f"{base}/no/such/thing", timeout=5)
    body = assert_aws_error(answer, "UnknownOperationException", 404)
    assert "DELETE" in body["message"] and "/no/such/thing" in body["message"]


def test_unimplemented_iot_operation_names_itself(mock: MockIotJobs) -> None:
    assert ("iot", "DescribeAuthorizer") not in HANDLERS
    answer = requests.get(f"{IOT_URL}/authorizer/my-authorizer", timeout=5)
    body = assert_aws_error(answer, "NotImplementedException", 501)
    assert "iot DescribeAuthorizer" in body["message"]


def test_unimplemented_device_operation_names_itself(make_client: Any) -> None:
    if ("iot-jobs-data", "StartCommandExecution") in HANDLERS:
        pytest.skip("StartCommandExecution is implemented now")
    device = make_client("iot-jobs-data")
    error = client_error(
        device.start_command_execution,
        targetArn="arn:aws:iot:us-east-1:123456789012:thing/t",
        commandArn="arn:aws:iot:us-east-1:123456789012:command/c",
    )
    assert error["Error"]["Code"] == "NotImplementedException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 501
    assert "iot-jobs-data StartCommandExecution" in error["Error"]["Message"]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)
members = st.sampled_from(
    [
        "status",
        "statusDetails",
        "expectedVersion",
        "stepTimeoutInMinutes",
        "includeJobDocument",
        "executionNumber",
        "attributePayload",
        "thingTypeName",
        "removeThingType",
        "x",
    ]
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.dictionaries(members, json_values, max_size=4),
    target=st.sampled_from(
        [
            ("PATCH", f"{IOT_URL}/things/t"),
            ("POST", f"{DATA_URL}/things/t/jobs/j"),
            ("PUT", f"{DATA_URL}/things/t/jobs/$next"),
        ]
    ),
)
def test_arbitrary_json_never_causes_a_server_error(mock: MockIotJobs, body: Dict[str, Any], target: Any) -> None:
    method, url = target
    answer = requests.request(method, url, data=json.dumps(body), timeout=5)
    assert answer.status_code < 500, answer.text
    if answer.status_code >= 400:
        assert answer.headers["x-amzn-ErrorType"]
        assert answer.json()["message"]
