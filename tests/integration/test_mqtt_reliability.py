"""The MQTT listener as a robust local service (issue 14): client ids that are not
things get no thing's topics, AWS IoT's quotas are enforced (and configurable),
slow consumers cost a bounded amount, malformed or abandoned input closes that
one connection and nothing else, and a publish costs what matches it.

Raw sockets where a client library would smooth the bytes over; every wait is bounded.
"""

from __future__ import annotations

import logging
import random
import socket
import struct
import threading
from typing import Any, Iterator, List, Optional, Tuple

import pytest
from test_mqtt_protocol import RawClient, _packet, _string, connect_packet, varint
from test_mqtt_support import V5, V311, PahoDevice, _banner_lines, _spawn, make_thing, reason_value

from mock_iotjobs import MockIotJobs
from mock_iotjobs.mqtt import MqttLimits, MqttListener, mqtt_listener

KIB = 1024


# --- raw packets -----------------------------------------------------------------------------
def connect5(client_id: str, properties: bytes = b"") -> bytes:
    header = _string("MQTT") + bytes([5, 0x02]) + struct.pack("!H", 30) + varint(len(properties)) + properties
    return _packet(0x10, header + _string(client_id))


def subscribe(packet_id: int, filters: List[str], qos: int = 1, v5: bool = False) -> bytes:
    body = struct.pack("!H", packet_id) + (b"\x00" if v5 else b"")
    for topic_filter in filters:
        body += _string(topic_filter) + bytes([qos])
    return _packet(0x82, body)


def publish(topic: str, payload: bytes, packet_id: Optional[int] = None, v5: bool = False) -> bytes:
    body = _string(topic) + (struct.pack("!H", packet_id) if packet_id else b"") + (b"\x00" if v5 else b"")
    return _packet(0x32 if packet_id else 0x30, body + payload)


def _connected(port: int, client_id: str, v5: bool = False, rcvbuf: Optional[int] = None) -> RawClient:
    client = RawClient.__new__(RawClient)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.settimeout(5.0)
    sock.connect(("127.0.0.1", port))
    client.sock = sock
    client.send(connect5(client_id) if v5 else connect_packet(client_id))
    kind, body = client.read_packet()
    assert kind == 0x20 and body[1] == 0, body
    return client


def _round_trip_works(port: int, thing: str = "still-alive") -> None:
    device = PahoDevice(port, thing)
    try:
        assert device.request(f"$aws/things/{thing}/jobs/get").topic.endswith("/rejected")  # no such thing
    finally:
        device.close()


@pytest.fixture
def small(iot_jobs_backend: MockIotJobs) -> Iterator[Any]:
    """``small(**limits)``: a listener on the test's mock with those limits changed."""
    stack: List[Any] = []

    def make(**changes: Any) -> MqttListener:
        manager = mqtt_listener(iot_jobs_backend, limits=MqttLimits(**changes))
        stack.append(manager)
        return manager.__enter__()

    yield make
    for manager in reversed(stack):
        manager.__exit__(None, None, None)


# --- authorization ------------------------------------------------------------------------------
@pytest.mark.parametrize("client_id", ["+", "#", "a/b", "dev+", "victim/+"])
def test_client_ids_that_are_no_thing_get_no_things_topics(
    iot_jobs_mqtt: MqttListener, iot_client: Any, client_id: str
) -> None:
    arn = make_thing(iot_client, "victim")
    victim = PahoDevice(iot_jobs_mqtt.port, "victim", V5)
    intruder = PahoDevice(iot_jobs_mqtt.port, client_id, V5)
    try:
        victim.subscribe("$aws/things/victim/jobs/notify-next")
        for topic_filter in (
            f"$aws/things/{client_id}/jobs/notify-next",
            f"$aws/things/{client_id}/#",
            "$aws/things/+/jobs/notify-next",
            "$aws/things/+/jobs/#",
            "$aws/things/#",
            f"$aws/commands/clients/{client_id}/executions/+/request/#",
            f"$aws/commands/things/{client_id}/executions/+/request/#",
        ):
            levels = topic_filter.split("/")
            if any(("+" in lv and lv != "+") or ("#" in lv and lv != "#") for lv in levels) or "#" in levels[:-1]:
                continue  # not a filter at all (paho refuses to send it; test_mqtt_protocol covers those)
            codes = [reason_value(r) for r in intruder.subscribe(topic_filter)]
            assert codes[0] >= 0x80, (topic_filter, codes)
        assert [reason_value(r) for r in intruder.subscribe("#")] == [1]  # never matches '$' topics
        iot_client.create_job(jobId="secret", targets=[arn], document='{"key":"s3cr3t"}')
        victim.wait_for("$aws/things/victim/jobs/notify-next")
        intruder.publish("plain/barrier", b"x")
        intruder.wait_for("plain/barrier")
        victim.barrier()
        assert [m.topic for m in intruder.messages] == ["plain/barrier"]
        if "+" not in client_id and "#" not in client_id:
            # Its "own" reserved topics are not its own either: it is no thing.
            assert reason_value(intruder.publish(f"$aws/things/{client_id}/jobs/get", {})) == 0x87
    finally:
        intruder.close()
        victim.close()


def test_client_id_over_128_bytes_is_refused(iot_jobs_mqtt: MqttListener) -> None:
    refused = RawClient(iot_jobs_mqtt.port)
    refused.send(connect_packet("x" * 129))
    assert refused.read_packet() == (0x20, b"\x00\x02")  # identifier rejected
    assert refused.closed_by_server()
    refused5 = RawClient(iot_jobs_mqtt.port)
    refused5.send(connect5("é" * 65))  # 130 bytes of UTF-8
    kind, body = refused5.read_packet()
    assert (kind, body[1]) == (0x20, 0x85)  # Client Identifier not valid
    _connected(iot_jobs_mqtt.port, "y" * 128).close()


# --- AWS IoT's quotas ----------------------------------------------------------------------------
def test_payload_over_128_kib_closes_the_connection(iot_jobs_mqtt: MqttListener) -> None:
    watcher = PahoDevice(iot_jobs_mqtt.port, "watcher")
    try:
        watcher.subscribe("big/#")
        client = _connected(iot_jobs_mqtt.port, "big-sender", v5=True)
        client.send(publish("big/ok", b"x" * (128 * KIB), packet_id=1, v5=True))
        assert client.read_packet() == (0x40, b"\x00\x01")
        assert len(watcher.wait_for("big/ok").raw) == 128 * KIB
        client.send(publish("big/too-big", b"x" * (128 * KIB + 1), packet_id=2, v5=True))
        kind, body = client.read_packet()
        assert (kind, body[0]) == (0xE0, 0x95)  # DISCONNECT: Packet too large
        assert client.closed_by_server()
        watcher.barrier()
        assert not watcher.on("big/too-big")
    finally:
        watcher.close()


def test_connack_tells_mqtt5_clients_the_limits(iot_jobs_mqtt: MqttListener) -> None:
    client = RawClient(iot_jobs_mqtt.port)
    client.send(connect5("curious"))
    kind, body = client.read_packet()
    assert kind == 0x20 and body[1] == 0
    limits = iot_jobs_mqtt.limits
    assert b"\x27" + struct.pack("!I", limits.max_packet_bytes) in body  # Maximum Packet Size
    assert b"\x21" + struct.pack("!H", 100) in body  # Receive Maximum
    client.close()


def test_fifty_subscriptions_per_connection(iot_jobs_mqtt: MqttListener) -> None:
    device = PahoDevice(iot_jobs_mqtt.port, "collector", V5)
    try:
        for number in range(50):
            assert [reason_value(r) for r in device.subscribe(f"topic/{number}")] == [1]
        assert [reason_value(r) for r in device.subscribe("topic/50")] == [0x97]  # Quota exceeded
        assert [reason_value(r) for r in device.subscribe("topic/7", qos=0)] == [0]  # a replacement
        device.client.unsubscribe("topic/7")
        device.barrier()
        assert [reason_value(r) for r in device.subscribe("topic/50")] == [1]
        assert iot_jobs_mqtt.client_stats()["collector"]["subscriptions"] == 50
    finally:
        device.close()


def test_eight_filters_per_subscribe(iot_jobs_mqtt: MqttListener) -> None:
    client = _connected(iot_jobs_mqtt.port, "greedy")
    client.send(subscribe(1, [f"f/{n}" for n in range(9)]))
    assert client.read_packet() == (0x90, b"\x00\x01" + b"\x01" * 8 + b"\x80")
    client.close()


def test_topic_size_and_depth(iot_jobs_mqtt: MqttListener) -> None:
    device = PahoDevice(iot_jobs_mqtt.port, "deep", V5)
    try:
        assert [reason_value(r) for r in device.subscribe("/".join("abcdefgh"))] == [1]  # 7 slashes
        assert [reason_value(r) for r in device.subscribe("/".join("abcdefghi"))] == [0x8F]  # 8
        assert [reason_value(r) for r in device.subscribe("x" * 257)] == [0x8F]
        device.client.publish("/".join("abcdefghi"), b"too deep", qos=1)
        assert reason_value(device.wait_disconnected()) == 0x90  # Topic Name invalid
    finally:
        device.close()


@pytest.mark.parametrize("protocol", [V311, V5], ids=["mqtt311", "mqtt5"])
def test_retained_messages_are_bounded(small: Any, protocol: int) -> None:
    listener = small(max_retained_messages=2)
    publisher = PahoDevice(listener.port, "retainer", protocol)
    try:
        for topic in ("r/1", "r/2", "r/1"):  # a replacement does not count
            info = publisher.client.publish(topic, b"v", qos=1, retain=True)
            publisher._wait(lambda mid=info.mid: mid in publisher._acks, "PUBACK")
        info = publisher.client.publish("r/3", b"v", qos=1, retain=True)
        if protocol == V5:
            publisher._wait(lambda: info.mid in publisher._acks, "PUBACK")
            assert reason_value(publisher._acks[info.mid]) == 0x97  # Quota exceeded
        else:
            publisher.wait_disconnected()  # MQTT 3.1.1 can only close
    finally:
        publisher.close()
    assert listener.client_stats()[""] == {"retained": 2, "retained_bytes": 2}
    late = PahoDevice(listener.port, "late", protocol)
    try:
        late.subscribe("r/#")
        late.client.publish("r/2", b"", qos=1, retain=True)  # clearing one makes room
        late.client.publish("r/3", b"new", qos=1, retain=True)
        assert late.wait_for("r/3").raw == b"new"
        assert sorted(m.topic for m in late.messages if m.raw == b"v") == ["r/1", "r/2"]
    finally:
        late.close()


@pytest.mark.parametrize(
    "properties",
    [b"\x27\x00\x00\x00\x00", b"\x21\x00\x00", b"\x17\x02"],
    ids=["maximum-packet-size-0", "receive-maximum-0", "request-problem-information-2"],
)
def test_mqtt5_connect_protocol_errors_are_refused(iot_jobs_mqtt: MqttListener, properties: bytes) -> None:
    client = RawClient(iot_jobs_mqtt.port)
    client.send(connect5("zero", properties))
    kind, body = client.read_packet()
    assert (kind, body[1]) == (0x20, 0x82)  # CONNACK: Protocol Error
    assert client.closed_by_server()
    assert "zero" not in iot_jobs_mqtt.clients()


# --- flow control and slow consumers -------------------------------------------------------------
def test_receive_maximum_bounds_unacknowledged_messages(iot_jobs_mqtt: MqttListener) -> None:
    client = RawClient(iot_jobs_mqtt.port)
    client.send(connect5("careful", b"\x21\x00\x02"))  # Receive Maximum 2
    assert client.read_packet()[0] == 0x20
    client.send(subscribe(1, ["q/#"], v5=True))
    assert client.read_packet()[0] == 0x90
    for number in range(5):
        iot_jobs_mqtt.publish(f"q/{number}", b"m", qos=1)
    stats = iot_jobs_mqtt.client_stats()["careful"]
    assert stats["inflight"] == 2 and stats["queued_bytes"] > 0
    first, second = client.read_packet(), client.read_packet()
    assert [p[0] for p in (first, second)] == [0x32, 0x32]
    client.send(_packet(0x40, first[1][5:7]))  # PUBACK the first (topic 'q/0': 2 + 3 bytes)
    third = client.read_packet()
    assert third[1][2:5] == b"q/2"
    assert iot_jobs_mqtt.client_stats()["careful"]["inflight"] == 2
    client.close()


def test_at_most_100_unacknowledged_messages_by_default(iot_jobs_mqtt: MqttListener) -> None:
    client = _connected(iot_jobs_mqtt.port, "lazy")
    client.send(subscribe(1, ["l/#"]))
    client.read_packet()
    for number in range(150):
        iot_jobs_mqtt.publish(f"l/{number}", b"m", qos=1)
    assert iot_jobs_mqtt.client_stats()["lazy"]["inflight"] == 100
    client.close()


def test_a_reader_that_stops_reading_costs_a_bounded_amount_and_loses_qos0(small: Any) -> None:
    listener = small(max_queued_bytes=256 * KIB)
    client = _connected(listener.port, "sluggish", rcvbuf=4096)
    client.send(subscribe(1, ["flood/#"], qos=0))
    client.read_packet()
    payload = b"x" * KIB
    for _ in range(20_000):  # 20 MB: more than every kernel buffer on the way holds
        listener.publish("flood/data", payload)
    stats = listener.client_stats()["sluggish"]
    assert stats["queued_bytes"] <= 256 * KIB and stats["dropped"] > 0
    assert "sluggish" in listener.clients()  # QoS 0 losses alone do not disconnect (yet)
    client.close()


def test_a_reader_whose_queue_stays_full_is_disconnected(small: Any) -> None:
    listener = small(max_queued_bytes=64 * KIB, slow_consumer_seconds=0)
    client = _connected(listener.port, "stuck", rcvbuf=4096)
    client.send(subscribe(1, ["flood/#"], qos=0))
    client.read_packet()
    for _ in range(20_000):
        listener.publish("flood/data", b"x" * KIB)
    assert "stuck" not in listener.clients()
    client.close()


def test_qos1_beyond_the_queue_disconnects(small: Any) -> None:
    listener = small(max_queued_messages=10)
    client = _connected(listener.port, "hoarder")
    client.send(subscribe(1, ["h/#"]))
    client.read_packet()
    for number in range(111):  # 100 in flight, 10 waiting, then one too many
        listener.publish(f"h/{number}", b"m", qos=1)
    assert "hoarder" not in listener.clients()
    assert client.closed_by_server()


# --- malformed input and client faults -------------------------------------------------------------
@pytest.mark.parametrize(
    "packet",
    [
        publish("", b"x"),
        _packet(0x30, b"\x00\x02\xff\xfe" + b"x"),  # topic not UTF-8
        _packet(0x30, b"\x00\x03a\x00b" + b"x"),  # U+0000 in the topic
        publish("a/+", b"x"),
        publish("a/#", b"x"),
        _packet(0x32, b"\x00\x01a\x00\x00x"),  # QoS 1 with packet identifier 0
        b"\x30\xff\xff\xff\xff\x01",  # remaining length of 5 bytes
        b"\x30" + varint(64 * 1024 * 1024),  # far over the maximum packet size
        _packet(0x82, b"\x00\x01\x00\x02\xc3\x28\x01"),  # SUBSCRIBE: filter not UTF-8
        _packet(0x82, b"\x00\x01\x00\x01a\x04"),  # SUBSCRIBE: reserved option bits
        _packet(0xA2, b"\x00\x01"),  # UNSUBSCRIBE without a filter
        connect_packet("again"),  # a second CONNECT
        b"\x00\x00",  # reserved packet type 0
        b"\xf0\x00",  # AUTH is MQTT 5 only
        _packet(0x40, b"\x00"),  # PUBACK cut short
    ],
    ids=[
        "empty-topic",
        "topic-not-utf8",
        "topic-nul",
        "publish-plus",
        "publish-hash",
        "packet-id-0",
        "length-5-bytes",
        "length-too-large",
        "filter-not-utf8",
        "subscribe-reserved-bits",
        "unsubscribe-empty",
        "second-connect",
        "type-0",
        "auth-in-311",
        "short-puback",
    ],
)
def test_malformed_packets_close_that_connection_only(
    iot_jobs_mqtt: MqttListener, caplog: pytest.LogCaptureFixture, packet: bytes
) -> None:
    bystander = _connected(iot_jobs_mqtt.port, "bystander")
    client = _connected(iot_jobs_mqtt.port, "malformed")
    client.send(packet)
    assert client.closed_by_server()
    bystander.send(b"\xc0\x00")  # PINGREQ
    assert bystander.read_packet() == (0xD0, b"")
    _round_trip_works(iot_jobs_mqtt.port)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_random_bytes_and_abandoned_connections_leave_the_listener_serving(
    iot_jobs_mqtt: MqttListener, caplog: pytest.LogCaptureFixture
) -> None:
    rng = random.Random(1414)
    prefixes = [b"", connect_packet("fuzz"), connect5("fuzz5")]
    for _ in range(150):
        sock = socket.create_connection(("127.0.0.1", iot_jobs_mqtt.port), timeout=5)
        junk = bytes(rng.randrange(256) for _ in range(rng.randint(1, 80)))
        try:
            sock.sendall(rng.choice(prefixes) + junk)
        except OSError:
            pass  # the server may already have closed it
        if rng.random() < 0.5:  # a reset rather than a FIN
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
    for _ in range(20):  # half-sent packets, then gone
        sock = socket.create_connection(("127.0.0.1", iot_jobs_mqtt.port), timeout=5)
        sock.sendall(connect_packet("half")[:7])
        sock.close()
    _round_trip_works(iot_jobs_mqtt.port)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_many_clients_at_once(iot_jobs_mqtt: MqttListener, iot_client: Any) -> None:
    things = [f"crowd-{n}" for n in range(20)]
    arns = [make_thing(iot_client, thing) for thing in things]
    iot_client.create_job(jobId="crowd-job", targets=arns, document="{}")
    answers: List[Tuple[str, str]] = []
    errors: List[BaseException] = []

    def device_run(thing: str) -> None:
        try:
            device = PahoDevice(iot_jobs_mqtt.port, thing)
            try:
                answer = device.request(f"$aws/things/{thing}/jobs/start-next")
                answers.append((thing, answer.body["execution"]["jobId"]))
            finally:
                device.close()
        except BaseException as error:  # reported below
            errors.append(error)

    workers = [threading.Thread(target=device_run, args=(thing,)) for thing in things]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
    assert not errors
    assert sorted(answers) == [(thing, "crowd-job") for thing in sorted(things)]
    executions = iot_client.list_job_executions_for_job(jobId="crowd-job")["executionSummaries"]
    assert {e["jobExecutionSummary"]["status"] for e in executions} == {"IN_PROGRESS"}


# --- the subscription index ----------------------------------------------------------------------
def test_a_publish_costs_what_matches_it_not_every_subscription(small: Any) -> None:
    listener = small(max_subscriptions=20_000, max_filters_per_subscribe=1000)
    client = _connected(listener.port, "hoarder-of-filters")
    for batch in range(20):
        client.send(subscribe(batch + 1, [f"s/{batch * 1000 + n}/+" for n in range(1000)], qos=0))
        assert client.read_packet()[0] == 0x90
    assert listener.client_stats()["hoarder-of-filters"]["subscriptions"] == 20_000
    # Count the subscriptions a publish looks at (no wall clock: speed belongs in benchmarks/).
    index = listener._broker.index
    original, looked_at = index.match, []

    def counting_match(topic: str, skip: Any = None) -> Any:
        def counted(connection: Any, subscription: Any) -> bool:
            looked_at.append(subscription.topic_filter)
            return bool(skip(connection, subscription)) if skip is not None else False

        return original(topic, skip=counted)

    index.match = counting_match  # type: ignore[method-assign]
    try:
        for _ in range(500):
            listener.publish("s/7/x", b"m")
        for _ in range(500):
            kind, body = client.read_packet()
            assert kind == 0x30 and body.endswith(b"m")
    finally:
        index.match = original  # type: ignore[method-assign]
    # Each publish looked at the one matching filter, not at 20,000 (the old scan took ~10 s here).
    assert looked_at == ["s/7/+"] * 500
    client.close()


def test_notifications_nobody_subscribed_to_never_reach_the_loop(
    iot_jobs_mqtt: MqttListener, iot_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    arns = [make_thing(iot_client, f"fleet-{n}") for n in range(100)]
    device = PahoDevice(iot_jobs_mqtt.port, "fleet-7")
    routed: List[str] = []
    broker = iot_jobs_mqtt._broker
    original = broker.route
    try:
        device.subscribe("$aws/things/fleet-7/jobs/notify-next")
        monkeypatch.setattr(broker, "route", lambda topic, *a, **k: (routed.append(topic), original(topic, *a, **k)))
        iot_client.create_job(jobId="fleet-job", targets=arns, document="{}")
        device.wait_for("$aws/things/fleet-7/jobs/notify-next")
        device.barrier()
        assert routed == ["$aws/things/fleet-7/jobs/notify-next"]  # not 200 + events
    finally:
        device.close()


# --- serve --mqtt-limit -------------------------------------------------------------------------------
def test_serve_takes_mqtt_limits() -> None:
    bad = _spawn("serve", "--port", "0", "--mqtt-port", "0", "--mqtt-limit", "max_nonsense=1")
    assert bad.wait(20) == 2
    assert bad.stderr is not None and b"unknown MQTT limit" in bad.stderr.read()
    process = _spawn("serve", "--port", "0", "--mqtt-port", "0", "--mqtt-limit", "max_filters_per_subscribe=9")
    try:
        mqtt_line = _banner_lines(process, 1)[0]
        client = _connected(int(mqtt_line.rsplit(":", 1)[1]), "nine")
        client.send(subscribe(1, [f"f/{n}" for n in range(9)]))
        assert client.read_packet() == (0x90, b"\x00\x01" + b"\x01" * 9)
        client.close()
    finally:
        process.terminate()
        try:
            process.wait(10)
        finally:
            if process.poll() is None:
                process.kill()
