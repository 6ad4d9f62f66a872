"""The listener as an MQTT broker: ordinary publish/subscribe, retained messages,
wills, client-id take-over, keep-alive, and how it answers malformed or unsupported
input (raw sockets, so nothing in a client library smooths it over)."""

from __future__ import annotations

import socket
import struct
from typing import Any, Optional

import pytest
from test_mqtt_support import V5, V311, PahoDevice, make_thing, reason_value

from mock_iotjobs.mqtt import MqttListener

WAIT = 5.0


# --- a raw client ---------------------------------------------------------------------
def _string(text: str) -> bytes:
    raw = text.encode()
    return struct.pack("!H", len(raw)) + raw


def varint(value: int) -> bytes:
    """MQTT's variable byte integer, written independently of the codec under test."""
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _packet(first: int, body: bytes) -> bytes:
    return bytes([first]) + varint(len(body)) + body


def connect_packet(
    client_id: str,
    level: int = 4,
    clean: bool = True,
    keep_alive: int = 30,
    will: Optional[tuple] = None,
) -> bytes:
    v5 = level == 5
    flags = 0x02 if clean else 0
    payload = _string(client_id)
    if will is not None:
        flags |= 0x04
        will_props = b"\x00" if v5 else b""
        payload += will_props + _string(will[0]) + struct.pack("!H", len(will[1])) + will[1]
    header = _string("MQTT") + bytes([level, flags]) + struct.pack("!H", keep_alive) + (b"\x00" if v5 else b"")
    return _packet(0x10, header + payload)


class RawClient:
    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=WAIT)

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def read_packet(self) -> "tuple[int, bytes]":
        first = self._exactly(1)[0]
        length, shift = 0, 0
        while True:
            byte = self._exactly(1)[0]
            length |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                break
        return first, self._exactly(length)

    def closed_by_server(self) -> bool:
        try:
            while True:
                if not self.sock.recv(1024):
                    return True
        except (ConnectionResetError, BrokenPipeError):
            return True
        except socket.timeout:
            return False

    def _exactly(self, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise ConnectionError("closed by the server")
            data += chunk
        return data

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def raw(iot_jobs_mqtt: MqttListener) -> Any:
    clients = []

    def make() -> RawClient:
        client = RawClient(iot_jobs_mqtt.port)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


# --- raw protocol -------------------------------------------------------------------------
def test_connect_ping_and_disconnect(raw: Any) -> None:
    client = raw()
    client.send(connect_packet("pinger"))
    assert client.read_packet() == (0x20, b"\x00\x00")
    client.send(b"\xc0\x00")  # PINGREQ
    assert client.read_packet() == (0xD0, b"")
    client.send(b"\xe0\x00")  # DISCONNECT
    assert client.closed_by_server()


@pytest.mark.parametrize(
    "packet, connack",
    [
        (connect_packet("old-protocol", level=3), (0x20, b"\x00\x01")),  # unacceptable protocol version
        (connect_packet("", clean=False), (0x20, b"\x00\x02")),  # identifier rejected
    ],
    ids=["mqtt31", "empty-id-persistent-session"],
)
def test_refused_connections(raw: Any, packet: bytes, connack: tuple) -> None:
    client = raw()
    client.send(packet)
    assert client.read_packet() == connack
    assert client.closed_by_server()


def test_mqtt5_empty_client_id_gets_one_assigned(raw: Any) -> None:
    client = raw()
    client.send(connect_packet("", level=5))
    kind, body = client.read_packet()
    assert kind == 0x20 and body[:2] == b"\x00\x00"
    assert b"\x12\x00\x19mock-iotjobs-" in body  # Assigned Client Identifier


@pytest.mark.parametrize(
    "first",
    [b"\x30\x03\x00\x01a", b"\xff\xff\xff\xff\xff", b"\x10\x03abc"],
    ids=["publish-before-connect", "bad-length", "truncated-connect"],
)
def test_malformed_first_packets_close_the_connection(raw: Any, first: bytes) -> None:
    client = raw()
    client.send(first)
    assert client.closed_by_server()


def test_bad_packets_after_connect_close_the_connection(raw: Any) -> None:
    for packet in (
        b"\x82\x02\x00\x01",  # SUBSCRIBE without any topic filter
        b"\x80\x02\x00\x01",  # SUBSCRIBE with reserved flags 0
        b"\x20\x02\x00\x00",  # CONNACK from a client
        b"\x34\x08\x00\x01a\x00\x01{}\x00",  # QoS 2 PUBLISH: not supported
        b"\x30\x04\x00\x01#x",  # PUBLISH to a wildcard topic
    ):
        client = raw()
        client.send(connect_packet("bad"))
        client.read_packet()
        client.send(packet)
        assert client.closed_by_server(), packet


def test_mqtt5_clients_are_told_why_they_are_disconnected(raw: Any) -> None:
    client = raw()
    client.send(connect_packet("v5-client", level=5))
    assert client.read_packet()[0] == 0x20
    client.send(b"\x34\x08\x00\x01a\x00\x01\x00{}")  # QoS 2 PUBLISH
    kind, body = client.read_packet()
    assert (kind, body[0]) == (0xE0, 0x9B)  # DISCONNECT: QoS not supported
    assert client.closed_by_server()


def test_keep_alive_is_enforced(raw: Any) -> None:
    client = raw()
    client.send(connect_packet("sleepy", keep_alive=1))
    client.read_packet()
    client.sock.settimeout(4)
    assert client.closed_by_server()  # silent for 1.5 x keep-alive


def test_will_is_published_when_the_connection_drops(raw: Any, iot_jobs_mqtt: MqttListener) -> None:
    watcher = PahoDevice(iot_jobs_mqtt.port, "watcher")
    try:
        watcher.subscribe("status/+")
        client = raw()
        client.send(connect_packet("mortal", will=("status/mortal", b"gone")))
        client.read_packet()
        client.close()  # no DISCONNECT
        assert watcher.wait_for("status/mortal").raw == b"gone"
        # A clean DISCONNECT discards the will.
        polite = raw()
        polite.send(connect_packet("polite", will=("status/polite", b"gone")))
        polite.read_packet()
        polite.send(b"\xe0\x00")
        assert polite.closed_by_server()
        watcher.publish("status/check", b"barrier")
        watcher.wait_for("status/check")
        assert [m.topic for m in watcher.messages] == ["status/mortal", "status/check"]
    finally:
        watcher.close()


# --- publish / subscribe between clients ------------------------------------------------------
@pytest.mark.parametrize("protocol", [V311, V5], ids=["mqtt311", "mqtt5"])
def test_ordinary_publish_subscribe(iot_jobs_mqtt: MqttListener, protocol: int) -> None:
    alice = PahoDevice(iot_jobs_mqtt.port, "alice", protocol)
    bob = PahoDevice(iot_jobs_mqtt.port, "bob", protocol)
    try:
        assert [reason_value(r) for r in bob.subscribe("fleet/+/temp", qos=2)] == [1]  # QoS 2 granted as 1
        bob.subscribe("fleet/#", qos=0)
        alice.publish("fleet/a1/temp", b"21.5", qos=1)
        alice.publish("fleet/a1/humidity", b"40", qos=0)
        alice.publish("other/topic", b"x", qos=1)
        message = bob.wait_for("fleet/a1/temp")
        assert message.raw == b"21.5"
        bob.wait_for("fleet/a1/humidity")
        bob.client.unsubscribe("fleet/#")
        bob.client.unsubscribe("fleet/+/temp")
        bob.barrier()
        alice.publish("fleet/a1/temp", b"22", qos=1)
        bob.barrier()
        assert [m.raw for m in bob.on("fleet/a1/temp")] == [b"21.5"]
        assert not bob.on("other/topic")
    finally:
        alice.close()
        bob.close()


def test_retained_messages(iot_jobs_mqtt: MqttListener) -> None:
    alice = PahoDevice(iot_jobs_mqtt.port, "alice")
    try:
        alice.client.publish("config/site", b"v1", qos=1, retain=True)
        alice.client.publish("config/site", b"v2", qos=1, retain=True)
        alice.client.publish("config/gone", b"x", qos=1, retain=True)
        alice.client.publish("config/gone", b"", qos=1, retain=True)  # an empty retained message clears it
        alice.barrier()
        late = PahoDevice(iot_jobs_mqtt.port, "late")
        try:
            late.subscribe("config/#")
            assert late.wait_for("config/site").raw == b"v2"
            late.barrier()
            assert [m.topic for m in late.messages if m.topic.startswith("config/")] == ["config/site"]
        finally:
            late.close()
    finally:
        alice.close()


def test_wildcards_do_not_match_reserved_topics(iot_jobs_mqtt: MqttListener, iot_client: Any) -> None:
    arn = make_thing(iot_client, "quiet")
    everything = PahoDevice(iot_jobs_mqtt.port, "quiet")
    try:
        everything.subscribe("#")
        everything.subscribe("+/things/quiet/jobs/notify")
        iot_client.create_job(jobId="j", targets=[arn], document="{}")
        everything.barrier()
        assert [m.topic for m in everything.messages] == ["$aws/things/quiet/jobs/get/accepted"]
    finally:
        everything.close()


def test_listener_publish_reaches_subscribers(iot_jobs_mqtt: MqttListener) -> None:
    device = PahoDevice(iot_jobs_mqtt.port, "listener-test")
    try:
        device.subscribe("broadcast")
        iot_jobs_mqtt.publish("broadcast", {"hello": "world"}, qos=1)
        assert device.wait_for("broadcast").body == {"hello": "world"}
    finally:
        device.close()


@pytest.mark.parametrize("protocol", [V311, V5], ids=["mqtt311", "mqtt5"])
def test_same_client_id_takes_over(iot_jobs_mqtt: MqttListener, protocol: int) -> None:
    first = PahoDevice(iot_jobs_mqtt.port, "twin", protocol)
    second = PahoDevice(iot_jobs_mqtt.port, "twin", protocol)
    try:
        reason = first.wait_disconnected()
        if protocol == V5:
            assert reason_value(reason) == 0x8E  # Session taken over
        second.barrier()
        assert iot_jobs_mqtt.clients() == ["twin"]
    finally:
        first.close()
        second.close()
