"""pytest fixtures ``iot_jobs_mqtt`` (plain TCP) and ``iot_jobs_mqtt_tls`` (mutual TLS,
IoT policies enforced): the MQTT API of the test's mock on a real socket.

Registered by ``pytest_plugin.plugin``.  Depends on ``iot_jobs_backend``, so the
listener serves that mock's state (its account and region): a device agent
connects to ``127.0.0.1:iot_jobs_mqtt.port`` with its thing name as client id,
while the test drives and checks the control plane with boto3.  The listener
runs on a background thread for the test and is stopped (clients disconnected,
port closed) afterwards.

``mock_iotjobs`` is imported only when the fixture is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

import pytest

if TYPE_CHECKING:
    from mock_iotjobs import MockIotJobs
    from mock_iotjobs.mqtt import MqttListener


@pytest.fixture
def iot_jobs_mqtt(iot_jobs_backend: "MockIotJobs") -> Iterator["MqttListener"]:
    """An MQTT listener (MQTT 3.1.1 and 5, plain TCP on 127.0.0.1, a free port) serving
    ``$aws/things/<thing>/jobs/...`` from the test's mock; yields it (``.host``,
    ``.port``, ``.url``, ``.clients()``, ``.publish()``)."""
    from mock_iotjobs.mqtt import mqtt_listener

    with mqtt_listener(iot_jobs_backend) as listener:
        yield listener


@pytest.fixture
def iot_jobs_mqtt_ws(iot_jobs_backend: "MockIotJobs") -> Iterator["MqttListener"]:
    """Like ``iot_jobs_mqtt``, and MQTT over WebSocket too: ``.ws_port``, ``.ws_url``
    (``ws://127.0.0.1:<port>/mqtt``; the handshake must be SigV4-signed for the
    service ``iotdevicegateway`` in the mock's region, any secret)."""
    from mock_iotjobs.mqtt import mqtt_listener

    with mqtt_listener(iot_jobs_backend, ws_port=0) as listener:
        yield listener


@pytest.fixture
def iot_jobs_mqtt_tls(iot_jobs_backend: "MockIotJobs") -> Iterator["MqttListener"]:
    """An MQTT listener over mutual TLS, as AWS IoT's Data-ATS endpoint: devices present a
    certificate of the mock's registry (CreateKeysAndCertificate, ...), trust
    ``.ca_pem()`` and connect to ``localhost:.port``; the IoT policies attached to the
    certificate (and its thing's groups) decide what each may connect as, publish,
    subscribe to and receive.  See docs/mqtt.md, "Mutual TLS and IoT policies"."""
    from mock_iotjobs.mqtt import mqtt_listener

    with mqtt_listener(iot_jobs_backend, tls=True) as listener:
        yield listener
