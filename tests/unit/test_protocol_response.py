"""Response shaping and error responses, straight from the output/error shapes."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Dict

import pytest

from mock_iotjobs.protocol.errors import NotImplementedOperation, ServiceError, UnknownOperationError
from mock_iotjobs.protocol.models import IOT, JOBS_DATA
from mock_iotjobs.protocol.response import failure, new_request_id, success


def body(response: Any) -> Dict[str, Any]:
    return json.loads(response.body)


def test_none_members_are_omitted_at_every_level() -> None:
    answer = success(
        IOT,
        "DescribeThing",
        {"thingName": "t", "thingTypeName": None, "attributes": {"a": "b"}, "version": 2},
        "rid",
    )
    assert body(answer) == {"thingName": "t", "attributes": {"a": "b"}, "version": 2}
    answer = success(
        IOT,
        "ListThings",
        {"things": [{"thingName": "t", "thingTypeName": None}], "nextToken": None},
        "rid",
    )
    assert body(answer) == {"things": [{"thingName": "t"}]}


def test_timestamps_are_epoch_seconds_with_milliseconds() -> None:
    created = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
    answer = success(
        IOT,
        "DescribeJob",
        {"job": {"jobId": "j", "createdAt": 1700000000.1234567, "lastUpdatedAt": created, "comment": None}},
        "rid",
    )
    assert body(answer) == {"job": {"jobId": "j", "createdAt": 1700000000.123, "lastUpdatedAt": created.timestamp()}}


def test_longs_stay_integers() -> None:
    answer = success(JOBS_DATA, "DescribeJobExecution", {"execution": {"jobId": "j", "versionNumber": 3}}, "rid")
    assert b'"versionNumber":3' in answer.body


def test_success_headers_and_status() -> None:
    answer = success(IOT, "DescribeEndpoint", {"endpointAddress": "x"}, "rid-1")
    assert answer.status == 200
    assert answer.headers["x-amzn-RequestId"] == "rid-1"
    assert answer.headers["Content-Type"] == "application/json"
    assert body(success(IOT, "DeleteThing", None, "rid")) == {}


def test_status_code_member_becomes_the_http_status() -> None:
    # DeleteCommand's output models its HTTP status as a member.
    answer = success(IOT, "DeleteCommand", {"statusCode": 204}, "rid")
    assert answer.status == 204
    assert body(answer) == {}


@pytest.mark.parametrize(
    "service,code,status",
    [
        (IOT, "ResourceNotFoundException", 404),
        (IOT, "VersionConflictException", 409),
        (IOT, "LimitExceededException", 410),
        (IOT, "ThrottlingException", 400),
        (JOBS_DATA, "ThrottlingException", 429),
        (JOBS_DATA, "TerminalStateException", 410),
        (JOBS_DATA, "InvalidStateTransitionException", 409),
        (JOBS_DATA, "CertificateValidationException", 400),
    ],
)
def test_error_status_comes_from_the_services_model(service: str, code: str, status: int) -> None:
    answer = failure(service, ServiceError(code, "why"), "rid-2")
    assert answer.status == status
    assert answer.headers["x-amzn-ErrorType"] == code
    assert answer.headers["x-amzn-RequestId"] == "rid-2"
    assert answer.headers["Content-Type"] == "application/json"
    assert body(answer) == {"message": "why"}


def test_modeled_error_members_are_in_the_body() -> None:
    error = ServiceError("ResourceAlreadyExistsException", "exists", resourceId="id-1", resourceArn=None)
    assert body(failure(IOT, error, "rid")) == {"message": "exists", "resourceId": "id-1"}


def test_mock_specific_errors_have_clear_statuses() -> None:
    assert failure(IOT, UnknownOperationError(IOT, "GET", "/x"), "r").status == 404
    unimplemented = NotImplementedOperation(JOBS_DATA, "StartCommandExecution")
    answer = failure(JOBS_DATA, unimplemented, "r")
    assert answer.status == 501
    assert "StartCommandExecution" in body(answer)["message"]
    assert failure(IOT, ServiceError("SomethingNew", "x"), "r").status == 400


def test_request_ids_are_unique() -> None:
    assert len({new_request_id() for _ in range(100)}) == 100
