"""Dynamic thing groups through boto3: membership follows a fleet-indexing query,
and jobs targeted at them follow the membership."""

from __future__ import annotations

import json
from typing import Any, Dict, List

import pytest
from botocore.exceptions import ClientError

from mock_iotjobs import MockIotJobs

ARN = "arn:aws:iot:us-east-1:123456789012:{}"


def error(call: Any, **params: Any) -> Dict[str, Any]:
    with pytest.raises(ClientError) as caught:
        call(**params)
    return caught.value.response


@pytest.fixture
def indexed(iot: Any) -> Any:
    iot.update_indexing_configuration(
        thingIndexingConfiguration={"thingIndexingMode": "REGISTRY", "thingConnectivityIndexingMode": "STATUS"}
    )
    for name, firmware in (("d1", "2.3"), ("d2", "2.4"), ("d3", "1.0")):
        iot.create_thing(thingName=name, attributePayload={"attributes": {"firmware": firmware}})
    return iot


def members(iot: Any, group: str) -> List[str]:
    return sorted(iot.list_things_in_thing_group(thingGroupName=group)["things"])


def test_create_describe_and_membership(indexed: Any) -> None:
    created = indexed.create_dynamic_thing_group(thingGroupName="old", queryString="attributes.firmware<2.4")
    assert created["thingGroupArn"] == ARN.format("thinggroup/old")
    assert (created["indexName"], created["queryString"], created["queryVersion"]) == (
        "AWS_Things", "attributes.firmware<2.4", "2017-09-30")
    assert members(indexed, "old") == ["d1", "d3"]
    described = indexed.describe_thing_group(thingGroupName="old")
    assert (described["queryString"], described["status"], described["indexName"]) == (
        "attributes.firmware<2.4", "ACTIVE", "AWS_Things")
    assert [g["groupName"] for g in indexed.list_thing_groups_for_thing(thingName="d1")["thingGroups"]] == ["old"]
    static = indexed.create_thing_group(thingGroupName="static")
    assert "queryString" not in indexed.describe_thing_group(thingGroupName="static")
    assert static["thingGroupName"] == "static"


def test_membership_follows_registry_changes_at_once(indexed: Any, mock: MockIotJobs) -> None:
    indexed.create_dynamic_thing_group(thingGroupName="old", queryString="attributes.firmware<2.4")
    indexed.update_thing(thingName="d1", attributePayload={"attributes": {"firmware": "2.5"}, "merge": True})
    indexed.create_thing(thingName="d4", attributePayload={"attributes": {"firmware": "0.9"}})
    assert members(indexed, "old") == ["d3", "d4"]
    indexed.create_dynamic_thing_group(thingGroupName="online", queryString="connectivity.connected:true")
    assert members(indexed, "online") == []
    mock.set_connected("d2")
    assert members(indexed, "online") == ["d2"]
    mock.set_connected("d2", False)
    assert members(indexed, "online") == []
    indexed.delete_thing(thingName="d3")
    assert members(indexed, "old") == ["d4"]


def test_update_changes_the_query_and_version(indexed: Any) -> None:
    indexed.create_dynamic_thing_group(thingGroupName="g", queryString="attributes.firmware:2.3")
    assert indexed.update_dynamic_thing_group(thingGroupName="g", queryString="attributes.firmware>=2.3",
                                              expectedVersion=1, thingGroupProperties={})["version"] == 2
    assert members(indexed, "g") == ["d1", "d2"]
    conflict = error(indexed.update_dynamic_thing_group, thingGroupName="g", queryString="x", expectedVersion=1,
                     thingGroupProperties={})
    assert conflict["Error"]["Code"] == "VersionConflictException"
    bad = error(indexed.update_dynamic_thing_group, thingGroupName="g", queryString="(", thingGroupProperties={})
    assert bad["Error"]["Code"] == "InvalidQueryException"
    assert indexed.describe_thing_group(thingGroupName="g")["queryString"] == "attributes.firmware>=2.3"
    assert members(indexed, "g") == ["d1", "d2"]


def test_refusals(indexed: Any, iot: Any) -> None:
    bad_query = error(indexed.create_dynamic_thing_group, thingGroupName="g", queryString="a AND")
    assert bad_query["Error"]["Code"] == "InvalidQueryException"
    assert error(indexed.describe_thing_group, thingGroupName="g")["Error"]["Code"] == "ResourceNotFoundException"
    indexed.create_dynamic_thing_group(thingGroupName="g", queryString="thingName:d*")
    for call, params in (
        (indexed.add_thing_to_thing_group, {"thingGroupName": "g", "thingName": "d1"}),
        (indexed.remove_thing_from_thing_group, {"thingGroupName": "g", "thingName": "d1"}),
        (indexed.update_thing_groups_for_thing, {"thingName": "d1", "thingGroupsToRemove": ["g"]}),
        (indexed.create_thing_group, {"thingGroupName": "child", "parentGroupName": "g"}),
        (indexed.delete_thing_group, {"thingGroupName": "g"}),
    ):
        assert error(call, **params)["Error"]["Code"] == "InvalidRequestException"
    assert members(indexed, "g") == ["d1", "d2", "d3"]
    again = error(indexed.create_dynamic_thing_group, thingGroupName="g", queryString="thingName:x")
    assert again["Error"]["Code"] == "ResourceAlreadyExistsException"
    indexed.create_thing_group(thingGroupName="static")
    wrong_kind = error(indexed.update_dynamic_thing_group, thingGroupName="static", queryString="a",
                       thingGroupProperties={})
    assert wrong_kind["Error"]["Code"] == "InvalidRequestException"
    assert error(indexed.delete_dynamic_thing_group, thingGroupName="static")["Error"]["Code"] == (
        "InvalidRequestException")
    off = error(indexed.update_indexing_configuration, thingIndexingConfiguration={"thingIndexingMode": "OFF"})
    assert off["Error"]["Code"] == "InvalidRequestException"


def test_needs_indexing(iot: Any) -> None:
    refused = error(iot.create_dynamic_thing_group, thingGroupName="g", queryString="thingName:a")
    assert refused["Error"]["Code"] == "ResourceNotFoundException"


def test_delete_removes_memberships(indexed: Any) -> None:
    indexed.create_dynamic_thing_group(thingGroupName="g", queryString="thingName:d*")
    indexed.delete_dynamic_thing_group(thingGroupName="g")
    assert indexed.list_thing_groups_for_thing(thingName="d1")["thingGroups"] == []
    indexed.delete_dynamic_thing_group(thingGroupName="g")  # gone already: succeeds
    indexed.update_thing(thingName="d1", attributePayload={"attributes": {"firmware": "9"}})


def test_override_dynamic_groups_makes_room_for_a_static_group(indexed: Any) -> None:
    indexed.create_dynamic_thing_group(thingGroupName="dyn", queryString="thingName:d1")
    for i in range(9):
        indexed.create_thing_group(thingGroupName=f"s{i}")
        indexed.add_thing_to_thing_group(thingGroupName=f"s{i}", thingName="d1")
    indexed.create_thing_group(thingGroupName="extra")
    full = error(indexed.add_thing_to_thing_group, thingGroupName="extra", thingName="d1")
    assert full["Error"]["Code"] == "InvalidRequestException"
    indexed.add_thing_to_thing_group(thingGroupName="extra", thingName="d1", overrideDynamicGroups=True)
    groups = [g["groupName"] for g in indexed.list_thing_groups_for_thing(thingName="d1")["thingGroups"]]
    assert "extra" in groups and "dyn" not in groups


# --- jobs ------------------------------------------------------------------------------------
def test_continuous_job_reaches_a_thing_as_soon_as_it_matches(indexed: Any, jobs_data: Any) -> None:
    indexed.create_dynamic_thing_group(thingGroupName="old", queryString="attributes.firmware<2.4")
    indexed.create_job(jobId="ota", targets=[ARN.format("thinggroup/old")], targetSelection="CONTINUOUS",
                       document=json.dumps({"firmware": "2.4"}))
    assert {e["thingArn"].rsplit("/", 1)[1] for e in indexed.list_job_executions_for_job(
        jobId="ota")["executionSummaries"]} == {"d1", "d3"}
    indexed.update_thing(thingName="d2", attributePayload={"attributes": {"firmware": "2.0"}})
    pending = jobs_data.get_pending_job_executions(thingName="d2")["queuedJobs"]
    assert [j["jobId"] for j in pending] == ["ota"]
    # A queued execution whose thing stops matching is removed, as for a static group.
    indexed.update_thing(thingName="d3", attributePayload={"attributes": {"firmware": "2.4"}})
    status = indexed.describe_job_execution(jobId="ota", thingName="d3")["execution"]["status"]
    assert status == "REMOVED"
    assert jobs_data.get_pending_job_executions(thingName="d3")["queuedJobs"] == []


def test_snapshot_job_takes_the_members_at_creation(indexed: Any) -> None:
    indexed.create_dynamic_thing_group(thingGroupName="old", queryString="attributes.firmware<2.4")
    indexed.create_job(jobId="snap", targets=[ARN.format("thinggroup/old")], document="{}")
    indexed.update_thing(thingName="d2", attributePayload={"attributes": {"firmware": "2.0"}})
    executions = indexed.list_job_executions_for_job(jobId="snap")["executionSummaries"]
    assert sorted(e["thingArn"].rsplit("/", 1)[1] for e in executions) == ["d1", "d3"]
