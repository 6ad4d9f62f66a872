"""The MQTT listener's life cycle (context manager, fixture, server mode, reset), and
the paho-mqtt device the other ``test_mqtt_*`` modules share.

Everything runs on 127.0.0.1 with port 0; every wait is bounded.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Dict, List, Optional, Union

import boto3
import paho.mqtt.client as paho
import pytest
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from mock_iotjobs import MockIotJobs, mock_iotjobs
from mock_iotjobs.mqtt import MqttListener, mqtt_listener, start_listener

WAIT = 5.0
REPO = Path(__file__).resolve().parents[2]
V311 = paho.MQTTv311
V5 = paho.MQTTv5


class Message:
    def __init__(self, topic: str, raw: bytes, properties: Any) -> None:
        self.topic = topic
        self.raw = raw
        self.properties = properties
        try:
            self.body: Any = json.loads(raw)
        except ValueError:
            self.body = None

    def __repr__(self) -> str:
        return f"Message({self.topic!r}, {self.raw[:200]!r})"


class PahoDevice:
    """A paho-mqtt client that records every message it gets and waits with timeouts."""

    def __init__(self, port: int, client_id: str, protocol: int = V311, connect: bool = True) -> None:
        self.port = port
        self.client_id = client_id
        self.protocol = protocol
        self.messages: List[Message] = []
        self.connack: Optional[Any] = None
        self.disconnected = threading.Event()
        self.disconnect_reason: Any = None
        self._cond = threading.Condition()
        self._acks: Dict[int, Any] = {}
        client = paho.Client(
            paho.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=protocol, reconnect_on_failure=False
        )
        client.on_connect = self._on_connect
        client.on_message = self._on_message
        client.on_subscribe = self._on_subscribe
        client.on_publish = self._on_publish
        client.on_disconnect = self._on_disconnect
        self.client = client
        if connect:
            self.connect()

    # --- callbacks (paho's network thread) -------------------------------------------
    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        with self._cond:
            self.connack = (reason, properties)
            self._cond.notify_all()

    def _on_message(self, client: Any, userdata: Any, message: Any) -> None:
        with self._cond:
            self.messages.append(Message(message.topic, message.payload, getattr(message, "properties", None)))
            self._cond.notify_all()

    def _on_subscribe(self, client: Any, userdata: Any, mid: int, reasons: Any, properties: Any) -> None:
        with self._cond:
            self._acks[mid] = list(reasons)
            self._cond.notify_all()

    def _on_publish(self, client: Any, userdata: Any, mid: int, reason: Any, properties: Any) -> None:
        with self._cond:
            self._acks[mid] = reason
            self._cond.notify_all()

    def _on_disconnect(self, client: Any, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        self.disconnect_reason = reason
        self.disconnected.set()
        with self._cond:
            self._cond.notify_all()

    # --- actions ------------------------------------------------------------------------
    def _wait(self, predicate: Any, what: str, timeout: float = WAIT) -> Any:
        with self._cond:
            if not self._cond.wait_for(predicate, timeout):
                raise AssertionError(f"{self.client_id}: no {what} within {timeout}s; got {self.messages}")
            return predicate()

    def connect(self, **properties: Any) -> Any:
        props = None
        if properties:
            props = Properties(paho.PacketTypes.CONNECT)
            for name, value in properties.items():
                setattr(props, name, value)
        self.client.connect("127.0.0.1", self.port, keepalive=30, properties=props)
        # paho writes a packet in pieces; without this, delayed ACKs cost 40 ms a request.
        self.client.socket().setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.client.loop_start()
        return self._wait(lambda: self.connack, "CONNACK")

    def subscribe(self, topic_filter: str, qos: int = 1) -> List[Any]:
        result, mid = self.client.subscribe(topic_filter, qos=qos)
        assert result == paho.MQTT_ERR_SUCCESS
        return self._wait(lambda: self._acks.get(mid), f"SUBACK for {topic_filter}")

    def publish(
        self, topic: str, payload: Union[bytes, str, Dict[str, Any], None] = None, qos: int = 1, **props: Any
    ) -> Any:
        data = json.dumps(payload) if isinstance(payload, dict) else payload
        properties = None
        if props:
            properties = Properties(paho.PacketTypes.PUBLISH)
            for name, value in props.items():
                setattr(properties, name, value)
        info = self.client.publish(topic, data, qos=qos, properties=properties)
        if qos:
            return self._wait(lambda: self._acks.get(info.mid), f"PUBACK for {topic}")
        return None

    def request(self, topic: str, payload: Optional[Dict[str, Any]] = None, **props: Any) -> Message:
        """Publish a jobs request (a fresh clientToken unless given) and wait for its answer."""
        body = dict(payload or {})
        body.setdefault("clientToken", uuid.uuid4().hex)
        token = body["clientToken"]
        with self._cond:
            since = len(self.messages)
        self.publish(topic, body, **props)
        return self.wait_for(
            lambda m: (
                m.topic in (f"{topic}/accepted", f"{topic}/rejected")
                and isinstance(m.body, dict)
                and m.body.get("clientToken") == token
            ),
            f"answer on {topic}",
            since=since,
        )

    def wait_for(self, match: Any, what: str = "message", timeout: float = WAIT, since: int = 0) -> Message:
        """The first message (from index ``since`` on) on a topic, or matching a predicate."""
        if isinstance(match, str):
            topic = match
            match = lambda m: m.topic == topic  # noqa: E731
            what = topic

        def found() -> Optional[Message]:
            return next((m for m in self.messages[since:] if match(m)), None)

        return self._wait(found, what, timeout)

    def wait_count(self, topic: str, count: int, timeout: float = WAIT) -> List[Message]:
        return self._wait(lambda: len(self.on(topic)) >= count and self.on(topic), f"{count} x {topic}", timeout)

    def on(self, topic: str) -> List[Message]:
        with self._cond:
            return [m for m in self.messages if m.topic == topic]

    def barrier(self) -> None:
        """A round trip: whatever was published to this client before is in ``messages`` after."""
        self.request(f"$aws/things/{self.client_id}/jobs/get")

    def wait_disconnected(self, timeout: float = WAIT) -> Any:
        assert self.disconnected.wait(timeout), f"{self.client_id} still connected after {timeout}s"
        return self.disconnect_reason

    def close(self) -> None:
        was_connected = not self.disconnected.is_set()
        # Also after the server closed the connection: stops paho's reconnect wait at once.
        self.client.disconnect()
        if was_connected:
            self.disconnected.wait(WAIT)
        self.client.loop_stop()


def reason_value(reason: Any) -> int:
    return reason.value if isinstance(reason, ReasonCode) else int(reason)


_SESSION: Any = None


def aws_client(service: str, region: str = "us-east-1", **kwargs: Any) -> Any:
    """A boto3 client from one session shared by these tests (models load once)."""
    global _SESSION
    if _SESSION is None:
        _SESSION = boto3.session.Session()
    kwargs.setdefault("aws_access_key_id", "AKIAMQTTTESTS0000000")
    kwargs.setdefault("aws_secret_access_key", "secret")
    return _SESSION.client(service, region_name=region, **kwargs)


def make_thing(iot: Any, name: str) -> str:
    return str(iot.create_thing(thingName=name)["thingArn"])


# --- tests of the listener itself ---------------------------------------------------------
def _round_trip(port: int, thing: str) -> Message:
    device = PahoDevice(port, thing)
    try:
        return device.request(f"$aws/things/{thing}/jobs/get")
    finally:
        device.close()


def test_context_manager_serves_the_mock_and_stops(iot_client: Any, iot_jobs_backend: MockIotJobs) -> None:
    make_thing(iot_client, "lifecycle")
    with mqtt_listener(iot_jobs_backend) as listener:
        assert listener.host == "127.0.0.1" and listener.port > 0
        assert listener.url == f"mqtt://127.0.0.1:{listener.port}"
        assert listener.region == iot_jobs_backend.default_region
        device = PahoDevice(listener.port, "lifecycle")
        assert listener.clients() == ["lifecycle"]
        answer = device.request("$aws/things/lifecycle/jobs/get")
        assert answer.topic.endswith("/get/accepted")
        assert answer.body["inProgressJobs"] == [] and answer.body["queuedJobs"] == []
    # Stopping disconnects the client and frees the port.
    device.wait_disconnected()
    device.close()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", listener.port), timeout=1).close()


def test_stopping_tells_mqtt5_clients_the_server_is_shutting_down(iot_jobs_backend: MockIotJobs) -> None:
    with mqtt_listener(iot_jobs_backend) as listener:
        device = PahoDevice(listener.port, "bystander", V5)
    try:
        assert reason_value(device.wait_disconnected()) == 0x8B  # Server shutting down
    finally:
        device.close()


def test_fixture_runs_a_listener_on_the_test_mock(iot_jobs_mqtt: MqttListener, iot_client: Any) -> None:
    make_thing(iot_client, "fixture-thing")
    answer = _round_trip(iot_jobs_mqtt.port, "fixture-thing")
    assert answer.topic == "$aws/things/fixture-thing/jobs/get/accepted"
    # The same thing unknown to the mock would be refused: it is the test's own state.
    assert _round_trip(iot_jobs_mqtt.port, "other-thing").topic.endswith("/rejected")


def test_listener_serves_the_region_it_was_started_for() -> None:
    with mock_iotjobs(region="eu-west-1") as m:
        aws_client("iot", "eu-west-1").create_thing(thingName="eu-thing")
        aws_client("iot").create_thing(thingName="us-thing")
        with mqtt_listener(m) as listener:
            assert listener.region == "eu-west-1"
            assert _round_trip(listener.port, "eu-thing").topic.endswith("/accepted")
            assert _round_trip(listener.port, "us-thing").body["code"] == "ResourceNotFound"
        with mqtt_listener(m, region="us-east-1") as listener:
            assert _round_trip(listener.port, "us-thing").topic.endswith("/accepted")


def test_start_listener_takes_a_store_and_stop_is_idempotent() -> None:
    with mock_iotjobs() as m:
        aws_client("iot").create_thing(thingName="store-thing")
        listener = start_listener(m._store, "127.0.0.1", 0)
        try:
            assert _round_trip(listener.port, "store-thing").topic.endswith("/accepted")
        finally:
            listener.stop()
        listener.stop()


def test_notifications_keep_flowing_after_the_mock_is_reset(
    iot_jobs_mqtt: MqttListener, iot_jobs_backend: MockIotJobs
) -> None:
    iot = aws_client("iot", iot_jobs_backend.default_region)
    arn = make_thing(iot, "phoenix")
    device = PahoDevice(iot_jobs_mqtt.port, "phoenix")
    try:
        device.subscribe("$aws/things/phoenix/jobs/notify-next")
        iot.create_job(jobId="before-reset", targets=[arn], document="{}")
        device.wait_for(lambda m: (m.body or {}).get("execution", {}).get("jobId") == "before-reset")
        iot_jobs_backend.reset()  # a new backend (and notification log) replaces the old one
        arn = make_thing(iot, "phoenix")
        iot.create_job(jobId="after-reset", targets=[arn], document="{}")
        device.wait_for(lambda m: (m.body or {}).get("execution", {}).get("jobId") == "after-reset")
    finally:
        device.close()


def _spawn(*args: str) -> "subprocess.Popen[bytes]":
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    return subprocess.Popen(
        [sys.executable, "-m", "mock_iotjobs", *args], cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


def _banner_lines(process: "subprocess.Popen[bytes]", count: int, timeout: float = 20) -> List[str]:
    lines: List[str] = []
    deadline = time.monotonic() + timeout
    assert process.stdout is not None
    while len(lines) < count:
        if time.monotonic() > deadline or process.poll() is not None:
            raise AssertionError(
                f"server banner incomplete: {lines}; stderr: {process.stderr.read() if process.stderr else ''}"
            )
        lines.append(process.stdout.readline().decode().strip())
    return lines


def test_serve_with_mqtt_port_serves_jobs_topics_from_the_http_state() -> None:
    process = _spawn("serve", "--port", "0", "--mqtt-port", "0")
    try:
        mqtt_line, http_line = _banner_lines(process, 2)
        assert mqtt_line.startswith("mock_iotjobs MQTT listening on mqtt://127.0.0.1:")
        port = int(mqtt_line.rsplit(":", 1)[1])
        url = http_line.rsplit(" ", 1)[1]
        iot = aws_client("iot", endpoint_url=url)
        arn = make_thing(iot, "served")
        iot.create_job(jobId="served-job", targets=[arn], document='{"op":"served"}')
        device = PahoDevice(port, "served")
        try:
            answer = device.request("$aws/things/served/jobs/start-next")
            assert answer.body["execution"]["jobId"] == "served-job"
            assert answer.body["execution"]["jobDocument"] == {"op": "served"}
        finally:
            device.close()
        described = iot.describe_job_execution(jobId="served-job", thingName="served")["execution"]
        assert described["status"] == "IN_PROGRESS"
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        finally:
            if process.poll() is None:
                process.kill()
    assert process.returncode == 0
