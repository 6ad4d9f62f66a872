"""``notify`` and ``notify-next`` over MQTT: published to the thing's subscribers exactly
when the engine records them (after create, start, finish, cancel, timeout...), with
the recorded payloads; the Jobs events on ``$aws/events/...``; two devices at once."""

from __future__ import annotations

import threading
from typing import Any, Dict, Iterator, List, Optional

import pytest
from test_mqtt_support import V5, V311, PahoDevice, make_thing

from mock_iotjobs import MockIotJobs
from mock_iotjobs.mqtt import MqttListener

NOTIFY = "$aws/things/{}/jobs/notify"
NOTIFY_NEXT = "$aws/things/{}/jobs/notify-next"


@pytest.fixture(params=[V311, V5], ids=["mqtt311", "mqtt5"])
def device(request: pytest.FixtureRequest, iot_jobs_mqtt: MqttListener, iot_client: Any) -> Iterator[PahoDevice]:
    make_thing(iot_client, "dev")
    client = PahoDevice(iot_jobs_mqtt.port, "dev", int(request.param))
    client.subscribe(NOTIFY.format("dev"))
    client.subscribe(NOTIFY_NEXT.format("dev"))
    yield client
    client.close()


def _create(iot: Any, job_id: str, *things: str, **extra: Any) -> None:
    arns = [iot.describe_thing(thingName=t)["thingArn"] for t in things]
    iot.create_job(jobId=job_id, targets=arns, document=f'{{"job":"{job_id}"}}', **extra)


def _next_job(message: Any) -> Optional[str]:
    execution = message.body.get("execution")
    return None if execution is None else str(execution["jobId"])


def _assert_same_as_recorded(device: PahoDevice, m: MockIotJobs, thing: str) -> None:
    """What went over MQTT is, message for message, what the engine recorded."""
    device.barrier()
    sent = [(n.topic, n.payload) for n in m.notifications(thing)]
    received = [
        (msg.topic, msg.body) for msg in device.messages if msg.topic.split("/")[-1] in ("notify", "notify-next")
    ]
    assert received == sent


def test_notify_next_after_create_finish_and_cancel(
    device: PahoDevice, iot_client: Any, iot_jobs_backend: MockIotJobs
) -> None:
    _create(iot_client, "first", "dev")
    first = device.wait_for(NOTIFY_NEXT.format("dev"))
    assert _next_job(first) == "first"
    execution = first.body["execution"]
    assert execution["status"] == "QUEUED" and execution["jobDocument"] == {"job": "first"}
    assert isinstance(first.body["timestamp"], int)

    _create(iot_client, "second", "dev")
    _create(iot_client, "third", "dev")
    device.barrier()
    # Queued behind "first": the pending list changed, the next one did not.
    assert [_next_job(m) for m in device.on(NOTIFY_NEXT.format("dev"))] == ["first"]
    assert len(device.on(NOTIFY.format("dev"))) == 3

    device.request("$aws/things/dev/jobs/first/update", {"status": "SUCCEEDED"})  # finish
    device.wait_count(NOTIFY_NEXT.format("dev"), 2)
    iot_client.cancel_job(jobId="second")  # cancel the next one
    device.wait_count(NOTIFY_NEXT.format("dev"), 3)
    iot_client.cancel_job(jobId="third")  # cancel the last one: nothing is next
    nexts = device.wait_count(NOTIFY_NEXT.format("dev"), 4)
    assert [_next_job(m) for m in nexts] == ["first", "second", "third", None]
    assert set(nexts[-1].body) == {"timestamp"}
    _assert_same_as_recorded(device, iot_jobs_backend, "dev")


def test_notify_lists_pending_executions_by_status(
    device: PahoDevice, iot_client: Any, iot_jobs_backend: MockIotJobs
) -> None:
    _create(iot_client, "a", "dev")
    _create(iot_client, "b", "dev")
    device.request("$aws/things/dev/jobs/start-next")
    device.request("$aws/things/dev/jobs/a/update", {"status": "FAILED"})
    notes = device.wait_count(NOTIFY.format("dev"), 3)
    listed = [{status: [s["jobId"] for s in summaries] for status, summaries in m.body["jobs"].items()} for m in notes]
    # Starting "a" moves it between lists without changing the pending set: no notify.
    assert listed == [{"QUEUED": ["a"]}, {"QUEUED": ["a", "b"]}, {"QUEUED": ["b"]}]
    _assert_same_as_recorded(device, iot_jobs_backend, "dev")


def test_notify_next_when_a_step_timeout_fires(
    device: PahoDevice, iot_client: Any, iot_jobs_backend: MockIotJobs
) -> None:
    _create(iot_client, "slow", "dev")
    _create(iot_client, "after", "dev")
    device.request("$aws/things/dev/jobs/start-next", {"stepTimeoutInMinutes": 1})
    device.wait_count(NOTIFY_NEXT.format("dev"), 1)
    iot_jobs_backend.advance_time(minutes=2)  # the timer fires: "slow" TIMED_OUT
    nexts = device.wait_count(NOTIFY_NEXT.format("dev"), 2)
    assert _next_job(nexts[-1]) == "after"
    assert iot_client.describe_job_execution(jobId="slow", thingName="dev")["execution"]["status"] == "TIMED_OUT"
    _assert_same_as_recorded(device, iot_jobs_backend, "dev")


def test_nothing_is_published_without_a_change(device: PahoDevice, iot_client: Any) -> None:
    _create(iot_client, "only", "dev")
    device.wait_for(NOTIFY_NEXT.format("dev"))
    device.request("$aws/things/dev/jobs/only/update", {"status": "IN_PROGRESS", "statusDetails": {"p": "1"}})
    device.request("$aws/things/dev/jobs/only/update", {"status": "IN_PROGRESS", "statusDetails": {"p": "2"}})
    device.barrier()
    assert len(device.on(NOTIFY_NEXT.format("dev"))) == 1
    assert len(device.on(NOTIFY.format("dev"))) == 1


@pytest.mark.iot_jobs_events("JOB", "JOB_EXECUTION")
def test_jobs_events_reach_subscribers(iot_jobs_mqtt: MqttListener, iot_client: Any) -> None:
    make_thing(iot_client, "evt")
    watcher = PahoDevice(iot_jobs_mqtt.port, "rules-engine")
    device = PahoDevice(iot_jobs_mqtt.port, "evt")
    try:
        watcher.subscribe("$aws/events/jobExecution/+/succeeded")
        _create(iot_client, "e1", "evt")
        device.request("$aws/things/evt/jobs/e1/update", {"status": "SUCCEEDED"})
        event = watcher.wait_for("$aws/events/jobExecution/e1/succeeded")
    finally:
        device.close()
        watcher.close()
    assert event.body["eventType"] == "JOB_EXECUTION" and event.body["status"] == "SUCCEEDED"
    assert event.body["thingArn"].endswith(":thing/evt")


def test_two_devices_at_once(iot_jobs_mqtt: MqttListener, iot_client: Any, iot_jobs_backend: MockIotJobs) -> None:
    things = ["left", "right"]
    for thing in things:
        make_thing(iot_client, thing)
    devices = {
        "left": PahoDevice(iot_jobs_mqtt.port, "left", V311),
        "right": PahoDevice(iot_jobs_mqtt.port, "right", V5),
    }
    results: Dict[str, List[str]] = {}
    errors: List[BaseException] = []
    try:
        for thing, device in devices.items():
            device.subscribe(NOTIFY_NEXT.format(thing))
        for n in range(3):
            _create(iot_client, f"shared-{n}", *things)
        _create(iot_client, "left-only", "left")

        def run(thing: str) -> None:
            device = devices[thing]
            done: List[str] = []
            try:
                while True:
                    started = device.request(f"$aws/things/{thing}/jobs/start-next").body
                    if "execution" not in started:
                        break
                    job_id = started["execution"]["jobId"]
                    version = started["execution"]["versionNumber"]
                    answer = device.request(
                        f"$aws/things/{thing}/jobs/{job_id}/update",
                        {"status": "SUCCEEDED", "expectedVersion": version},
                    )
                    assert answer.topic.endswith("/accepted"), answer.body
                    done.append(job_id)
            except BaseException as error:  # reported by the main thread
                errors.append(error)
            results[thing] = done

        workers = [threading.Thread(target=run, args=(thing,)) for thing in things]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(20)
        assert not errors, errors
        for device in devices.values():
            device.barrier()
    finally:
        for device in devices.values():
            device.close()
    assert results == {
        "left": ["shared-0", "shared-1", "shared-2", "left-only"],
        "right": ["shared-0", "shared-1", "shared-2"],
    }
    for n in range(3):
        job = iot_client.describe_job(jobId=f"shared-{n}")["job"]
        assert job["status"] == "COMPLETED" and job["jobProcessDetails"]["numberOfSucceededThings"] == 2
    # Each device heard only about its own executions.
    for thing, device in devices.items():
        assert {m.topic.split("/")[2] for m in device.messages} == {thing}
        nexts = [_next_job(m) for m in device.on(NOTIFY_NEXT.format(thing))]
        assert nexts == [
            n.payload.get("execution", {}).get("jobId")
            for n in iot_jobs_backend.notifications(thing)
            if n.topic.endswith("notify-next")
        ]
