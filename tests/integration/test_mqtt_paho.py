"""Raw topic checks with paho-mqtt, over MQTT 3.1.1 and MQTT 5: request and response
payloads exactly as the jobs MQTT API documents them, answered to the requesting
client alone, and agreeing with the HTTPS device plane on the same state."""

from __future__ import annotations

import json
from typing import Any, Iterator

import pytest
from test_mqtt_support import V5, V311, PahoDevice, aws_client, make_thing

from mock_iotjobs import MockIotJobs
from mock_iotjobs.mqtt import MqttListener

SUMMARY_KEYS = {"jobId", "queuedAt", "lastUpdatedAt", "versionNumber", "executionNumber"}
EXECUTION_KEYS = SUMMARY_KEYS | {"thingName", "status"}


@pytest.fixture(params=[V311, V5], ids=["mqtt311", "mqtt5"])
def protocol(request: pytest.FixtureRequest) -> int:
    return int(request.param)


@pytest.fixture
def device(iot_jobs_mqtt: MqttListener, iot_client: Any, protocol: int) -> Iterator[PahoDevice]:
    make_thing(iot_client, "dev-1")
    client = PahoDevice(iot_jobs_mqtt.port, "dev-1", protocol)
    yield client
    client.close()


def _job(iot: Any, job_id: str, thing: str = "dev-1", document: str = '{"op":"update"}') -> None:
    arn = iot.describe_thing(thingName=thing)["thingArn"]
    iot.create_job(jobId=job_id, targets=[arn], document=document)


def _is_epoch_seconds(value: Any, now: float) -> bool:
    return isinstance(value, int) and abs(value - now) < 5


def test_get_pending_payload(device: PahoDevice, iot_client: Any, iot_jobs_backend: MockIotJobs) -> None:
    _job(iot_client, "j1")
    _job(iot_client, "j2")
    device.request("$aws/things/dev-1/jobs/start-next")
    answer = device.request("$aws/things/dev-1/jobs/get", {"clientToken": "client-001"})
    assert answer.topic == "$aws/things/dev-1/jobs/get/accepted"
    body = answer.body
    assert set(body) == {"inProgressJobs", "queuedJobs", "timestamp", "clientToken"}
    assert body["clientToken"] == "client-001"
    now = iot_jobs_backend.now()
    assert _is_epoch_seconds(body["timestamp"], now)
    (running,) = body["inProgressJobs"]
    (queued,) = body["queuedJobs"]
    assert set(running) == SUMMARY_KEYS | {"startedAt"} and running["jobId"] == "j1"
    assert set(queued) == SUMMARY_KEYS and queued["jobId"] == "j2"
    assert all(_is_epoch_seconds(queued[k], now) for k in ("queuedAt", "lastUpdatedAt"))
    assert (queued["versionNumber"], queued["executionNumber"]) == (1, 1)


def test_start_next_payload_and_nothing_pending(device: PahoDevice, iot_client: Any) -> None:
    empty = device.request("$aws/things/dev-1/jobs/start-next", {"clientToken": "none-yet"})
    assert empty.topic.endswith("/start-next/accepted")
    assert set(empty.body) == {"timestamp", "clientToken"}
    _job(iot_client, "j1", document='{"url":"https://example.com/fw.bin"}')
    answer = device.request(
        "$aws/things/dev-1/jobs/start-next", {"statusDetails": {"phase": "start"}, "stepTimeoutInMinutes": 5}
    )
    execution = answer.body["execution"]
    assert set(execution) == EXECUTION_KEYS | {
        "startedAt",
        "statusDetails",
        "jobDocument",
        "approximateSecondsBeforeTimedOut",
    }
    assert execution["status"] == "IN_PROGRESS" and execution["thingName"] == "dev-1"
    assert execution["statusDetails"] == {"phase": "start"}
    # Over MQTT the document is the JSON object itself (the developer guide; the SDK's Dict).
    assert execution["jobDocument"] == {"url": "https://example.com/fw.bin"}
    assert execution["versionNumber"] == 2
    assert 0 < execution["approximateSecondsBeforeTimedOut"] <= 300


def test_describe_payloads_including_next(device: PahoDevice, iot_client: Any) -> None:
    _job(iot_client, "j1")
    answer = device.request("$aws/things/dev-1/jobs/j1/get", {"clientToken": "d1"})
    assert answer.topic == "$aws/things/dev-1/jobs/j1/get/accepted"
    assert set(answer.body) == {"execution", "timestamp", "clientToken"}
    assert answer.body["execution"]["jobDocument"] == {"op": "update"}
    without = device.request("$aws/things/dev-1/jobs/j1/get", {"includeJobDocument": False, "executionNumber": 1})
    assert "jobDocument" not in without.body["execution"]
    nxt = device.request("$aws/things/dev-1/jobs/$next/get")
    assert nxt.topic == "$aws/things/dev-1/jobs/$next/get/accepted"
    assert nxt.body["execution"]["jobId"] == "j1"


def test_update_payloads(device: PahoDevice, iot_client: Any) -> None:
    _job(iot_client, "j1")
    plain = device.request("$aws/things/dev-1/jobs/j1/update", {"status": "IN_PROGRESS", "clientToken": "u1"})
    assert plain.topic == "$aws/things/dev-1/jobs/j1/update/accepted"
    assert set(plain.body) == {"timestamp", "clientToken"}
    full = device.request(
        "$aws/things/dev-1/jobs/j1/update",
        {
            "status": "SUCCEEDED",
            "statusDetails": {"result": "ok"},
            "expectedVersion": 2,
            "executionNumber": 1,
            "includeJobExecutionState": True,
            "includeJobDocument": True,
        },
    )
    assert full.body["executionState"] == {"status": "SUCCEEDED", "statusDetails": {"result": "ok"}, "versionNumber": 3}
    assert full.body["jobDocument"] == {"op": "update"}
    assert iot_client.describe_job(jobId="j1")["job"]["status"] == "COMPLETED"


def test_no_client_token_no_echo_and_empty_payload_is_an_empty_request(device: PahoDevice) -> None:
    device.publish("$aws/things/dev-1/jobs/get", b"")
    answer = device.wait_for("$aws/things/dev-1/jobs/get/accepted")
    assert set(answer.body) == {"inProgressJobs", "queuedJobs", "timestamp"}
    device.publish("$aws/things/dev-1/jobs/start-next", {"statusDetails": {"a": "b"}})
    assert "clientToken" not in device.wait_for("$aws/things/dev-1/jobs/start-next/accepted").body


def test_responses_go_to_the_requester_alone_once(
    iot_jobs_mqtt: MqttListener, iot_client: Any, device: PahoDevice, protocol: int
) -> None:
    make_thing(iot_client, "dev-2")
    bystander = PahoDevice(iot_jobs_mqtt.port, "dev-2", protocol)
    try:
        bystander.subscribe("#")
        bystander.subscribe("$aws/things/dev-2/jobs/#")
        # Subscribed explicitly as well: still one copy.
        device.subscribe("$aws/things/dev-1/jobs/get/accepted")
        device.request("$aws/things/dev-1/jobs/get", {"clientToken": "only-me"})
        device.barrier()
        bystander.barrier()
    finally:
        bystander.close()
    assert len([m for m in device.on("$aws/things/dev-1/jobs/get/accepted") if m.body["clientToken"] == "only-me"]) == 1
    assert [m.topic for m in bystander.messages] == ["$aws/things/dev-2/jobs/get/accepted"]


def test_mqtt_and_https_answer_alike(device: PahoDevice, iot_client: Any, iot_jobs_backend: MockIotJobs) -> None:
    _job(iot_client, "j1")
    device.request("$aws/things/dev-1/jobs/j1/update", {"status": "IN_PROGRESS", "statusDetails": {"k": "v"}})
    data = aws_client("iot-jobs-data", iot_jobs_backend.default_region)
    over_https = data.describe_job_execution(thingName="dev-1", jobId="j1")["execution"]
    over_mqtt = device.request("$aws/things/dev-1/jobs/j1/get").body["execution"]
    assert set(over_mqtt) == set(over_https)
    for key, value in over_https.items():
        expected = int(value.timestamp()) if hasattr(value, "timestamp") else value
        if key == "jobDocument":  # a string over HTTPS, the JSON object over MQTT
            expected = json.loads(value)
        assert over_mqtt[key] == expected, key


def test_timestamps_follow_the_mock_clock(device: PahoDevice, iot_jobs_backend: MockIotJobs) -> None:
    before = device.request("$aws/things/dev-1/jobs/get").body["timestamp"]
    iot_jobs_backend.advance_time(hours=2)
    after = device.request("$aws/things/dev-1/jobs/get").body["timestamp"]
    assert after - before >= 7200


def test_mqtt5_correlation_data_is_echoed(iot_jobs_mqtt: MqttListener, iot_client: Any) -> None:
    make_thing(iot_client, "dev-5")
    device = PahoDevice(iot_jobs_mqtt.port, "dev-5", V5)
    try:
        answer = device.request("$aws/things/dev-5/jobs/get", CorrelationData=b"\x01corr")
        assert answer.properties.CorrelationData == b"\x01corr"
        connack_reason, connack_props = device.connack
        assert connack_reason.value == 0
        assert connack_props.MaximumQoS == 1
    finally:
        device.close()
