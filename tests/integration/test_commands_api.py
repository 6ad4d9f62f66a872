"""The command resources through boto3: CreateCommand, GetCommand, ListCommands,
UpdateCommand, DeleteCommand (deprecation and the 12-hour deletion rule), tags."""

from __future__ import annotations

import json
from typing import Any, Dict

import pytest
from commands_support import JSON_PAYLOAD, PARAMETERS
from refusal_support import error_response, refused

from mock_iotjobs import MockIotJobs

ARN = "arn:aws:iot:us-east-1:123456789012:command/{}"
ROLE = "arn:aws:iam::123456789012:role/fleetwise-commands"
TEMPLATE = (
    '{"action": "${aws:iot:commandexecution::parameter:action}",'
    ' "seconds": "${aws:iot:commandexecution::parameter:seconds}"}'
)


def strip(response: Dict[str, Any]) -> Dict[str, Any]:
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}


# --- create and get ---------------------------------------------------------------------
def test_create_a_static_command_and_get_it(iot: Any, mock: MockIotJobs) -> None:
    created = strip(
        iot.create_command(
            commandId="unlock", displayName="Unlock", description="Unlock the door", payload=JSON_PAYLOAD
        )
    )
    assert created == {"commandId": "unlock", "commandArn": ARN.format("unlock")}
    got = strip(iot.get_command(commandId="unlock"))
    created_at = got.pop("createdAt")
    assert got.pop("lastUpdatedAt") == created_at
    assert abs(created_at.timestamp() - mock.now()) < 5
    assert got == {
        "commandId": "unlock",
        "commandArn": ARN.format("unlock"),
        "namespace": "AWS-IoT",
        "displayName": "Unlock",
        "description": "Unlock the door",
        "payload": JSON_PAYLOAD,
        "deprecated": False,
        "pendingDeletion": False,
    }
    assert mock.command("unlock").payload == JSON_PAYLOAD["content"]


def test_create_a_dynamic_command(iot: Any) -> None:
    iot.create_command(
        commandId="timed-unlock",
        payloadTemplate=TEMPLATE,
        preprocessor={"awsJsonSubstitution": {"outputFormat": "JSON"}},
        mandatoryParameters=PARAMETERS,
    )
    got = iot.get_command(commandId="timed-unlock")
    assert got["payloadTemplate"] == TEMPLATE
    assert got["preprocessor"] == {"awsJsonSubstitution": {"outputFormat": "JSON"}}
    assert got["mandatoryParameters"] == PARAMETERS
    assert "payload" not in got


def test_create_a_fleetwise_command(iot: Any) -> None:
    iot.create_command(
        commandId="fw", namespace="AWS-IoT-FleetWise", roleArn=ROLE,
        mandatoryParameters=[{"name": "$actuatorPath.Vehicle.Door", "defaultValue": {"B": True}}],
    )
    got = iot.get_command(commandId="fw")
    assert got["namespace"] == "AWS-IoT-FleetWise" and got["roleArn"] == ROLE


def test_tags_given_at_creation_are_stored(iot: Any) -> None:
    arn = iot.create_command(commandId="tagged", payload=JSON_PAYLOAD, tags=[{"Key": "team", "Value": "doors"}])[
        "commandArn"
    ]
    assert iot.list_tags_for_resource(resourceArn=arn)["tags"] == [{"Key": "team", "Value": "doors"}]
    iot.tag_resource(resourceArn=arn, tags=[{"Key": "floor", "Value": "3"}])
    iot.untag_resource(resourceArn=arn, tagKeys=["team"])
    assert iot.list_tags_for_resource(resourceArn=arn)["tags"] == [{"Key": "floor", "Value": "3"}]


def test_create_an_existing_command_is_a_conflict(iot: Any, mock: MockIotJobs) -> None:
    iot.create_command(commandId="unlock", payload=JSON_PAYLOAD)
    error = error_response(iot.create_command, commandId="unlock", payload=JSON_PAYLOAD)
    assert error["Error"]["Code"] == "ConflictException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 409
    assert error["resourceId"] == "unlock"
    refused(mock, iot.create_command, "ConflictException", 409, commandId="unlock", payload=JSON_PAYLOAD)


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({}, id="no-payload"),
        pytest.param({"payload": JSON_PAYLOAD, "payloadTemplate": "{}"}, id="payload-and-template"),
        pytest.param({"payload": JSON_PAYLOAD, "roleArn": ROLE}, id="role-in-iot-namespace"),
        pytest.param({"payloadTemplate": "{}"}, id="template-without-preprocessor"),
        pytest.param(
            {"payload": JSON_PAYLOAD, "preprocessor": {"awsJsonSubstitution": {"outputFormat": "JSON"}}},
            id="preprocessor-without-template",
        ),
        pytest.param(
            {"payloadTemplate": "{not json", "preprocessor": {"awsJsonSubstitution": {"outputFormat": "JSON"}}},
            id="template-not-json",
        ),
        pytest.param(
            {"payloadTemplate": TEMPLATE, "preprocessor": {"awsJsonSubstitution": {"outputFormat": "JSON"}}},
            id="undeclared-placeholders",
        ),
        pytest.param({"namespace": "AWS-IoT-FleetWise"}, id="fleetwise-without-role"),
        pytest.param(
            {"namespace": "AWS-IoT-FleetWise", "roleArn": ROLE, "payload": JSON_PAYLOAD}, id="fleetwise-payload"
        ),
        pytest.param(
            {"payload": JSON_PAYLOAD, "mandatoryParameters": [{"name": "a"}, {"name": "a"}]}, id="duplicate-parameter"
        ),
        pytest.param(
            {"payload": JSON_PAYLOAD, "mandatoryParameters": [{"name": "a", "defaultValue": {"S": "x", "B": True}}]},
            id="two-value-members",
        ),
        pytest.param(
            {"payload": JSON_PAYLOAD, "mandatoryParameters": [{"name": "a", "type": "BOOLEAN", "value": {"S": "x"}}]},
            id="value-of-wrong-type",
        ),
        pytest.param(
            {
                "payload": JSON_PAYLOAD,
                "mandatoryParameters": [
                    {
                        "name": "a",
                        "type": "STRING",
                        "valueConditions": [{"comparisonOperator": "LESS_THAN", "operand": {"number": "3"}}],
                    }
                ],
            },
            id="ordering-condition-on-string",
        ),
        pytest.param(
            {
                "payload": JSON_PAYLOAD,
                "mandatoryParameters": [
                    {
                        "name": "a",
                        "defaultValue": {"I": 100},
                        "valueConditions": [{"comparisonOperator": "LESS_THAN", "operand": {"number": "3"}}],
                    }
                ],
            },
            id="default-breaks-its-condition",
        ),
    ],
)
def test_create_refuses_invalid_commands(iot: Any, mock: MockIotJobs, params: Dict[str, Any]) -> None:
    refused(mock, iot.create_command, "ValidationException", 400, commandId="bad", **params)


def test_model_validation_answers_validation_exception(make_client: Any, mock: MockIotJobs) -> None:
    iot = make_client("iot", validate=False)
    message = refused(mock, iot.create_command, "ValidationException", 400, commandId="bad id!", payload=JSON_PAYLOAD)
    assert message.startswith("1 validation error detected: Value 'bad id!' at 'commandId'")


def test_get_a_missing_command(iot: Any, mock: MockIotJobs) -> None:
    refused(mock, iot.get_command, "ResourceNotFoundException", 404, commandId="nope")


# --- list ---------------------------------------------------------------------------------
def _seed(iot: Any, mock: MockIotJobs) -> None:
    iot.create_command(commandId="a", payload=JSON_PAYLOAD)
    mock.advance_time(seconds=1)
    iot.create_command(
        commandId="b",
        payloadTemplate=TEMPLATE,
        preprocessor={"awsJsonSubstitution": {"outputFormat": "CBOR"}},
        mandatoryParameters=PARAMETERS,
    )
    mock.advance_time(seconds=1)
    iot.create_command(commandId="c", namespace="AWS-IoT-FleetWise", roleArn=ROLE)


def test_list_newest_first_by_default_and_filters(iot: Any, mock: MockIotJobs) -> None:
    _seed(iot, mock)
    assert [c["commandId"] for c in iot.list_commands()["commands"]] == ["c", "b", "a"]
    assert [c["commandId"] for c in iot.list_commands(sortOrder="ASCENDING")["commands"]] == ["a", "b", "c"]
    assert [c["commandId"] for c in iot.list_commands(namespace="AWS-IoT")["commands"]] == ["b", "a"]
    assert [c["commandId"] for c in iot.list_commands(namespace="AWS-IoT-FleetWise")["commands"]] == ["c"]
    assert [c["commandId"] for c in iot.list_commands(commandParameterName="seconds")["commands"]] == ["b"]
    summary = iot.list_commands(namespace="AWS-IoT-FleetWise")["commands"][0]
    assert set(summary) == {"commandArn", "commandId", "deprecated", "createdAt", "lastUpdatedAt", "pendingDeletion"}


def test_list_pages(iot: Any, mock: MockIotJobs) -> None:
    for n in range(30):
        iot.create_command(commandId=f"cmd-{n:02d}", payload=JSON_PAYLOAD)
    first = iot.list_commands(sortOrder="ASCENDING")
    assert len(first["commands"]) == 25 and "nextToken" in first
    rest = iot.list_commands(sortOrder="ASCENDING", nextToken=first["nextToken"])
    assert "nextToken" not in rest
    ids = [c["commandId"] for c in first["commands"] + rest["commands"]]
    assert ids == [f"cmd-{n:02d}" for n in range(30)]
    paginator = iot.get_paginator("list_commands")
    pages = list(paginator.paginate(PaginationConfig={"PageSize": 7}))
    assert sum(len(p["commands"]) for p in pages) == 30 and len(pages) == 5
    refused(mock, iot.list_commands, "ValidationException", 400, nextToken="garbage")


# --- update -------------------------------------------------------------------------------
def test_update_names_and_deprecation(iot: Any, mock: MockIotJobs) -> None:
    iot.create_command(commandId="unlock", payload=JSON_PAYLOAD)
    mock.advance_time(seconds=30)
    updated = strip(iot.update_command(commandId="unlock", displayName="Open", description="Opens", deprecated=True))
    last = updated.pop("lastUpdatedAt")
    assert updated == {"commandId": "unlock", "displayName": "Open", "description": "Opens", "deprecated": True}
    got = iot.get_command(commandId="unlock")
    assert got["deprecated"] is True and got["lastUpdatedAt"] == last
    assert got["lastUpdatedAt"] > got["createdAt"]
    assert iot.update_command(commandId="unlock", deprecated=False)["deprecated"] is False


def test_update_a_missing_command(iot: Any, mock: MockIotJobs) -> None:
    refused(mock, iot.update_command, "ResourceNotFoundException", 404, commandId="nope", displayName="x")


# --- delete -------------------------------------------------------------------------------
def test_delete_a_command_that_is_not_deprecated_is_scheduled(iot: Any, mock: MockIotJobs) -> None:
    iot.create_command(commandId="unlock", payload=JSON_PAYLOAD)
    answer = iot.delete_command(commandId="unlock")
    assert answer["statusCode"] == 202 and answer["ResponseMetadata"]["HTTPStatusCode"] == 202
    got = iot.get_command(commandId="unlock")
    assert got["pendingDeletion"] is True
    assert iot.list_commands()["commands"][0]["pendingDeletion"] is True
    refused(mock, iot.update_command, "ConflictException", 409, commandId="unlock", displayName="x")
    mock.advance_time(hours=12)
    refused(mock, iot.get_command, "ResourceNotFoundException", 404, commandId="unlock")
    assert mock.commands() == []


def test_delete_a_recently_deprecated_command_waits_out_the_twelve_hours(iot: Any, mock: MockIotJobs) -> None:
    iot.create_command(commandId="unlock", payload=JSON_PAYLOAD)
    iot.update_command(commandId="unlock", deprecated=True)
    mock.advance_time(hours=11)
    assert iot.delete_command(commandId="unlock")["statusCode"] == 202
    mock.advance_time(minutes=59)
    assert iot.get_command(commandId="unlock")["pendingDeletion"] is True
    mock.advance_time(minutes=1)
    assert error_response(iot.get_command, commandId="unlock")["Error"]["Code"] == "ResourceNotFoundException"


def test_delete_a_command_deprecated_for_twelve_hours_is_immediate(iot: Any, mock: MockIotJobs) -> None:
    arn = iot.create_command(commandId="unlock", payload=JSON_PAYLOAD, tags=[{"Key": "k", "Value": "v"}])[
        "commandArn"
    ]
    iot.update_command(commandId="unlock", deprecated=True)
    mock.advance_time(hours=12)
    answer = iot.delete_command(commandId="unlock")
    assert answer["statusCode"] == 204 and answer["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert error_response(iot.get_command, commandId="unlock")["Error"]["Code"] == "ResourceNotFoundException"
    assert mock.backend().tags.by_arn.get(arn) is None
    # The id is free again.
    iot.create_command(commandId="unlock", payload=JSON_PAYLOAD)


def test_delete_a_missing_command_changes_nothing(iot: Any) -> None:
    assert iot.delete_command(commandId="never")["statusCode"] == 204


def test_snapshot_lists_commands(iot: Any, mock: MockIotJobs) -> None:
    iot.create_command(commandId="unlock", payload=JSON_PAYLOAD)
    state = mock.backend().snapshot()
    assert [c["commandId"] for c in state["commands"]] == ["unlock"]
    json.dumps(state)  # JSON-ready: the payload bytes are base64
