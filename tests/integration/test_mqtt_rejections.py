"""Every ErrorResponse code the jobs MQTT API documents, on ``.../rejected``, with the
``clientToken`` echoed, ``timestamp`` set and ``executionState`` exactly where the
spec promises it; a refused request changes nothing.  Also what happens to a client
that uses another thing's reserved topics (refused as an AWS IoT thing policy would)."""

from __future__ import annotations

from typing import Any, Dict, Iterator, Optional

import pytest
from test_mqtt_support import V5, V311, PahoDevice, make_thing, reason_value

from mock_iotjobs import MockIotJobs
from mock_iotjobs.mqtt import MqttListener

THING = "rejects"
BASE = f"$aws/things/{THING}/jobs"


@pytest.fixture
def device(iot_jobs_mqtt: MqttListener, iot_client: Any) -> Iterator[PahoDevice]:
    arn = make_thing(iot_client, THING)
    iot_client.create_job(jobId="job-1", targets=[arn], document='{"a":1}')
    client = PahoDevice(iot_jobs_mqtt.port, THING)
    yield client
    client.close()


def _rejected(device: PahoDevice, topic: str, payload: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    body = {"clientToken": "tok-1", **(payload or {})}
    answer = device.request(topic, body)
    assert answer.topic == f"{topic}/rejected", answer.body
    assert answer.body["clientToken"] == "tok-1"
    assert isinstance(answer.body["timestamp"], int)
    assert isinstance(answer.body["message"], str) and answer.body["message"]
    return dict(answer.body)


def _version(iot: Any, job_id: str = "job-1") -> int:
    return int(iot.describe_job_execution(jobId=job_id, thingName=THING)["execution"]["versionNumber"])


@pytest.mark.parametrize(
    "topic",
    [
        f"{BASE}/notify",
        f"{BASE}/notify-next",
        f"{BASE}/job-1/delete",
        f"{BASE}/job-1/get/extra",
        f"{BASE}/get/accepted",
    ],
)
def test_invalid_topic(device: PahoDevice, topic: str) -> None:
    body = _rejected(device, topic)
    assert body["code"] == "InvalidTopic"
    assert set(body) == {"code", "message", "clientToken", "timestamp"}


@pytest.mark.parametrize("payload", [b"{not json", b"\xff\xfe{}", b'"a string"', b"[1, 2]"])
def test_invalid_json(device: PahoDevice, payload: bytes) -> None:
    device.publish(f"{BASE}/get", payload)
    answer = device.wait_for(f"{BASE}/get/rejected")
    assert answer.body["code"] == "InvalidJson"
    assert "clientToken" not in answer.body and isinstance(answer.body["timestamp"], int)


@pytest.mark.parametrize(
    "topic, payload, fragment",
    [
        (f"{BASE}/job-1/update", {"status": "IN_PROGRESS", "expectedVersion": "1"}, "expectedVersion"),
        (f"{BASE}/job-1/update", {"status": "IN_PROGRESS", "statusDetails": {"a": 1}}, "statusDetails"),
        (f"{BASE}/job-1/update", {"status": "IN_PROGRESS", "includeJobDocument": "yes"}, "includeJobDocument"),
        (f"{BASE}/job-1/update", {"status": "IN_PROGRESS", "executionNumber": True}, "executionNumber"),
        (f"{BASE}/job-1/update", {"statusDetails": {"a": "b"}}, "status"),
        (f"{BASE}/job-1/update", {"status": "DONE"}, "enum value set"),
        (f"{BASE}/job-1/update", {"status": "IN_PROGRESS", "statusDetails": {"bad key!": "v"}}, "statusDetails"),
        (f"{BASE}/job-1/update", {"status": "IN_PROGRESS", "stepTimeoutInMinutes": 0}, "stepTimeoutInMinutes"),
        (f"{BASE}/start-next", {"stepTimeoutInMinutes": 10081}, "stepTimeoutInMinutes"),
        (f"{BASE}/start-next", {"statusDetails": ["not", "a", "map"]}, "statusDetails"),
        (f"{BASE}/job.1/get", {}, "jobId"),
        (f"{BASE}/$next/update", {"status": "IN_PROGRESS"}, "jobId"),
        (f"{BASE}/get", {"clientToken": 42}, "clientToken"),
    ],
)
def test_invalid_request(
    device: PahoDevice, iot_client: Any, topic: str, payload: Dict[str, Any], fragment: str
) -> None:
    if payload.get("clientToken") == 42:
        device.publish(topic, payload)
        body = dict(device.wait_for(f"{topic}/rejected").body)
        assert "clientToken" not in body  # not a string: nothing to echo
    else:
        body = _rejected(device, topic, payload)
    assert body["code"] == "InvalidRequest", body
    assert fragment in body["message"]
    assert "executionState" not in body
    assert _version(iot_client) == 1


def test_version_mismatch_carries_the_execution_state(device: PahoDevice, iot_client: Any) -> None:
    body = _rejected(device, f"{BASE}/job-1/update", {"status": "IN_PROGRESS", "expectedVersion": 9})
    assert body["code"] == "VersionMismatch"
    assert body["executionState"] == {"status": "QUEUED", "versionNumber": 1}
    assert _version(iot_client) == 1


def test_invalid_state_transition_carries_the_execution_state(device: PahoDevice, iot_client: Any) -> None:
    # A status a device may not report.
    body = _rejected(device, f"{BASE}/job-1/update", {"status": "QUEUED"})
    assert body["code"] == "InvalidStateTransition"
    assert body["executionState"] == {"status": "QUEUED", "versionNumber": 1}
    # Any update of a finished execution.
    device.request(f"{BASE}/job-1/update", {"status": "SUCCEEDED", "statusDetails": {"r": "ok"}})
    body = _rejected(device, f"{BASE}/job-1/update", {"status": "IN_PROGRESS"})
    assert body["code"] == "InvalidStateTransition"
    assert body["executionState"] == {"status": "SUCCEEDED", "statusDetails": {"r": "ok"}, "versionNumber": 2}
    assert _version(iot_client) == 2


def test_resource_not_found(device: PahoDevice, iot_jobs_mqtt: MqttListener) -> None:
    for topic, payload in [
        (f"{BASE}/no-such-job/get", {}),
        (f"{BASE}/no-such-job/update", {"status": "IN_PROGRESS"}),
        (f"{BASE}/job-1/get", {"executionNumber": 7}),
    ]:
        body = _rejected(device, topic, payload)
        assert body["code"] == "ResourceNotFound"
        assert "executionState" not in body
    # A client whose thing does not exist (its id is still its identity).
    ghost = PahoDevice(iot_jobs_mqtt.port, "ghost")
    try:
        for topic in ("get", "start-next", "$next/get"):
            assert _rejected(ghost, f"$aws/things/ghost/jobs/{topic}")["code"] == "ResourceNotFound"
    finally:
        ghost.close()


def test_terminal_state_reached(device: PahoDevice) -> None:
    device.request(f"{BASE}/job-1/update", {"status": "REJECTED"})
    body = _rejected(device, f"{BASE}/job-1/get")
    assert body["code"] == "TerminalStateReached"
    assert "executionState" not in body


def test_request_throttled_and_internal_error_change_nothing(
    device: PahoDevice, iot_client: Any, iot_jobs_backend: MockIotJobs
) -> None:
    iot_jobs_backend.fail_next("UpdateJobExecution", "ThrottlingException")
    assert _rejected(device, f"{BASE}/job-1/update", {"status": "IN_PROGRESS"})["code"] == "RequestThrottled"
    iot_jobs_backend.fail_next("StartNextPendingJobExecution", "ServiceUnavailableException")
    assert _rejected(device, f"{BASE}/start-next")["code"] == "InternalError"
    assert _version(iot_client) == 1
    # The faults were used up: the same requests now go through.
    assert device.request(f"{BASE}/start-next").body["execution"]["status"] == "IN_PROGRESS"


# --- other things' topics ----------------------------------------------------------------
def test_mqtt311_publish_on_another_things_topics_disconnects(
    device: PahoDevice, iot_jobs_mqtt: MqttListener, iot_client: Any
) -> None:
    intruder = PahoDevice(iot_jobs_mqtt.port, "intruder", V311)
    try:
        intruder.client.publish(f"{BASE}/job-1/update", '{"status":"SUCCEEDED"}', qos=1)
        intruder.wait_disconnected()
    finally:
        intruder.close()
    assert not [m for m in intruder.messages if m.topic.startswith("$aws")]
    assert _version(iot_client) == 1
    assert iot_jobs_mqtt.clients() == [THING]


def test_mqtt5_publish_on_another_things_topics_is_not_authorized(
    device: PahoDevice, iot_jobs_mqtt: MqttListener, iot_client: Any
) -> None:
    intruder = PahoDevice(iot_jobs_mqtt.port, "intruder", V5)
    try:
        reason = intruder.publish(f"{BASE}/job-1/update", {"status": "SUCCEEDED", "clientToken": "x"})
        assert reason_value(reason) == 0x87
        intruder.publish(f"{BASE}/start-next", {"clientToken": "y"}, qos=0)
        intruder.barrier()  # its own topics still work, and nothing else arrived
        assert [m.topic for m in intruder.messages] == ["$aws/things/intruder/jobs/get/rejected"]
    finally:
        intruder.close()
    assert _version(iot_client) == 1


@pytest.mark.parametrize("protocol, refused", [(V311, 0x80), (V5, 0x87)], ids=["mqtt311", "mqtt5"])
def test_subscribing_to_another_things_topics_is_refused(
    iot_jobs_mqtt: MqttListener, protocol: int, refused: int
) -> None:
    client = PahoDevice(iot_jobs_mqtt.port, "watcher", protocol)
    try:
        for topic_filter in (
            f"{BASE}/notify-next",
            "$aws/things/+/jobs/notify-next",
            "$aws/things/#",
            "$aws/#",
            "$aws/+/watcher/jobs/notify",
        ):
            assert [reason_value(r) for r in client.subscribe(topic_filter)] == [refused], topic_filter
        for topic_filter in ("$aws/things/watcher/jobs/#", "$aws/events/#", "plain/#"):
            assert [reason_value(r) for r in client.subscribe(topic_filter)] == [1], topic_filter
    finally:
        client.close()
