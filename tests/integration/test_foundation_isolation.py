"""State per activation, per account (from the access key id) and per region."""

from __future__ import annotations

from typing import Any, List

import boto3
import pytest
import requests
from botocore.exceptions import ClientError

from mock_iotjobs import MockIotJobs, mock_iotjobs

OTHER_ACCOUNT = "111122223333"


def names(client: Any) -> List[str]:
    return [t["thingName"] for t in client.list_things()["things"]]


def test_each_activation_starts_empty() -> None:
    with mock_iotjobs():
        boto3.client("iot").create_thing(thingName="first-run")
    with mock_iotjobs():
        assert names(boto3.client("iot")) == []


def test_twelve_digit_access_key_selects_the_account(make_client: Any, mock: MockIotJobs) -> None:
    default = make_client("iot")
    other = make_client("iot", account=OTHER_ACCOUNT)
    created = other.create_thing(thingName="shared-name")
    assert created["thingArn"] == f"arn:aws:iot:us-east-1:{OTHER_ACCOUNT}:thing/shared-name"
    assert names(default) == []
    with pytest.raises(ClientError) as caught:
        default.describe_thing(thingName="shared-name")
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"
    # The same name is free in the default account.
    mine = default.create_thing(thingName="shared-name")
    assert mine["thingArn"] == "arn:aws:iot:us-east-1:123456789012:thing/shared-name"
    assert mine["thingId"] != created["thingId"]
    assert list(mock.backend(OTHER_ACCOUNT).things.by_name) == ["shared-name"]


def test_other_access_keys_use_the_default_account(make_client: Any) -> None:
    client = make_client("iot", aws_access_key_id="AKIAIOSFODNN7EXAMPLE", aws_secret_access_key="x")
    arn = client.create_thing(thingName="t")["thingArn"]
    assert arn == "arn:aws:iot:us-east-1:123456789012:thing/t"
    assert names(make_client("iot")) == ["t"]


def test_account_env_var_changes_the_default_account(monkeypatch: pytest.MonkeyPatch, make_client: Any) -> None:
    monkeypatch.setenv("MOCK_IOTJOBS_ACCOUNT_ID", "444455556666")
    arn = make_client("iot").create_thing(thingName="t")["thingArn"]
    assert arn == "arn:aws:iot:us-east-1:444455556666:thing/t"


def test_regions_are_separate(make_client: Any, mock: MockIotJobs) -> None:
    east = make_client("iot", region="us-east-1")
    west = make_client("iot", region="eu-west-1")
    east.create_thing(thingName="east-only")
    assert west.create_thing(thingName="west-only")["thingArn"].startswith("arn:aws:iot:eu-west-1:")
    assert names(east) == ["east-only"]
    assert names(west) == ["west-only"]
    assert list(mock.backend(region="eu-west-1").things.by_name) == ["west-only"]


def test_partition_follows_the_region(make_client: Any) -> None:
    china = make_client("iot", region="cn-north-1")
    assert china.create_thing(thingName="t")["thingArn"] == "arn:aws-cn:iot:cn-north-1:123456789012:thing/t"


def test_account_and_region_apply_to_the_device_plane_too(make_client: Any) -> None:
    make_client("iot", region="eu-west-1", account=OTHER_ACCOUNT).create_thing(thingName="dev")
    right = make_client("iot-jobs-data", region="eu-west-1", account=OTHER_ACCOUNT)
    assert right.get_pending_job_executions(thingName="dev")["queuedJobs"] == []
    for wrong in (
        make_client("iot-jobs-data", region="eu-west-1"),
        make_client("iot-jobs-data", region="us-east-1", account=OTHER_ACCOUNT),
    ):
        with pytest.raises(ClientError) as caught:
            wrong.get_pending_job_executions(thingName="dev")
        assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_unsigned_requests_use_the_region_of_the_host(make_client: Any) -> None:
    make_client("iot", region="eu-central-1").create_thing(thingName="frankfurt")
    assert requests.get("https://iot.eu-central-1.amazonaws.com/things/frankfurt").status_code == 200
    assert requests.get("https://iot.us-east-1.amazonaws.com/things/frankfurt").status_code == 404


def test_reset_forgets_every_account_and_region(make_client: Any, mock: MockIotJobs) -> None:
    make_client("iot").create_thing(thingName="a")
    make_client("iot", region="eu-west-1", account=OTHER_ACCOUNT).create_thing(thingName="b")
    mock.reset()
    assert names(make_client("iot")) == []
    assert names(make_client("iot", region="eu-west-1", account=OTHER_ACCOUNT)) == []
