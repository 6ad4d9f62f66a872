"""Thing types end to end through boto3: create, describe, list, update, deprecate, delete,
and what they mean for things (issue 12)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Dict

import pytest
from botocore.exceptions import ClientError
from refusal_support import refused

from mock_iotjobs import MockIotJobs

ACCOUNT = "123456789012"
REGION = "us-east-1"
TYPE_ARN = f"arn:aws:iot:{REGION}:{ACCOUNT}:thingtype/{{}}"


def strip(response: Dict[str, Any]) -> Dict[str, Any]:
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}


def light_bulb(iot: Any, name: str = "LightBulb", **properties: Any) -> Dict[str, Any]:
    props = properties or {"thingTypeDescription": "light bulb type", "searchableAttributes": ["wattage", "model"]}
    return strip(iot.create_thing_type(thingTypeName=name, thingTypeProperties=props))


# --- create / describe ----------------------------------------------------------------------
def test_create_and_describe(iot: Any, mock: MockIotJobs) -> None:
    created = light_bulb(iot)
    assert created["thingTypeName"] == "LightBulb"
    assert created["thingTypeArn"] == TYPE_ARN.format("LightBulb")
    assert created["thingTypeId"]

    described = strip(iot.describe_thing_type(thingTypeName="LightBulb"))
    metadata = described.pop("thingTypeMetadata")
    assert described == {
        "thingTypeName": "LightBulb",
        "thingTypeId": created["thingTypeId"],
        "thingTypeArn": created["thingTypeArn"],
        "thingTypeProperties": {
            "thingTypeDescription": "light bulb type",
            "searchableAttributes": ["wattage", "model"],
        },
    }
    assert metadata["deprecated"] is False
    assert "deprecationDate" not in metadata
    assert abs(metadata["creationDate"].timestamp() - mock.now()) < 2


def test_create_without_properties(iot: Any) -> None:
    iot.create_thing_type(thingTypeName="bare")
    described = iot.describe_thing_type(thingTypeName="bare")
    assert described["thingTypeProperties"] == {}
    assert described["thingTypeMetadata"]["deprecated"] is False


def test_identical_re_create_is_idempotent(iot: Any) -> None:
    first = light_bulb(iot, searchableAttributes=["a", "b"], thingTypeDescription="d")
    # The searchable attributes are a set: their order does not make another type.
    again = light_bulb(iot, searchableAttributes=["b", "a"], thingTypeDescription="d")
    assert again == first
    assert len(iot.list_thing_types()["thingTypes"]) == 1


def test_re_create_with_other_properties_conflicts(iot: Any, mock: MockIotJobs) -> None:
    created = light_bulb(iot)
    with pytest.raises(ClientError) as caught:
        iot.create_thing_type(thingTypeName="LightBulb", thingTypeProperties={"thingTypeDescription": "other"})
    error = caught.value.response
    assert (error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]) == (
        "ResourceAlreadyExistsException",
        409,
    )
    assert error["resourceId"] == created["thingTypeId"]
    assert error["resourceArn"] == created["thingTypeArn"]
    refused(
        mock,
        iot.create_thing_type,
        "ResourceAlreadyExistsException",
        409,
        thingTypeName="LightBulb",
        thingTypeProperties={"searchableAttributes": ["wattage"]},
    )
    assert iot.describe_thing_type(thingTypeName="LightBulb")["thingTypeProperties"]["thingTypeDescription"] == (
        "light bulb type"
    )


def test_at_most_three_searchable_attributes(iot: Any, mock: MockIotJobs) -> None:
    message = refused(
        mock,
        iot.create_thing_type,
        "InvalidRequestException",
        400,
        thingTypeName="big",
        thingTypeProperties={"searchableAttributes": ["a", "b", "c", "d"]},
    )
    assert "3" in message
    light_bulb(iot, "ok", searchableAttributes=["a", "b", "c"])


def test_validation_of_names_and_description(iot: Any, mock: MockIotJobs) -> None:
    message = refused(mock, iot.create_thing_type, "InvalidRequestException", 400, thingTypeName="bad name!")
    assert "thingTypeName" in message
    refused(
        mock,
        iot.create_thing_type,
        "InvalidRequestException",
        400,
        thingTypeName="t",
        thingTypeProperties={"thingTypeDescription": "x" * 2029},
    )


def test_describe_missing(iot: Any, mock: MockIotJobs) -> None:
    refused(mock, iot.describe_thing_type, "ResourceNotFoundException", 404, thingTypeName="ghost")


def test_tags_given_at_creation_are_stored(iot: Any) -> None:
    arn = iot.create_thing_type(thingTypeName="tagged", tags=[{"Key": "team", "Value": "fw"}])["thingTypeArn"]
    assert iot.list_tags_for_resource(resourceArn=arn)["tags"] == [{"Key": "team", "Value": "fw"}]
    iot.tag_resource(resourceArn=arn, tags=[{"Key": "env", "Value": "dev"}])
    iot.untag_resource(resourceArn=arn, tagKeys=["team"])
    assert iot.list_tags_for_resource(resourceArn=arn)["tags"] == [{"Key": "env", "Value": "dev"}]


# --- list -----------------------------------------------------------------------------------
def test_list_in_creation_order_with_pagination_and_name_filter(iot: Any, mock: MockIotJobs) -> None:
    for name in ("c", "a", "b"):
        light_bulb(iot, name, thingTypeDescription=f"type {name}")
    iot.deprecate_thing_type(thingTypeName="a")
    listed = iot.list_thing_types()["thingTypes"]
    assert [t["thingTypeName"] for t in listed] == ["c", "a", "b"]
    assert listed[1]["thingTypeArn"] == TYPE_ARN.format("a")
    assert listed[1]["thingTypeProperties"] == {"thingTypeDescription": "type a"}
    assert listed[1]["thingTypeMetadata"]["deprecated"] is True
    assert "deprecationDate" in listed[1]["thingTypeMetadata"]

    first = iot.list_thing_types(maxResults=2)
    assert [t["thingTypeName"] for t in first["thingTypes"]] == ["c", "a"]
    rest = iot.list_thing_types(maxResults=2, nextToken=first["nextToken"])
    assert [t["thingTypeName"] for t in rest["thingTypes"]] == ["b"]
    assert "nextToken" not in rest

    assert [t["thingTypeName"] for t in iot.list_thing_types(thingTypeName="b")["thingTypes"]] == ["b"]
    assert iot.list_thing_types(thingTypeName="zzz")["thingTypes"] == []
    refused(mock, iot.list_thing_types, "InvalidRequestException", 400, nextToken="forged")


# --- update -----------------------------------------------------------------------------------
def test_update_replaces_the_members_given(iot: Any) -> None:
    light_bulb(iot)
    mqtt5 = {"propagatingAttributes": [{"userPropertyKey": "model", "thingAttribute": "model"}]}
    iot.update_thing_type(thingTypeName="LightBulb", thingTypeProperties={"mqtt5Configuration": mqtt5})
    iot.update_thing_type(thingTypeName="LightBulb", thingTypeProperties={"thingTypeDescription": "v2"})
    assert iot.describe_thing_type(thingTypeName="LightBulb")["thingTypeProperties"] == {
        "thingTypeDescription": "v2",
        "searchableAttributes": ["wattage", "model"],
        "mqtt5Configuration": mqtt5,
    }


def test_update_errors(iot: Any, mock: MockIotJobs) -> None:
    refused(
        mock,
        iot.update_thing_type,
        "ResourceNotFoundException",
        404,
        thingTypeName="ghost",
        thingTypeProperties={"thingTypeDescription": "x"},
    )
    light_bulb(iot)
    refused(
        mock,
        iot.update_thing_type,
        "InvalidRequestException",
        400,
        thingTypeName="LightBulb",
        thingTypeProperties={"searchableAttributes": ["a", "b", "c", "d"]},
    )


# --- deprecate ----------------------------------------------------------------------------------
def test_deprecate_and_undo(iot: Any, mock: MockIotJobs) -> None:
    light_bulb(iot)
    iot.deprecate_thing_type(thingTypeName="LightBulb")
    metadata = iot.describe_thing_type(thingTypeName="LightBulb")["thingTypeMetadata"]
    assert metadata["deprecated"] is True
    deprecated_at = metadata["deprecationDate"]
    assert abs(deprecated_at.timestamp() - mock.now()) < 2

    # Deprecating again keeps the first date.
    mock.advance_time(minutes=2)
    iot.deprecate_thing_type(thingTypeName="LightBulb")
    assert iot.describe_thing_type(thingTypeName="LightBulb")["thingTypeMetadata"]["deprecationDate"] == deprecated_at

    iot.deprecate_thing_type(thingTypeName="LightBulb", undoDeprecate=True)
    metadata = iot.describe_thing_type(thingTypeName="LightBulb")["thingTypeMetadata"]
    assert metadata["deprecated"] is False
    assert "deprecationDate" not in metadata
    # Undeprecated, it can be given to things again.
    iot.create_thing(thingName="bulb", thingTypeName="LightBulb")


def test_deprecate_missing(iot: Any, mock: MockIotJobs) -> None:
    refused(mock, iot.deprecate_thing_type, "ResourceNotFoundException", 404, thingTypeName="ghost")
    refused(
        mock, iot.deprecate_thing_type, "ResourceNotFoundException", 404, thingTypeName="ghost", undoDeprecate=True
    )


# --- delete -----------------------------------------------------------------------------------
def test_delete_needs_deprecation_then_five_minutes(iot: Any, mock: MockIotJobs) -> None:
    arn = iot.create_thing_type(thingTypeName="old", tags=[{"Key": "k", "Value": "v"}])["thingTypeArn"]
    message = refused(mock, iot.delete_thing_type, "InvalidRequestException", 400, thingTypeName="old")
    assert "deprecated" in message

    iot.deprecate_thing_type(thingTypeName="old")
    refused(mock, iot.delete_thing_type, "InvalidRequestException", 400, thingTypeName="old")
    mock.advance_time(minutes=4, seconds=59)
    refused(mock, iot.delete_thing_type, "InvalidRequestException", 400, thingTypeName="old")

    mock.advance_time(seconds=1)
    iot.delete_thing_type(thingTypeName="old")
    refused(mock, iot.describe_thing_type, "ResourceNotFoundException", 404, thingTypeName="old")
    assert iot.list_thing_types()["thingTypes"] == []
    # Its tags went with it; the name can be used again for a new type.
    refused(mock, iot.list_tags_for_resource, "ResourceNotFoundException", 404, resourceArn=arn)
    again = iot.create_thing_type(thingTypeName="old")
    assert iot.describe_thing_type(thingTypeName="old")["thingTypeMetadata"]["deprecated"] is False
    assert iot.list_tags_for_resource(resourceArn=again["thingTypeArn"])["tags"] == []


def test_undo_deprecate_restarts_the_wait(iot: Any, mock: MockIotJobs) -> None:
    iot.create_thing_type(thingTypeName="t")
    iot.deprecate_thing_type(thingTypeName="t")
    mock.advance_time(minutes=10)
    iot.deprecate_thing_type(thingTypeName="t", undoDeprecate=True)
    iot.deprecate_thing_type(thingTypeName="t")
    refused(mock, iot.delete_thing_type, "InvalidRequestException", 400, thingTypeName="t")
    mock.advance_time(minutes=5)
    iot.delete_thing_type(thingTypeName="t")


def test_delete_refused_while_things_use_the_type(iot: Any, mock: MockIotJobs) -> None:
    iot.create_thing_type(thingTypeName="t")
    iot.create_thing(thingName="a", thingTypeName="t")
    iot.create_thing(thingName="b", thingTypeName="t")
    iot.deprecate_thing_type(thingTypeName="t")
    mock.advance_time(minutes=5)
    message = refused(mock, iot.delete_thing_type, "InvalidRequestException", 400, thingTypeName="t")
    assert "associated" in message
    # As the API reference says: change the type of each thing, then delete.
    iot.update_thing(thingName="a", removeThingType=True)
    iot.delete_thing(thingName="b")
    iot.delete_thing_type(thingTypeName="t")
    assert "thingTypeName" not in iot.describe_thing(thingName="a")


def test_delete_missing(iot: Any, mock: MockIotJobs) -> None:
    refused(mock, iot.delete_thing_type, "ResourceNotFoundException", 404, thingTypeName="ghost")


# --- things and their type ---------------------------------------------------------------------
def test_thing_type_must_exist(iot: Any, mock: MockIotJobs) -> None:
    message = refused(
        mock, iot.create_thing, "ResourceNotFoundException", 404, thingName="t", thingTypeName="missing"
    )
    assert "missing" in message
    iot.create_thing(thingName="t")
    refused(mock, iot.update_thing, "ResourceNotFoundException", 404, thingName="t", thingTypeName="missing")


def test_describe_and_list_show_the_type_and_list_filters_by_it(iot: Any) -> None:
    light_bulb(iot)
    iot.create_thing(thingName="bulb-1", thingTypeName="LightBulb", attributePayload={"attributes": {"wattage": "75"}})
    iot.create_thing(thingName="plain")
    iot.create_thing(thingName="bulb-2")
    iot.update_thing(thingName="bulb-2", thingTypeName="LightBulb")
    assert iot.describe_thing(thingName="bulb-1")["thingTypeName"] == "LightBulb"
    listed = {t["thingName"]: t for t in iot.list_things()["things"]}
    assert listed["bulb-1"]["thingTypeName"] == "LightBulb"
    assert "thingTypeName" not in listed["plain"]
    assert [t["thingName"] for t in iot.list_things(thingTypeName="LightBulb")["things"]] == ["bulb-1", "bulb-2"]


def test_deprecated_type_cannot_be_given_to_new_things(iot: Any, mock: MockIotJobs) -> None:
    light_bulb(iot)
    iot.create_thing(thingName="old-bulb", thingTypeName="LightBulb")
    iot.create_thing(thingName="plain")
    iot.deprecate_thing_type(thingTypeName="LightBulb")

    refused(mock, iot.create_thing, "InvalidRequestException", 400, thingName="new", thingTypeName="LightBulb")
    refused(mock, iot.update_thing, "InvalidRequestException", 400, thingName="plain", thingTypeName="LightBulb")
    # Things that have the type keep it, and can still be updated.
    iot.update_thing(thingName="old-bulb", thingTypeName="LightBulb", attributePayload={"attributes": {"w": "60"}})
    described = iot.describe_thing(thingName="old-bulb")
    assert (described["thingTypeName"], described["attributes"]) == ("LightBulb", {"w": "60"})
    # An identical re-create of an existing thing is still idempotent.
    iot.create_thing(thingName="old-bulb", thingTypeName="LightBulb", attributePayload={"attributes": {"w": "60"}})


def test_change_and_remove_the_type(iot: Any, mock: MockIotJobs) -> None:
    light_bulb(iot)
    light_bulb(iot, "Lamp", thingTypeDescription="lamp")
    iot.create_thing(thingName="t", thingTypeName="LightBulb")
    iot.update_thing(thingName="t", thingTypeName="Lamp")
    assert iot.describe_thing(thingName="t")["thingTypeName"] == "Lamp"
    refused(
        mock,
        iot.update_thing,
        "InvalidRequestException",
        400,
        thingName="t",
        thingTypeName="LightBulb",
        removeThingType=True,
    )
    iot.update_thing(thingName="t", removeThingType=True)
    described = iot.describe_thing(thingName="t")
    assert "thingTypeName" not in described
    assert described["version"] == 3
    assert mock.things()[0].type_name is None


def test_attribute_limits_depend_on_the_type(iot: Any, mock: MockIotJobs) -> None:
    four = {"attributes": {k: "1" for k in "abcd"}}
    refused(mock, iot.create_thing, "InvalidRequestException", 400, thingName="t", attributePayload=four)
    iot.create_thing_type(thingTypeName="rich")
    iot.create_thing(thingName="t", thingTypeName="rich", attributePayload=four)
    fifty = {"attributes": {f"a{i}": "1" for i in range(50)}}
    iot.update_thing(thingName="t", attributePayload=fifty)
    refused(
        mock,
        iot.update_thing,
        "InvalidRequestException",
        400,
        thingName="t",
        attributePayload={"attributes": {"one-more": "1"}, "merge": True},
    )
    # Without its type the thing could keep only three attributes.
    refused(mock, iot.update_thing, "InvalidRequestException", 400, thingName="t", removeThingType=True)
    iot.update_thing(thingName="t", removeThingType=True, attributePayload={"attributes": {"a0": "1"}})
    assert iot.describe_thing(thingName="t")["attributes"] == {"a0": "1"}


def test_snapshot_lists_thing_types(iot: Any, mock: MockIotJobs) -> None:
    light_bulb(iot)
    iot.deprecate_thing_type(thingTypeName="LightBulb")
    [dumped] = mock.backend().snapshot()["thingTypes"]
    assert dumped["thingTypeName"] == "LightBulb"
    assert dumped["thingTypeMetadata"]["deprecated"] is True
    assert isinstance(dumped["thingTypeMetadata"]["deprecationDate"], float)
    assert isinstance(dt.datetime.fromtimestamp(dumped["thingTypeMetadata"]["creationDate"]), dt.datetime)


def test_create_fleet_keeps_to_the_attribute_limit(mock: MockIotJobs) -> None:
    with pytest.raises(ValueError, match="at most 3 attributes"):
        mock.create_fleet(2, attributes={k: "1" for k in "abcd"})
    assert mock.things() == []


def test_fleet_indexing_follows_the_thing_type(iot: Any) -> None:
    iot.update_indexing_configuration(thingIndexingConfiguration={"thingIndexingMode": "REGISTRY"})
    iot.create_thing_type(thingTypeName="lamp")
    iot.create_thing(thingName="a", thingTypeName="lamp")
    iot.create_thing(thingName="b")
    iot.update_thing(thingName="b", thingTypeName="lamp")
    iot.update_thing(thingName="a", removeThingType=True)
    assert [t["thingName"] for t in iot.search_index(queryString="thingTypeName:lamp")["things"]] == ["b"]
