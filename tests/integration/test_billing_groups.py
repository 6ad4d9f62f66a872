"""Billing groups end to end through boto3: the group's life, membership (one billing group
per thing), and how things show it (issue 12)."""

from __future__ import annotations

from typing import Any, Dict, List

import pytest
from botocore.exceptions import ClientError
from refusal_support import refused

from mock_iotjobs import MockIotJobs

ACCOUNT = "123456789012"
REGION = "us-east-1"
GROUP_ARN = f"arn:aws:iot:{REGION}:{ACCOUNT}:billinggroup/{{}}"
THING_ARN = f"arn:aws:iot:{REGION}:{ACCOUNT}:thing/{{}}"


def strip(response: Dict[str, Any]) -> Dict[str, Any]:
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}


def members(iot: Any, group: str) -> List[str]:
    return list(iot.list_things_in_billing_group(billingGroupName=group)["things"])


# --- create / describe / update ------------------------------------------------------------------
def test_create_and_describe(iot: Any, mock: MockIotJobs) -> None:
    created = strip(
        iot.create_billing_group(
            billingGroupName="GroupOne", billingGroupProperties={"billingGroupDescription": "cost centre 1"}
        )
    )
    assert created["billingGroupName"] == "GroupOne"
    assert created["billingGroupArn"] == GROUP_ARN.format("GroupOne")
    assert created["billingGroupId"]

    described = strip(iot.describe_billing_group(billingGroupName="GroupOne"))
    created_at = described.pop("billingGroupMetadata")["creationDate"]
    assert abs(created_at.timestamp() - mock.now()) < 2
    assert described == {
        "billingGroupName": "GroupOne",
        "billingGroupId": created["billingGroupId"],
        "billingGroupArn": created["billingGroupArn"],
        "version": 1,
        "billingGroupProperties": {"billingGroupDescription": "cost centre 1"},
    }


def test_identical_re_create_is_idempotent_and_a_different_one_conflicts(iot: Any, mock: MockIotJobs) -> None:
    first = strip(iot.create_billing_group(billingGroupName="g"))
    assert strip(iot.create_billing_group(billingGroupName="g")) == first
    with pytest.raises(ClientError) as caught:
        iot.create_billing_group(billingGroupName="g", billingGroupProperties={"billingGroupDescription": "d"})
    error = caught.value.response
    assert (error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]) == (
        "ResourceAlreadyExistsException",
        409,
    )
    assert (error["resourceId"], error["resourceArn"]) == (first["billingGroupId"], first["billingGroupArn"])
    refused(
        mock,
        iot.create_billing_group,
        "ResourceAlreadyExistsException",
        409,
        billingGroupName="g",
        billingGroupProperties={"billingGroupDescription": "d"},
    )


def test_create_validation(iot: Any, mock: MockIotJobs) -> None:
    message = refused(mock, iot.create_billing_group, "InvalidRequestException", 400, billingGroupName="bad name")
    assert "billingGroupName" in message


def test_tags_given_at_creation_are_stored_and_dropped_with_the_group(iot: Any, mock: MockIotJobs) -> None:
    arn = iot.create_billing_group(billingGroupName="g", tags=[{"Key": "cost", "Value": "42"}])["billingGroupArn"]
    assert iot.list_tags_for_resource(resourceArn=arn)["tags"] == [{"Key": "cost", "Value": "42"}]
    iot.tag_resource(resourceArn=arn, tags=[{"Key": "owner", "Value": "ops"}])
    assert len(iot.list_tags_for_resource(resourceArn=arn)["tags"]) == 2
    iot.delete_billing_group(billingGroupName="g")
    refused(mock, iot.list_tags_for_resource, "ResourceNotFoundException", 404, resourceArn=arn)


def test_too_many_tags_at_creation(iot: Any, mock: MockIotJobs) -> None:
    tags = [{"Key": f"k{i}", "Value": "v"} for i in range(51)]
    refused(mock, iot.create_billing_group, "InvalidRequestException", 400, billingGroupName="g", tags=tags)


def test_describe_missing(iot: Any, mock: MockIotJobs) -> None:
    refused(mock, iot.describe_billing_group, "ResourceNotFoundException", 404, billingGroupName="ghost")


def test_update_bumps_the_version_and_checks_the_expected_one(iot: Any, mock: MockIotJobs) -> None:
    iot.create_billing_group(billingGroupName="g", billingGroupProperties={"billingGroupDescription": "a"})
    assert iot.update_billing_group(
        billingGroupName="g", billingGroupProperties={"billingGroupDescription": "b"}
    )["version"] == 2
    assert iot.update_billing_group(
        billingGroupName="g", billingGroupProperties={"billingGroupDescription": "c"}, expectedVersion=2
    )["version"] == 3
    refused(
        mock,
        iot.update_billing_group,
        "VersionConflictException",
        409,
        billingGroupName="g",
        billingGroupProperties={"billingGroupDescription": "d"},
        expectedVersion=2,
    )
    described = iot.describe_billing_group(billingGroupName="g")
    assert (described["version"], described["billingGroupProperties"]) == (3, {"billingGroupDescription": "c"})
    # Properties without a description leave it as it is.
    iot.update_billing_group(billingGroupName="g", billingGroupProperties={})
    assert iot.describe_billing_group(billingGroupName="g")["billingGroupProperties"] == {
        "billingGroupDescription": "c"
    }


def test_update_missing(iot: Any, mock: MockIotJobs) -> None:
    refused(
        mock,
        iot.update_billing_group,
        "ResourceNotFoundException",
        404,
        billingGroupName="ghost",
        billingGroupProperties={"billingGroupDescription": "x"},
    )


# --- delete / list ----------------------------------------------------------------------------
def test_delete_with_expected_version_and_missing(iot: Any, mock: MockIotJobs) -> None:
    iot.create_billing_group(billingGroupName="g")
    refused(mock, iot.delete_billing_group, "VersionConflictException", 409, billingGroupName="g", expectedVersion=7)
    iot.delete_billing_group(billingGroupName="g", expectedVersion=1)
    refused(mock, iot.describe_billing_group, "ResourceNotFoundException", 404, billingGroupName="g")
    # DeleteBillingGroup models no ResourceNotFoundException: a missing group is already deleted.
    iot.delete_billing_group(billingGroupName="g")


def test_list_with_prefix_and_pagination(iot: Any, mock: MockIotJobs) -> None:
    for name in ("east-1", "west-1", "east-2"):
        iot.create_billing_group(billingGroupName=name)
    listed = iot.list_billing_groups()["billingGroups"]
    assert listed == [{"groupName": n, "groupArn": GROUP_ARN.format(n)} for n in ("east-1", "west-1", "east-2")]
    assert [g["groupName"] for g in iot.list_billing_groups(namePrefixFilter="east")["billingGroups"]] == [
        "east-1",
        "east-2",
    ]
    first = iot.list_billing_groups(maxResults=2)
    assert [g["groupName"] for g in first["billingGroups"]] == ["east-1", "west-1"]
    rest = iot.list_billing_groups(maxResults=2, nextToken=first["nextToken"])
    assert [g["groupName"] for g in rest["billingGroups"]] == ["east-2"]
    assert "nextToken" not in rest
    refused(mock, iot.list_billing_groups, "InvalidRequestException", 400, nextToken="forged")


# --- membership ---------------------------------------------------------------------------------
def test_add_list_and_remove_by_name_or_arn(iot: Any, mock: MockIotJobs) -> None:
    iot.create_billing_group(billingGroupName="g")
    for name in ("a", "b", "c"):
        iot.create_thing(thingName=name)
    iot.add_thing_to_billing_group(billingGroupName="g", thingName="b")
    iot.add_thing_to_billing_group(billingGroupArn=GROUP_ARN.format("g"), thingArn=THING_ARN.format("a"))
    iot.add_thing_to_billing_group(billingGroupName="g", thingName="c")
    assert members(iot, "g") == ["b", "a", "c"]
    assert iot.describe_thing(thingName="a")["billingGroupName"] == "g"
    assert {t.name: t.billing_group for t in mock.things()} == {"a": "g", "b": "g", "c": "g"}

    page = iot.list_things_in_billing_group(billingGroupName="g", maxResults=2)
    assert page["things"] == ["b", "a"]
    assert iot.list_things_in_billing_group(billingGroupName="g", nextToken=page["nextToken"])["things"] == ["c"]

    iot.remove_thing_from_billing_group(billingGroupName="g", thingArn=THING_ARN.format("a"))
    iot.remove_thing_from_billing_group(billingGroupArn=GROUP_ARN.format("g"), thingName="c")
    assert members(iot, "g") == ["b"]
    assert "billingGroupName" not in iot.describe_thing(thingName="a")
    # Adding twice, or removing a thing that is not a member, changes nothing.
    iot.add_thing_to_billing_group(billingGroupName="g", thingName="b")
    iot.remove_thing_from_billing_group(billingGroupName="g", thingName="a")
    assert members(iot, "g") == ["b"]


def test_a_thing_is_in_one_billing_group_adding_moves_it(iot: Any) -> None:
    iot.create_billing_group(billingGroupName="one")
    iot.create_billing_group(billingGroupName="two")
    iot.create_thing(thingName="t", billingGroupName="one")
    iot.add_thing_to_billing_group(billingGroupName="two", thingName="t")
    assert iot.describe_thing(thingName="t")["billingGroupName"] == "two"
    assert (members(iot, "one"), members(iot, "two")) == ([], ["t"])
    # Removing it from the group it left does nothing.
    iot.remove_thing_from_billing_group(billingGroupName="one", thingName="t")
    assert iot.describe_thing(thingName="t")["billingGroupName"] == "two"


def test_membership_errors(iot: Any, mock: MockIotJobs) -> None:
    iot.create_billing_group(billingGroupName="g")
    iot.create_thing(thingName="t")
    for call in (iot.add_thing_to_billing_group, iot.remove_thing_from_billing_group):
        refused(mock, call, "ResourceNotFoundException", 404, billingGroupName="ghost", thingName="t")
        refused(mock, call, "ResourceNotFoundException", 404, billingGroupName="g", thingName="ghost")
        refused(mock, call, "ResourceNotFoundException", 404, billingGroupName="g", thingArn=THING_ARN.format("x"))
        refused(mock, call, "InvalidRequestException", 400, thingName="t")
        refused(mock, call, "InvalidRequestException", 400, billingGroupName="g")
        refused(
            mock, call, "InvalidRequestException", 400, billingGroupName="g", billingGroupArn=GROUP_ARN.format("h"),
            thingName="t",
        )
        refused(mock, call, "InvalidRequestException", 400, billingGroupArn="not-an-arn", thingName="t")
    refused(mock, iot.list_things_in_billing_group, "ResourceNotFoundException", 404, billingGroupName="ghost")


def test_create_thing_in_a_billing_group(iot: Any, mock: MockIotJobs) -> None:
    refused(mock, iot.create_thing, "ResourceNotFoundException", 404, thingName="t", billingGroupName="ghost")
    iot.create_billing_group(billingGroupName="g")
    iot.create_thing(thingName="t", billingGroupName="g")
    assert iot.describe_thing(thingName="t")["billingGroupName"] == "g"
    assert members(iot, "g") == ["t"]
    # The same thing again is idempotent; in another billing group it is a different thing.
    iot.create_thing(thingName="t", billingGroupName="g")
    iot.create_billing_group(billingGroupName="h")
    refused(mock, iot.create_thing, "ResourceAlreadyExistsException", 409, thingName="t", billingGroupName="h")


def test_deleting_a_thing_leaves_its_billing_group(iot: Any) -> None:
    iot.create_billing_group(billingGroupName="g")
    iot.create_thing(thingName="t", billingGroupName="g")
    iot.delete_thing(thingName="t")
    assert members(iot, "g") == []
    iot.create_thing(thingName="t")
    assert "billingGroupName" not in iot.describe_thing(thingName="t")
    assert members(iot, "g") == []


def test_deleting_a_billing_group_frees_its_things(iot: Any, mock: MockIotJobs) -> None:
    iot.create_billing_group(billingGroupName="g")
    iot.create_thing(thingName="t", billingGroupName="g")
    iot.delete_billing_group(billingGroupName="g")
    assert "billingGroupName" not in iot.describe_thing(thingName="t")
    iot.create_billing_group(billingGroupName="g")
    assert members(iot, "g") == []
    assert mock.things()[0].billing_group is None


def test_snapshot_lists_billing_groups_with_members(iot: Any, mock: MockIotJobs) -> None:
    iot.create_billing_group(billingGroupName="g")
    iot.create_thing(thingName="t", billingGroupName="g")
    [dumped] = mock.backend().snapshot()["billingGroups"]
    assert (dumped["billingGroupName"], dumped["members"], dumped["version"]) == ("g", ["t"], 1)
    assert mock.backend().snapshot()["things"][0]["billingGroupName"] == "g"


def test_fleet_indexing_follows_billing_group_membership(iot: Any) -> None:
    """The index's thingGroupNames holds the billing group too: every membership change reaches it."""
    iot.update_indexing_configuration(thingIndexingConfiguration={"thingIndexingMode": "REGISTRY"})

    def indexed(query: str) -> List[str]:
        return [t["thingName"] for t in iot.search_index(queryString=query)["things"]]

    iot.create_billing_group(billingGroupName="one")
    iot.create_billing_group(billingGroupName="two")
    iot.create_thing(thingName="a", billingGroupName="one")
    iot.create_thing(thingName="b")
    iot.add_thing_to_billing_group(billingGroupName="one", thingName="b")
    assert indexed("thingGroupNames:one") == ["a", "b"]
    iot.add_thing_to_billing_group(billingGroupName="two", thingName="b")
    assert (indexed("thingGroupNames:one"), indexed("thingGroupNames:two")) == (["a"], ["b"])
    iot.remove_thing_from_billing_group(billingGroupName="two", thingName="b")
    assert indexed("thingGroupNames:two") == []
    iot.delete_billing_group(billingGroupName="one")
    assert indexed("thingGroupNames:one") == []
