"""The thing registry: CreateThing, DescribeThing, UpdateThing, DeleteThing, ListThings."""

from __future__ import annotations

import uuid
from typing import Any, Dict, List

import pytest
from botocore.exceptions import ClientError

ARN = "arn:aws:iot:us-east-1:123456789012:thing/{}"


def ensure_thing_type(iot: Any, name: str) -> None:
    """Thing types are not modeled yet (any name is accepted); once they are, make it exist."""
    try:
        iot.create_thing_type(thingTypeName=name)
    except ClientError as error:
        assert error.response["Error"]["Code"] in ("NotImplementedException", "ResourceAlreadyExistsException")


def error_of(call: Any, **params: Any) -> Dict[str, Any]:
    with pytest.raises(ClientError) as caught:
        call(**params)
    return dict(caught.value.response)


def strip(response: Dict[str, Any]) -> Dict[str, Any]:
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}


# --- create / describe ------------------------------------------------------------
def test_create_and_describe(iot: Any) -> None:
    created = strip(iot.create_thing(thingName="sensor-1", attributePayload={"attributes": {"floor": "3"}}))
    assert created["thingName"] == "sensor-1"
    assert created["thingArn"] == ARN.format("sensor-1")
    uuid.UUID(created["thingId"])
    assert strip(iot.describe_thing(thingName="sensor-1")) == {
        "defaultClientId": "sensor-1",
        "thingName": "sensor-1",
        "thingId": created["thingId"],
        "thingArn": ARN.format("sensor-1"),
        "attributes": {"floor": "3"},
        "version": 1,
    }


def test_thing_without_attributes_describes_with_an_empty_map(iot: Any) -> None:
    iot.create_thing(thingName="bare")
    described = iot.describe_thing(thingName="bare")
    assert described["attributes"] == {}
    assert "thingTypeName" not in described and "billingGroupName" not in described


def test_thing_ids_are_unique(iot: Any) -> None:
    ids = {iot.create_thing(thingName=f"t{n}")["thingId"] for n in range(5)}
    assert len(ids) == 5


def test_create_is_idempotent_with_the_same_attributes(iot: Any) -> None:
    first = strip(iot.create_thing(thingName="t", attributePayload={"attributes": {"a": "1", "b": "2"}}))
    again = strip(iot.create_thing(thingName="t", attributePayload={"attributes": {"b": "2", "a": "1"}}))
    assert again == first
    assert iot.describe_thing(thingName="t")["version"] == 1


def test_create_with_different_attributes_conflicts(iot: Any) -> None:
    created = iot.create_thing(thingName="t", attributePayload={"attributes": {"a": "1"}})
    for attributes in ({"a": "2"}, {}, {"a": "1", "b": "2"}):
        error = error_of(iot.create_thing, thingName="t", attributePayload={"attributes": attributes})
        assert error["Error"]["Code"] == "ResourceAlreadyExistsException"
        assert error["ResponseMetadata"]["HTTPStatusCode"] == 409
        assert error["resourceId"] == created["thingId"]
        assert error["resourceArn"] == created["thingArn"]
    assert iot.describe_thing(thingName="t")["attributes"] == {"a": "1"}


def test_describe_missing_thing(iot: Any) -> None:
    error = error_of(iot.describe_thing, thingName="ghost")
    assert error["Error"] == {"Code": "ResourceNotFoundException", "Message": "Thing ghost cannot be found."}
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_thing_names_with_colons_and_underscores(iot: Any) -> None:
    name = "plant:line_2-robot"
    assert iot.create_thing(thingName=name)["thingArn"] == ARN.format(name)
    assert iot.describe_thing(thingName=name)["thingName"] == name


# --- update -----------------------------------------------------------------------
def test_update_bumps_the_version_and_checks_expected_version(iot: Any) -> None:
    iot.create_thing(thingName="t", attributePayload={"attributes": {"a": "1"}})
    iot.update_thing(thingName="t", attributePayload={"attributes": {"a": "2"}}, expectedVersion=1)
    assert iot.describe_thing(thingName="t")["version"] == 2
    error = error_of(iot.update_thing, thingName="t", attributePayload={"attributes": {"a": "3"}}, expectedVersion=1)
    assert error["Error"]["Code"] == "VersionConflictException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 409
    described = iot.describe_thing(thingName="t")
    assert (described["version"], described["attributes"]) == (2, {"a": "2"})
    # Without expectedVersion the update always applies.
    iot.update_thing(thingName="t", attributePayload={"attributes": {"a": "4"}})
    assert iot.describe_thing(thingName="t")["version"] == 3


def test_update_replaces_attributes_without_merge(iot: Any) -> None:
    iot.create_thing(thingName="t", attributePayload={"attributes": {"a": "1", "b": "2"}})
    iot.update_thing(thingName="t", attributePayload={"attributes": {"c": "3"}})
    assert iot.describe_thing(thingName="t")["attributes"] == {"c": "3"}


def test_update_with_merge_adds_changes_and_removes_with_empty_values(iot: Any) -> None:
    iot.create_thing(thingName="t", attributePayload={"attributes": {"keep": "1", "change": "2", "drop": "3"}})
    iot.update_thing(
        thingName="t",
        attributePayload={"attributes": {"change": "20", "drop": "", "add": "4"}, "merge": True},
    )
    assert iot.describe_thing(thingName="t")["attributes"] == {"keep": "1", "change": "20", "add": "4"}


def test_update_missing_thing(iot: Any) -> None:
    error = error_of(iot.update_thing, thingName="ghost", attributePayload={"attributes": {"a": "1"}})
    assert error["Error"]["Code"] == "ResourceNotFoundException"


def test_update_thing_type_and_remove_it(iot: Any) -> None:
    iot.create_thing(thingName="t")
    ensure_thing_type(iot, "sensor")
    iot.update_thing(thingName="t", thingTypeName="sensor")
    assert iot.describe_thing(thingName="t")["thingTypeName"] == "sensor"
    iot.update_thing(thingName="t", removeThingType=True)
    assert "thingTypeName" not in iot.describe_thing(thingName="t")


# --- delete -----------------------------------------------------------------------
def test_delete(iot: Any) -> None:
    iot.create_thing(thingName="t")
    assert iot.delete_thing(thingName="t")["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert error_of(iot.describe_thing, thingName="t")["Error"]["Code"] == "ResourceNotFoundException"
    assert iot.list_things()["things"] == []
    # Deleting a thing that does not exist succeeds, as documented.
    iot.delete_thing(thingName="t")


def test_delete_with_expected_version(iot: Any) -> None:
    iot.create_thing(thingName="t")
    iot.update_thing(thingName="t", attributePayload={"attributes": {"a": "1"}})
    error = error_of(iot.delete_thing, thingName="t", expectedVersion=1)
    assert error["Error"]["Code"] == "VersionConflictException"
    assert iot.describe_thing(thingName="t")["version"] == 2
    iot.delete_thing(thingName="t", expectedVersion=2)
    assert iot.list_things()["things"] == []


def test_recreated_thing_is_a_new_thing(iot: Any) -> None:
    first = iot.create_thing(thingName="t")["thingId"]
    iot.delete_thing(thingName="t")
    second = iot.create_thing(thingName="t", attributePayload={"attributes": {"other": "yes"}})["thingId"]
    assert first != second
    assert iot.describe_thing(thingName="t")["version"] == 1


# --- list -------------------------------------------------------------------------
@pytest.fixture
def fleet(iot: Any) -> Any:
    specs = [
        ("cam-1", {"site": "berlin", "model": "c100"}, None),
        ("cam-2", {"site": "bern", "model": "c200"}, "camera"),
        ("lock-1", {"site": "berlin"}, "lock"),
        ("lock-2", {}, "lock"),
        ("hub-1", {"model": "h1"}, None),
    ]
    for name, attributes, type_name in specs:
        iot.create_thing(thingName=name, attributePayload={"attributes": attributes})
        if type_name:
            ensure_thing_type(iot, type_name)
            iot.update_thing(thingName=name, thingTypeName=type_name)
    return iot


def listed(iot: Any, **filters: Any) -> List[str]:
    return [t["thingName"] for t in iot.list_things(**filters)["things"]]


def test_list_in_creation_order_with_summaries(fleet: Any) -> None:
    things = fleet.list_things()["things"]
    assert [t["thingName"] for t in things] == ["cam-1", "cam-2", "lock-1", "lock-2", "hub-1"]
    assert things[1] == {
        "thingName": "cam-2",
        "thingTypeName": "camera",
        "thingArn": ARN.format("cam-2"),
        "attributes": {"site": "bern", "model": "c200"},
        "version": 2,
    }
    assert "nextToken" not in fleet.list_things()


def test_list_filters(fleet: Any) -> None:
    assert listed(fleet, attributeName="site") == ["cam-1", "cam-2", "lock-1"]
    assert listed(fleet, attributeName="site", attributeValue="berlin") == ["cam-1", "lock-1"]
    assert listed(fleet, attributeName="site", attributeValue="ber", usePrefixAttributeValue=True) == [
        "cam-1",
        "cam-2",
        "lock-1",
    ]
    assert listed(fleet, attributeName="site", attributeValue="ber") == []
    assert listed(fleet, thingTypeName="lock") == ["lock-1", "lock-2"]
    assert listed(fleet, thingTypeName="lock", attributeName="site", attributeValue="berlin") == ["lock-1"]
    assert listed(fleet, thingTypeName="nothing") == []


def test_list_pages_with_max_results(fleet: Any) -> None:
    page = fleet.list_things(maxResults=2)
    assert [t["thingName"] for t in page["things"]] == ["cam-1", "cam-2"]
    page = fleet.list_things(maxResults=2, nextToken=page["nextToken"])
    assert [t["thingName"] for t in page["things"]] == ["lock-1", "lock-2"]
    page = fleet.list_things(maxResults=2, nextToken=page["nextToken"])
    assert [t["thingName"] for t in page["things"]] == ["hub-1"]
    assert "nextToken" not in page


def test_list_through_botocore_paginator(fleet: Any) -> None:
    paginator = fleet.get_paginator("list_things")
    pages = list(paginator.paginate(PaginationConfig={"PageSize": 2}))
    assert [len(p["things"]) for p in pages] == [2, 2, 1]
    names = [t["thingName"] for p in pages for t in p["things"]]
    assert names == ["cam-1", "cam-2", "lock-1", "lock-2", "hub-1"]
    filtered = paginator.paginate(attributeName="site", PaginationConfig={"PageSize": 1}).build_full_result()
    assert [t["thingName"] for t in filtered["things"]] == ["cam-1", "cam-2", "lock-1"]


def test_paging_is_stable_while_things_come_and_go(fleet: Any) -> None:
    first = fleet.list_things(maxResults=2)
    fleet.delete_thing(thingName="cam-2")  # the last one returned
    fleet.delete_thing(thingName="lock-1")  # the next one
    fleet.create_thing(thingName="new-1")
    rest = fleet.get_paginator("list_things").paginate(
        PaginationConfig={"PageSize": 2, "StartingToken": first["nextToken"]}
    )
    assert [t["thingName"] for p in rest for t in p["things"]] == ["lock-2", "hub-1", "new-1"]


@pytest.mark.parametrize("token", ["forged", "eyJ4IjoxfQ", "AAAA"])
def test_forged_next_token(fleet: Any, token: str) -> None:
    error = error_of(fleet.list_things, nextToken=token)
    assert error["Error"]["Code"] == "InvalidRequestException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_tampered_next_token(fleet: Any) -> None:
    token = fleet.list_things(maxResults=1)["nextToken"]
    tampered = token[:-3] + ("x" if token[-3] != "x" else "y") + token[-2:]
    assert error_of(fleet.list_things, nextToken=tampered)["Error"]["Code"] == "InvalidRequestException"
