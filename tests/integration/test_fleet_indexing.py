"""Fleet indexing through boto3: configuration, indexes, SearchIndex, aggregations."""

from __future__ import annotations

from typing import Any, Dict, List

import pytest
from botocore.exceptions import ClientError

from mock_iotjobs import MockIotJobs

FLEET = {
    "cam-1": {"firmware": "2.3", "model": "x100", "battery": "80"},
    "cam-2": {"firmware": "2.4", "model": "x100", "battery": "55"},
    "cam-3": {"firmware": "1.9", "model": "x200", "battery": "95"},
    "door-1": {"firmware": "3.0", "model": "d1", "battery": "10"},
}


def error(call: Any, **params: Any) -> Dict[str, Any]:
    with pytest.raises(ClientError) as caught:
        call(**params)
    return caught.value.response


def enable(iot: Any, mode: str = "REGISTRY", connectivity: str = "OFF", **extra: Any) -> None:
    iot.update_indexing_configuration(
        thingIndexingConfiguration={
            "thingIndexingMode": mode,
            "thingConnectivityIndexingMode": connectivity,
            **extra,
        }
    )


@pytest.fixture
def fleet(iot: Any) -> Any:
    for name, attributes in FLEET.items():
        iot.create_thing(thingName=name, attributePayload={"attributes": attributes})
    iot.create_thing_group(thingGroupName="cameras")
    for name in ("cam-1", "cam-2", "cam-3"):
        iot.add_thing_to_thing_group(thingGroupName="cameras", thingName=name)
    return iot


def names(iot: Any, query: str, **params: Any) -> List[str]:
    return [t["thingName"] for t in iot.search_index(queryString=query, **params)["things"]]


# --- configuration --------------------------------------------------------------------
def test_indexing_starts_off_and_search_is_refused(iot: Any) -> None:
    config = iot.get_indexing_configuration()
    assert config["thingIndexingConfiguration"] == {"thingIndexingMode": "OFF", "thingConnectivityIndexingMode": "OFF"}
    assert config["thingGroupIndexingConfiguration"] == {"thingGroupIndexingMode": "OFF"}
    assert iot.list_indices()["indexNames"] == []
    refused = error(iot.search_index, queryString="thingName:a")
    assert refused["Error"]["Code"] == "ResourceNotFoundException"
    assert refused["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert "Index AWS_Things does not exist" in refused["Error"]["Message"]
    assert error(iot.describe_index, indexName="AWS_Things")["Error"]["Code"] == "ResourceNotFoundException"
    assert error(iot.get_statistics, queryString="*")["Error"]["Code"] == "ResourceNotFoundException"


def test_enabling_lists_managed_fields_and_the_index(iot: Any) -> None:
    enable(iot, "REGISTRY", "STATUS", customFields=[{"name": "attributes.battery", "type": "Number"}])
    config = iot.get_indexing_configuration()["thingIndexingConfiguration"]
    managed = {f["name"]: f["type"] for f in config["managedFields"]}
    assert managed["thingName"] == "String"
    assert managed["connectivity.connected"] == "Boolean"
    assert config["customFields"] == [{"name": "attributes.battery", "type": "Number"}]
    assert iot.list_indices()["indexNames"] == ["AWS_Things"]
    described = iot.describe_index(indexName="AWS_Things")
    assert (described["indexStatus"], described["schema"]) == ("ACTIVE", "REGISTRY_AND_CONNECTIVITY_STATUS")
    iot.update_indexing_configuration(thingGroupIndexingConfiguration={"thingGroupIndexingMode": "ON"})
    assert iot.list_indices()["indexNames"] == ["AWS_Things", "AWS_ThingGroups"]


@pytest.mark.parametrize(
    "config",
    [
        {"thingIndexingMode": "OFF", "thingConnectivityIndexingMode": "STATUS"},
        {"thingIndexingMode": "REGISTRY", "customFields": [{"name": "thingName", "type": "String"}]},
        {"thingIndexingMode": "REGISTRY", "customFields": [{"name": "shadow.reported.v", "type": "Number"}]},
    ],
)
def test_invalid_configurations_are_refused_and_change_nothing(iot: Any, config: Dict[str, Any]) -> None:
    before = iot.get_indexing_configuration()
    refused = error(iot.update_indexing_configuration, thingIndexingConfiguration=config)
    assert refused["Error"]["Code"] == "InvalidRequestException"
    after = iot.get_indexing_configuration()
    assert {k: v for k, v in after.items() if k != "ResponseMetadata"} == {
        k: v for k, v in before.items() if k != "ResponseMetadata"
    }


# --- SearchIndex -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "query, expected",
    [
        ("thingName:cam-1", ["cam-1"]),
        ("thingName:cam*", ["cam-1", "cam-2", "cam-3"]),
        ("thingName:cam-?", ["cam-1", "cam-2", "cam-3"]),
        ("thingName:*1", ["cam-1", "door-1"]),
        ("THINGNAME:cam-1", []),  # field names are case sensitive
        ("thingName:CAM-1", ["cam-1"]),  # values are not
        ("attributes.model:x100", ["cam-1", "cam-2"]),
        ('attributes.model:"x200"', ["cam-3"]),
        ("attributes.firmware<2.4", ["cam-1", "cam-3"]),
        ("attributes.firmware<=2.4", ["cam-1", "cam-2", "cam-3"]),
        ("attributes.firmware>2.4", ["door-1"]),
        ("attributes.battery:[55 TO 80]", ["cam-1", "cam-2"]),
        ("attributes.battery:{55 TO 80]", ["cam-1"]),
        ("attributes.battery:[* TO 20]", ["door-1"]),
        ('attributes.model:["x100" TO "x150"]', ["cam-1", "cam-2"]),
        ("attributes.model:x100 AND attributes.battery>60", ["cam-1"]),
        ("attributes.model:x100 attributes.battery>60", ["cam-1"]),  # AND is the default
        ("attributes.model:x200 OR thingName:door-1", ["cam-3", "door-1"]),
        ("NOT attributes.model:x100", ["cam-3", "door-1"]),
        ("thingName:cam* -attributes.model:x100", ["cam-3"]),
        ("thingName:(cam* AND -cam-2)", ["cam-1", "cam-3"]),
        ("(attributes.model:x100 OR attributes.model:d1) AND attributes.battery<60", ["cam-2", "door-1"]),
        ("thingGroupNames:cameras", ["cam-1", "cam-2", "cam-3"]),
        ("thingGroupNames:cam*", ["cam-1", "cam-2", "cam-3"]),
        ("x200", ["cam-3"]),  # a bare term searches every field
        ("attributes.model:*", ["cam-1", "cam-2", "cam-3", "door-1"]),
        ("attributes.missing:*", []),
    ],
)
def test_query_language(fleet: Any, query: str, expected: List[str]) -> None:
    enable(fleet)
    assert names(fleet, query) == expected


def test_documents_carry_the_registry_fields(fleet: Any) -> None:
    enable(fleet, "REGISTRY", "STATUS")
    (doc,) = fleet.search_index(queryString="thingName:cam-1")["things"]
    assert doc["thingName"] == "cam-1"
    assert doc["thingId"] == fleet.describe_thing(thingName="cam-1")["thingId"]
    assert doc["thingGroupNames"] == ["cameras"]
    assert doc["attributes"] == FLEET["cam-1"]
    assert doc["connectivity"] == {"connected": False}


def test_the_index_follows_registry_changes(fleet: Any) -> None:
    enable(fleet)
    fleet.update_thing(thingName="cam-1", attributePayload={"attributes": {"firmware": "2.5"}, "merge": True})
    assert names(fleet, "attributes.firmware:2.5") == ["cam-1"]
    fleet.remove_thing_from_thing_group(thingGroupName="cameras", thingName="cam-2")
    assert names(fleet, "thingGroupNames:cameras") == ["cam-1", "cam-3"]
    fleet.delete_thing(thingName="cam-3")
    assert names(fleet, "thingGroupNames:cameras") == ["cam-1"]
    fleet.create_thing(thingName="cam-9", attributePayload={"attributes": {"model": "x100"}})
    assert names(fleet, "attributes.model:x100") == ["cam-1", "cam-2", "cam-9"]


def test_connectivity_from_the_handle(fleet: Any, mock: MockIotJobs) -> None:
    enable(fleet, "REGISTRY", "STATUS")
    mock.set_connected("cam-2")
    assert names(fleet, "connectivity.connected:true") == ["cam-2"]
    (doc,) = fleet.search_index(queryString="thingName:cam-2")["things"]
    assert doc["connectivity"]["connected"] is True
    assert abs(doc["connectivity"]["timestamp"] - mock.now() * 1000) < 5000
    mock.set_connected("cam-2", False)
    assert names(fleet, "connectivity.connected:true") == []
    assert names(fleet, "connectivity.disconnectReason:CLIENT_INITIATED_DISCONNECT") == ["cam-2"]


def test_pagination(iot: Any, mock: MockIotJobs) -> None:
    mock.create_fleet(7, prefix="p")
    enable(iot)
    first = iot.search_index(queryString="thingName:p*", maxResults=3)
    assert [t["thingName"] for t in first["things"]] == ["p-0000", "p-0001", "p-0002"]
    seen = [t["thingName"] for t in first["things"]]
    token = first["nextToken"]
    while token:
        page = iot.search_index(queryString="thingName:p*", maxResults=3, nextToken=token)
        seen += [t["thingName"] for t in page["things"]]
        token = page.get("nextToken")
    assert seen == [f"p-{i:04d}" for i in range(7)]
    forged = error(iot.search_index, queryString="thingName:p*", nextToken="forged")
    assert forged["Error"]["Code"] == "InvalidRequestException"


@pytest.mark.parametrize(
    "query",
    ["thingName:", "(thingName:a", "thingName:a AND", "thingName:a@b", "thingName:*a OR thingName:*b", "a~2",
     " ".join(f"t{i}" for i in range(13))],
)
def test_refused_queries(fleet: Any, query: str) -> None:
    enable(fleet)
    refused = error(fleet.search_index, queryString=query)
    assert refused["Error"]["Code"] == "InvalidQueryException"
    assert refused["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_unknown_index_and_query_version(fleet: Any) -> None:
    enable(fleet)
    assert error(fleet.search_index, indexName="nope", queryString="a")["Error"]["Code"] == "ResourceNotFoundException"
    bad_version = error(fleet.search_index, queryString="a", queryVersion="2020-01-01")
    assert bad_version["Error"]["Code"] == "InvalidRequestException"


def test_thing_group_index(fleet: Any) -> None:
    fleet.create_thing_group(thingGroupName="indoor", parentGroupName="cameras",
                             thingGroupProperties={"thingGroupDescription": "inside", "attributePayload": {
                                 "attributes": {"floor": "2"}}})
    refused = error(fleet.search_index, indexName="AWS_ThingGroups", queryString="thingGroupName:indoor")
    assert refused["Error"]["Code"] == "ResourceNotFoundException"
    fleet.update_indexing_configuration(thingGroupIndexingConfiguration={"thingGroupIndexingMode": "ON"})
    found = fleet.search_index(indexName="AWS_ThingGroups", queryString="parentGroupNames:cameras")
    assert [g["thingGroupName"] for g in found["thingGroups"]] == ["indoor"]
    assert found["thingGroups"][0]["parentGroupNames"] == ["cameras"]
    assert found["thingGroups"][0]["thingGroupDescription"] == "inside"
    by_attribute = fleet.search_index(indexName="AWS_ThingGroups", queryString="attributes.floor:2")
    assert [g["thingGroupName"] for g in by_attribute["thingGroups"]] == ["indoor"]


# --- aggregations --------------------------------------------------------------------------
def test_statistics_cardinality_percentiles_buckets(fleet: Any) -> None:
    enable(fleet, customFields=[{"name": "attributes.battery", "type": "Number"},
                                {"name": "attributes.model", "type": "String"}])
    stats = fleet.get_statistics(queryString="thingName:cam*", aggregationField="attributes.battery")["statistics"]
    assert stats["count"] == 3
    assert stats["sum"] == 230 and stats["minimum"] == 55 and stats["maximum"] == 95
    assert stats["average"] == pytest.approx(230 / 3)
    assert stats["variance"] == pytest.approx(sum((b - 230 / 3) ** 2 for b in (80, 55, 95)) / 3)
    assert fleet.get_statistics(queryString="*")["statistics"] == {"count": 4}
    assert fleet.get_statistics(queryString="*", aggregationField="attributes.model")["statistics"] == {"count": 4}
    assert fleet.get_cardinality(queryString="*", aggregationField="attributes.model")["cardinality"] == 3
    percentiles = fleet.get_percentiles(queryString="*", aggregationField="attributes.battery", percents=[0, 50, 100])
    assert [(p["percent"], p["value"]) for p in percentiles["percentiles"]] == [(0, 10), (50, 67.5), (100, 95)]
    buckets = fleet.get_buckets_aggregation(
        queryString="*", aggregationField="attributes.model",
        bucketsAggregationType={"termsAggregation": {"maxBuckets": 2}},
    )
    assert buckets["totalCount"] == 4
    assert buckets["buckets"] == [{"keyValue": "x100", "count": 2}, {"keyValue": "d1", "count": 1}]


def test_aggregations_refuse_fields_that_are_not_indexed_or_not_numbers(fleet: Any) -> None:
    enable(fleet, customFields=[{"name": "attributes.model", "type": "String"}])
    for call, extra in ((fleet.get_statistics, {}), (fleet.get_percentiles, {})):
        refused = error(call, queryString="*", aggregationField="attributes.battery", **extra)
        assert refused["Error"]["Code"] == "InvalidAggregationException"
    refused = error(fleet.get_percentiles, queryString="*", aggregationField="attributes.model")
    assert refused["Error"]["Code"] == "InvalidAggregationException"
    bad_query = error(fleet.get_statistics, queryString="(", aggregationField="attributes.model")
    assert bad_query["Error"]["Code"] == "InvalidQueryException"


def test_thing_group_names_follow_a_direct_membership_change_that_keeps_the_reach(iot: Any) -> None:
    """In A directly and in A's child B: leaving A keeps A in the thing's reach, but
    A is no longer one of its thing groups in the index."""
    enable(iot)
    iot.create_thing(thingName="t")
    iot.create_thing_group(thingGroupName="A")
    iot.create_thing_group(thingGroupName="B", parentGroupName="A")
    iot.add_thing_to_thing_group(thingGroupName="B", thingName="t")
    iot.add_thing_to_thing_group(thingGroupName="A", thingName="t")
    assert names(iot, "thingGroupNames:A") == ["t"]
    iot.remove_thing_from_thing_group(thingGroupName="A", thingName="t")
    assert names(iot, "thingGroupNames:A") == []
    assert names(iot, "thingGroupNames:B") == ["t"]
