"""MQTT over WebSocket with SigV4 (AWS IoT developer guide, "MQTT over WebSocket"):
``/mqtt``, the ``mqtt`` subprotocol, a query-string signature for ``iotdevicegateway``
in the endpoint's region (any secret); unsigned or malformed handshakes get HTTP 403.
Tested with paho (``transport="websockets"``) and the AWS IoT Device SDK's
``websockets_with_default_aws_signing`` (over TLS)."""

from __future__ import annotations

import base64
import datetime
import os
import socket
import ssl
import tempfile
from typing import Any, Dict, Iterator, Optional
from urllib.parse import urlencode, urlsplit

import paho.mqtt.client as paho
import pytest
from botocore.auth import SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from test_mqtt_support import V5, V311, WAIT, PahoDevice, make_thing

from mock_iotjobs import MockIotJobs
from mock_iotjobs.mqtt import MqttListener, mqtt_listener

REGION = "us-east-1"


def signed_path(port: int, region: str = REGION, service: str = "iotdevicegateway", token: Optional[str] = None) -> str:
    """``/mqtt?X-Amz-...`` signed as the AWS SDKs sign an AWS IoT WebSocket URL."""
    request = AWSRequest(method="GET", url=f"http://127.0.0.1:{port}/mqtt")
    SigV4QueryAuth(Credentials("AKIAIOSFODNN7EXAMPLE", "any-secret", token), service, region, expires=3600).add_auth(
        request
    )
    url = urlsplit(request.url)
    return f"{url.path}?{url.query}"


class WsDevice(PahoDevice):
    def __init__(self, port: int, client_id: str, protocol: int = V311, path: Optional[str] = None) -> None:
        super().__init__(port, client_id, protocol, connect=False)
        old = self.client
        client = paho.Client(
            paho.CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=protocol,
            reconnect_on_failure=False,
            transport="websockets",
        )
        client.ws_set_options(path=path or signed_path(port))
        for name in ("on_connect", "on_message", "on_subscribe", "on_publish", "on_disconnect"):
            setattr(client, name, getattr(old, name))
        self.client = client
        client.connect("127.0.0.1", port, keepalive=30)
        client.loop_start()
        self._wait(lambda: self.connack, "CONNACK")


@pytest.mark.parametrize("protocol", [V311, V5], ids=["mqtt311", "mqtt5"])
def test_a_device_runs_a_job_over_websocket(protocol: int, iot_jobs_mqtt_ws: MqttListener, iot_client: Any) -> None:
    arn = make_thing(iot_client, "ws-dev")
    assert iot_jobs_mqtt_ws.ws_url == f"ws://127.0.0.1:{iot_jobs_mqtt_ws.ws_port}/mqtt"
    device = WsDevice(iot_jobs_mqtt_ws.ws_port or 0, "ws-dev", protocol)
    try:
        device.subscribe("$aws/things/ws-dev/jobs/notify-next")
        iot_client.create_job(jobId="ws-job", targets=[arn], document='{"x":"' + "a" * 30000 + '"}')
        notify = device.wait_for("$aws/things/ws-dev/jobs/notify-next")
        assert notify.body["execution"]["jobId"] == "ws-job"  # a 30 KB frame: 16-bit frame length
        started = device.request("$aws/things/ws-dev/jobs/start-next")
        assert started.topic.endswith("/accepted") and started.body["execution"]["status"] == "IN_PROGRESS"
        done = device.request("$aws/things/ws-dev/jobs/ws-job/update", {"status": "SUCCEEDED"})
        assert done.topic.endswith("/accepted")
        assert iot_client.describe_job_execution(jobId="ws-job", thingName="ws-dev")["execution"]["status"] == (
            "SUCCEEDED"
        )
        assert "ws-dev" in iot_jobs_mqtt_ws.clients()
    finally:
        device.close()


def test_websocket_and_tcp_clients_share_one_broker(iot_jobs_mqtt_ws: MqttListener) -> None:
    over_ws = WsDevice(iot_jobs_mqtt_ws.ws_port or 0, "over-ws")
    over_tcp = PahoDevice(iot_jobs_mqtt_ws.port, "over-tcp")
    try:
        over_ws.subscribe("fleet/#")
        over_tcp.publish("fleet/a", b"from tcp")
        assert over_ws.wait_for("fleet/a").raw == b"from tcp"
        big = b"x" * 100_000  # a frame with a 64-bit length, both ways
        over_ws.publish("fleet/big", big)
        assert over_ws.wait_for("fleet/big").raw == big
        over_tcp.subscribe("back")
        over_ws.publish("back", b"from ws")
        assert over_tcp.wait_for("back").raw == b"from ws"
    finally:
        over_ws.close()
        over_tcp.close()


def test_temporary_credentials_carry_a_security_token(iot_jobs_mqtt_ws: MqttListener) -> None:
    port = iot_jobs_mqtt_ws.ws_port or 0
    path = signed_path(port, token="FwoGZXIvYXdzEXAMPLETOKEN")
    assert "X-Amz-Security-Token=" in path
    device = WsDevice(port, "sts-dev", path=path)
    device.close()


def _handshake(port: int, path: str, **headers: str) -> str:
    """The status line the server answers a hand-written upgrade request with."""
    fields: Dict[str, str] = {
        "Host": f"127.0.0.1:{port}",
        "Upgrade": "websocket",
        "Connection": "Upgrade",
        "Sec-WebSocket-Key": base64.b64encode(os.urandom(16)).decode(),
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Protocol": "mqtt",
    }
    fields.update({k.replace("_", "-"): v for k, v in headers.items()})
    request = f"GET {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in fields.items() if v) + "\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as sock:
        sock.sendall(request.encode())
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = sock.recv(4096)
            if not chunk:
                break
            answer += chunk
    return answer.split(b"\r\n", 1)[0].decode()


def _query(**overrides: Optional[str]) -> str:
    today = datetime.datetime.now(datetime.timezone.utc)
    query: Dict[str, Optional[str]] = {
        "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
        "X-Amz-Credential": f"AKIDEXAMPLE/{today:%Y%m%d}/{REGION}/iotdevicegateway/aws4_request",
        "X-Amz-Date": f"{today:%Y%m%dT%H%M%SZ}",
        "X-Amz-SignedHeaders": "host",
        "X-Amz-Signature": "a" * 64,
    }
    query.update(overrides)
    return "/mqtt?" + urlencode({k: v for k, v in query.items() if v is not None})


def test_a_well_formed_signature_is_accepted(iot_jobs_mqtt_ws: MqttListener) -> None:
    assert _handshake(iot_jobs_mqtt_ws.ws_port or 0, _query()) == "HTTP/1.1 101 Switching Protocols"


@pytest.mark.parametrize(
    "path",
    [
        "/mqtt",  # unsigned
        _query(**{"X-Amz-Signature": None}),
        _query(**{"X-Amz-Algorithm": "AWS4-HMAC-SHA1"}),
        _query(**{"X-Amz-Credential": f"AKIDEXAMPLE/20260101/{REGION}/iotdevicegateway/aws4_request"}),  # date
        _query(**{"X-Amz-Credential": "AKIDEXAMPLE/20260101/us-east-1/iotdevicegateway"}),
        _query(**{"X-Amz-Date": "2026-12-01T12:00:00Z"}),
        _query(**{"X-Amz-SignedHeaders": "x-amz-date;host"}),  # not sorted
        _query(**{"X-Amz-SignedHeaders": "x-amz-date"}),  # host not signed
        _query(**{"X-Amz-Signature": "XYZ"}),
        _query(**{"X-Amz-Expires": "0"}),
        _query(**{"X-Amz-Security-Token": ""}),
    ],
    ids=[
        "unsigned", "no-signature", "algorithm", "scope-date", "scope-parts", "date-format",
        "headers-order", "host-unsigned", "signature-shape", "expires", "empty-token",
    ],
)  # fmt: skip
def test_unsigned_or_malformed_handshakes_get_403(iot_jobs_mqtt_ws: MqttListener, path: str) -> None:
    assert _handshake(iot_jobs_mqtt_ws.ws_port or 0, path) == "HTTP/1.1 403 Forbidden"
    assert iot_jobs_mqtt_ws.clients() == []


def test_the_credential_scope_must_name_iotdevicegateway_and_this_region(iot_jobs_mqtt_ws: MqttListener) -> None:
    port = iot_jobs_mqtt_ws.ws_port or 0
    assert _handshake(port, signed_path(port, service="iotdata")) == "HTTP/1.1 403 Forbidden"
    assert _handshake(port, signed_path(port, region="eu-west-1")) == "HTTP/1.1 403 Forbidden"
    assert _handshake(port, signed_path(port)) == "HTTP/1.1 101 Switching Protocols"


def test_wrong_path_or_no_mqtt_subprotocol_is_refused(iot_jobs_mqtt_ws: MqttListener) -> None:
    port = iot_jobs_mqtt_ws.ws_port or 0
    assert _handshake(port, _query().replace("/mqtt", "/other")) == "HTTP/1.1 404 Not Found"
    assert _handshake(port, _query(), Sec_WebSocket_Protocol="") == "HTTP/1.1 400 Bad Request"
    assert _handshake(port, _query(), Sec_WebSocket_Protocol="chat") == "HTTP/1.1 400 Bad Request"
    assert _handshake(port, _query(), Upgrade="") == "HTTP/1.1 400 Bad Request"
    assert _handshake(port, _query(), Sec_WebSocket_Version="8") == "HTTP/1.1 400 Bad Request"


def test_a_persistent_session_over_websocket(iot_jobs_mqtt_ws: MqttListener, iot_jobs_backend: MockIotJobs) -> None:
    port = iot_jobs_mqtt_ws.ws_port or 0
    first = _ws_session_client(port)
    first.subscribe("fleet/cmd", qos=1)
    first.close()
    _wait_sessions(iot_jobs_mqtt_ws)
    iot_jobs_mqtt_ws.publish("fleet/cmd", b"while offline", qos=1)
    again = _ws_session_client(port)
    try:
        assert again.present  # type: ignore[attr-defined]
        assert again.wait_for("fleet/cmd").raw == b"while offline"
    finally:
        again.close()


def _ws_session_client(port: int) -> PahoDevice:
    device = PahoDevice(port, "ws-session", V311, connect=False)
    old = device.client
    client = paho.Client(
        paho.CallbackAPIVersion.VERSION2,
        client_id="ws-session",
        clean_session=False,
        reconnect_on_failure=False,
        transport="websockets",
    )
    client.ws_set_options(path=signed_path(port))
    for name in ("on_connect", "on_message", "on_subscribe", "on_publish", "on_disconnect"):
        setattr(client, name, getattr(old, name))
    recorded = client.on_connect

    def on_connect(c: Any, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        device.present = bool(flags.session_present)  # type: ignore[attr-defined]
        recorded(c, userdata, flags, reason, properties)

    client.on_connect = on_connect
    device.client = client
    client.connect("127.0.0.1", port, keepalive=30)
    client.loop_start()
    device._wait(lambda: device.connack, "CONNACK")
    return device


def _wait_sessions(listener: MqttListener) -> None:
    import time

    deadline = time.monotonic() + WAIT
    while not listener.sessions():
        assert time.monotonic() < deadline
        time.sleep(0.01)


# --- the AWS IoT Device SDK, over wss:// with a certificate the test trusts ------------------
@pytest.fixture
def tls_files() -> Iterator[Dict[str, Any]]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with tempfile.TemporaryDirectory() as folder:
        cert_path, key_path = os.path.join(folder, "cert.pem"), os.path.join(folder, "key.pem")
        with open(cert_path, "wb") as f:
            f.write(cert_pem)
        with open(key_path, "wb") as f:
            f.write(key_pem)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert_path, key_path)
        yield {"context": context, "ca": cert_pem}


def test_device_sdk_websockets_with_default_aws_signing(
    iot_jobs_backend: MockIotJobs, iot_client: Any, tls_files: Dict[str, Any]
) -> None:
    from awscrt import auth, mqtt
    from awsiot import iotjobs, mqtt_connection_builder

    arn = make_thing(iot_client, "sdk-ws")
    iot_client.create_job(jobId="sdk-job", targets=[arn], document='{"step":"flash"}')
    with mqtt_listener(iot_jobs_backend, ws_port=0, ws_ssl=tls_files["context"]) as listener:
        assert (listener.ws_url or "").startswith("wss://")
        connection = mqtt_connection_builder.websockets_with_default_aws_signing(
            region=REGION,
            credentials_provider=auth.AwsCredentialsProvider.new_static("AKIAIOSFODNN7EXAMPLE", "any-secret"),
            endpoint="localhost",
            port=listener.ws_port,
            ca_bytes=tls_files["ca"],
            client_id="sdk-ws",
            clean_session=True,
            keep_alive_secs=30,
        )
        connection.connect().result(WAIT)
        try:
            jobs = iotjobs.IotJobsClient(connection)
            answers: Dict[str, Any] = {}
            import threading

            got = threading.Event()

            def accepted(response: Any) -> None:
                answers["execution"] = response.execution
                got.set()

            subscribed, _ = jobs.subscribe_to_start_next_pending_job_execution_accepted(
                iotjobs.StartNextPendingJobExecutionSubscriptionRequest(thing_name="sdk-ws"),
                mqtt.QoS.AT_LEAST_ONCE,
                accepted,
            )
            subscribed.result(WAIT)
            jobs.publish_start_next_pending_job_execution(
                iotjobs.StartNextPendingJobExecutionRequest(thing_name="sdk-ws"), mqtt.QoS.AT_LEAST_ONCE
            ).result(WAIT)
            assert got.wait(WAIT)
            assert answers["execution"].job_id == "sdk-job"
            assert answers["execution"].job_document == {"step": "flash"}
            assert "sdk-ws" in listener.clients()
        finally:
            connection.disconnect().result(WAIT)


def test_serve_with_mqtt_ws_port() -> None:
    import signal

    from test_mqtt_support import _banner_lines, _spawn, aws_client

    process = _spawn("serve", "--port", "0", "--mqtt-ws-port", "0")
    try:
        mqtt_line, ws_line, http_line = _banner_lines(process, 3)
        assert mqtt_line.startswith("mock_iotjobs MQTT listening on mqtt://127.0.0.1:")
        assert ws_line.startswith("mock_iotjobs MQTT over WebSocket listening on ws://127.0.0.1:")
        port = int(ws_line.rsplit(":", 1)[1].split("/")[0])
        iot = aws_client("iot", endpoint_url=http_line.rsplit(" ", 1)[1])
        arn = make_thing(iot, "served-ws")
        iot.create_job(jobId="served-ws-job", targets=[arn], document='{"op":"ws"}')
        device = WsDevice(port, "served-ws")
        try:
            answer = device.request("$aws/things/served-ws/jobs/start-next")
            assert answer.body["execution"]["jobId"] == "served-ws-job"
        finally:
            device.close()
        assert _handshake(port, "/mqtt") == "HTTP/1.1 403 Forbidden"
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        finally:
            if process.poll() is None:
                process.kill()
    assert process.returncode == 0
