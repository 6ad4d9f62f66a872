"""Role aliases end to end through boto3."""

from __future__ import annotations

import datetime as dt
from typing import Any, List

import pytest
from refusal_support import ACCOUNT, REGION, ROLE_ARN, refused

from mock_iotjobs import MockIotJobs

OTHER_ROLE = f"arn:aws:iam::{ACCOUNT}:role/other-role"


def alias_arn(name: str) -> str:
    return f"arn:aws:iot:{REGION}:{ACCOUNT}:rolealias/{name}"


def test_create_and_describe(iot: Any) -> None:
    created = iot.create_role_alias(roleAlias="cameras", roleArn=ROLE_ARN)
    assert created["roleAlias"] == "cameras"
    assert created["roleAliasArn"] == alias_arn("cameras")
    described = iot.describe_role_alias(roleAlias="cameras")["roleAliasDescription"]
    assert described["roleAlias"] == "cameras"
    assert described["roleAliasArn"] == alias_arn("cameras")
    assert described["roleArn"] == ROLE_ARN
    assert described["owner"] == ACCOUNT
    # AWS's default credential lifetime.
    assert described["credentialDurationSeconds"] == 3600
    assert isinstance(described["creationDate"], dt.datetime)
    assert described["lastModifiedDate"] == described["creationDate"]


@pytest.mark.parametrize("duration", [900, 43200])
def test_create_with_a_duration_at_the_bounds(iot: Any, duration: int) -> None:
    iot.create_role_alias(roleAlias="bounded", roleArn=ROLE_ARN, credentialDurationSeconds=duration)
    assert iot.describe_role_alias(roleAlias="bounded")["roleAliasDescription"]["credentialDurationSeconds"] == duration


@pytest.mark.parametrize("duration", [899, 43201])
def test_create_refuses_a_duration_out_of_bounds(make_client: Any, mock: MockIotJobs, duration: int) -> None:
    loose = make_client("iot", validate=False)
    refused(
        mock,
        loose.create_role_alias,
        "InvalidRequestException",
        400,
        roleAlias="bounded",
        roleArn=ROLE_ARN,
        credentialDurationSeconds=duration,
    )


def test_create_with_tags(iot: Any) -> None:
    iot.create_role_alias(roleAlias="tagged", roleArn=ROLE_ARN, tags=[{"Key": "team", "Value": "cams"}])
    assert iot.list_tags_for_resource(resourceArn=alias_arn("tagged"))["tags"] == [{"Key": "team", "Value": "cams"}]


def test_create_refusals(iot: Any, mock: MockIotJobs) -> None:
    iot.create_role_alias(roleAlias="taken", roleArn=ROLE_ARN)
    refused(mock, iot.create_role_alias, "ResourceAlreadyExistsException", 409, roleAlias="taken", roleArn=ROLE_ARN)
    refused(
        mock,
        iot.create_role_alias,
        "InvalidRequestException",
        400,
        roleAlias="bad-role",
        roleArn="arn:aws:s3:::some-bucket/and-more",
    )
    too_many = [{"Key": f"k{i}", "Value": "v"} for i in range(51)]
    refused(mock, iot.create_role_alias, "LimitExceededException", 410, roleAlias="t", roleArn=ROLE_ARN, tags=too_many)


def test_update(iot: Any, mock: MockIotJobs) -> None:
    iot.create_role_alias(roleAlias="cameras", roleArn=ROLE_ARN)
    mock.advance_time(seconds=60)
    updated = iot.update_role_alias(roleAlias="cameras", roleArn=OTHER_ROLE)
    assert (updated["roleAlias"], updated["roleAliasArn"]) == ("cameras", alias_arn("cameras"))
    described = iot.describe_role_alias(roleAlias="cameras")["roleAliasDescription"]
    assert described["roleArn"] == OTHER_ROLE
    assert described["credentialDurationSeconds"] == 3600
    assert described["lastModifiedDate"] > described["creationDate"]
    iot.update_role_alias(roleAlias="cameras", credentialDurationSeconds=7200)
    described = iot.describe_role_alias(roleAlias="cameras")["roleAliasDescription"]
    assert (described["roleArn"], described["credentialDurationSeconds"]) == (OTHER_ROLE, 7200)


def test_update_refusals(iot: Any, mock: MockIotJobs) -> None:
    refused(mock, iot.update_role_alias, "ResourceNotFoundException", 404, roleAlias="ghost", roleArn=ROLE_ARN)
    iot.create_role_alias(roleAlias="cameras", roleArn=ROLE_ARN)
    refused(
        mock, iot.update_role_alias, "InvalidRequestException", 400, roleAlias="cameras", roleArn="x" * 20
    )


def test_describe_missing(iot: Any, mock: MockIotJobs) -> None:
    refused(mock, iot.describe_role_alias, "ResourceNotFoundException", 404, roleAlias="ghost")


def test_delete(iot: Any, mock: MockIotJobs) -> None:
    iot.create_role_alias(roleAlias="cameras", roleArn=ROLE_ARN, tags=[{"Key": "k", "Value": "v"}])
    iot.delete_role_alias(roleAlias="cameras")
    refused(mock, iot.describe_role_alias, "ResourceNotFoundException", 404, roleAlias="cameras")
    refused(mock, iot.delete_role_alias, "ResourceNotFoundException", 404, roleAlias="cameras")
    assert iot.list_role_aliases()["roleAliases"] == []
    assert mock.backend().tags.list(alias_arn("cameras")) == []


def test_list_orders_and_pages(iot: Any) -> None:
    for name in ["b", "a", "c", "e", "d"]:
        iot.create_role_alias(roleAlias=name, roleArn=ROLE_ARN)
    assert iot.list_role_aliases(ascendingOrder=True)["roleAliases"] == ["b", "a", "c", "e", "d"]
    assert iot.list_role_aliases()["roleAliases"] == ["d", "e", "c", "a", "b"]
    seen: List[str] = []
    page = iot.list_role_aliases(pageSize=2, ascendingOrder=True)
    seen += page["roleAliases"]
    while "nextMarker" in page:
        page = iot.list_role_aliases(pageSize=2, ascendingOrder=True, marker=page["nextMarker"])
        seen += page["roleAliases"]
    assert seen == ["b", "a", "c", "e", "d"]
    pages = iot.get_paginator("list_role_aliases").paginate(PaginationConfig={"PageSize": 3})
    assert [name for p in pages for name in p["roleAliases"]] == ["d", "e", "c", "a", "b"]
