"""Hostile input in-process (issue 14): a broken clock, lone surrogates, fake regions,
deeply nested JSON.  Each is refused AWS-style and changes nothing."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from botocore.exceptions import ClientError

from mock_iotjobs import mock_iotjobs
from mock_iotjobs.handle import MockIotJobs

LONE = "\ud800"


def _error(info: Any) -> Any:
    return info.value.response["Error"]["Code"], info.value.response["ResponseMetadata"]["HTTPStatusCode"]


# --- the clock -----------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs",
    [
        {"seconds": math.nan},
        {"seconds": math.inf},
        {"minutes": -math.inf},
        {"hours": -1},
        {"seconds": 1e308},
        {"hours": 10**400},
        {"seconds": "10"},
        {"seconds": True},
        {"hours": 24 * 365 * 200},
    ],
)
def test_advance_time_refuses_nonsense_and_changes_nothing(mock: MockIotJobs, iot: Any, kwargs: Any) -> None:
    iot.create_thing(thingName="t1")
    before = mock.now()
    with pytest.raises(ValueError):
        mock.advance_time(**kwargs)
    assert before <= mock.now() < before + 5
    # The mock still works: jobs get created, listed and are valid JSON.
    arn = iot.describe_thing(thingName="t1")["thingArn"]
    iot.create_job(jobId="j1", targets=[arn], document="{}")
    listed = iot.list_jobs()["jobs"]
    assert [job["jobId"] for job in listed] == ["j1"]
    assert math.isfinite(listed[0]["createdAt"].timestamp())


def test_advance_time_still_moves_the_clock_by_sane_amounts(mock: MockIotJobs) -> None:
    before = mock.now()
    after = mock.advance_time(hours=24 * 365 * 50)
    assert after - before == pytest.approx(50 * 365 * 86400, abs=5)


# --- lone surrogates ------------------------------------------------------------------
def test_surrogate_in_a_tag_value_is_refused_and_not_stored(mock: MockIotJobs, iot: Any) -> None:
    arn = iot.create_thing(thingName="t1")["thingArn"]
    with pytest.raises(ClientError) as info:
        iot.tag_resource(resourceArn=arn, tags=[{"Key": "k", "Value": LONE}])
    assert _error(info) == ("InvalidRequestException", 400)
    assert "tags.1.member.Value" in info.value.response["Error"]["Message"]
    assert iot.list_tags_for_resource(resourceArn=arn)["tags"] == []


@pytest.mark.parametrize("fast_path", [True, False])
@pytest.mark.parametrize(
    "call",
    [
        lambda iot: iot.describe_thing(thingName=LONE),  # URI label
        lambda iot: iot.list_things(attributeName=LONE),  # query string
        lambda iot: iot.create_thing(thingName="t2", attributePayload={"attributes": {"a": LONE}}),  # body map
        lambda iot: iot.create_thing(thingName="t2", attributePayload={"attributes": {LONE: "v"}}),  # map key
        lambda iot: iot.create_thing_group(thingGroupName="g", thingGroupProperties={"thingGroupDescription": LONE}),
    ],
)
def test_surrogates_anywhere_are_an_aws_shaped_400_on_both_paths(fast_path: bool, call: Any) -> None:
    import boto3
    from botocore.config import Config

    with mock_iotjobs(fast_path=fast_path) as handle:
        iot = boto3.client("iot", region_name="us-east-1", config=Config(retries={"max_attempts": 1}))
        before = handle.backend().snapshot()
        with pytest.raises(ClientError) as info:
            call(iot)
        assert _error(info) == ("InvalidRequestException", 400)
        assert "lone UTF-16 surrogate" in info.value.response["Error"]["Message"]
        assert handle.backend().snapshot() == before


def test_surrogate_pairs_are_fine(iot: Any) -> None:
    arn = iot.create_thing(thingName="t1")["thingArn"]
    iot.create_job(jobId="j1", targets=[arn], document="{}", description="smile \U0001f600")
    assert iot.describe_job(jobId="j1")["job"]["description"] == "smile \U0001f600"


def test_surrogate_in_the_device_plane(jobs_data: Any) -> None:
    with pytest.raises(ClientError) as info:
        jobs_data.update_job_execution(thingName="t1", jobId="j1", status="IN_PROGRESS", statusDetails={"k": LONE})
    assert _error(info) == ("InvalidRequestException", 400)


# --- regions --------------------------------------------------------------------------
@pytest.mark.parametrize("region", ["xxxxxxxxxx", "x" * 60, "us-east", "useast1", "US-EAST-1"])
def test_a_region_that_does_not_exist_is_refused_and_creates_nothing(
    mock: MockIotJobs, make_client: Any, region: str
) -> None:
    iot = make_client("iot", region=region, endpoint_url="https://iot.us-east-1.amazonaws.com")
    with pytest.raises(ClientError) as info:
        iot.create_thing(thingName="t1")
    assert _error(info) == ("InvalidSignatureException", 403)
    assert "Credential should be scoped to a valid region" in info.value.response["Error"]["Message"]
    assert [key for key in mock._store.all()] == []


@pytest.mark.parametrize("region", ["eu-west-1", "us-gov-west-1", "ap-southeast-7", "eusc-de-east-1", "xx-future-9"])
def test_real_and_future_shaped_regions_are_served(mock: MockIotJobs, make_client: Any, region: str) -> None:
    iot = make_client("iot", region=region, endpoint_url="https://iot.us-east-1.amazonaws.com")
    arn = iot.create_thing(thingName="t1")["thingArn"]
    assert f":iot:{region}:" in arn


# --- deeply nested JSON -------------------------------------------------------------------
def test_deeply_nested_job_document_is_a_400(iot: Any) -> None:
    arn = iot.create_thing(thingName="t1")["thingArn"]
    with pytest.raises(ClientError) as info:
        iot.create_job(jobId="deep", targets=[arn], document="[" * 5000 + "]" * 5000)
    assert _error(info) == ("InvalidRequestException", 400)
    assert iot.list_jobs()["jobs"] == []


def test_deeply_nested_request_body_is_a_400(mock: MockIotJobs) -> None:
    from mock_iotjobs.dispatch import serve
    from mock_iotjobs.protocol.wire import HttpRequest

    body = b'{"attributePayload":' + b"[" * 100000 + b"]" * 100000 + b"}"
    reply = serve(mock._store, HttpRequest("POST", "iot.us-east-1.amazonaws.com", "/things/t1", "", {}, body))
    assert reply.status == 400
    assert reply.headers["x-amzn-ErrorType"] == "InvalidRequestException"
    assert "nested too deeply" in json.loads(reply.body)["message"]


def test_surrogate_in_a_uri_member_uses_the_operations_own_validation_error(iot: Any) -> None:
    # The commands API declares ValidationException, not InvalidRequestException.
    with pytest.raises(ClientError) as info:
        iot.get_command(commandId=LONE)
    assert _error(info) == ("ValidationException", 400)
