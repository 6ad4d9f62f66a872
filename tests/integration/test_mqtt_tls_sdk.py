"""The AWS IoT Device SDK v2 (``awscrt`` / ``awsiot``) over mutual TLS, provisioned only
through the mock's API: CreateKeysAndCertificate, CreateThing, CreatePolicy,
AttachPolicy, AttachThingPrincipal.  The device trusts the mock's CA
(``ca_certificate_pem()``) and connects to ``localhost`` with
``mqtt_connection_builder.mtls_from_bytes``, as it would connect to the account's
Data-ATS endpoint; the IoT policy attached to its certificate decides what it may do.
"""

from __future__ import annotations

import threading
import uuid
from typing import Any, Iterator, List, Optional

import pytest
from awscrt import mqtt
from awscrt.exceptions import AwsCrtError
from awsiot import iotjobs, mqtt_connection_builder
from test_mqtt_sdk import QOS1, WAIT, JobAgent
from tls_support import Device, jobs_policy, provision

from mock_iotjobs import MockIotJobs
from mock_iotjobs.mqtt import MqttListener, mqtt_listener

REGION = "us-east-1"
ACCOUNT = "123456789012"


@pytest.fixture
def listener(iot_jobs_backend: MockIotJobs) -> Iterator[MqttListener]:
    with mqtt_listener(iot_jobs_backend, tls=True) as tls_listener:
        yield tls_listener


class Interruptions:
    def __init__(self) -> None:
        self.event = threading.Event()
        self.errors: List[Any] = []

    def __call__(self, connection: Any, error: Any, **kwargs: Any) -> None:
        self.errors.append(error)
        self.event.set()

    @staticmethod
    def stop(connection: mqtt.Connection) -> None:
        """Stop a connection the server closed: the SDK answers a disconnect only once its
        pending reconnect attempt is over, so do not wait for it."""
        connection.disconnect()


def sdk_connection(
    listener: MqttListener, device: Device, client_id: Optional[str] = None, interrupted: Any = None
) -> mqtt.Connection:
    """What the SDK's samples do, with the mock's CA as the trusted root.  A connection the
    server closes is not reconnected within the test (a reconnect would resend the refused
    QoS 1 publish and be closed again, as on AWS)."""
    return mqtt_connection_builder.mtls_from_bytes(
        endpoint="localhost",
        port=listener.port,
        cert_bytes=device.cert_pem.encode(),
        pri_key_bytes=device.key_pem.encode(),
        ca_bytes=listener.ca_pem().encode(),
        client_id=client_id or device.thing,
        clean_session=True,
        keep_alive_secs=30,
        on_connection_interrupted=interrupted,
        reconnect_min_timeout_secs=60,
        reconnect_max_timeout_secs=60,
    )


def test_a_device_with_the_documented_jobs_policy_completes_its_jobs(listener: MqttListener, iot_client: Any) -> None:
    device = provision(iot_client, "sensor-1", jobs_policy(REGION, ACCOUNT))
    thing_arn = iot_client.describe_thing(thingName="sensor-1")["thingArn"]
    iot_client.create_job(jobId="fw-1", targets=[thing_arn], document='{"version":"1.0.1"}')
    connection = sdk_connection(listener, device)
    connection.connect().result(WAIT)
    agent = JobAgent(listener.port, "sensor-1", connection=connection)
    try:
        agent.start()
        assert agent.wait_finished(1) == ["fw-1"]
        iot_client.create_job(jobId="fw-2", targets=[thing_arn], document='{"version":"1.0.2"}')
        assert agent.wait_finished(2) == ["fw-1", "fw-2"]
    finally:
        agent.close()
    assert agent.rejections == []
    for job_id in ("fw-1", "fw-2"):
        assert iot_client.describe_job(jobId=job_id)["job"]["status"] == "COMPLETED"
        execution = iot_client.describe_job_execution(jobId=job_id, thingName="sensor-1")["execution"]
        assert execution["status"] == "SUCCEEDED"


def _policy_without_update(region: str, account: str) -> dict:
    """The jobs policy with publish on get and start-next only: no ``<jobId>/update``."""
    policy = jobs_policy(region, account)
    base = f"arn:aws:iot:{region}:{account}"
    thing = "${iot:Connection.Thing.ThingName}"
    policy["Statement"][1]["Resource"] = [
        f"{base}:topic/$aws/things/{thing}/jobs/get",
        f"{base}:topic/$aws/things/{thing}/jobs/start-next",
    ]
    return policy


def test_a_policy_missing_the_update_topic_disconnects_the_device_at_its_update(
    listener: MqttListener, iot_client: Any
) -> None:
    device = provision(iot_client, "sensor-2", _policy_without_update(REGION, ACCOUNT))
    thing_arn = iot_client.describe_thing(thingName="sensor-2")["thingArn"]
    iot_client.create_job(jobId="fw-1", targets=[thing_arn], document="{}")
    interrupted = Interruptions()
    connection = sdk_connection(listener, device, interrupted=interrupted)
    connection.connect().result(WAIT)
    jobs = iotjobs.IotJobsClient(connection)
    started: "list[Any]" = []
    got = threading.Event()

    def on_started(response: Any) -> None:
        started.append(response)
        got.set()

    request = iotjobs.StartNextPendingJobExecutionSubscriptionRequest(thing_name="sensor-2")
    future, _ = jobs.subscribe_to_start_next_pending_job_execution_accepted(request, QOS1, on_started)
    assert future.result(WAIT) == QOS1
    jobs.publish_start_next_pending_job_execution(
        iotjobs.StartNextPendingJobExecutionRequest(thing_name="sensor-2", client_token=uuid.uuid4().hex), QOS1
    ).result(WAIT)
    assert got.wait(WAIT) and started[0].execution.job_id == "fw-1"
    # The update is not allowed: AWS IoT closes the connection (MQTT 3.1.1 has no other way).
    jobs.publish_update_job_execution(
        iotjobs.UpdateJobExecutionRequest(thing_name="sensor-2", job_id="fw-1", status="SUCCEEDED"), QOS1
    )
    assert interrupted.event.wait(WAIT)
    interrupted.stop(connection)
    execution = iot_client.describe_job_execution(jobId="fw-1", thingName="sensor-2")["execution"]
    assert execution["status"] == "IN_PROGRESS"  # the refused update changed nothing


def test_a_policy_missing_the_notify_next_filter_fails_that_subscription(
    listener: MqttListener, iot_client: Any
) -> None:
    policy = jobs_policy(REGION, ACCOUNT)
    base = f"arn:aws:iot:{REGION}:{ACCOUNT}"
    thing = "${iot:Connection.Thing.ThingName}"
    policy["Statement"][2]["Resource"] = f"{base}:topicfilter/$aws/things/{thing}/jobs/get/*"
    device = provision(iot_client, "sensor-3", policy)
    connection = sdk_connection(listener, device)
    connection.connect().result(WAIT)
    try:
        jobs = iotjobs.IotJobsClient(connection)
        allowed, _ = jobs.subscribe_to_get_pending_job_executions_accepted(
            iotjobs.GetPendingJobExecutionsSubscriptionRequest(thing_name="sensor-3"), QOS1, lambda r: None
        )
        assert allowed.result(WAIT) == QOS1
        refused, _ = jobs.subscribe_to_next_job_execution_changed_events(
            iotjobs.NextJobExecutionChangedSubscriptionRequest(thing_name="sensor-3"), QOS1, lambda e: None
        )
        with pytest.raises(mqtt.SubscribeError):  # SUBACK 0x80: the SDK fails the subscription
            refused.result(WAIT)
    finally:
        connection.disconnect().result(WAIT)


def test_a_device_cannot_read_or_drive_another_things_jobs(listener: MqttListener, iot_client: Any) -> None:
    intruder = provision(iot_client, "sensor-4", jobs_policy(REGION, ACCOUNT), policy_name="jobs")
    iot_client.create_thing(thingName="victim")
    victim_arn = iot_client.describe_thing(thingName="victim")["thingArn"]
    iot_client.create_job(jobId="secret", targets=[victim_arn], document='{"key":"s3cr3t"}')
    interrupted = Interruptions()
    connection = sdk_connection(listener, intruder, interrupted=interrupted)
    connection.connect().result(WAIT)
    jobs = iotjobs.IotJobsClient(connection)
    refused, _ = jobs.subscribe_to_next_job_execution_changed_events(
        iotjobs.NextJobExecutionChangedSubscriptionRequest(thing_name="victim"), QOS1, lambda e: None
    )
    with pytest.raises(mqtt.SubscribeError):
        refused.result(WAIT)
    jobs.publish_start_next_pending_job_execution(
        iotjobs.StartNextPendingJobExecutionRequest(thing_name="victim"), QOS1
    )
    assert interrupted.event.wait(WAIT)
    interrupted.stop(connection)
    # Nothing was started on the victim's behalf.
    assert iot_client.describe_job_execution(jobId="secret", thingName="victim")["execution"]["status"] == "QUEUED"


def test_connecting_as_another_client_id_is_refused(listener: MqttListener, iot_client: Any) -> None:
    device = provision(iot_client, "sensor-5", jobs_policy(REGION, ACCOUNT))
    iot_client.create_thing(thingName="sensor-6")
    connection = sdk_connection(listener, device, client_id="sensor-6")
    with pytest.raises(AwsCrtError):  # CONNACK "not authorized", then the connection closes
        connection.connect().result(WAIT)
    assert listener.clients() == []


@pytest.mark.parametrize("status", ["INACTIVE", "REVOKED"])
def test_inactive_and_revoked_certificates_are_refused(
    listener: MqttListener, iot_client: Any, status: str
) -> None:
    device = provision(iot_client, "sensor-7", jobs_policy(REGION, ACCOUNT))
    iot_client.update_certificate(certificateId=device.cert_id, newStatus=status)
    with pytest.raises(AwsCrtError):
        sdk_connection(listener, device).connect().result(WAIT)
    assert listener.clients() == []
    if status == "INACTIVE":  # activated again, it connects
        iot_client.update_certificate(certificateId=device.cert_id, newStatus="ACTIVE")
        connection = sdk_connection(listener, device)
        connection.connect().result(WAIT)
        assert listener.clients() == ["sensor-7"]
        connection.disconnect().result(WAIT)
