"""A device agent on the AWS IoT Device SDK v2 for Python (``awsiot.iotjobs.IotJobsClient``
over a plain-TCP ``awscrt.mqtt.Connection``) runs the documented jobs loop against the
mock's MQTT listener while the control plane watches through boto3 in the same process.

The loop (AWS IoT developer guide, "Devices and jobs"): subscribe to ``notify-next``;
on start-up and on every ``notify-next`` with an execution, ``start-next``; report
``IN_PROGRESS`` then ``SUCCEEDED`` with ``expectedVersion``; repeat.
"""

from __future__ import annotations

import datetime as dt
import queue
import threading
import uuid
from concurrent.futures import Future
from typing import Any, Dict, List, Optional

import awsiot
import pytest
from awscrt import mqtt, mqtt5, mqtt_request_response
from awsiot import iotjobs
from test_mqtt_support import aws_client

from mock_iotjobs import MockIotJobs, mock_iotjobs
from mock_iotjobs.mqtt import MqttListener, mqtt_listener

WAIT = 5.0
QOS1 = mqtt.QoS.AT_LEAST_ONCE


def connect(port: int, client_id: str) -> mqtt.Connection:
    """A plain-TCP MQTT 3.1.1 connection: no TLS context, no credentials."""
    client = mqtt.Client(None, None)
    connection = mqtt.Connection(
        client, host_name="127.0.0.1", port=port, client_id=client_id, clean_session=True, keep_alive_secs=30
    )
    connection.connect().result(WAIT)
    return connection


class JobAgent:
    """What a fleet's device firmware does, written against IotJobsClient."""

    def __init__(
        self, port: int, thing: str, fail_jobs: tuple = (), connection: Optional[mqtt.Connection] = None
    ) -> None:
        self.thing = thing
        self.fail_jobs = fail_jobs
        # A connection made by the caller (e.g. over mutual TLS), else plain TCP.
        self.connection = connection if connection is not None else connect(port, thing)
        self.jobs = iotjobs.IotJobsClient(self.connection)
        self.documents: Dict[str, str] = {}
        self.finished: List[str] = []
        self.rejections: List[iotjobs.RejectedError] = []
        self.reported: List[iotjobs.UpdateJobExecutionResponse] = []
        self._cond = threading.Condition()
        subscriptions = [
            self.jobs.subscribe_to_next_job_execution_changed_events(
                iotjobs.NextJobExecutionChangedSubscriptionRequest(thing_name=thing), QOS1, self._on_next
            ),
            self.jobs.subscribe_to_start_next_pending_job_execution_accepted(
                iotjobs.StartNextPendingJobExecutionSubscriptionRequest(thing_name=thing), QOS1, self._on_started
            ),
            self.jobs.subscribe_to_start_next_pending_job_execution_rejected(
                iotjobs.StartNextPendingJobExecutionSubscriptionRequest(thing_name=thing), QOS1, self._on_rejected
            ),
            self.jobs.subscribe_to_update_job_execution_accepted(
                iotjobs.UpdateJobExecutionSubscriptionRequest(thing_name=thing, job_id="+"), QOS1, self._on_updated
            ),
            self.jobs.subscribe_to_update_job_execution_rejected(
                iotjobs.UpdateJobExecutionSubscriptionRequest(thing_name=thing, job_id="+"), QOS1, self._on_rejected
            ),
        ]
        for future, _ in subscriptions:
            assert future.result(WAIT) == QOS1
        self._current: Optional[str] = None

    # --- the loop ------------------------------------------------------------------------
    def start(self) -> None:
        """On start-up: pick up whatever was queued while the device was away."""
        self._start_next()

    def _start_next(self) -> None:
        request = iotjobs.StartNextPendingJobExecutionRequest(
            thing_name=self.thing, client_token=uuid.uuid4().hex, step_timeout_in_minutes=10
        )
        self.jobs.publish_start_next_pending_job_execution(request, QOS1)

    def _on_next(self, event: Optional[iotjobs.NextJobExecutionChangedEvent]) -> None:
        if event is not None and event.execution is not None and self._current is None:
            self._start_next()

    def _on_started(self, response: Optional[iotjobs.StartNextJobExecutionResponse]) -> None:
        assert response is not None
        execution = response.execution
        if execution is None or self._current == execution.job_id:
            return
        self._current = execution.job_id
        self.documents[execution.job_id] = execution.job_document
        self._update(execution.job_id, "IN_PROGRESS", execution.version_number, {"step": "downloading"})

    def _on_updated(self, response: Optional[iotjobs.UpdateJobExecutionResponse]) -> None:
        assert response is not None and response.execution_state is not None
        state = response.execution_state
        job_id = self._current
        assert job_id is not None
        self.reported.append(response)
        if state.status == "IN_PROGRESS":
            final = "FAILED" if job_id in self.fail_jobs else "SUCCEEDED"
            self._update(job_id, final, state.version_number, {"step": "done"})
            return
        with self._cond:
            self.finished.append(job_id)
            self._current = None
            self._cond.notify_all()
        self._start_next()  # notify-next may have come while busy

    def _on_rejected(self, error: Optional[iotjobs.RejectedError]) -> None:
        with self._cond:
            self.rejections.append(error)  # type: ignore[arg-type]
            self._cond.notify_all()

    def _update(self, job_id: str, status: str, version: int, details: Dict[str, str]) -> None:
        request = iotjobs.UpdateJobExecutionRequest(
            thing_name=self.thing,
            job_id=job_id,
            status=status,
            status_details=details,
            expected_version=version,
            include_job_execution_state=True,
            client_token=uuid.uuid4().hex,
        )
        self.jobs.publish_update_job_execution(request, QOS1)

    # --- for the test ----------------------------------------------------------------------
    def wait_finished(self, count: int) -> List[str]:
        with self._cond:
            if not self._cond.wait_for(lambda: len(self.finished) >= count, WAIT):
                raise AssertionError(f"{self.thing} finished {self.finished}, rejections {self.rejections}")
            return list(self.finished)

    def close(self) -> None:
        self.connection.disconnect().result(WAIT)


def test_sdk_agent_runs_the_documented_loop_while_boto3_watches() -> None:
    with mock_iotjobs(region="eu-west-1") as m, mqtt_listener(m) as listener:
        iot = aws_client("iot", "eu-west-1")
        arn = iot.create_thing(thingName="sensor-7")["thingArn"]
        # Queued while the device is offline: found by its start-up start-next.
        iot.create_job(jobId="firmware-1", targets=[arn], document='{"version":"1.0.1"}')
        agent = JobAgent(listener.port, "sensor-7")
        try:
            agent.start()
            assert agent.wait_finished(1) == ["firmware-1"]
            assert iot.describe_job(jobId="firmware-1")["job"]["status"] == "COMPLETED"
            # Created while the device listens: announced by notify-next.
            iot.create_job(jobId="firmware-2", targets=[arn], document='{"version":"1.0.2"}')
            assert agent.wait_finished(2) == ["firmware-1", "firmware-2"]
        finally:
            agent.close()
        assert agent.rejections == []
        # The SDK types jobDocument as a dict: over MQTT it is the JSON object.
        assert agent.documents == {"firmware-1": {"version": "1.0.1"}, "firmware-2": {"version": "1.0.2"}}
        for job_id in ("firmware-1", "firmware-2"):
            job = iot.describe_job(jobId=job_id)["job"]
            assert job["status"] == "COMPLETED"
            assert job["jobProcessDetails"]["numberOfSucceededThings"] == 1
            execution = iot.describe_job_execution(jobId=job_id, thingName="sensor-7")["execution"]
            assert execution["status"] == "SUCCEEDED"
            assert execution["statusDetails"]["detailsMap"] == {"step": "done"}
            # start-next (1 -> 2), IN_PROGRESS (-> 3), SUCCEEDED (-> 4)
            assert execution["versionNumber"] == 4
        # The agent saw each of its reports answered with the execution state it asked for.
        assert [r.execution_state.status for r in agent.reported] == ["IN_PROGRESS", "SUCCEEDED"] * 2
        # The engine's record of what the device was told matches what went over MQTT.
        nexts = [
            n.payload.get("execution", {}).get("jobId")
            for n in m.notifications("sensor-7")
            if n.topic.endswith("notify-next")
        ]
        assert nexts == ["firmware-1", None, "firmware-2", None]


def test_sdk_agent_failure_is_seen_by_the_control_plane(iot_jobs_mqtt: MqttListener, iot_client: Any) -> None:
    arn = iot_client.create_thing(thingName="pump-1")["thingArn"]
    agent = JobAgent(iot_jobs_mqtt.port, "pump-1", fail_jobs=("bad-firmware",))
    try:
        agent.start()
        iot_client.create_job(jobId="bad-firmware", targets=[arn], document="{}")
        assert agent.wait_finished(1) == ["bad-firmware"]
    finally:
        agent.close()
    job = iot_client.describe_job(jobId="bad-firmware")["job"]
    assert job["status"] == "COMPLETED"
    assert job["jobProcessDetails"]["numberOfFailedThings"] == 1


def _future_result(
    jobs: iotjobs.IotJobsClient, subscribe: Any, request: Any, publish: Any, publish_request: Any
) -> Any:
    """Subscribe (accepted and rejected), publish, and return the first answer."""
    answer: "threading.Event" = threading.Event()
    box: List[Any] = []

    def got(value: Any) -> None:
        box.append(value)
        answer.set()

    for subscriber in subscribe:
        future, _ = subscriber(request, QOS1, got)
        future.result(WAIT)
    publish(publish_request, QOS1).result(WAIT)
    assert answer.wait(WAIT), "no answer"
    return box[0]


def test_sdk_requests_and_their_typed_answers(
    iot_jobs_mqtt: MqttListener, iot_client: Any, iot_jobs_backend: MockIotJobs
) -> None:
    arn = iot_client.create_thing(thingName="gateway")["thingArn"]
    iot_client.create_job(jobId="a", targets=[arn], document='{"n":1}')
    iot_client.create_job(jobId="b", targets=[arn], document='{"n":2}')
    connection = connect(iot_jobs_mqtt.port, "gateway")
    jobs = iotjobs.IotJobsClient(connection)
    try:
        pending = _future_result(
            jobs,
            [jobs.subscribe_to_get_pending_job_executions_accepted],
            iotjobs.GetPendingJobExecutionsSubscriptionRequest(thing_name="gateway"),
            jobs.publish_get_pending_job_executions,
            iotjobs.GetPendingJobExecutionsRequest(thing_name="gateway", client_token="pending-1"),
        )
        assert isinstance(pending, iotjobs.GetPendingJobExecutionsResponse)
        assert pending.client_token == "pending-1"
        assert [j.job_id for j in pending.queued_jobs] == ["a", "b"] and pending.in_progress_jobs == []
        assert isinstance(pending.timestamp, dt.datetime)
        assert abs(pending.timestamp.timestamp() - iot_jobs_backend.now()) < 2  # epoch seconds

        described = _future_result(
            jobs,
            [jobs.subscribe_to_describe_job_execution_accepted, jobs.subscribe_to_describe_job_execution_rejected],
            iotjobs.DescribeJobExecutionSubscriptionRequest(thing_name="gateway", job_id="$next"),
            jobs.publish_describe_job_execution,
            iotjobs.DescribeJobExecutionRequest(thing_name="gateway", job_id="$next", include_job_document=False),
        )
        assert isinstance(described, iotjobs.DescribeJobExecutionResponse)
        assert described.execution.job_id == "a" and described.execution.job_document is None

        mismatch = _future_result(
            jobs,
            [jobs.subscribe_to_update_job_execution_accepted, jobs.subscribe_to_update_job_execution_rejected],
            iotjobs.UpdateJobExecutionSubscriptionRequest(thing_name="gateway", job_id="b"),
            jobs.publish_update_job_execution,
            iotjobs.UpdateJobExecutionRequest(
                thing_name="gateway", job_id="b", status="IN_PROGRESS", expected_version=7, client_token="v7"
            ),
        )
        assert isinstance(mismatch, iotjobs.RejectedError)
        assert mismatch.code == iotjobs.RejectedErrorCode.VERSION_MISMATCH
        assert mismatch.client_token == "v7"
        assert mismatch.execution_state.status == "QUEUED" and mismatch.execution_state.version_number == 1
    finally:
        connection.disconnect().result(WAIT)
    # A rejected update changed nothing.
    assert iot_client.describe_job_execution(jobId="b", thingName="gateway")["execution"]["status"] == "QUEUED"


def test_sdk_job_executions_changed_events(iot_jobs_mqtt: MqttListener, iot_client: Any) -> None:
    arn = iot_client.create_thing(thingName="meter")["thingArn"]
    connection = connect(iot_jobs_mqtt.port, "meter")
    jobs = iotjobs.IotJobsClient(connection)
    events: List[iotjobs.JobExecutionsChangedEvent] = []
    seen = threading.Condition()

    def on_changed(event: iotjobs.JobExecutionsChangedEvent) -> None:
        with seen:
            events.append(event)
            seen.notify_all()

    try:
        future, _ = jobs.subscribe_to_job_executions_changed_events(
            iotjobs.JobExecutionsChangedSubscriptionRequest(thing_name="meter"), QOS1, on_changed
        )
        future.result(WAIT)
        iot_client.create_job(jobId="read-1", targets=[arn], document="{}")
        iot_client.create_job(jobId="read-2", targets=[arn], document="{}")
        iot_client.cancel_job(jobId="read-1")
        with seen:
            assert seen.wait_for(lambda: len(events) >= 3, WAIT), events
    finally:
        connection.disconnect().result(WAIT)
    listed = [{status: [s.job_id for s in summaries] for status, summaries in e.jobs.items()} for e in events]
    assert listed == [{"QUEUED": ["read-1"]}, {"QUEUED": ["read-1", "read-2"]}, {"QUEUED": ["read-2"]}]


@pytest.mark.parametrize("other", ["neighbour", "not-a-thing"])
def test_sdk_connection_for_one_thing_cannot_subscribe_to_another(iot_jobs_mqtt: MqttListener, other: str) -> None:
    connection = connect(iot_jobs_mqtt.port, other)
    jobs = iotjobs.IotJobsClient(connection)
    try:
        future, _ = jobs.subscribe_to_next_job_execution_changed_events(
            iotjobs.NextJobExecutionChangedSubscriptionRequest(thing_name="sensor-7"), QOS1, lambda e: None
        )
        with pytest.raises(Exception):  # noqa: B017 - awscrt reports the SUBACK failure as an exception
            future.result(WAIT)
    finally:
        connection.disconnect().result(WAIT)


def test_sdk_v2_client_over_mqtt5(iot_jobs_mqtt: MqttListener, iot_client: Any) -> None:
    """The SDK's request-response client (IotJobsClientV2) on an awscrt MQTT 5 client."""
    arn = iot_client.create_thing(thingName="edge-5")["thingArn"]
    connected: "Future[Any]" = Future()
    options = mqtt5.ClientOptions(
        host_name="127.0.0.1",
        port=iot_jobs_mqtt.port,
        connect_options=mqtt5.ConnectPacket(client_id="edge-5", keep_alive_interval_sec=30),
        on_lifecycle_event_connection_success_fn=connected.set_result,
    )
    client = mqtt5.Client(options)
    client.start()
    try:
        assert connected.result(WAIT).connack_packet.reason_code == mqtt5.ConnectReasonCode.SUCCESS
        jobs = iotjobs.IotJobsClientV2(
            client,
            mqtt_request_response.ClientOptions(
                max_request_response_subscriptions=4, max_streaming_subscriptions=2, operation_timeout_in_seconds=5
            ),
        )
        nexts: "queue.Queue[iotjobs.NextJobExecutionChangedEvent]" = queue.Queue()
        subscribed: "Future[Any]" = Future()

        def on_status(event: Any) -> None:
            if not subscribed.done():
                subscribed.set_result(event.type)

        stream = jobs.create_next_job_execution_changed_stream(
            iotjobs.NextJobExecutionChangedSubscriptionRequest(thing_name="edge-5"),
            awsiot.ServiceStreamOptions(nexts.put, subscription_status_listener=on_status),
        )
        stream.open()
        assert subscribed.result(WAIT) == mqtt_request_response.SubscriptionStatusEventType.SUBSCRIPTION_ESTABLISHED
        iot_client.create_job(jobId="v2-job", targets=[arn], document='{"v":2}')
        assert nexts.get(timeout=WAIT).execution.job_id == "v2-job"

        started = jobs.start_next_pending_job_execution(
            iotjobs.StartNextPendingJobExecutionRequest(thing_name="edge-5")
        ).result(WAIT)
        assert (started.execution.job_id, started.execution.status) == ("v2-job", "IN_PROGRESS")
        with pytest.raises(awsiot.V2ServiceException) as refused:
            jobs.update_job_execution(
                iotjobs.UpdateJobExecutionRequest(
                    thing_name="edge-5", job_id="v2-job", status="SUCCEEDED", expected_version=9
                )
            ).result(WAIT)
        error = refused.value.modeled_error
        assert error.code == "VersionMismatch" and error.execution_state.version_number == 2
        done = jobs.update_job_execution(
            iotjobs.UpdateJobExecutionRequest(
                thing_name="edge-5",
                job_id="v2-job",
                status="SUCCEEDED",
                expected_version=2,
                include_job_execution_state=True,
            )
        ).result(WAIT)
        assert done.execution_state.status == "SUCCEEDED"
        assert nexts.get(timeout=WAIT).execution is None  # nothing is next any more
    finally:
        client.stop()
    assert iot_client.describe_job(jobId="v2-job")["job"]["status"] == "COMPLETED"
