"""Routing: every model operation is reachable, literals beat labels, misses are 404s."""

from __future__ import annotations

import re
from typing import List, Tuple

import pytest

from mock_iotjobs.protocol.errors import ServiceError, UnknownOperationError
from mock_iotjobs.protocol.models import DATA, IOT, JOBS_DATA, SERVICES, service_model
from mock_iotjobs.protocol.routing import credential_scope, region_from_host, route, service_for

_LABEL = re.compile(r"\{([A-Za-z0-9_]+)\+?\}")


def _all_operations() -> List[Tuple[str, str]]:
    return [(s, op) for s in SERVICES for op in service_model(s).operation_names]


def _sample_path(request_uri: str) -> Tuple[str, dict]:
    """A concrete path for a model request URI, and the labels it should yield."""
    labels = {}

    def fill(match: "re.Match[str]") -> str:
        value = f"v-{match.group(1)}"
        labels[match.group(1)] = value
        return value

    return _LABEL.sub(fill, request_uri.split("?", 1)[0]), labels


@pytest.mark.parametrize("service,operation", _all_operations())
def test_every_model_operation_routes_to_itself(service: str, operation: str) -> None:
    http = service_model(service).operation_model(operation).http
    path, labels = _sample_path(http["requestUri"])
    assert route(service, http["method"], path) == (operation, labels)


def test_next_literal_wins_over_job_id_label() -> None:
    assert route(JOBS_DATA, "PUT", "/things/dev-1/jobs/$next") == (
        "StartNextPendingJobExecution",
        {"thingName": "dev-1"},
    )
    # botocore percent-encodes "$"; the router decodes before matching.
    assert route(JOBS_DATA, "PUT", "/things/dev-1/jobs/%24next")[0] == "StartNextPendingJobExecution"


def test_next_is_an_ordinary_job_id_for_other_methods() -> None:
    assert route(JOBS_DATA, "GET", "/things/dev-1/jobs/$next") == (
        "DescribeJobExecution",
        {"thingName": "dev-1", "jobId": "$next"},
    )
    assert route(JOBS_DATA, "POST", "/things/dev-1/jobs/job-7") == (
        "UpdateJobExecution",
        {"thingName": "dev-1", "jobId": "job-7"},
    )


def test_labels_are_percent_decoded() -> None:
    assert route(IOT, "GET", "/things/a%3Ab") == ("DescribeThing", {"thingName": "a:b"})


def test_trailing_slash_is_tolerated() -> None:
    assert route(IOT, "GET", "/things/")[0] == "ListThings"


@pytest.mark.parametrize(
    "method,path",
    [("GET", "/no/such/route"), ("DELETE", "/endpoint"), ("PUT", "/things/t/jobs/$next/extra")],
)
def test_unknown_route_is_a_404_naming_method_and_path(method: str, path: str) -> None:
    with pytest.raises(UnknownOperationError) as caught:
        route(IOT, method, path)
    error = caught.value
    assert isinstance(error, ServiceError)
    assert error.code == "UnknownOperationException"
    assert error.status_for(IOT) == 404
    assert method in error.message and path in error.message


def test_credential_scope_is_read_from_sigv4_authorization() -> None:
    header = (
        "AWS4-HMAC-SHA256 Credential=111122223333/20240101/eu-west-1/iot-jobs-data/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=abc"
    )
    assert credential_scope(header) == ("111122223333", "20240101", "eu-west-1", "iot-jobs-data")
    assert credential_scope("Bearer token") is None
    assert credential_scope("AWS4-HMAC-SHA256 Credential=short/scope") is None


def test_service_comes_from_the_signature_then_the_host() -> None:
    signed = "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/iot-jobs-data/aws4_request, X=y"
    assert service_for(signed, "iot.us-east-1.amazonaws.com") == JOBS_DATA
    assert service_for("", "data.jobs.iot.us-east-1.amazonaws.com") == JOBS_DATA
    assert service_for("", "abc123.jobs.iot.us-east-1.amazonaws.com") == JOBS_DATA
    assert service_for("", "iot.us-east-1.amazonaws.com") == IOT
    # The Data-ATS host is the iot-data plane's (device shadows, Publish).
    assert service_for("", "abc123-ats.iot.us-east-1.amazonaws.com") == DATA
    assert service_for("", "data-ats.iot.us-east-1.amazonaws.com") == DATA
    iotdata = "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/iotdata/aws4_request, X=y"
    assert service_for(iotdata, "abc123-ats.iot.us-east-1.amazonaws.com") == DATA
    signed_iot = "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/iot/aws4_request, X=y"
    assert service_for(signed_iot, "abc123-ats.iot.us-east-1.amazonaws.com") == IOT


def test_region_from_host() -> None:
    assert region_from_host("iot.eu-central-1.amazonaws.com") == "eu-central-1"
    assert region_from_host("data.jobs.iot.ap-south-1.amazonaws.com") == "ap-south-1"
    assert region_from_host("iot.cn-north-1.amazonaws.com.cn") == "cn-north-1"
    assert region_from_host("localhost:5000") is None


def test_an_encoded_slash_stays_inside_its_label() -> None:
    # ListAttachedPolicies puts a thing group ARN (with a "/") in one path label.
    target = "arn:aws:iot:us-east-1:123456789012:thinggroup/fleet"
    path = "/attached-policies/" + target.replace(":", "%3A").replace("/", "%2F")
    assert route(IOT, "POST", path) == ("ListAttachedPolicies", {"target": target})
