"""MQTT persistent sessions (AWS IoT developer guide, "MQTT persistent sessions"):
subscriptions and QoS 1 messages kept while a device is offline, for the session
lifetime on the mock clock, delivered on reconnect; session present; clean sessions."""

from __future__ import annotations

import socket
from typing import Any, List

import paho.mqtt.client as paho
import pytest
from paho.mqtt.properties import Properties
from test_mqtt_support import V5, V311, WAIT, PahoDevice, make_thing

from mock_iotjobs import MockIotJobs
from mock_iotjobs.mqtt import MqttLimits, MqttListener, mqtt_listener

NOTIFY = "$aws/things/{}/jobs/notify"
NOTIFY_NEXT = "$aws/things/{}/jobs/notify-next"


class SessionDevice(PahoDevice):
    """A PahoDevice with a persistent session: clean session 0 (3.1.1), or clean start 0
    and a Session Expiry Interval (5)."""

    def __init__(self, port: int, client_id: str, protocol: int, expiry: int = 3600, clean: bool = False) -> None:
        super().__init__(port, client_id, protocol, connect=False)
        old = self.client
        kwargs: Any = {} if protocol == V5 else {"clean_session": clean}
        client = paho.Client(
            paho.CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=protocol,
            reconnect_on_failure=False,
            **kwargs,
        )
        for name in ("on_connect", "on_message", "on_subscribe", "on_publish", "on_disconnect"):
            setattr(client, name, getattr(old, name))
        self.client = client
        props = None
        if protocol == V5:
            props = Properties(paho.PacketTypes.CONNECT)
            props.SessionExpiryInterval = expiry
        client.connect("127.0.0.1", port, keepalive=30, clean_start=clean if protocol == V5 else 3, properties=props)
        client.socket().setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        client.loop_start()
        self._wait(lambda: self.connack, "CONNACK")

    def drop(self) -> None:
        """Go offline without a DISCONNECT (the network went away)."""
        self.client.loop_stop()
        sock = self.client.socket()
        if sock is not None:
            sock.close()


def _present(device: PahoDevice) -> bool:
    return bool(device.flags.session_present)


@pytest.fixture(autouse=True)
def _record_flags(monkeypatch: pytest.MonkeyPatch) -> None:
    original = PahoDevice._on_connect

    def on_connect(self: Any, client: Any, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        self.flags = flags
        original(self, client, userdata, flags, reason, properties)

    monkeypatch.setattr(PahoDevice, "_on_connect", on_connect)


@pytest.fixture(params=[V311, V5], ids=["mqtt311", "mqtt5"])
def protocol(request: pytest.FixtureRequest) -> int:
    return int(request.param)


def _create_job(iot: Any, job_id: str, thing: str) -> None:
    arn = iot.describe_thing(thingName=thing)["thingArn"]
    iot.create_job(jobId=job_id, targets=[arn], document='{"step":"one"}')


def _jobs(messages: List[Any], topic: str) -> List[Any]:
    return [m.body["execution"]["jobId"] for m in messages if m.topic == topic and m.body.get("execution")]


def test_notify_next_published_while_offline_arrives_on_reconnect(
    protocol: int, iot_jobs_mqtt: MqttListener, iot_client: Any
) -> None:
    make_thing(iot_client, "dev")
    device = SessionDevice(iot_jobs_mqtt.port, "dev", protocol)
    assert not _present(device)
    device.subscribe(NOTIFY_NEXT.format("dev"), qos=1)
    device.subscribe(NOTIFY.format("dev"), qos=1)
    device.close()
    _wait_sessions(iot_jobs_mqtt, 1)

    _create_job(iot_client, "fw-1", "dev")  # the device is offline
    stored = iot_jobs_mqtt.sessions()
    assert [s["client_id"] for s in stored] == ["dev"] and stored[0]["messages"] == 2

    again = SessionDevice(iot_jobs_mqtt.port, "dev", protocol)
    try:
        assert _present(again)
        message = again.wait_for(NOTIFY_NEXT.format("dev"))
        assert message.body["execution"]["jobId"] == "fw-1"
        assert again.wait_for(NOTIFY.format("dev")).body["jobs"]["QUEUED"][0]["jobId"] == "fw-1"
        # The subscriptions came back with the session: a new job reaches it without a SUBSCRIBE.
        _create_job(iot_client, "fw-2", "dev")
        again.wait_count(NOTIFY.format("dev"), 2)
        assert iot_jobs_mqtt.sessions() == []
    finally:
        again.close()


def test_a_dropped_connection_keeps_its_session_too(iot_jobs_mqtt: MqttListener, iot_client: Any) -> None:
    make_thing(iot_client, "dev")
    device = SessionDevice(iot_jobs_mqtt.port, "dev", V311)
    device.subscribe(NOTIFY_NEXT.format("dev"))
    device.drop()
    _wait_sessions(iot_jobs_mqtt, 1)
    _create_job(iot_client, "fw-1", "dev")
    again = SessionDevice(iot_jobs_mqtt.port, "dev", V311)
    try:
        assert _present(again)
        assert again.wait_for(NOTIFY_NEXT.format("dev")).body["execution"]["jobId"] == "fw-1"
    finally:
        again.close()


def _wait_sessions(listener: MqttListener, count: int) -> None:
    import time

    deadline = time.monotonic() + WAIT
    while len(listener.sessions()) != count:
        assert time.monotonic() < deadline, listener.sessions()
        time.sleep(0.01)


def test_the_session_expires_after_an_hour_on_the_mock_clock(
    protocol: int, iot_jobs_mqtt: MqttListener, iot_client: Any, iot_jobs_backend: MockIotJobs
) -> None:
    make_thing(iot_client, "dev")
    device = SessionDevice(iot_jobs_mqtt.port, "dev", protocol, expiry=7 * 24 * 3600)
    device.subscribe(NOTIFY_NEXT.format("dev"))
    device.close()
    _wait_sessions(iot_jobs_mqtt, 1)
    iot_jobs_backend.advance_time(minutes=59)
    assert len(iot_jobs_mqtt.sessions()) == 1
    iot_jobs_backend.advance_time(minutes=1)  # AWS's default period (and the cap of MQTT 5's interval)
    assert iot_jobs_mqtt.sessions() == []
    _create_job(iot_client, "fw-1", "dev")
    again = SessionDevice(iot_jobs_mqtt.port, "dev", protocol)
    try:
        assert not _present(again)
        again.barrier()
        assert again.on(NOTIFY_NEXT.format("dev")) == []
    finally:
        again.close()


def test_mqtt5_session_expiry_interval_is_capped_and_told_in_connack(iot_jobs_mqtt: MqttListener) -> None:
    device = SessionDevice(iot_jobs_mqtt.port, "dev", V5, expiry=7 * 24 * 3600)
    try:
        _, props = device.connack
        assert props.SessionExpiryInterval == 3600
    finally:
        device.close()


def test_mqtt5_short_expiry_and_zero_expiry(iot_jobs_mqtt: MqttListener, iot_jobs_backend: MockIotJobs) -> None:
    device = SessionDevice(iot_jobs_mqtt.port, "short", V5, expiry=60)
    device.subscribe("a/b")
    device.close()
    zero = SessionDevice(iot_jobs_mqtt.port, "zero", V5, expiry=0)
    zero.subscribe("a/b")
    zero.close()
    _wait_sessions(iot_jobs_mqtt, 1)
    assert [s["client_id"] for s in iot_jobs_mqtt.sessions()] == ["short"]
    iot_jobs_backend.advance_time(seconds=60)
    assert iot_jobs_mqtt.sessions() == []


def test_a_clean_session_discards_the_stored_one(protocol: int, iot_jobs_mqtt: MqttListener) -> None:
    device = SessionDevice(iot_jobs_mqtt.port, "dev", protocol)
    device.subscribe("fleet/cmd")
    device.close()
    _wait_sessions(iot_jobs_mqtt, 1)
    iot_jobs_mqtt.publish("fleet/cmd", b"while offline", qos=1)
    clean = SessionDevice(iot_jobs_mqtt.port, "dev", protocol, clean=True, expiry=0)
    try:
        assert not _present(clean)
        iot_jobs_mqtt.publish("fleet/cmd", b"not subscribed any more", qos=1)
        clean.subscribe("other")
        iot_jobs_mqtt.publish("other", b"x", qos=1)
        clean.wait_for("other")
        assert clean.on("fleet/cmd") == []
    finally:
        clean.close()
    assert iot_jobs_mqtt.sessions() == []


def test_qos0_is_not_stored_and_the_oldest_go_beyond_the_bound(iot_jobs_backend: MockIotJobs) -> None:
    with mqtt_listener(iot_jobs_backend, limits=MqttLimits(max_session_messages=3)) as listener:
        device = SessionDevice(listener.port, "dev", V311)
        device.subscribe("t", qos=1)
        device.subscribe("t0", qos=0)
        device.close()
        _wait_sessions(listener, 1)
        listener.publish("t0", b"qos0 subscription", qos=1)
        for n in range(5):
            listener.publish("t", str(n).encode(), qos=1)
        listener.publish("t", b"qos0 message", qos=0)
        stats = listener.sessions()
        assert stats[0]["messages"] == 3 and stats[0]["dropped"] == 2
        again = SessionDevice(listener.port, "dev", V311)
        try:
            received = again.wait_count("t", 3)
            assert [m.raw for m in received] == [b"2", b"3", b"4"]
            again.barrier()
            assert again.on("t0") == []
        finally:
            again.close()


def test_takeover_hands_the_session_to_the_new_connection(protocol: int, iot_jobs_mqtt: MqttListener) -> None:
    first = SessionDevice(iot_jobs_mqtt.port, "dev", protocol)
    first.subscribe("t")
    second = SessionDevice(iot_jobs_mqtt.port, "dev", protocol)
    try:
        assert _present(second)
        first.wait_disconnected()
        iot_jobs_mqtt.publish("t", b"hello", qos=1)
        assert second.wait_for("t").raw == b"hello"
    finally:
        first.close()
        second.close()


def test_session_expiry_limit_is_at_most_seven_days() -> None:
    assert MqttLimits(session_expiry_seconds=7 * 24 * 3600).session_expiry_seconds == 604800
    with pytest.raises(ValueError):
        MqttLimits(session_expiry_seconds=7 * 24 * 3600 + 1)


def test_delete_connection_keeps_or_cleans_the_session(iot_jobs_mqtt: MqttListener, iot_jobs_backend: Any) -> None:
    import boto3

    data = boto3.client("iot-data", region_name=iot_jobs_backend.default_region)
    kept = SessionDevice(iot_jobs_mqtt.port, "kept", V311)
    kept.subscribe("t")
    cleaned = SessionDevice(iot_jobs_mqtt.port, "cleaned", V311)
    cleaned.subscribe("t")
    data.delete_connection(clientId="kept")
    data.delete_connection(clientId="cleaned", cleanSession=True)
    kept.wait_disconnected()
    cleaned.wait_disconnected()
    _wait_sessions(iot_jobs_mqtt, 1)
    assert [s["client_id"] for s in iot_jobs_mqtt.sessions()] == ["kept"]
    for device in (kept, cleaned):
        device.close()


def test_delete_connection_may_prevent_the_will(iot_jobs_mqtt: MqttListener, iot_jobs_backend: Any) -> None:
    import boto3

    data = boto3.client("iot-data", region_name=iot_jobs_backend.default_region)
    watcher = PahoDevice(iot_jobs_mqtt.port, "watcher")
    watcher.subscribe("wills/#")
    devices = []
    for name in ("silent", "loud"):
        device = PahoDevice(iot_jobs_mqtt.port, name, connect=False)
        device.client.will_set(f"wills/{name}", b"gone", qos=1)
        device.connect()
        devices.append(device)
    data.delete_connection(clientId="silent", preventWillMessage=True)
    data.delete_connection(clientId="loud")
    assert watcher.wait_for("wills/loud").raw == b"gone"
    watcher.publish("wills/end", b"")  # a round trip after both closes
    watcher.wait_for("wills/end")
    assert watcher.on("wills/silent") == []
    for device in [*devices, watcher]:
        device.close()


def test_device_sdk_gets_notify_next_published_while_offline(iot_jobs_mqtt: MqttListener, iot_client: Any) -> None:
    """The AWS IoT Device SDK with clean_session=False (the builders' default): the job
    created while the device was away reaches it on reconnect, with no new SUBSCRIBE."""
    import threading

    from awscrt import mqtt
    from awsiot import iotjobs

    arn = make_thing(iot_client, "sdk-dev")

    def connect(on_message: Any = None) -> "tuple[mqtt.Connection, bool]":
        connection = mqtt.Connection(
            mqtt.Client(None, None),
            host_name="127.0.0.1",
            port=iot_jobs_mqtt.port,
            client_id="sdk-dev",
            clean_session=False,
            keep_alive_secs=30,
        )
        if on_message is not None:
            connection.on_message(on_message)
        return connection, bool(connection.connect().result(WAIT)["session_present"])

    events: List[Any] = []
    got = threading.Event()

    def on_next(event: iotjobs.NextJobExecutionChangedEvent) -> None:
        events.append(event)
        got.set()

    connection, present = connect()
    assert not present
    subscribed, _ = iotjobs.IotJobsClient(connection).subscribe_to_next_job_execution_changed_events(
        iotjobs.NextJobExecutionChangedSubscriptionRequest(thing_name="sdk-dev"), mqtt.QoS.AT_LEAST_ONCE, on_next
    )
    subscribed.result(WAIT)
    connection.disconnect().result(WAIT)
    _wait_sessions(iot_jobs_mqtt, 1)

    iot_client.create_job(jobId="while-away", targets=[arn], document='{"step":"flash"}')

    # A new connection object: the SDK routes a message on a topic it did not subscribe
    # to on this connection to on_message.
    received: List[Any] = []
    got.clear()

    def on_message(topic: str, payload: bytes, **kwargs: Any) -> None:
        received.append((topic, payload))
        got.set()

    again, present = connect(on_message)
    try:
        assert present
        assert got.wait(WAIT)
        topic, payload = received[0]
        assert topic == "$aws/things/sdk-dev/jobs/notify-next"
        assert b'"while-away"' in payload
    finally:
        again.disconnect().result(WAIT)


def test_unacknowledged_messages_are_sent_again_on_resume(iot_jobs_mqtt: MqttListener) -> None:
    from test_mqtt_protocol import RawClient, connect_packet
    from test_mqtt_reliability import subscribe

    def connected() -> "tuple[RawClient, int]":
        client = RawClient(iot_jobs_mqtt.port)
        client.send(connect_packet("raw", clean=False))
        kind, body = client.read_packet()
        assert kind == 0x20 and body[1] == 0
        return client, body[0]  # the session present flag

    client, present = connected()
    assert present == 0
    client.send(subscribe(1, ["t"]))
    assert client.read_packet()[0] == 0x90
    iot_jobs_mqtt.publish("t", b"never acknowledged", qos=1)
    kind, body = client.read_packet()
    assert kind & 0xF0 == 0x30 and body.endswith(b"never acknowledged")
    client.close()  # no PUBACK
    _wait_sessions(iot_jobs_mqtt, 1)
    assert iot_jobs_mqtt.sessions()[0]["messages"] == 1

    again, present = connected()
    try:
        assert present == 1
        kind, body = again.read_packet()
        assert kind & 0xF0 == 0x30 and body.endswith(b"never acknowledged")
    finally:
        again.close()


def test_mqtt5_disconnect_may_change_the_session_expiry(
    iot_jobs_mqtt: MqttListener, iot_jobs_backend: MockIotJobs
) -> None:
    ended = SessionDevice(iot_jobs_mqtt.port, "ends-it", V5, expiry=600)
    ended.subscribe("t")
    props = Properties(paho.PacketTypes.DISCONNECT)
    props.SessionExpiryInterval = 0
    ended.client.disconnect(properties=props)
    ended.close()
    kept = SessionDevice(iot_jobs_mqtt.port, "keeps-it", V5, expiry=600)
    kept.subscribe("t")
    props = Properties(paho.PacketTypes.DISCONNECT)
    props.SessionExpiryInterval = 120
    kept.client.disconnect(properties=props)
    kept.close()
    _wait_sessions(iot_jobs_mqtt, 1)
    (session,) = iot_jobs_mqtt.sessions()
    assert session["client_id"] == "keeps-it"
    iot_jobs_backend.advance_time(seconds=120)  # the interval given at DISCONNECT, not CONNECT's 600
    assert iot_jobs_mqtt.sessions() == []


def test_mqtt5_disconnect_may_not_make_a_clean_session_persistent(iot_jobs_mqtt: MqttListener) -> None:
    device = SessionDevice(iot_jobs_mqtt.port, "clean", V5, expiry=0)
    props = Properties(paho.PacketTypes.DISCONNECT)
    props.SessionExpiryInterval = 60
    device.client.disconnect(properties=props)
    device.close()
    probe = PahoDevice(iot_jobs_mqtt.port, "probe")
    probe.close()
    assert iot_jobs_mqtt.sessions() == []


def test_stored_bytes_are_bounded_for_all_sessions_together(iot_jobs_backend: MockIotJobs) -> None:
    limits = MqttLimits(max_session_bytes=2000, max_queued_bytes=1500)
    with mqtt_listener(iot_jobs_backend, limits=limits) as listener:
        for name in ("a", "b"):
            device = SessionDevice(listener.port, name, V311)
            device.subscribe("t")
            device.close()
        _wait_sessions(listener, 2)
        for n in range(5):
            listener.publish("t", bytes([65 + n]) * 500, qos=1)
        stats = {s["client_id"]: s for s in listener.sessions()}
        assert sum(int(s["bytes"]) for s in stats.values()) <= 2000
        assert all(int(s["bytes"]) <= 1500 for s in stats.values())
        assert all(s["messages"] and s["dropped"] for s in stats.values())
        again = SessionDevice(listener.port, "a", V311)
        try:
            assert again.wait_for("t").raw[:1] in (b"D", b"E")  # the newest are kept
        finally:
            again.close()
