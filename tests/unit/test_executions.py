"""Unit tests of the execution state machine, the device's view, and what it publishes."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

import pytest

from mock_iotjobs.backend.events.notifications import Notification, NotificationLog
from mock_iotjobs.backend.jobs.executions import (
    device_execution,
    device_seconds,
    execution_state,
    seconds_before_timeout,
    summary,
)
from mock_iotjobs.backend.jobs.model import JobExecution
from mock_iotjobs.backend.state import Backend

T0 = 1_700_000_000.75


class FixedClock:
    """A clock that moves only when told, so timestamps are exact."""

    def __init__(self, now: float = T0) -> None:
        self.t = now

    def now(self) -> float:
        return self.t

    def advance(self, seconds: float) -> float:
        self.t += seconds
        return self.t


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def backend(clock: FixedClock) -> Backend:
    return Backend("123456789012", "us-east-1", clock)  # type: ignore[arg-type]


def _thing(backend: Backend, name: str) -> str:
    return backend.things.create(name).arn


def _job(backend: Backend, job_id: str, *things: str, **extra: Any) -> None:
    spec = {"jobId": job_id, "targets": [backend.things.arn_for(t) for t in things], "document": '{"id": 1}'}
    spec.update(extra)
    backend.jobs.create(spec)


def _execution(backend: Backend, thing: str, job_id: str) -> JobExecution:
    return backend.executions.by_thing[thing][job_id]


def _messages(backend: Backend, thing: str) -> List[Tuple[str, Dict[str, Any]]]:
    return [(m.topic.rsplit("/", 1)[1], m.payload) for m in backend.notifications.by_thing.get(thing, [])]


def _device_start(backend: Backend, thing: str, job_id: str, details: Optional[Dict[str, str]] = None,
                  step: Optional[int] = None) -> None:
    with backend.executions.observe([thing]):
        backend.executions.device_update(_execution(backend, thing, job_id), "IN_PROGRESS", backend.now(),
                                         details, step)


# --- pending order ----------------------------------------------------------------------------


def test_pending_is_in_progress_then_queued_each_by_creation(backend: Backend, clock: FixedClock) -> None:
    _thing(backend, "t")
    for job_id in ("a", "b", "c", "d"):
        _job(backend, job_id, "t")
    _device_start(backend, "t", "d")
    clock.advance(5)
    _device_start(backend, "t", "b")
    in_progress, queued = backend.executions.pending("t")
    assert [e.job_id for e in in_progress] == ["b", "d"]
    assert [e.job_id for e in queued] == ["a", "c"]
    assert backend.executions.next_for("t").job_id == "b"  # type: ignore[union-attr]


def test_pending_skips_terminal_executions_and_things_the_rollout_has_not_reached(backend: Backend) -> None:
    _thing(backend, "first")
    _thing(backend, "t")
    _job(backend, "a", "t")
    # Paced at one thing a minute: "first" is reached now, "t" still waits (no execution yet).
    _job(backend, "b", "first", "t", jobExecutionsRolloutConfig={"maximumPerMinute": 1})
    _job(backend, "c", "t")
    backend.executions.set_status(_execution(backend, "t", "a"), "SUCCEEDED", backend.now())
    assert "b" not in backend.executions.by_thing["t"]
    in_progress, queued = backend.executions.pending("t")
    assert in_progress == [] and [e.job_id for e in queued] == ["c"]
    assert backend.executions.next_for("t").job_id == "c"  # type: ignore[union-attr]
    assert backend.executions.pending("nobody") == ([], [])
    assert backend.executions.next_for("nobody") is None


# --- set_status -------------------------------------------------------------------------------


def test_set_status_keeps_counts_versions_and_times(backend: Backend, clock: FixedClock) -> None:
    _thing(backend, "t")
    _job(backend, "j", "t")
    execution = _execution(backend, "t", "j")
    job = execution.job
    assert (execution.version_number, job.counts["QUEUED"]) == (1, 1)

    clock.advance(10)
    backend.executions.set_status(execution, "IN_PROGRESS", clock.now(), details={"a": "1"})
    assert execution.started_at == clock.now() == execution.last_updated_at
    assert execution.version_number == 2
    assert (job.counts["QUEUED"], job.counts["IN_PROGRESS"]) == (0, 1)
    started = execution.started_at

    clock.advance(10)
    backend.executions.set_status(execution, "IN_PROGRESS", clock.now())
    assert execution.started_at == started
    assert execution.status_details == {"a": "1"}  # details None: unchanged
    assert execution.version_number == 3
    assert job.counts["IN_PROGRESS"] == 1

    backend.executions.set_status(execution, "SUCCEEDED", clock.now(), details={"b": "2"})
    assert execution.status_details == {"b": "2"}  # details given: replaced
    assert (job.counts["IN_PROGRESS"], job.counts["SUCCEEDED"]) == (0, 1)
    assert job.status == "COMPLETED" and job.completed_at == clock.now()


def test_set_status_publishes_an_event_for_terminal_statuses_only(backend: Backend) -> None:
    backend.event_configurations.set(["JOB", "JOB_EXECUTION"], True, backend.now())
    arn = _thing(backend, "t")
    _job(backend, "j", "t")
    execution = _execution(backend, "t", "j")
    backend.executions.set_status(execution, "IN_PROGRESS", backend.now(), details={"k": "v"})
    assert backend.notifications.events == []
    backend.executions.set_status(execution, "REJECTED", backend.now())
    event = backend.notifications.events[0]
    assert event.topic == "$aws/events/jobExecution/j/rejected"
    payload = dict(event.payload)
    assert isinstance(payload.pop("eventId"), str)
    assert payload == {
        "timestamp": int(T0),
        "eventType": "JOB_EXECUTION",
        "operation": "rejected",
        "jobId": "j",
        "thingArn": arn,
        "status": "REJECTED",
        "statusDetails": {"k": "v"},
    }
    assert [e.topic for e in backend.notifications.events] == [
        "$aws/events/jobExecution/j/rejected", "$aws/events/job/j/completed"
    ]


def test_terminal_status_clears_the_timers(backend: Backend) -> None:
    _thing(backend, "t")
    _job(backend, "j", "t", timeoutConfig={"inProgressTimeoutInMinutes": 30})
    _device_start(backend, "t", "j", step=5)
    execution = _execution(backend, "t", "j")
    assert execution.in_progress_deadline == T0 + 1800
    assert execution.step_deadline == T0 + 300
    assert execution.deadline() == T0 + 300
    backend.executions.device_update(execution, "FAILED", backend.now())
    assert (execution.in_progress_deadline, execution.step_deadline) == (None, None)


# --- device_update and the step timer ---------------------------------------------------------


def test_device_update_step_timer_set_reset_and_canceled(backend: Backend, clock: FixedClock) -> None:
    _thing(backend, "t")
    _job(backend, "j", "t")
    execution = _execution(backend, "t", "j")
    _device_start(backend, "t", "j", step=10)
    assert execution.step_deadline == T0 + 600 and execution.step_timeout_minutes == 10
    clock.advance(60)
    backend.executions.device_update(execution, "IN_PROGRESS", clock.now(), step_timeout_minutes=2)
    assert execution.step_deadline == T0 + 60 + 120
    backend.executions.device_update(execution, "IN_PROGRESS", clock.now())
    assert execution.step_deadline == T0 + 60 + 120  # no value: timer untouched
    backend.executions.device_update(execution, "IN_PROGRESS", clock.now(), step_timeout_minutes=-1)
    assert execution.step_deadline is None and execution.step_timeout_minutes is None
    assert seconds_before_timeout(execution, clock.now()) is None


def test_in_progress_timer_starts_once(backend: Backend, clock: FixedClock) -> None:
    _thing(backend, "t")
    _job(backend, "j", "t", timeoutConfig={"inProgressTimeoutInMinutes": 10})
    execution = _execution(backend, "t", "j")
    _device_start(backend, "t", "j")
    clock.advance(120)
    backend.executions.device_update(execution, "IN_PROGRESS", clock.now())
    assert execution.in_progress_deadline == T0 + 600
    assert seconds_before_timeout(execution, clock.now()) == 480


# --- the device's view: payload builders ------------------------------------------------------


def test_payload_builders(backend: Backend, clock: FixedClock) -> None:
    _thing(backend, "t")
    _job(backend, "j", "t")
    execution = _execution(backend, "t", "j")
    assert summary(execution) == {"jobId": "j", "queuedAt": int(T0), "lastUpdatedAt": int(T0),
                                  "versionNumber": 1, "executionNumber": 1}
    assert execution_state(execution) == {"status": "QUEUED", "versionNumber": 1}

    clock.advance(30)
    _device_start(backend, "t", "j", details={"p": "1"}, step=1)
    assert summary(execution) == {"jobId": "j", "queuedAt": int(T0), "startedAt": int(T0 + 30),
                                  "lastUpdatedAt": int(T0 + 30), "versionNumber": 2, "executionNumber": 1}
    assert execution_state(execution) == {"status": "IN_PROGRESS", "statusDetails": {"p": "1"}, "versionNumber": 2}
    full = device_execution(execution, clock.now(), include_document=True)
    assert full == {
        "jobId": "j", "thingName": "t", "status": "IN_PROGRESS", "statusDetails": {"p": "1"},
        "queuedAt": int(T0), "startedAt": int(T0 + 30), "lastUpdatedAt": int(T0 + 30),
        "versionNumber": 2, "executionNumber": 1, "approximateSecondsBeforeTimedOut": 60,
        "jobDocument": '{"id":1}',  # HTTPS: the compact re-serialisation (issue 13)
    }
    assert device_execution(execution, clock.now(), True, over_mqtt=True)["jobDocument"] == {"id": 1}
    assert "jobDocument" not in device_execution(execution, clock.now(), include_document=False)
    assert all(type(v) is int for k, v in full.items() if k.endswith("At"))


def test_device_seconds_truncates_to_whole_seconds() -> None:
    assert device_seconds(None) is None
    assert device_seconds(1_700_000_000.999) == 1_700_000_000
    assert type(device_seconds(1_700_000_000.0)) is int


# --- observe: notify and notify-next ----------------------------------------------------------


def test_observe_publishes_nothing_when_nothing_changes(backend: Backend) -> None:
    _thing(backend, "t")
    _job(backend, "j", "t")
    before = len(backend.notifications.by_thing["t"])
    with backend.executions.observe(["t"]):
        pass
    _device_start(backend, "t", "j", details={"a": "b"})  # next keeps its identity
    assert len(backend.notifications.by_thing["t"]) == before


def test_observe_payloads(backend: Backend, clock: FixedClock) -> None:
    _thing(backend, "t")
    _job(backend, "j1", "t")
    j1 = _execution(backend, "t", "j1")
    assert _messages(backend, "t") == [
        ("notify", {"jobs": {"QUEUED": [summary(j1)]}, "timestamp": int(T0)}),
        ("notify-next", {"execution": device_execution(j1, T0, True, over_mqtt=True), "timestamp": int(T0)}),
    ]
    clock.advance(7)
    _job(backend, "j2", "t")
    _device_start(backend, "t", "j2")
    j2 = _execution(backend, "t", "j2")
    assert _messages(backend, "t")[2:] == [
        ("notify", {"jobs": {"QUEUED": [summary(j1), {"jobId": "j2", "queuedAt": int(T0 + 7),
                                                      "lastUpdatedAt": int(T0 + 7), "versionNumber": 1,
                                                      "executionNumber": 1}]},
                    "timestamp": int(T0 + 7)}),
        ("notify-next", {"execution": device_execution(j2, clock.now(), True, over_mqtt=True),
                         "timestamp": int(T0 + 7)}),
    ]
    with backend.executions.observe(["t"]):
        backend.executions.set_status(j2, "SUCCEEDED", clock.now())
        backend.executions.set_status(j1, "SUCCEEDED", clock.now())
    assert _messages(backend, "t")[4:] == [
        ("notify", {"jobs": {}, "timestamp": int(T0 + 7)}),
        ("notify-next", {"timestamp": int(T0 + 7)}),
    ]


def test_observe_compares_before_and_after_only(backend: Backend) -> None:
    """A block that changes the next job and changes it back publishes nothing."""
    _thing(backend, "t")
    _job(backend, "j1", "t")
    _job(backend, "j2", "t")
    count = len(backend.notifications.by_thing["t"])
    j1 = _execution(backend, "t", "j1")
    with backend.executions.observe(["t"]):
        j1.released = False
        j1.released = True
    assert len(backend.notifications.by_thing["t"]) == count


def test_observe_is_per_thing(backend: Backend) -> None:
    for name in ("a", "b"):
        _thing(backend, name)
    _job(backend, "j", "a", "b")
    counts = {n: len(backend.notifications.by_thing[n]) for n in ("a", "b")}
    with backend.executions.observe(["a", "b"]):
        backend.executions.set_status(_execution(backend, "a", "j"), "FAILED", backend.now())
    assert len(backend.notifications.by_thing["a"]) == counts["a"] + 2
    assert len(backend.notifications.by_thing["b"]) == counts["b"]


def test_a_requeued_job_is_a_new_execution(backend: Backend) -> None:
    """Executions are (job, execution number): a re-queued job changes the list and the next."""
    _thing(backend, "t")
    _job(backend, "j", "t")
    first = _execution(backend, "t", "j")
    count = len(backend.notifications.by_thing["t"])
    with backend.executions.observe(["t"]):
        backend.executions.set_status(first, "FAILED", backend.now())
        backend.executions.create(first.job, "t", first.thing_arn, backend.now())
    published = _messages(backend, "t")[count:]
    assert [topic for topic, _ in published] == ["notify", "notify-next"]
    assert published[0][1]["jobs"]["QUEUED"][0]["executionNumber"] == 2
    assert published[1][1]["execution"]["executionNumber"] == 2


def test_forget_removes_the_execution_from_the_device_view(backend: Backend) -> None:
    _thing(backend, "t")
    _job(backend, "j", "t")
    backend.executions.forget(_execution(backend, "t", "j"))
    assert "t" not in backend.executions.by_thing
    assert backend.executions.for_thing("t") == []


# --- NotificationLog --------------------------------------------------------------------------


def test_notification_log_topics_and_listeners() -> None:
    log = NotificationLog()
    heard: List[Tuple[Optional[str], Notification]] = []
    log.listeners.append(lambda thing, message: heard.append((thing, message)))
    log.to_thing("dev-1", "notify", {"jobs": {}}, 12.5)
    log.event("$aws/events/job/x/completed", {"jobId": "x"}, 99.9)

    assert log.by_thing["dev-1"] == [Notification("$aws/things/dev-1/jobs/notify", {"jobs": {}}, 12.5)]
    [event] = log.events
    assert event.topic == "$aws/events/job/x/completed"
    assert event.payload["jobId"] == "x" and event.payload["timestamp"] == 99
    assert isinstance(event.payload["eventId"], str)
    assert [thing for thing, _ in heard] == ["dev-1", None]
    log.event("$aws/events/job/y/completed", {"jobId": "y"}, 1.0)
    assert log.events[0].payload["eventId"] != log.events[1].payload["eventId"]
