"""DescribeEndpoint, and its addresses used as endpoints by boto3 and ``requests``."""

from __future__ import annotations

import re
from typing import Any, Dict

import boto3
import pytest
import requests
from botocore.exceptions import ClientError

from mock_iotjobs import MockIotJobs, mock_iotjobs

TYPES = ("iot:Jobs", "iot:Data-ATS", "iot:CredentialProvider", "iot:Data")


def addresses(iot: Any) -> Dict[str, str]:
    return {kind: iot.describe_endpoint(endpointType=kind)["endpointAddress"] for kind in TYPES}


def test_addresses_have_the_documented_forms(iot: Any) -> None:
    found = addresses(iot)
    prefix = found["iot:Jobs"].split(".", 1)[0]
    assert re.fullmatch(r"[a-z0-9]{14}", prefix)
    assert found == {
        "iot:Jobs": f"{prefix}.jobs.iot.us-east-1.amazonaws.com",
        "iot:Data-ATS": f"{prefix}-ats.iot.us-east-1.amazonaws.com",
        "iot:CredentialProvider": f"{prefix}.credentials.iot.us-east-1.amazonaws.com",
        "iot:Data": f"{prefix}.iot.us-east-1.amazonaws.com",
    }
    # No endpointType means the legacy iot:Data endpoint, as in AWS.
    assert iot.describe_endpoint()["endpointAddress"] == found["iot:Data"]


def test_addresses_are_stable_per_account_and_follow_the_region(make_client: Any) -> None:
    first = addresses(make_client("iot"))
    with mock_iotjobs():
        assert addresses(boto3.client("iot", region_name="us-east-1")) == first
    other = addresses(make_client("iot", account="111122223333"))
    assert other["iot:Jobs"].split(".")[0] != first["iot:Jobs"].split(".")[0]
    west = make_client("iot", region="eu-west-1").describe_endpoint(endpointType="iot:Jobs")["endpointAddress"]
    assert west == first["iot:Jobs"].replace("us-east-1", "eu-west-1")


def test_invalid_endpoint_type(iot: Any) -> None:
    with pytest.raises(ClientError) as caught:
        iot.describe_endpoint(endpointType="iot:Bogus")
    error = caught.value.response
    assert error["Error"]["Code"] == "InvalidRequestException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert "iot:Bogus" in error["Error"]["Message"]


@pytest.mark.parametrize("kind", ["iot:Jobs", "iot:Data-ATS"])
def test_address_works_as_endpoint_url_for_the_device_plane(iot: Any, make_client: Any, kind: str) -> None:
    iot.create_thing(thingName="sensor-1")
    address = iot.describe_endpoint(endpointType=kind)["endpointAddress"]
    device = make_client("iot-jobs-data", endpoint_url=f"https://{address}")
    answer = device.get_pending_job_executions(thingName="sensor-1")
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert (answer["inProgressJobs"], answer["queuedJobs"]) == ([], [])
    with pytest.raises(ClientError) as caught:
        device.get_pending_job_executions(thingName="nobody")
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_jobs_address_is_served_to_plain_requests(iot: Any) -> None:
    iot.create_thing(thingName="sensor-1")
    address = iot.describe_endpoint(endpointType="iot:Jobs")["endpointAddress"]
    answer = requests.get(f"https://{address}/things/sensor-1/jobs", timeout=5)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "application/json"
    assert answer.json() == {"inProgressJobs": [], "queuedJobs": []}
    # The default device-plane host works the same way.
    default = requests.get("https://data.jobs.iot.us-east-1.amazonaws.com/things/sensor-1/jobs", timeout=5)
    assert default.json() == {"inProgressJobs": [], "queuedJobs": []}


def test_device_plane_through_a_vpc_endpoint_url(iot: Any, make_client: Any) -> None:
    iot.create_thing(thingName="sensor-1")
    device = make_client(
        "iot-jobs-data", endpoint_url="https://vpce-0a1b2c3d-e4f5g6h7.data.jobs.iot.us-east-1.vpce.amazonaws.com"
    )
    assert device.get_pending_job_executions(thingName="sensor-1")["queuedJobs"] == []


def test_endpoint_handle_region_default(mock: MockIotJobs) -> None:
    assert mock.default_region == "us-east-1"
