"""Provisioning a device through the mock's API only, and a paho client over mutual TLS.

``provision`` does what a fleet's provisioning script does against AWS:
CreateKeysAndCertificate, CreateThing, CreatePolicy, AttachPolicy,
AttachThingPrincipal.  ``TlsPahoDevice`` is the shared ``PahoDevice`` connecting
to ``localhost`` with the device's certificate and key, trusting the mock's CA.
"""

from __future__ import annotations

import json
import os
import socket
import ssl
import tempfile
from dataclasses import dataclass
from typing import Any, Dict, List, Optional

import paho.mqtt.client as paho
from test_mqtt_support import V311, PahoDevice

REGION_ARN = "arn:aws:iot:{region}:{account}"


@dataclass
class Device:
    thing: str
    cert_arn: str
    cert_id: str
    cert_pem: str
    key_pem: str


def jobs_policy(region: str, account: str) -> Dict[str, Any]:
    """The jobs policy the AWS IoT developer guide gives a device: its own thing's topics only."""
    base = REGION_ARN.format(region=region, account=account)
    thing = "${iot:Connection.Thing.ThingName}"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "iot:Connect", "Resource": f"{base}:client/{thing}"},
            {"Effect": "Allow", "Action": "iot:Publish", "Resource": f"{base}:topic/$aws/things/{thing}/jobs/*"},
            {
                "Effect": "Allow",
                "Action": "iot:Subscribe",
                "Resource": f"{base}:topicfilter/$aws/things/{thing}/jobs/*",
            },
            {"Effect": "Allow", "Action": "iot:Receive", "Resource": f"{base}:topic/$aws/things/{thing}/jobs/*"},
        ],
    }


def provision(
    iot: Any, thing: str, policy: Optional[Dict[str, Any]] = None, policy_name: Optional[str] = None
) -> Device:
    """A thing with a fresh ACTIVE certificate and (if given) a policy attached to it."""
    keys = iot.create_keys_and_certificate(setAsActive=True)
    iot.create_thing(thingName=thing)
    iot.attach_thing_principal(thingName=thing, principal=keys["certificateArn"])
    if policy is not None:
        name = policy_name or f"{thing}-policy"
        iot.create_policy(policyName=name, policyDocument=json.dumps(policy))
        iot.attach_policy(policyName=name, target=keys["certificateArn"])
    return Device(thing, keys["certificateArn"], keys["certificateId"], keys["certificatePem"],
                  keys["keyPair"]["PrivateKey"])


def client_context(ca_pem: str, cert_pem: str, key_pem: str) -> ssl.SSLContext:
    """A client context: trusts ``ca_pem``, presents ``cert_pem`` / ``key_pem``."""
    context = ssl.create_default_context(cadata=ca_pem)
    handle, path = tempfile.mkstemp(suffix=".pem")
    try:
        with os.fdopen(handle, "w") as file:
            file.write(cert_pem + key_pem)
        context.load_cert_chain(path)
    finally:
        os.unlink(path)
    return context


class TlsPahoDevice(PahoDevice):
    def __init__(self, port: int, client_id: str, context: ssl.SSLContext, protocol: int = V311,
                 connect: bool = True, clean_session: bool = True) -> None:
        self.context = context
        super().__init__(port, client_id, protocol, connect=False)
        if not clean_session:  # MQTT 3.1.1 clean session 0: a client made anew, same callbacks
            old = self.client
            self.client = paho.Client(
                paho.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=protocol,
                reconnect_on_failure=False, clean_session=False,
            )
            for name in ("on_connect", "on_message", "on_subscribe", "on_publish", "on_disconnect"):
                setattr(self.client, name, getattr(old, name))
        self.client.tls_set_context(context)
        if connect:
            self.connect()

    def connect(self, **properties: Any) -> Any:
        assert not properties
        self.client.connect("localhost", self.port, keepalive=30)
        self.client.socket().setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.client.loop_start()
        return self._wait(lambda: self.connack or self.disconnected.is_set(), "CONNACK or close")

    def barrier(self) -> None:
        self.request(f"$aws/things/{self.client_id}/jobs/get")


def handshake_error(port: int, context: ssl.SSLContext) -> Optional[BaseException]:
    """None if a TLS handshake (and a read) with ``context`` succeeds on ``port``, else the error."""
    raw = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        with context.wrap_socket(raw, server_hostname="localhost") as tls:
            tls.settimeout(5)
            # TLS 1.3: the server's verdict on the client certificate comes after the handshake.
            tls.sendall(b"\x10\x00")
            data = tls.recv(1)
            return None if data else ConnectionResetError("closed by the server")
    except (ssl.SSLError, OSError) as error:
        return error
    finally:
        raw.close()


def names(messages: List[Any]) -> List[str]:
    return [m.topic for m in messages]
