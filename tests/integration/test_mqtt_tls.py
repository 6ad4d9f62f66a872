"""MQTT over mutual TLS with paho-mqtt: who may connect, and the IoT policies enforced.

Provisioning goes through the mock's API only; each device trusts the mock's CA and
connects to ``localhost`` (a name the server certificate holds) with its own
certificate and key.
"""

from __future__ import annotations

import json
import socket
import ssl
import time
import urllib.request
from typing import Any

import pytest
from certs_support import make_ca, new_key, pem, register_ca, sign
from cryptography.hazmat.primitives import serialization
from test_mqtt_support import V5, V311, _banner_lines, _spawn, aws_client, reason_value
from tls_support import Device, TlsPahoDevice, client_context, handshake_error, jobs_policy, provision

from mock_iotjobs import MockIotJobs
from mock_iotjobs.mqtt import MqttListener, mqtt_listener

REGION = "us-east-1"
ACCOUNT = "123456789012"
ARN = f"arn:aws:iot:{REGION}:{ACCOUNT}"


@pytest.fixture
def listener(iot_jobs_mqtt_tls: MqttListener) -> MqttListener:
    return iot_jobs_mqtt_tls


def key_pem(key: Any) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def connect(listener: MqttListener, device: Device, client_id: str = "", protocol: int = V311) -> TlsPahoDevice:
    context = client_context(listener.ca_pem(), device.cert_pem, device.key_pem)
    return TlsPahoDevice(listener.port, client_id or device.thing, context, protocol)


def open_policy(*statements: Any) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: Any, resource: Any) -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource}


# --- the server side of TLS ------------------------------------------------------------
def test_the_fixture_serves_tls_for_the_data_ats_endpoint(listener: MqttListener, iot_client: Any) -> None:
    assert listener.url == f"mqtts://127.0.0.1:{listener.port}"
    assert listener.endpoint == iot_client.describe_endpoint(endpointType="iot:Data-ATS")["endpointAddress"]
    device = provision(iot_client, "dev-1", jobs_policy(REGION, ACCOUNT))
    context = client_context(listener.ca_pem(), device.cert_pem, device.key_pem)
    raw = socket.create_connection(("127.0.0.1", listener.port), timeout=5)
    with context.wrap_socket(raw, server_hostname="localhost") as tls:
        names = dict(tls.getpeercert())["subjectAltName"]
    assert ("DNS", listener.endpoint) in names and ("DNS", "localhost") in names
    assert ("IP Address", "127.0.0.1") in names


def test_a_plain_client_or_one_without_a_certificate_gets_nothing(listener: MqttListener, iot_client: Any) -> None:
    no_certificate = ssl.create_default_context(cadata=listener.ca_pem())
    assert handshake_error(listener.port, no_certificate) is not None
    raw = socket.create_connection(("127.0.0.1", listener.port), timeout=5)
    try:  # a plain MQTT CONNECT is no TLS ClientHello: no CONNACK, the connection is dropped
        raw.sendall(bytes([0x10, 12, 0, 4]) + b"MQTT" + bytes([4, 2, 0, 30, 0, 0]))
        raw.settimeout(5)
        try:
            answer = raw.recv(16)
        except ConnectionResetError:
            answer = b""
        assert not answer.startswith(b"\x20")
    finally:
        raw.close()
    assert listener.clients() == []


def test_a_certificate_from_an_unknown_ca_fails_the_handshake(listener: MqttListener) -> None:
    key, ca = make_ca("Somebody Else's CA")
    device_key = new_key()
    cert = sign(key, ca, "stranger", device_key)
    context = client_context(listener.ca_pem(), pem(cert), key_pem(device_key))
    error = handshake_error(listener.port, context)
    assert error is not None
    assert listener.clients() == []


def test_a_certificate_of_a_registered_ca_connects_once_registered(listener: MqttListener, iot_client: Any) -> None:
    ca_key, ca, ca_id = register_ca(iot_client)
    device_key = new_key()
    cert = pem(sign(ca_key, ca, "byo-device", device_key))
    # Chains to a registered CA but is not registered itself: refused after the handshake.
    context = client_context(listener.ca_pem(), cert, key_pem(device_key))
    assert handshake_error(listener.port, context) is not None
    registered = iot_client.register_certificate(certificatePem=cert, caCertificatePem=pem(ca), setAsActive=True)
    iot_client.create_policy(policyName="any", policyDocument=json.dumps(open_policy(allow("iot:*", "*"))))
    iot_client.attach_policy(policyName="any", target=registered["certificateArn"])
    device = TlsPahoDevice(listener.port, "byo-device", context)
    try:
        assert reason_value(device.connack[0]) == 0
        assert listener.clients() == ["byo-device"]
    finally:
        device.close()
    # A CA deactivated is no trust anchor any more.
    iot_client.update_ca_certificate(certificateId=ca_id, newStatus="INACTIVE")
    assert handshake_error(listener.port, context) is not None


def test_a_self_signed_certificate_registered_without_a_ca_connects(listener: MqttListener, iot_client: Any) -> None:
    device_key, cert = make_ca("self-signed-device", ca=False)
    registered = iot_client.register_certificate_without_ca(certificatePem=pem(cert), status="ACTIVE")
    iot_client.create_policy(policyName="any", policyDocument=json.dumps(open_policy(allow("iot:*", "*"))))
    iot_client.attach_policy(policyName="any", target=registered["certificateArn"])
    context = client_context(listener.ca_pem(), pem(cert), key_pem(device_key))
    device = TlsPahoDevice(listener.port, "sni-only", context)
    try:
        assert reason_value(device.connack[0]) == 0
    finally:
        device.close()


@pytest.mark.parametrize("status", ["INACTIVE", "REVOKED"])
def test_inactive_and_revoked_certificates_are_closed_before_connect(
    listener: MqttListener, iot_client: Any, status: str
) -> None:
    device = provision(iot_client, "dev-1", jobs_policy(REGION, ACCOUNT))
    iot_client.update_certificate(certificateId=device.cert_id, newStatus=status)
    context = client_context(listener.ca_pem(), device.cert_pem, device.key_pem)
    assert handshake_error(listener.port, context) is not None
    assert listener.clients() == []


def test_certificates_issued_after_advance_time_are_valid_for_a_tls_peer(
    listener: MqttListener, iot_client: Any, iot_jobs_backend: MockIotJobs
) -> None:
    iot_jobs_backend.advance_time(hours=24 * 30)
    device = provision(iot_client, "dev-1", jobs_policy(REGION, ACCOUNT))
    paho = connect(listener, device)
    try:
        assert reason_value(paho.connack[0]) == 0
    finally:
        paho.close()


# --- iot:Connect ------------------------------------------------------------------------------
@pytest.mark.parametrize("protocol", [V311, V5])
def test_connect_as_a_client_id_the_policy_does_not_allow_is_refused(
    listener: MqttListener, iot_client: Any, protocol: int
) -> None:
    """CONNACK 5 (MQTT 3.1.1) or 0x87 (MQTT 5), both "not authorized" (paho reports 0x87)."""
    device = provision(iot_client, "dev-1", jobs_policy(REGION, ACCOUNT))
    iot_client.create_thing(thingName="dev-2")
    paho = connect(listener, device, client_id="dev-2", protocol=protocol)
    try:
        assert paho.connack is not None and reason_value(paho.connack[0]) == 0x87
        paho.wait_disconnected()
    finally:
        paho.close()
    assert listener.clients() == []


def test_no_policy_no_connection(listener: MqttListener, iot_client: Any) -> None:
    device = provision(iot_client, "dev-1")
    paho = connect(listener, device, protocol=V5)
    try:
        assert reason_value(paho.connack[0]) == 0x87
    finally:
        paho.close()


# --- publish, subscribe, receive -----------------------------------------------------------
def test_an_unauthorized_mqtt5_publish_gets_puback_not_authorized_and_changes_nothing(
    listener: MqttListener, iot_client: Any
) -> None:
    device = provision(iot_client, "dev-1", jobs_policy(REGION, ACCOUNT))
    iot_client.create_thing(thingName="dev-2")
    iot_client.create_job(jobId="j1", targets=[iot_client.describe_thing(thingName="dev-2")["thingArn"]],
                          document="{}")
    paho = connect(listener, device, protocol=V5)
    try:
        assert reason_value(paho.publish("$aws/things/dev-2/jobs/start-next", {})) == 0x87
        assert reason_value(paho.publish("telemetry/dev-1", "x")) == 0x87  # not in the policy either
        answer = paho.request("$aws/things/dev-1/jobs/get")  # still connected, own topics work
        assert answer.topic.endswith("/get/accepted")
    finally:
        paho.close()
    assert iot_client.describe_job_execution(jobId="j1", thingName="dev-2")["execution"]["status"] == "QUEUED"


def test_an_unauthorized_mqtt311_publish_disconnects(listener: MqttListener, iot_client: Any) -> None:
    device = provision(iot_client, "dev-1", jobs_policy(REGION, ACCOUNT))
    paho = connect(listener, device)
    try:
        paho.client.publish("$aws/things/dev-1/shadow/update", "{}", qos=1)
        paho.wait_disconnected()
    finally:
        paho.close()


def test_receive_is_checked_per_message(listener: MqttListener, iot_client: Any) -> None:
    policy = open_policy(
        allow("iot:Connect", f"{ARN}:client/*"),
        allow("iot:Subscribe", f"{ARN}:topicfilter/telemetry/#"),
        allow("iot:Publish", f"{ARN}:topic/telemetry/*"),
        allow("iot:Receive", f"{ARN}:topic/telemetry/public/*"),
    )
    reader_device = provision(iot_client, "reader", policy, policy_name="telemetry")
    writer_device = provision(iot_client, "writer")
    iot_client.attach_policy(policyName="telemetry", target=writer_device.cert_arn)
    reader = connect(listener, reader_device)
    writer = connect(listener, writer_device)
    try:
        assert reason_value(reader.subscribe("telemetry/#")[0]) == 1
        writer.publish("telemetry/private/x", "secret")
        writer.publish("telemetry/public/x", "hello")
        message = reader.wait_for("telemetry/public/x")
        assert message.raw == b"hello"
        listener.publish("telemetry/private/y", "from the test")
        listener.publish("telemetry/public/y", "also")
        reader.wait_for("telemetry/public/y")
        assert [m.topic for m in reader.messages] == ["telemetry/public/x", "telemetry/public/y"]
    finally:
        reader.close()
        writer.close()


def test_a_policy_change_applies_to_open_connections(listener: MqttListener, iot_client: Any) -> None:
    device = provision(iot_client, "dev-1", jobs_policy(REGION, ACCOUNT), policy_name="jobs")
    iot_client.create_policy(policyName="extra", policyDocument=json.dumps(
        open_policy(allow("iot:Publish", f"{ARN}:topic/extra/*"))))
    paho = connect(listener, device, protocol=V5)
    try:
        assert reason_value(paho.publish("extra/1", "x")) == 0x87
        iot_client.attach_policy(policyName="extra", target=device.cert_arn)
        assert reason_value(paho.publish("extra/1", "x")) == 0
        iot_client.detach_policy(policyName="extra", target=device.cert_arn)
        assert reason_value(paho.publish("extra/1", "x")) == 0x87
    finally:
        paho.close()


def test_thing_group_policies_apply_to_the_groups_things(listener: MqttListener, iot_client: Any) -> None:
    device = provision(iot_client, "dev-1", jobs_policy(REGION, ACCOUNT))
    group_arn = iot_client.create_thing_group(thingGroupName="sensors")["thingGroupArn"]
    iot_client.create_policy(policyName="sensors", policyDocument=json.dumps(open_policy(
        allow("iot:Publish", f"{ARN}:topic/sensors/${{iot:Connection.Thing.ThingName}}"))))
    iot_client.attach_policy(policyName="sensors", target=group_arn)
    paho = connect(listener, device, protocol=V5)
    try:
        assert reason_value(paho.publish("sensors/dev-1", "x")) == 0x87
        iot_client.add_thing_to_thing_group(thingGroupName="sensors", thingName="dev-1")
        assert reason_value(paho.publish("sensors/dev-1", "x")) == 0
        assert reason_value(paho.publish("sensors/dev-2", "x")) == 0x87
    finally:
        paho.close()


def test_the_listener_and_test_authorization_agree(listener: MqttListener, iot_client: Any) -> None:
    device = provision(iot_client, "dev-1", jobs_policy(REGION, ACCOUNT))
    paho = connect(listener, device, protocol=V5)
    try:
        for topic_filter in ("$aws/things/dev-1/jobs/notify-next", "$aws/things/dev-2/jobs/notify-next", "a/#"):
            (result,) = iot_client.test_authorization(
                principal=device.cert_arn, clientId="dev-1",
                authInfos=[{"actionType": "SUBSCRIBE", "resources": [f"{ARN}:topicfilter/{topic_filter}"]}],
            )["authResults"]
            granted = reason_value(paho.subscribe(topic_filter)[0]) < 0x80
            assert granted == (result["authDecision"] == "ALLOWED"), topic_filter
    finally:
        paho.close()


def test_the_plain_listener_keeps_its_own_rule(iot_jobs_backend: MockIotJobs, iot_client: Any) -> None:
    """No certificate, no policy: the plain listener still lets a client use its own thing's topics."""
    from test_mqtt_support import PahoDevice

    iot_client.create_thing(thingName="plain")
    with mqtt_listener(iot_jobs_backend) as plain:
        device = PahoDevice(plain.port, "plain")
        try:
            assert device.request("$aws/things/plain/jobs/get").topic.endswith("/accepted")
        finally:
            device.close()


# --- server mode ----------------------------------------------------------------------------------
def test_serve_with_mqtt_tls_port() -> None:
    process = _spawn("serve", "--port", "0", "--mqtt-tls-port", "0")
    try:
        tls_line, http_line = _banner_lines(process, 2)
        assert tls_line.startswith("mock_iotjobs MQTT (mutual TLS) listening on mqtts://127.0.0.1:")
        port = int(tls_line.rsplit(":", 1)[1])
        url = http_line.rsplit(" ", 1)[1]
        with urllib.request.urlopen(f"{url}/_mock_iotjobs/ca-certificate", timeout=10) as reply:
            ca_pem = json.loads(reply.read())["certificatePem"]
        iot = aws_client("iot", endpoint_url=url)
        device = provision(iot, "served", jobs_policy(REGION, ACCOUNT))
        paho = TlsPahoDevice(port, "served", client_context(ca_pem, device.cert_pem, device.key_pem))
        try:
            assert paho.request("$aws/things/served/jobs/get").topic.endswith("/accepted")
        finally:
            paho.close()
    finally:
        process.terminate()
        process.wait(10)


def test_listener_lifecycle_with_an_explicit_handle(iot_jobs_backend: MockIotJobs) -> None:
    with mqtt_listener(iot_jobs_backend, tls=True) as tls_listener:
        assert tls_listener.tls and tls_listener.ca_pem() == iot_jobs_backend.ca_certificate_pem()



def test_a_will_is_published_only_where_the_policy_allows_and_never_for_a_refused_connect(
    listener: MqttListener, iot_client: Any
) -> None:
    policy = open_policy(
        allow("iot:Connect", f"{ARN}:client/${{iot:Connection.Thing.ThingName}}"),
        allow("iot:Subscribe", f"{ARN}:topicfilter/status/*"),
        allow(["iot:Publish", "iot:Receive"], f"{ARN}:topic/status/*"),
    )
    watcher_device = provision(iot_client, "watcher", policy, policy_name="status")
    dying_device = provision(iot_client, "dying")
    iot_client.attach_policy(policyName="status", target=dying_device.cert_arn)
    iot_client.create_thing(thingName="impostor")
    watcher = connect(listener, watcher_device)
    try:
        assert reason_value(watcher.subscribe("status/+")[0]) == 1
        for client_id, will_topic in (("dying", "forbidden/dying"), ("impostor", "status/impostor"),
                                      ("dying", "status/dying")):
            context = client_context(listener.ca_pem(), dying_device.cert_pem, dying_device.key_pem)
            dying = TlsPahoDevice(listener.port, client_id, context, connect=False)
            dying.client.will_set(will_topic, b"gone", qos=1)
            dying.connect()
            # Drop the socket without DISCONNECT: the will is due, if it was accepted.
            sock = dying.client.socket()
            if sock is not None:
                sock.shutdown(socket.SHUT_RDWR)
            dying.close()
        message = watcher.wait_for("status/dying")
        assert message.raw == b"gone"
        assert [m.topic for m in watcher.messages] == ["status/dying"]
    finally:
        watcher.close()


@pytest.mark.parametrize("status", ["INACTIVE", "REVOKED"])
def test_a_certificate_leaving_active_disconnects_its_devices(
    listener: MqttListener, iot_client: Any, status: str
) -> None:
    """UpdateCertificate: AWS IoT disconnects the devices that used the certificate (the
    mock at once, AWS "within a few minutes"); they cannot reconnect with it."""
    device = provision(iot_client, "dev-1", jobs_policy(REGION, ACCOUNT))
    other = provision(iot_client, "dev-2", jobs_policy(REGION, ACCOUNT), policy_name="jobs-2")
    first, bystander = connect(listener, device, protocol=V5), connect(listener, other)
    try:
        iot_client.update_certificate(certificateId=device.cert_id, newStatus=status)
        assert reason_value(first.wait_disconnected()) == 0x87
        assert bystander.request("$aws/things/dev-2/jobs/get").topic.endswith("/accepted")
        assert listener.clients() == ["dev-2"]
    finally:
        first.close()
        bystander.close()


def test_a_stored_session_delivers_only_what_the_policy_lets_the_client_receive(
    listener: MqttListener, iot_client: Any
) -> None:
    policy = open_policy(
        allow("iot:Connect", f"{ARN}:client/*"),
        allow("iot:Subscribe", f"{ARN}:topicfilter/telemetry/#"),
        allow("iot:Receive", f"{ARN}:topic/telemetry/public/*"),
    )
    device = provision(iot_client, "keeper", policy)
    context = client_context(listener.ca_pem(), device.cert_pem, device.key_pem)
    first = TlsPahoDevice(listener.port, "keeper", context, clean_session=False)
    try:
        assert reason_value(first.subscribe("telemetry/#")[0]) == 1
    finally:
        first.close()
    deadline = time.monotonic() + 5
    while listener.clients() and time.monotonic() < deadline:  # the session is parked
        time.sleep(0.01)
    assert listener.clients() == []
    listener.publish("telemetry/private/a", "secret", qos=1)
    listener.publish("telemetry/public/a", "hello", qos=1)
    again = TlsPahoDevice(listener.port, "keeper", context, clean_session=False)
    try:
        assert again.wait_for("telemetry/public/a").raw == b"hello"
        listener.publish("telemetry/public/b", "after", qos=1)
        again.wait_for("telemetry/public/b")
        assert [m.topic for m in again.messages] == ["telemetry/public/a", "telemetry/public/b"]
    finally:
        again.close()
