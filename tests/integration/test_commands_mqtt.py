"""Commands over MQTT with paho (3.1.1 and 5): the device receives the request on
``$aws/commands/<things|clients>/<id>/executions/<id>/request[/<format>]``, reports on
``.../response[/<format>]`` and gets ``.../response/accepted|rejected[/<format>]``."""

from __future__ import annotations

import json
from typing import Any, Iterator

import pytest
from test_mqtt_support import V5, V311, PahoDevice, aws_client, make_thing, reason_value

from mock_iotjobs import MockIotJobs
from mock_iotjobs.backend.commands.payloads import cbor_decode, cbor_encode
from mock_iotjobs.mqtt import MqttListener

JSON_PAYLOAD = {"content": b'{"action":"unlock"}', "contentType": "application/json"}


@pytest.fixture(params=[V311, V5], ids=["mqtt311", "mqtt5"])
def protocol(request: pytest.FixtureRequest) -> int:
    return int(request.param)


@pytest.fixture
def clients(iot_jobs_mqtt: MqttListener) -> Any:
    return aws_client("iot"), aws_client("iot-jobs-data")


@pytest.fixture
def door(iot_jobs_mqtt: MqttListener, clients: Any, protocol: int) -> Iterator[PahoDevice]:
    make_thing(clients[0], "door")
    device = PahoDevice(iot_jobs_mqtt.port, "door", protocol)
    device.subscribe("$aws/commands/things/door/executions/+/request/#")
    device.subscribe("$aws/commands/things/door/executions/+/response/#")
    yield device
    device.close()


def _start(clients: Any, target: str, payload: Any = None, **extra: Any) -> str:
    iot, data = clients
    try:
        arn = iot.get_command(commandId="unlock")["commandArn"]
    except iot.exceptions.ResourceNotFoundException:
        arn = iot.create_command(commandId="unlock", payload=payload or JSON_PAYLOAD)["commandArn"]
    return str(data.start_command_execution(targetArn=target, commandArn=arn, **extra)["executionId"])


def test_a_command_end_to_end_over_mqtt(clients: Any, door: PahoDevice, iot_jobs_backend: MockIotJobs) -> None:
    iot, _ = clients
    thing_arn = iot.describe_thing(thingName="door")["thingArn"]
    execution_id = _start(clients, thing_arn)
    base = f"$aws/commands/things/door/executions/{execution_id}"
    request = door.wait_for(f"{base}/request/json")
    assert request.raw == b'{"action":"unlock"}'

    door.publish(f"{base}/response/json", {"status": "IN_PROGRESS"})
    assert door.wait_for(f"{base}/response/accepted/json").body == {"executionId": execution_id}
    assert iot.get_command_execution(executionId=execution_id, targetArn=thing_arn)["status"] == "IN_PROGRESS"

    report = {
        "status": "SUCCEEDED",
        "statusReason": {"reasonCode": "OK", "reasonDescription": "opened"},
        "result": {"locked": {"B": False}, "log": {"BIN": "AQI="}},
    }
    since = len(door.messages)
    door.publish(f"{base}/response/json", report)
    door.wait_for(lambda m: m.topic == f"{base}/response/accepted/json", since=since)
    got = iot.get_command_execution(executionId=execution_id, targetArn=thing_arn, includeResult=True)
    assert got["status"] == "SUCCEEDED"
    assert got["statusReason"] == {"reasonCode": "OK", "reasonDescription": "opened"}
    assert got["result"] == {"locked": {"B": False}, "log": {"BIN": b"\x01\x02"}}

    since = len(door.messages)
    door.publish(f"{base}/response/json", {"status": "FAILED"})
    rejected = door.wait_for(lambda m: m.topic == f"{base}/response/rejected/json", since=since)
    assert rejected.body["error"] == "TerminalStateReached"
    assert rejected.body["executionId"] == execution_id
    assert "already completed with status SUCCEEDED" in rejected.body["errorMessage"]
    assert iot_jobs_backend.command_execution(execution_id).status == "SUCCEEDED"


def test_subscribing_to_another_devices_commands_is_refused(iot_jobs_mqtt: MqttListener, protocol: int) -> None:
    refused = 0x87 if protocol == V5 else 0x80  # Not authorized / Failure
    client = PahoDevice(iot_jobs_mqtt.port, "watcher", protocol)
    try:
        for topic_filter in (
            "$aws/commands/things/door/executions/+/request/#",
            "$aws/commands/clients/app-7/executions/+/request",
            "$aws/commands/+/watcher/executions/+/request",
            "$aws/commands/#",
        ):
            assert [reason_value(r) for r in client.subscribe(topic_filter)] == [refused], topic_filter
        for topic_filter in (
            "$aws/commands/things/watcher/executions/+/request/#",
            "$aws/commands/clients/watcher/executions/+/response/#",
        ):
            assert [reason_value(r) for r in client.subscribe(topic_filter)] == [1], topic_filter
    finally:
        client.close()


def test_answers_reach_only_the_reporting_device(clients: Any, door: PahoDevice, iot_jobs_mqtt: MqttListener) -> None:
    watcher = PahoDevice(iot_jobs_mqtt.port, "watcher")
    try:
        # Even a subscription that would match (were it allowed) sees nothing.
        watcher.subscribe("$aws/commands/things/door/executions/+/response/#")
        thing_arn = clients[0].describe_thing(thingName="door")["thingArn"]
        execution_id = _start(clients, thing_arn)
        base = f"$aws/commands/things/door/executions/{execution_id}"
        door.publish(f"{base}/response/json", {"status": "SUCCEEDED"})
        door.wait_for(f"{base}/response/accepted/json")
        watcher.barrier()
        assert [m for m in watcher.messages if m.topic.startswith("$aws/commands/")] == []
    finally:
        watcher.close()


@pytest.mark.parametrize(
    "payload, code",
    [
        (b"not json", "InvalidJson"),
        (b"[1]", "InvalidJson"),
        (json.dumps({"status": "CREATED"}).encode(), "InvalidRequest"),
        (json.dumps({"status": "FAILED", "statusReason": {"reasonCode": "no good"}}).encode(), "InvalidRequest"),
    ],
)
def test_bad_reports_are_rejected(clients: Any, door: PahoDevice, payload: bytes, code: str) -> None:
    thing_arn = clients[0].describe_thing(thingName="door")["thingArn"]
    execution_id = _start(clients, thing_arn)
    base = f"$aws/commands/things/door/executions/{execution_id}"
    door.publish(f"{base}/response/json", payload)
    rejected = door.wait_for(f"{base}/response/rejected/json")
    assert rejected.body["error"] == code
    assert clients[0].get_command_execution(executionId=execution_id, targetArn=thing_arn)["status"] == "CREATED"


def test_unknown_execution_is_not_found(door: PahoDevice) -> None:
    door.publish("$aws/commands/things/door/executions/nope/response", {"status": "SUCCEEDED"})
    rejected = door.wait_for("$aws/commands/things/door/executions/nope/response/rejected")
    assert rejected.body == {
        "error": "ResourceNotFound",
        "errorMessage": "Command execution nope does not exist.",
        "executionId": "nope",
    }


def test_cbor_reports_get_cbor_answers(clients: Any, door: PahoDevice) -> None:
    thing_arn = clients[0].describe_thing(thingName="door")["thingArn"]
    execution_id = _start(clients, thing_arn)
    base = f"$aws/commands/things/door/executions/{execution_id}"
    door.publish(f"{base}/response/cbor", cbor_encode({"status": "REJECTED", "statusReason": {"reasonCode": "BUSY"}}))
    accepted = door.wait_for(f"{base}/response/accepted/cbor")
    assert cbor_decode(accepted.raw) == {"executionId": execution_id}
    got = clients[0].get_command_execution(executionId=execution_id, targetArn=thing_arn)
    assert got["status"] == "REJECTED" and got["statusReason"] == {"reasonCode": "BUSY"}


def test_a_binary_payload_arrives_as_is_on_the_generic_topic(clients: Any, door: PahoDevice) -> None:
    thing_arn = clients[0].describe_thing(thingName="door")["thingArn"]
    execution_id = _start(clients, thing_arn, payload={"content": b"\x00\xffraw", "contentType": "x-custom"})
    request = door.wait_for(f"$aws/commands/things/door/executions/{execution_id}/request")
    assert request.raw == b"\x00\xffraw"


def test_client_targets_use_the_clients_topics(clients: Any, iot_jobs_mqtt: MqttListener) -> None:
    app = PahoDevice(iot_jobs_mqtt.port, "app-7", V5)
    try:
        app.subscribe("$aws/commands/clients/app-7/executions/+/request/#")
        target = "arn:aws:iot:us-east-1:123456789012:client/app-7"
        execution_id = _start(clients, target)
        base = f"$aws/commands/clients/app-7/executions/{execution_id}"
        app.wait_for(f"{base}/request/json")
        app.publish(f"{base}/response/json", {"status": "SUCCEEDED"})
        assert app.wait_for(f"{base}/response/accepted/json").body == {"executionId": execution_id}
        assert clients[0].get_command_execution(executionId=execution_id, targetArn=target)["status"] == "SUCCEEDED"
    finally:
        app.close()


def test_a_device_may_not_report_for_another(clients: Any, door: PahoDevice, iot_jobs_mqtt: MqttListener) -> None:
    thing_arn = clients[0].describe_thing(thingName="door")["thingArn"]
    execution_id = _start(clients, thing_arn)
    intruder = PahoDevice(iot_jobs_mqtt.port, "intruder", V311)
    try:
        intruder.client.publish(
            f"$aws/commands/things/door/executions/{execution_id}/response/json", json.dumps({"status": "FAILED"}), 1
        )
        intruder.wait_disconnected()  # MQTT 3.1.1: an unauthorized publish closes the connection
    finally:
        intruder.close()
    assert clients[0].get_command_execution(executionId=execution_id, targetArn=thing_arn)["status"] == "CREATED"


def test_timeouts_reach_mqtt_subscribers_of_events(clients: Any, iot_jobs_mqtt: MqttListener,
                                                  iot_jobs_backend: MockIotJobs) -> None:
    make_thing(clients[0], "door")
    monitor = PahoDevice(iot_jobs_mqtt.port, "monitor", V5)
    try:
        monitor.subscribe("$aws/events/commandExecution/+/#")
        thing_arn = clients[0].describe_thing(thingName="door")["thingArn"]
        execution_id = _start(clients, thing_arn)
        monitor.wait_for("$aws/events/commandExecution/unlock/CREATED")
        iot_jobs_backend.advance_time(seconds=10)
        event = monitor.wait_for("$aws/events/commandExecution/unlock/TIMED_OUT")
        assert event.body["executionId"] == execution_id
        assert event.body["statusReason"] == {"reasonCode": "$NO_RESPONSE_FROM_DEVICE"}
    finally:
        monitor.close()
