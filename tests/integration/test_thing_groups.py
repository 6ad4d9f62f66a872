"""Thing groups end to end through boto3: hierarchy, properties, membership, listings."""

from __future__ import annotations

import datetime as dt
from typing import Any, Iterator, List

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from mock_iotjobs import MockIotJobs, mock_iotjobs
from mock_iotjobs.handlers.base import HANDLERS

ACCOUNT = "123456789012"
REGION = "us-east-1"
NO_RETRY = Config(retries={"max_attempts": 1})


@pytest.fixture
def mock() -> Iterator[MockIotJobs]:
    with mock_iotjobs() as handle:
        yield handle


@pytest.fixture
def iot(mock: MockIotJobs) -> Any:
    return boto3.client("iot", region_name=REGION, config=NO_RETRY)


def group_arn(name: str) -> str:
    return f"arn:aws:iot:{REGION}:{ACCOUNT}:thinggroup/{name}"


def thing_arn(name: str) -> str:
    return f"arn:aws:iot:{REGION}:{ACCOUNT}:thing/{name}"


def error_of(excinfo: pytest.ExceptionInfo) -> str:
    return excinfo.value.response["Error"]["Code"]


def status_of(excinfo: pytest.ExceptionInfo) -> int:
    return excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"]


def names(groups: List[dict]) -> List[str]:
    return [g["groupName"] for g in groups]


def make_tree(iot: Any) -> None:
    """root ─ mid ─ leaf; root ─ other; and a separate root2."""
    iot.create_thing_group(thingGroupName="root")
    iot.create_thing_group(thingGroupName="mid", parentGroupName="root")
    iot.create_thing_group(thingGroupName="leaf", parentGroupName="mid")
    iot.create_thing_group(thingGroupName="other", parentGroupName="root")
    iot.create_thing_group(thingGroupName="root2")


# --- create / describe --------------------------------------------------------


def test_create_and_describe(iot: Any) -> None:
    created = iot.create_thing_group(
        thingGroupName="fleet",
        thingGroupProperties={
            "thingGroupDescription": "all devices",
            "attributePayload": {"attributes": {"site": "berlin"}},
        },
    )
    assert created["thingGroupName"] == "fleet"
    assert created["thingGroupArn"] == group_arn("fleet")
    described = iot.describe_thing_group(thingGroupName="fleet")
    assert described["thingGroupId"] == created["thingGroupId"]
    assert described["thingGroupArn"] == group_arn("fleet")
    assert described["version"] == 1
    assert described["thingGroupProperties"] == {
        "thingGroupDescription": "all devices",
        "attributePayload": {"attributes": {"site": "berlin"}},
    }
    metadata = described["thingGroupMetadata"]
    assert isinstance(metadata["creationDate"], dt.datetime)
    assert "parentGroupName" not in metadata and "rootToParentThingGroups" not in metadata
    assert "status" not in described  # only dynamic groups have a status


def test_nested_group_metadata(iot: Any) -> None:
    make_tree(iot)
    metadata = iot.describe_thing_group(thingGroupName="leaf")["thingGroupMetadata"]
    assert metadata["parentGroupName"] == "mid"
    assert metadata["rootToParentThingGroups"] == [
        {"groupName": "root", "groupArn": group_arn("root")},
        {"groupName": "mid", "groupArn": group_arn("mid")},
    ]


def test_create_is_idempotent_when_identical(iot: Any) -> None:
    props = {"thingGroupDescription": "d"}
    first = iot.create_thing_group(thingGroupName="g", thingGroupProperties=props)
    again = iot.create_thing_group(thingGroupName="g", thingGroupProperties=props)
    assert again["thingGroupId"] == first["thingGroupId"]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"thingGroupProperties": {"thingGroupDescription": "other"}},
        {"parentGroupName": "p"},
        {"thingGroupProperties": {"attributePayload": {"attributes": {"a": "2"}}}},
    ],
)
def test_create_with_different_settings_conflicts(iot: Any, kwargs: dict) -> None:
    iot.create_thing_group(thingGroupName="p")
    first = iot.create_thing_group(
        thingGroupName="g",
        thingGroupProperties={
            "thingGroupDescription": "d",
            "attributePayload": {"attributes": {"a": "1"}},
        },
    )
    with pytest.raises(ClientError) as err:
        iot.create_thing_group(thingGroupName="g", **kwargs)
    assert error_of(err) == "ResourceAlreadyExistsException"
    assert status_of(err) == 409
    assert err.value.response["resourceId"] == first["thingGroupId"]
    assert err.value.response["resourceArn"] == group_arn("g")


def test_create_under_missing_parent_is_refused(iot: Any) -> None:
    # The model gives CreateThingGroup no ResourceNotFoundException: a modeled 400.
    with pytest.raises(ClientError) as err:
        iot.create_thing_group(thingGroupName="child", parentGroupName="ghost")
    assert error_of(err) == "InvalidRequestException"
    assert status_of(err) == 400
    assert "ghost" in err.value.response["Error"]["Message"]
    assert iot.list_thing_groups()["thingGroups"] == []


def test_hierarchy_is_at_most_seven_deep(iot: Any) -> None:
    parent = None
    for level in range(7):
        kwargs = {"parentGroupName": parent} if parent else {}
        iot.create_thing_group(thingGroupName=f"l{level}", **kwargs)
        parent = f"l{level}"
    with pytest.raises(ClientError) as err:
        iot.create_thing_group(thingGroupName="l7", parentGroupName=parent)
    assert error_of(err) == "InvalidRequestException"


def test_invalid_group_name_is_rejected_by_the_model(iot: Any) -> None:
    with pytest.raises(ClientError) as err:
        iot.create_thing_group(thingGroupName="bad name!")
    assert error_of(err) == "InvalidRequestException"
    assert "thingGroupName" in err.value.response["Error"]["Message"]


def test_describe_missing_group(iot: Any) -> None:
    with pytest.raises(ClientError) as err:
        iot.describe_thing_group(thingGroupName="ghost")
    assert error_of(err) == "ResourceNotFoundException"


# --- update ------------------------------------------------------------------


def test_update_replaces_and_merges_attributes(iot: Any) -> None:
    iot.create_thing_group(
        thingGroupName="g",
        thingGroupProperties={
            "thingGroupDescription": "d",
            "attributePayload": {"attributes": {"a": "1", "b": "2"}},
        },
    )
    merged = iot.update_thing_group(
        thingGroupName="g",
        thingGroupProperties={"attributePayload": {"attributes": {"b": "", "c": "3"}, "merge": True}},
    )
    assert merged["version"] == 2
    props = iot.describe_thing_group(thingGroupName="g")["thingGroupProperties"]
    assert props["attributePayload"]["attributes"] == {"a": "1", "c": "3"}
    assert props["thingGroupDescription"] == "d"  # untouched by an attributes-only update

    replaced = iot.update_thing_group(
        thingGroupName="g",
        thingGroupProperties={
            "thingGroupDescription": "new",
            "attributePayload": {"attributes": {"z": "9"}},
        },
        expectedVersion=2,
    )
    assert replaced["version"] == 3
    described = iot.describe_thing_group(thingGroupName="g")
    assert described["version"] == 3
    assert described["thingGroupProperties"] == {
        "thingGroupDescription": "new",
        "attributePayload": {"attributes": {"z": "9"}},
    }


def test_update_with_wrong_expected_version_changes_nothing(iot: Any) -> None:
    iot.create_thing_group(thingGroupName="g", thingGroupProperties={"thingGroupDescription": "d"})
    with pytest.raises(ClientError) as err:
        iot.update_thing_group(
            thingGroupName="g",
            thingGroupProperties={"thingGroupDescription": "x"},
            expectedVersion=5,
        )
    assert error_of(err) == "VersionConflictException"
    assert status_of(err) == 409
    described = iot.describe_thing_group(thingGroupName="g")
    assert described["version"] == 1
    assert described["thingGroupProperties"]["thingGroupDescription"] == "d"


def test_update_missing_group(iot: Any) -> None:
    with pytest.raises(ClientError) as err:
        iot.update_thing_group(thingGroupName="ghost", thingGroupProperties={})
    assert error_of(err) == "ResourceNotFoundException"


# --- delete ------------------------------------------------------------------


def test_delete_missing_group_succeeds(iot: Any) -> None:
    iot.delete_thing_group(thingGroupName="ghost")


def test_group_with_children_cannot_be_deleted(iot: Any) -> None:
    make_tree(iot)
    with pytest.raises(ClientError) as err:
        iot.delete_thing_group(thingGroupName="mid")
    assert error_of(err) == "InvalidRequestException"
    assert err.value.response["Error"]["Message"] == (
        "Cannot delete thing group : mid when there are still child groups attached to it"
    )
    iot.describe_thing_group(thingGroupName="mid")
    iot.delete_thing_group(thingGroupName="leaf")
    iot.delete_thing_group(thingGroupName="mid")
    assert names(iot.list_thing_groups(parentGroup="root")["thingGroups"]) == ["other"]


def test_delete_with_expected_version(iot: Any) -> None:
    iot.create_thing_group(thingGroupName="g")
    iot.update_thing_group(thingGroupName="g", thingGroupProperties={"thingGroupDescription": "x"})
    with pytest.raises(ClientError) as err:
        iot.delete_thing_group(thingGroupName="g", expectedVersion=1)
    assert error_of(err) == "VersionConflictException"
    iot.delete_thing_group(thingGroupName="g", expectedVersion=2)
    with pytest.raises(ClientError):
        iot.describe_thing_group(thingGroupName="g")


def test_deleted_group_loses_members_and_comes_back_new(iot: Any) -> None:
    iot.create_thing(thingName="t")
    first = iot.create_thing_group(thingGroupName="g")
    iot.add_thing_to_thing_group(thingGroupName="g", thingName="t")
    iot.delete_thing_group(thingGroupName="g")
    assert iot.list_thing_groups_for_thing(thingName="t")["thingGroups"] == []
    again = iot.create_thing_group(thingGroupName="g")
    assert again["thingGroupId"] != first["thingGroupId"]
    assert iot.list_things_in_thing_group(thingGroupName="g")["things"] == []


# --- ListThingGroups -------------------------------------------------------------


def test_list_thing_groups_filters(iot: Any) -> None:
    make_tree(iot)
    assert names(iot.list_thing_groups()["thingGroups"]) == ["root", "mid", "leaf", "other", "root2"]
    assert names(iot.list_thing_groups(recursive=False)["thingGroups"]) == ["root", "root2"]
    assert names(iot.list_thing_groups(parentGroup="root", recursive=False)["thingGroups"]) == [
        "mid",
        "other",
    ]
    assert names(iot.list_thing_groups(parentGroup="root", recursive=True)["thingGroups"]) == [
        "mid",
        "leaf",
        "other",
    ]
    assert names(iot.list_thing_groups(namePrefixFilter="root")["thingGroups"]) == [
        "root",
        "root2",
    ]
    listed = iot.list_thing_groups(namePrefixFilter="leaf")["thingGroups"]
    assert listed == [{"groupName": "leaf", "groupArn": group_arn("leaf")}]


def test_list_thing_groups_missing_parent(iot: Any) -> None:
    with pytest.raises(ClientError) as err:
        iot.list_thing_groups(parentGroup="ghost")
    assert error_of(err) == "ResourceNotFoundException"


def test_list_thing_groups_pages(iot: Any) -> None:
    for i in range(7):
        iot.create_thing_group(thingGroupName=f"g{i}")
    first = iot.list_thing_groups(maxResults=3)
    assert names(first["thingGroups"]) == ["g0", "g1", "g2"]
    second = iot.list_thing_groups(maxResults=3, nextToken=first["nextToken"])
    assert names(second["thingGroups"]) == ["g3", "g4", "g5"]
    pages = iot.get_paginator("list_thing_groups").paginate(PaginationConfig={"PageSize": 2})
    seen = [g["groupName"] for page in pages for g in page["thingGroups"]]
    assert seen == [f"g{i}" for i in range(7)]


def test_list_thing_groups_forged_token(iot: Any) -> None:
    with pytest.raises(ClientError) as err:
        iot.list_thing_groups(nextToken="forged")
    assert error_of(err) == "InvalidRequestException"


def test_list_thing_groups_max_results_bounds(iot: Any) -> None:
    with pytest.raises(ClientError) as err:
        iot.list_thing_groups(maxResults=251)
    assert error_of(err) == "InvalidRequestException"


# --- membership --------------------------------------------------------------------


def test_add_and_remove_by_name_and_arn(iot: Any) -> None:
    iot.create_thing_group(thingGroupName="g")
    for name in ("a", "b"):
        iot.create_thing(thingName=name)
    iot.add_thing_to_thing_group(thingGroupName="g", thingName="a")
    iot.add_thing_to_thing_group(thingGroupArn=group_arn("g"), thingArn=thing_arn("b"))
    assert iot.list_things_in_thing_group(thingGroupName="g")["things"] == ["a", "b"]
    iot.remove_thing_from_thing_group(thingGroupArn=group_arn("g"), thingName="a")
    iot.remove_thing_from_thing_group(thingGroupName="g", thingArn=thing_arn("b"))
    assert iot.list_things_in_thing_group(thingGroupName="g")["things"] == []


def test_add_and_remove_are_idempotent(iot: Any) -> None:
    iot.create_thing_group(thingGroupName="g")
    iot.create_thing(thingName="a")
    iot.add_thing_to_thing_group(thingGroupName="g", thingName="a")
    iot.add_thing_to_thing_group(thingGroupName="g", thingName="a")
    assert iot.list_things_in_thing_group(thingGroupName="g")["things"] == ["a"]
    iot.remove_thing_from_thing_group(thingGroupName="g", thingName="a")
    iot.remove_thing_from_thing_group(thingGroupName="g", thingName="a")
    assert iot.list_things_in_thing_group(thingGroupName="g")["things"] == []


@pytest.mark.parametrize("op", ["add_thing_to_thing_group", "remove_thing_from_thing_group"])
def test_membership_needs_existing_thing_and_group(iot: Any, op: str) -> None:
    iot.create_thing_group(thingGroupName="g")
    iot.create_thing(thingName="a")
    call = getattr(iot, op)
    for kwargs in (
        {"thingGroupName": "g", "thingName": "ghost"},
        {"thingGroupName": "ghost", "thingName": "a"},
        {"thingGroupArn": group_arn("ghost"), "thingName": "a"},
        {"thingGroupName": "g", "thingArn": thing_arn("ghost")},
        # The right name in another account is not this account's resource.
        {"thingGroupName": "g", "thingArn": "arn:aws:iot:us-east-1:999999999999:thing/a"},
        {"thingGroupArn": "arn:aws:iot:eu-west-1:123456789012:thinggroup/g", "thingName": "a"},
    ):
        with pytest.raises(ClientError) as err:
            call(**kwargs)
        assert error_of(err) == "ResourceNotFoundException", kwargs


@pytest.mark.parametrize(
    "kwargs",
    [
        {"thingName": "a"},
        {"thingGroupName": "g"},
        {"thingGroupName": "g", "thingGroupArn": group_arn("h"), "thingName": "a"},
        {"thingGroupName": "g", "thingName": "a", "thingArn": thing_arn("b")},
        {"thingGroupArn": "not-an-arn", "thingName": "a"},
    ],
)
def test_membership_needs_consistent_names(iot: Any, kwargs: dict) -> None:
    iot.create_thing_group(thingGroupName="g")
    iot.create_thing_group(thingGroupName="h")
    iot.create_thing(thingName="a")
    iot.create_thing(thingName="b")
    with pytest.raises(ClientError) as err:
        iot.add_thing_to_thing_group(**kwargs)
    assert error_of(err) == "InvalidRequestException"
    assert iot.list_thing_groups_for_thing(thingName="a")["thingGroups"] == []


def test_a_thing_is_in_at_most_ten_groups(iot: Any) -> None:
    iot.create_thing(thingName="a")
    for i in range(11):
        iot.create_thing_group(thingGroupName=f"g{i}")
    for i in range(10):
        iot.add_thing_to_thing_group(thingGroupName=f"g{i}", thingName="a")
    with pytest.raises(ClientError) as err:
        iot.add_thing_to_thing_group(thingGroupName="g10", thingName="a")
    assert error_of(err) == "InvalidRequestException"
    assert len(iot.list_thing_groups_for_thing(thingName="a")["thingGroups"]) == 10
    assert iot.list_things_in_thing_group(thingGroupName="g10")["things"] == []


def test_update_thing_groups_for_thing(iot: Any) -> None:
    make_tree(iot)
    iot.create_thing(thingName="a")
    iot.update_thing_groups_for_thing(thingName="a", thingGroupsToAdd=["leaf", "root2"])
    assert names(iot.list_thing_groups_for_thing(thingName="a")["thingGroups"]) == ["leaf", "root2"]
    iot.update_thing_groups_for_thing(
        thingName="a",
        thingGroupsToAdd=["other"],
        thingGroupsToRemove=["leaf", "mid"],
        overrideDynamicGroups=True,
    )
    assert names(iot.list_thing_groups_for_thing(thingName="a")["thingGroups"]) == [
        "root2",
        "other",
    ]


def test_update_thing_groups_for_thing_is_all_or_nothing(iot: Any) -> None:
    make_tree(iot)
    iot.create_thing(thingName="a")
    with pytest.raises(ClientError) as err:
        iot.update_thing_groups_for_thing(thingName="a", thingGroupsToAdd=["leaf", "ghost"])
    assert error_of(err) == "ResourceNotFoundException"
    assert iot.list_thing_groups_for_thing(thingName="a")["thingGroups"] == []
    with pytest.raises(ClientError) as err:
        iot.update_thing_groups_for_thing(thingName="ghost", thingGroupsToAdd=["leaf"])
    assert error_of(err) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as err:
        iot.update_thing_groups_for_thing(thingGroupsToAdd=["leaf"])
    assert error_of(err) == "InvalidRequestException"


def test_list_things_in_group_direct_and_recursive(iot: Any) -> None:
    make_tree(iot)
    for name in ("a", "b", "c", "d"):
        iot.create_thing(thingName=name)
    iot.add_thing_to_thing_group(thingGroupName="leaf", thingName="a")
    iot.add_thing_to_thing_group(thingGroupName="root", thingName="b")
    iot.add_thing_to_thing_group(thingGroupName="other", thingName="c")
    iot.add_thing_to_thing_group(thingGroupName="root2", thingName="d")
    # A thing reached through two groups of the subtree is listed once.
    iot.add_thing_to_thing_group(thingGroupName="mid", thingName="b")
    assert iot.list_things_in_thing_group(thingGroupName="root")["things"] == ["b"]
    assert iot.list_things_in_thing_group(thingGroupName="root", recursive=True)["things"] == [
        "a",
        "b",
        "c",
    ]
    assert iot.list_things_in_thing_group(thingGroupName="mid", recursive=True)["things"] == [
        "a",
        "b",
    ]


def test_list_things_in_group_pages(iot: Any) -> None:
    iot.create_thing_group(thingGroupName="g")
    for i in range(5):
        iot.create_thing(thingName=f"t{i}")
        iot.add_thing_to_thing_group(thingGroupName="g", thingName=f"t{i}")
    first = iot.list_things_in_thing_group(thingGroupName="g", maxResults=2)
    assert first["things"] == ["t0", "t1"] and "nextToken" in first
    pages = iot.get_paginator("list_things_in_thing_group").paginate(
        thingGroupName="g", PaginationConfig={"PageSize": 2}
    )
    assert [t for page in pages for t in page["things"]] == [f"t{i}" for i in range(5)]
    with pytest.raises(ClientError) as err:
        iot.list_things_in_thing_group(thingGroupName="g", nextToken="forged")
    assert error_of(err) == "InvalidRequestException"


def test_list_things_in_missing_group(iot: Any) -> None:
    with pytest.raises(ClientError) as err:
        iot.list_things_in_thing_group(thingGroupName="ghost", recursive=True)
    assert error_of(err) == "ResourceNotFoundException"


def test_list_thing_groups_for_thing_direct_only_and_pages(iot: Any) -> None:
    make_tree(iot)
    iot.create_thing(thingName="a")
    for group in ("leaf", "other", "root2"):
        iot.add_thing_to_thing_group(thingGroupName=group, thingName="a")
    listed = iot.list_thing_groups_for_thing(thingName="a")["thingGroups"]
    assert listed == [
        {"groupName": "leaf", "groupArn": group_arn("leaf")},
        {"groupName": "other", "groupArn": group_arn("other")},
        {"groupName": "root2", "groupArn": group_arn("root2")},
    ]
    first = iot.list_thing_groups_for_thing(thingName="a", maxResults=2)
    assert names(first["thingGroups"]) == ["leaf", "other"]
    rest = iot.list_thing_groups_for_thing(thingName="a", nextToken=first["nextToken"])
    assert names(rest["thingGroups"]) == ["root2"] and "nextToken" not in rest
    pages = iot.get_paginator("list_thing_groups_for_thing").paginate(thingName="a", PaginationConfig={"PageSize": 1})
    assert [g["groupName"] for p in pages for g in p["thingGroups"]] == ["leaf", "other", "root2"]


def test_list_thing_groups_for_missing_thing(iot: Any) -> None:
    with pytest.raises(ClientError) as err:
        iot.list_thing_groups_for_thing(thingName="ghost")
    assert error_of(err) == "ResourceNotFoundException"


def test_deleted_thing_leaves_its_groups(iot: Any) -> None:
    iot.create_thing_group(thingGroupName="g")
    iot.create_thing(thingName="a")
    iot.add_thing_to_thing_group(thingGroupName="g", thingName="a")
    iot.delete_thing(thingName="a")
    assert iot.list_things_in_thing_group(thingGroupName="g")["things"] == []
    iot.create_thing(thingName="a")
    assert iot.list_thing_groups_for_thing(thingName="a")["thingGroups"] == []


def test_groups_are_per_region(mock: MockIotJobs) -> None:
    east = boto3.client("iot", region_name="us-east-1", config=NO_RETRY)
    west = boto3.client("iot", region_name="us-west-2", config=NO_RETRY)
    east.create_thing_group(thingGroupName="g")
    assert west.list_thing_groups()["thingGroups"] == []
    assert west.create_thing_group(thingGroupName="g")["thingGroupArn"].startswith("arn:aws:iot:us-west-2:")


# --- the jobs engine follows membership -------------------------------------------


def _continuous_jobs_available() -> bool:
    return ("iot", "CreateJob") in HANDLERS and ("iot", "ListJobExecutionsForJob") in HANDLERS


@pytest.mark.skipif(not _continuous_jobs_available(), reason="CreateJob not implemented yet")
def test_continuous_job_follows_child_group_membership(iot: Any) -> None:
    make_tree(iot)
    iot.create_thing(thingName="a")
    iot.create_job(
        jobId="cont",
        targets=[group_arn("root")],
        document='{"op": "x"}',
        targetSelection="CONTINUOUS",
    )
    assert iot.list_job_executions_for_job(jobId="cont")["executionSummaries"] == []
    iot.add_thing_to_thing_group(thingGroupName="leaf", thingName="a")
    summaries = iot.list_job_executions_for_job(jobId="cont")["executionSummaries"]
    assert [(s["thingArn"], s["jobExecutionSummary"]["status"]) for s in summaries] == [(thing_arn("a"), "QUEUED")]
    iot.remove_thing_from_thing_group(thingGroupName="leaf", thingName="a")
    summaries = iot.list_job_executions_for_job(jobId="cont")["executionSummaries"]
    assert [s["jobExecutionSummary"]["status"] for s in summaries] == ["REMOVED"]


@pytest.mark.skipif(not _continuous_jobs_available(), reason="CreateJob not implemented yet")
def test_snapshot_job_reaches_members_of_child_groups_once(iot: Any) -> None:
    make_tree(iot)
    for name in ("a", "b"):
        iot.create_thing(thingName=name)
    iot.add_thing_to_thing_group(thingGroupName="leaf", thingName="a")
    iot.add_thing_to_thing_group(thingGroupName="root", thingName="a")
    iot.add_thing_to_thing_group(thingGroupName="other", thingName="b")
    iot.create_job(jobId="snap", targets=[group_arn("root")], document='{"op": "x"}')
    summaries = iot.list_job_executions_for_job(jobId="snap")["executionSummaries"]
    assert sorted(s["thingArn"] for s in summaries) == [thing_arn("a"), thing_arn("b")]
