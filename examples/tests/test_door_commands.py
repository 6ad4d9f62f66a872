"""Unlocking a door with AWS IoT commands, tested against the mock.

The cloud side (a companion app's backend) creates a reusable ``unlock``
command with a payload template, starts it on one door, and reads the outcome
with GetCommandExecution.  The door's side is played by the mock's handle:
``command_requests`` is what the door received, ``report_command_result`` is
what it publishes back.
"""

from __future__ import annotations

from typing import Any

from mock_iotjobs import MockIotJobs

TEMPLATE = '{"action": "unlock", "seconds": "${aws:iot:commandexecution::parameter:seconds}"}'


def create_unlock_command(iot: Any) -> str:
    return str(
        iot.create_command(
            commandId="unlock-door",
            displayName="Unlock the door",
            payloadTemplate=TEMPLATE,
            preprocessor={"awsJsonSubstitution": {"outputFormat": "JSON"}},
            mandatoryParameters=[
                {
                    "name": "seconds",
                    "type": "INTEGER",
                    "defaultValue": {"I": 10},
                    "valueConditions": [
                        {"comparisonOperator": "IN_RANGE", "operand": {"numberRange": {"min": "1", "max": "60"}}}
                    ],
                }
            ],
        )["commandArn"]
    )


def unlock(iot: Any, data: Any, door: str, seconds: int) -> str:
    """What the app does when the user taps "unlock": one execution on one door."""
    command_arn = iot.get_command(commandId="unlock-door")["commandArn"]
    door_arn = iot.describe_thing(thingName=door)["thingArn"]
    return str(
        data.start_command_execution(
            targetArn=door_arn, commandArn=command_arn, parameters={"seconds": {"I": seconds}},
            executionTimeoutSeconds=30,
        )["executionId"]
    )


def test_unlock_a_door(iot_jobs_backend: MockIotJobs, iot_client: Any, iot_jobs_data_client: Any) -> None:
    iot_client.create_thing(thingName="front-door")
    create_unlock_command(iot_client)

    execution_id = unlock(iot_client, iot_jobs_data_client, "front-door", seconds=15)

    # The door received the rendered payload on its request topic.
    [request] = iot_jobs_backend.command_requests("front-door")
    assert request.topic == f"$aws/commands/things/front-door/executions/{execution_id}/request/json"
    assert request.json() == {"action": "unlock", "seconds": 15}

    # The door unlocks and reports.
    iot_jobs_backend.report_command_result(execution_id, "SUCCEEDED", result={"unlocked": True})

    door_arn = iot_client.describe_thing(thingName="front-door")["thingArn"]
    outcome = iot_client.get_command_execution(executionId=execution_id, targetArn=door_arn)
    assert outcome["status"] == "SUCCEEDED"
    assert outcome["result"] == {"unlocked": {"B": True}}


def test_a_door_that_never_answers_times_out(
    iot_jobs_backend: MockIotJobs, iot_client: Any, iot_jobs_data_client: Any
) -> None:
    iot_client.create_thing(thingName="back-door")
    create_unlock_command(iot_client)
    execution_id = unlock(iot_client, iot_jobs_data_client, "back-door", seconds=5)

    iot_jobs_backend.advance_time(seconds=30)

    door_arn = iot_client.describe_thing(thingName="back-door")["thingArn"]
    outcome = iot_client.get_command_execution(executionId=execution_id, targetArn=door_arn)
    assert outcome["status"] == "TIMED_OUT"
    assert outcome["statusReason"]["reasonCode"] == "$NO_RESPONSE_FROM_DEVICE"
