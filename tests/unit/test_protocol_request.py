"""Request parsing: every location, typed per the input shape; wrong types are 400s."""

from __future__ import annotations

import json
from typing import Any, Dict, Optional

import pytest

from mock_iotjobs.protocol.errors import ServiceError
from mock_iotjobs.protocol.models import IOT, JOBS_DATA
from mock_iotjobs.protocol.request import parse_request


def parse(
    service: str,
    operation: str,
    labels: Optional[Dict[str, str]] = None,
    query: str = "",
    body: Any = None,
    headers: Optional[Dict[str, str]] = None,
) -> Dict[str, Any]:
    raw = body if isinstance(body, bytes) else (json.dumps(body).encode() if body is not None else b"")
    return parse_request(service, operation, labels or {}, query, headers or {}, raw)


def invalid(service: str, operation: str, **kwargs: Any) -> ServiceError:
    with pytest.raises(ServiceError) as caught:
        parse(service, operation, **kwargs)
    assert caught.value.code == "InvalidRequestException"
    assert caught.value.status_for(service) == 400
    return caught.value


def test_uri_labels_and_query_are_typed() -> None:
    params = parse(
        JOBS_DATA,
        "DescribeJobExecution",
        labels={"thingName": "dev-1", "jobId": "job-1"},
        query="includeJobDocument=true&executionNumber=7",
    )
    assert params == {"thingName": "dev-1", "jobId": "job-1", "includeJobDocument": True, "executionNumber": 7}


def test_query_integers_and_booleans() -> None:
    params = parse(IOT, "ListThings", query="maxResults=2&usePrefixAttributeValue=FALSE&attributeName=a")
    assert params == {"maxResults": 2, "usePrefixAttributeValue": False, "attributeName": "a"}


def test_query_member_names_come_from_the_wire_name() -> None:
    # ListJobExecutionsForThing: member ``maxResults`` etc.; unknown keys are ignored.
    params = parse(IOT, "ListJobExecutionsForThing", labels={"thingName": "t"}, query="status=QUEUED&bogus=1")
    assert params == {"thingName": "t", "status": "QUEUED"}


def test_json_body_members_are_typed_recursively() -> None:
    params = parse(
        JOBS_DATA,
        "UpdateJobExecution",
        labels={"thingName": "t", "jobId": "j"},
        body={
            "status": "IN_PROGRESS",
            "statusDetails": {"progress": "50%"},
            "expectedVersion": 3.0,  # an integral JSON float is a fine long
            "includeJobDocument": False,
            "stepTimeoutInMinutes": 10,
            "unknownMember": "ignored",
        },
    )
    assert params == {
        "thingName": "t",
        "jobId": "j",
        "status": "IN_PROGRESS",
        "statusDetails": {"progress": "50%"},
        "expectedVersion": 3,
        "includeJobDocument": False,
        "stepTimeoutInMinutes": 10,
    }
    assert isinstance(params["expectedVersion"], int)


def test_null_body_members_are_absent() -> None:
    params = parse(IOT, "CreateThing", labels={"thingName": "t"}, body={"thingTypeName": None})
    assert params == {"thingName": "t"}


def test_nested_structures_and_lists() -> None:
    params = parse(
        IOT,
        "CreateJob",
        labels={"jobId": "j"},
        body={
            "targets": ["arn:aws:iot:us-east-1:123456789012:thing/t"],
            "presignedUrlConfig": {"expiresInSec": 600},
            "abortConfig": {
                "criteriaList": [
                    {
                        "failureType": "FAILED",
                        "action": "CANCEL",
                        "thresholdPercentage": 50,
                        "minNumberOfExecutedThings": 1,
                    }
                ]
            },
        },
    )
    assert params["targets"] == ["arn:aws:iot:us-east-1:123456789012:thing/t"]
    assert params["presignedUrlConfig"] == {"expiresInSec": 600}
    criteria = params["abortConfig"]["criteriaList"][0]
    assert criteria["thresholdPercentage"] == 50.0 and isinstance(criteria["thresholdPercentage"], float)


@pytest.mark.parametrize(
    "body,where",
    [
        ({"expectedVersion": "abc"}, "expectedVersion"),
        ({"expectedVersion": True}, "expectedVersion"),
        ({"expectedVersion": 1.5}, "expectedVersion"),
        ({"expectedVersion": 2**63}, "expectedVersion"),
        ({"status": 5}, "status"),
        ({"statusDetails": ["not", "a", "map"]}, "statusDetails"),
        ({"statusDetails": {"k": 1}}, "statusDetails.k"),
        ({"includeJobDocument": "true"}, "includeJobDocument"),
    ],
)
def test_wrong_json_types_are_invalid_requests(body: Dict[str, Any], where: str) -> None:
    error = invalid(JOBS_DATA, "UpdateJobExecution", labels={"thingName": "t", "jobId": "j"}, body=body)
    assert f"at '{where}'" in error.message


@pytest.mark.parametrize(
    "query,where",
    [
        ("maxResults=abc", "maxResults"),
        ("usePrefixAttributeValue=yes", "usePrefixAttributeValue"),
        ("maxResults=99999999999", "maxResults"),
    ],
)
def test_wrong_query_types_are_invalid_requests(query: str, where: str) -> None:
    error = invalid(IOT, "ListThings", query=query)
    assert f"at '{where}'" in error.message


@pytest.mark.parametrize("body", [b"{not json", b"\xff\xfe", b"[1, 2]", b'"text"'])
def test_malformed_or_non_object_bodies_are_invalid_requests(body: bytes) -> None:
    invalid(IOT, "UpdateThing", labels={"thingName": "t"}, body=body)


def test_timestamps_accept_epoch_seconds_and_iso8601() -> None:
    # ListAuditFindings is a model operation with timestamp members in its body.
    params = parse(IOT, "ListAuditFindings", body={"startTime": 1700000000, "endTime": "2023-11-14T22:13:20Z"})
    assert params == {"startTime": 1700000000.0, "endTime": 1700000000.0}
    invalid(IOT, "ListAuditFindings", body={"startTime": "yesterday"})


def test_empty_body_gives_only_labels() -> None:
    assert parse(IOT, "UpdateThing", labels={"thingName": "t"}) == {"thingName": "t"}
