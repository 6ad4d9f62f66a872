"""What a device subscribed to its jobs topics, and a Jobs-events subscriber, would receive.

``$aws/things/{thing}/jobs/notify`` (JobExecutionsChanged) is sent when the thing's pending
list gains or loses a job; ``.../notify-next`` (NextJobExecutionChanged) when the job that
DescribeJobExecution ``$next`` would return changes -- not when only its details change.
"""

from __future__ import annotations

import json
from typing import Any, Dict, List, Tuple

import pytest
from botocore.exceptions import ClientError
from device_support import REGION, _client, iot, jobs_data  # noqa: F401  (fixtures are used by name)

Message = Tuple[str, Dict[str, Any]]

# AWS publishes Jobs events only for enabled event types; these tests read them.
pytestmark = pytest.mark.iot_jobs_events("JOB", "JOB_EXECUTION")


class Inbox:
    """Reads what was published through the mock's handle, from a mark onwards."""

    def __init__(self, mock: Any) -> None:
        self.mock = mock
        self._thing_marks: Dict[str, int] = {}
        self._event_mark = 0

    def _all(self, thing: str) -> List[Any]:
        if hasattr(self.mock, "notifications"):
            return list(self.mock.notifications(thing))
        return list(self.mock.backend().notifications.by_thing.get(thing, []))

    def _all_events(self) -> List[Any]:
        if hasattr(self.mock, "events"):
            return list(self.mock.events())
        return list(self.mock.backend().notifications.events)

    def mark(self, *things: str) -> None:
        for thing in things:
            self._thing_marks[thing] = len(self._all(thing))
        self._event_mark = len(self._all_events())

    def thing(self, thing: str) -> List[Message]:
        """New messages to ``thing`` as (``notify`` | ``notify-next``, payload)."""
        out = []
        for message in self._all(thing)[self._thing_marks.get(thing, 0) :]:
            prefix = f"$aws/things/{thing}/jobs/"
            assert message.topic.startswith(prefix), message.topic
            out.append((message.topic[len(prefix) :], message.payload))
        return out

    def events(self) -> List[Tuple[str, Dict[str, Any]]]:
        return [(e.topic, e.payload) for e in self._all_events()[self._event_mark :]]

    def event_topics(self) -> List[str]:
        return [topic for topic, _ in self.events()]


@pytest.fixture
def inbox(mock: Any) -> Inbox:
    return Inbox(mock)


def _things(iot: Any, *names: str) -> Dict[str, str]:
    return {name: iot.create_thing(thingName=name)["thingArn"] for name in names}


def _job(iot: Any, job_id: str, *arns: str, document: str = "{}") -> None:
    iot.create_job(jobId=job_id, targets=list(arns), document=document)


def _device_view(jobs_data: Any, thing: str, job_id: str) -> Dict[str, Any]:
    execution = jobs_data.describe_job_execution(thingName=thing, jobId=job_id)["execution"]
    # notify-next is MQTT: there the document is the JSON object, over HTTPS a string.
    if "jobDocument" in execution:
        execution["jobDocument"] = json.loads(execution["jobDocument"])
    return execution


def _summary(execution: Dict[str, Any]) -> Dict[str, Any]:
    keys = ("jobId", "queuedAt", "startedAt", "lastUpdatedAt", "versionNumber", "executionNumber")
    return {k: execution[k] for k in keys if k in execution}


def _assert_timestamp(payload: Dict[str, Any], mock: Any) -> None:
    stamp = payload["timestamp"]
    assert type(stamp) is int
    assert mock.now() - 5 <= stamp <= mock.now() + 1


# --- create -----------------------------------------------------------------------------------


def test_first_job_notifies_the_list_and_the_next_job(iot: Any, jobs_data: Any, inbox: Inbox, mock: Any) -> None:
    arn = _things(iot, "t")["t"]
    inbox.mark("t")
    _job(iot, "j1", arn, document='{"op": "a"}')

    execution = _device_view(jobs_data, "t", "j1")
    [(topic1, notify), (topic2, notify_next)] = inbox.thing("t")
    assert (topic1, topic2) == ("notify", "notify-next")
    assert set(notify) == {"jobs", "timestamp"}
    assert notify["jobs"] == {"QUEUED": [_summary(execution)]}
    assert set(notify["jobs"]["QUEUED"][0]) == {
        "jobId",
        "queuedAt",
        "lastUpdatedAt",
        "versionNumber",
        "executionNumber",
    }
    assert set(notify_next) == {"execution", "timestamp"}
    assert notify_next["execution"] == execution
    assert notify_next["execution"]["status"] == "QUEUED"
    assert notify_next["execution"]["thingName"] == "t"
    assert notify_next["execution"]["jobDocument"] == {"op": "a"}
    for payload in (notify, notify_next):
        _assert_timestamp(payload, mock)
    assert inbox.events() == []  # creating a job publishes no Jobs event


def test_another_job_changes_the_list_but_not_the_next(iot: Any, jobs_data: Any, inbox: Inbox) -> None:
    arn = _things(iot, "t")["t"]
    _job(iot, "j1", arn)
    inbox.mark("t")
    _job(iot, "j2", arn)

    [(topic, notify)] = inbox.thing("t")
    assert topic == "notify"
    assert notify["jobs"] == {"QUEUED": [_summary(_device_view(jobs_data, "t", j)) for j in ("j1", "j2")]}


def test_the_list_shows_in_progress_before_queued(iot: Any, jobs_data: Any, inbox: Inbox) -> None:
    arn = _things(iot, "t")["t"]
    for job_id in ("j1", "j2", "j3"):
        _job(iot, job_id, arn)
    jobs_data.update_job_execution(thingName="t", jobId="j2", status="IN_PROGRESS")
    inbox.mark("t")
    _job(iot, "j4", arn)

    [(topic, notify)] = inbox.thing("t")
    assert topic == "notify"
    views = {j: _summary(_device_view(jobs_data, "t", j)) for j in ("j1", "j2", "j3", "j4")}
    assert notify["jobs"] == {"IN_PROGRESS": [views["j2"]], "QUEUED": [views["j1"], views["j3"], views["j4"]]}
    assert "startedAt" in notify["jobs"]["IN_PROGRESS"][0]


def test_each_targeted_thing_is_told_and_no_other(iot: Any, inbox: Inbox) -> None:
    arns = _things(iot, "a", "b", "bystander")
    inbox.mark("a", "b", "bystander")
    _job(iot, "j", arns["a"], arns["b"])
    for thing in ("a", "b"):
        assert [topic for topic, _ in inbox.thing(thing)] == ["notify", "notify-next"]
        assert inbox.thing(thing)[1][1]["execution"]["thingName"] == thing
    assert inbox.thing("bystander") == []


def test_group_target_notifies_every_member(iot: Any, inbox: Inbox) -> None:
    _things(iot, "m1", "m2")
    group = iot.create_thing_group(thingGroupName="g")["thingGroupArn"]
    for member in ("m1", "m2"):
        iot.add_thing_to_thing_group(thingGroupName="g", thingName=member)
    inbox.mark("m1", "m2")
    _job(iot, "j", group)
    for member in ("m1", "m2"):
        assert [topic for topic, _ in inbox.thing(member)] == ["notify", "notify-next"]


# --- start and progress ------------------------------------------------------------------------


def test_starting_the_next_job_publishes_nothing(iot: Any, jobs_data: Any, inbox: Inbox) -> None:
    arn = _things(iot, "t")["t"]
    _job(iot, "j1", arn)
    _job(iot, "j2", arn)
    inbox.mark("t")
    jobs_data.start_next_pending_job_execution(thingName="t", statusDetails={"step": "1"})
    jobs_data.update_job_execution(thingName="t", jobId="j1", status="IN_PROGRESS", statusDetails={"step": "2"})
    jobs_data.update_job_execution(thingName="t", jobId="j1", status="IN_PROGRESS", stepTimeoutInMinutes=30)
    # The next job is still j1; only its details changed.
    assert inbox.thing("t") == []
    assert inbox.events() == []


def test_j1_j2_example_from_the_spec(iot: Any, jobs_data: Any, inbox: Inbox) -> None:
    """J1 and J2 QUEUED, J1 next; J2 changed to IN_PROGRESS -> notify-next with J2's details."""
    arn = _things(iot, "t")["t"]
    _job(iot, "J1", arn)
    _job(iot, "J2", arn, document='{"j": 2}')
    inbox.mark("t")
    jobs_data.update_job_execution(thingName="t", jobId="J2", status="IN_PROGRESS", statusDetails={"s": "x"})

    [(topic, payload)] = inbox.thing("t")
    assert topic == "notify-next"
    execution = payload["execution"]
    assert execution == _device_view(jobs_data, "t", "J2")
    assert (execution["jobId"], execution["status"], execution["versionNumber"]) == ("J2", "IN_PROGRESS", 2)
    assert execution["statusDetails"] == {"s": "x"}
    assert jobs_data.describe_job_execution(thingName="t", jobId="$next")["execution"]["jobId"] == "J2"


def test_starting_an_earlier_job_moves_the_next(iot: Any, jobs_data: Any, inbox: Inbox) -> None:
    """J2 in progress is next; J1 (older) starting too becomes next: in-progress list is creation order."""
    arn = _things(iot, "t")["t"]
    _job(iot, "J1", arn)
    _job(iot, "J2", arn)
    jobs_data.update_job_execution(thingName="t", jobId="J2", status="IN_PROGRESS")
    inbox.mark("t")
    jobs_data.update_job_execution(thingName="t", jobId="J1", status="IN_PROGRESS")
    [(topic, payload)] = inbox.thing("t")
    assert topic == "notify-next" and payload["execution"]["jobId"] == "J1"
    inbox.mark("t")
    jobs_data.update_job_execution(thingName="t", jobId="J2", status="IN_PROGRESS")  # not next: silent
    assert inbox.thing("t") == []


# --- finish -----------------------------------------------------------------------------------


def test_finishing_the_next_job(iot: Any, jobs_data: Any, inbox: Inbox, mock: Any) -> None:
    arns = _things(iot, "t")
    _job(iot, "j1", arns["t"])
    _job(iot, "j2", arns["t"])
    jobs_data.start_next_pending_job_execution(thingName="t")
    inbox.mark("t")
    jobs_data.update_job_execution(thingName="t", jobId="j1", status="SUCCEEDED", statusDetails={"r": "ok"})

    j2 = _device_view(jobs_data, "t", "j2")
    assert inbox.thing("t") == [
        ("notify", {"jobs": {"QUEUED": [_summary(j2)]}, "timestamp": inbox.thing("t")[0][1]["timestamp"]}),
        ("notify-next", {"execution": j2, "timestamp": inbox.thing("t")[1][1]["timestamp"]}),
    ]
    assert inbox.event_topics() == ["$aws/events/jobExecution/j1/succeeded", "$aws/events/job/j1/completed"]
    execution_event, job_event = [payload for _, payload in inbox.events()]
    assert set(execution_event) == {
        "eventType",
        "eventId",
        "timestamp",
        "operation",
        "jobId",
        "thingArn",
        "status",
        "statusDetails",
    }
    assert execution_event["eventType"] == "JOB_EXECUTION"
    assert execution_event["operation"] == "succeeded"
    assert (execution_event["jobId"], execution_event["thingArn"]) == ("j1", arns["t"])
    assert execution_event["status"] == "SUCCEEDED"
    assert execution_event["statusDetails"] == {"r": "ok"}
    assert isinstance(execution_event["eventId"], str) and execution_event["eventId"]
    _assert_timestamp(execution_event, mock)

    assert job_event["eventType"] == "JOB"
    assert job_event["operation"] == "completed"
    assert job_event["jobId"] == "j1"
    assert job_event["status"] == "COMPLETED"
    assert job_event["targetSelection"] == "SNAPSHOT"
    assert job_event["targets"] == [arns["t"]]
    assert type(job_event["completedAt"]) is int and type(job_event["createdAt"]) is int
    assert job_event["jobProcessDetails"]["numberOfSucceededThings"] == 1
    assert job_event["jobProcessDetails"]["numberOfQueuedThings"] == 0
    assert execution_event["eventId"] != job_event["eventId"]


def test_finishing_the_last_job_empties_both(iot: Any, jobs_data: Any, inbox: Inbox, mock: Any) -> None:
    _job(iot, "j1", _things(iot, "t")["t"])
    jobs_data.start_next_pending_job_execution(thingName="t")
    inbox.mark("t")
    jobs_data.update_job_execution(thingName="t", jobId="j1", status="FAILED")

    [(t1, notify), (t2, notify_next)] = inbox.thing("t")
    assert (t1, t2) == ("notify", "notify-next")
    assert notify["jobs"] == {}
    assert set(notify_next) == {"timestamp"}
    _assert_timestamp(notify_next, mock)
    assert inbox.event_topics() == ["$aws/events/jobExecution/j1/failed", "$aws/events/job/j1/completed"]


def test_finishing_a_job_that_is_not_next_only_changes_the_list(iot: Any, jobs_data: Any, inbox: Inbox) -> None:
    arn = _things(iot, "t")["t"]
    _job(iot, "j1", arn)
    _job(iot, "j2", arn)
    inbox.mark("t")
    jobs_data.update_job_execution(thingName="t", jobId="j2", status="REJECTED")
    [(topic, notify)] = inbox.thing("t")
    assert topic == "notify"
    assert notify["jobs"] == {"QUEUED": [_summary(_device_view(jobs_data, "t", "j1"))]}
    assert inbox.event_topics() == ["$aws/events/jobExecution/j2/rejected", "$aws/events/job/j2/completed"]


def test_a_job_on_several_things_completes_once(iot: Any, jobs_data: Any, inbox: Inbox) -> None:
    arns = _things(iot, "a", "b")
    _job(iot, "j", arns["a"], arns["b"])
    inbox.mark("a", "b")
    jobs_data.update_job_execution(thingName="a", jobId="j", status="SUCCEEDED")
    assert inbox.event_topics() == ["$aws/events/jobExecution/j/succeeded"]
    assert inbox.thing("b") == []
    jobs_data.update_job_execution(thingName="b", jobId="j", status="SUCCEEDED")
    assert inbox.event_topics() == ["$aws/events/jobExecution/j/succeeded"] * 2 + ["$aws/events/job/j/completed"]
    thing_arns = [payload["thingArn"] for topic, payload in inbox.events() if "jobExecution" in topic]
    assert thing_arns == [arns["a"], arns["b"]]


def test_timing_out_notifies_like_finishing(iot: Any, jobs_data: Any, inbox: Inbox, mock: Any) -> None:
    arn = _things(iot, "t")["t"]
    _job(iot, "j1", arn)
    _job(iot, "j2", arn)
    jobs_data.start_next_pending_job_execution(thingName="t", stepTimeoutInMinutes=1)
    inbox.mark("t")
    mock.advance_time(minutes=2)
    assert [topic for topic, _ in inbox.thing("t")] == ["notify", "notify-next"]
    assert inbox.thing("t")[1][1]["execution"]["jobId"] == "j2"
    assert inbox.event_topics() == ["$aws/events/jobExecution/j1/timed_out", "$aws/events/job/j1/completed"]


def test_a_retry_is_a_new_pending_execution(iot: Any, jobs_data: Any, inbox: Inbox, mock: Any) -> None:
    """A retried job re-queues as execution 2: the list gained an execution and the next changed."""
    arn = _things(iot, "t")["t"]
    iot.create_job(
        jobId="j",
        targets=[arn],
        document="{}",
        jobExecutionsRetryConfig={"criteriaList": [{"failureType": "FAILED", "numberOfRetries": 1}]},
    )
    jobs_data.start_next_pending_job_execution(thingName="t")
    inbox.mark("t")
    jobs_data.update_job_execution(thingName="t", jobId="j", status="FAILED")
    mock.advance_time(seconds=1)

    retry = _device_view(jobs_data, "t", "j")
    assert retry["executionNumber"] == 2 and retry["status"] == "QUEUED"
    messages = inbox.thing("t")
    assert [topic for topic, _ in messages] == ["notify", "notify-next"]
    assert messages[0][1]["jobs"] == {"QUEUED": [_summary(retry)]}
    assert messages[1][1]["execution"] == retry


# --- cancel and delete ------------------------------------------------------------------------


def test_cancel_job_notifies_and_publishes_canceled_events(iot: Any, jobs_data: Any, inbox: Inbox) -> None:
    arn = _things(iot, "t")["t"]
    _job(iot, "j1", arn)
    _job(iot, "j2", arn)
    inbox.mark("t")
    iot.cancel_job(jobId="j1", comment="stop")

    j2 = _device_view(jobs_data, "t", "j2")
    messages = inbox.thing("t")
    assert [topic for topic, _ in messages] == ["notify", "notify-next"]
    assert messages[0][1]["jobs"] == {"QUEUED": [_summary(j2)]}
    assert messages[1][1]["execution"] == j2
    assert inbox.event_topics() == ["$aws/events/jobExecution/j1/canceled", "$aws/events/job/j1/canceled"]
    execution_event, job_event = [payload for _, payload in inbox.events()]
    assert (execution_event["operation"], execution_event["status"]) == ("canceled", "CANCELED")
    assert (job_event["eventType"], job_event["operation"], job_event["status"]) == ("JOB", "canceled", "CANCELED")
    assert job_event["jobProcessDetails"]["numberOfCanceledThings"] == 1


def test_cancel_without_force_leaves_an_in_progress_device_undisturbed(iot: Any, jobs_data: Any, inbox: Inbox) -> None:
    _job(iot, "j1", _things(iot, "t")["t"])
    jobs_data.start_next_pending_job_execution(thingName="t")
    inbox.mark("t")
    iot.cancel_job(jobId="j1")
    assert inbox.thing("t") == []
    assert inbox.event_topics() == ["$aws/events/job/j1/canceled"]


def test_cancel_with_force_takes_the_in_progress_job_away(iot: Any, jobs_data: Any, inbox: Inbox) -> None:
    _job(iot, "j1", _things(iot, "t")["t"])
    jobs_data.start_next_pending_job_execution(thingName="t")
    inbox.mark("t")
    iot.cancel_job(jobId="j1", force=True)
    assert [(topic, payload.get("jobs", payload.get("execution"))) for topic, payload in inbox.thing("t")] == [
        ("notify", {}),
        ("notify-next", None),
    ]
    assert inbox.event_topics() == ["$aws/events/jobExecution/j1/canceled", "$aws/events/job/j1/canceled"]


def test_cancel_job_execution_notifies(iot: Any, jobs_data: Any, inbox: Inbox) -> None:
    arn = _things(iot, "t")["t"]
    _job(iot, "j1", arn)
    _job(iot, "j2", arn)
    inbox.mark("t")
    iot.cancel_job_execution(jobId="j2", thingName="t")
    assert [topic for topic, _ in inbox.thing("t")] == ["notify"]
    assert inbox.event_topics() == ["$aws/events/jobExecution/j2/canceled", "$aws/events/job/j2/completed"]


def test_delete_job_notifies_and_publishes_deleted(iot: Any, jobs_data: Any, inbox: Inbox, mock: Any) -> None:
    arn = _things(iot, "t")["t"]
    _job(iot, "j1", arn)
    _job(iot, "j2", arn)
    jobs_data.start_next_pending_job_execution(thingName="t")
    inbox.mark("t")
    iot.delete_job(jobId="j1", force=True)

    j2 = _device_view(jobs_data, "t", "j2")
    messages = inbox.thing("t")
    assert [topic for topic, _ in messages] == ["notify", "notify-next"]
    assert messages[0][1]["jobs"] == {"QUEUED": [_summary(j2)]}
    assert messages[1][1]["execution"] == j2
    assert "$aws/events/job/j1/deleted" not in inbox.event_topics()  # DELETION_IN_PROGRESS for a second
    mock.advance_time(seconds=1)
    assert "$aws/events/job/j1/deleted" in inbox.event_topics()
    [deleted] = [payload for topic, payload in inbox.events() if topic == "$aws/events/job/j1/deleted"]
    assert (deleted["eventType"], deleted["operation"], deleted["jobId"]) == ("JOB", "deleted", "j1")
    _assert_timestamp(deleted, mock)


def test_deleting_a_finished_job_tells_the_device_nothing(
    iot: Any, jobs_data: Any, inbox: Inbox, mock: Any
) -> None:
    _job(iot, "j1", _things(iot, "t")["t"])
    jobs_data.update_job_execution(thingName="t", jobId="j1", status="SUCCEEDED")
    inbox.mark("t")
    iot.delete_job(jobId="j1")
    mock.advance_time(seconds=1)  # the job is gone (and the event sent) once deletion ends
    assert inbox.thing("t") == []
    assert inbox.event_topics() == ["$aws/events/job/j1/deleted"]


# --- time-driven releases -----------------------------------------------------------------------


def test_a_paced_rollout_tells_each_thing_when_its_execution_is_released(iot: Any, inbox: Inbox, mock: Any) -> None:
    arns = _things(iot, "r0", "r1", "r2")
    inbox.mark("r0", "r1", "r2")
    iot.create_job(
        jobId="j", targets=list(arns.values()), document="{}", jobExecutionsRolloutConfig={"maximumPerMinute": 1}
    )
    told = [name for name in ("r0", "r1", "r2") if inbox.thing(name)]
    assert told == ["r0"]
    mock.advance_time(minutes=1)
    told = [name for name in ("r0", "r1", "r2") if inbox.thing(name)]
    assert told == ["r0", "r1"]
    assert [topic for topic, _ in inbox.thing("r1")] == ["notify", "notify-next"]


def test_a_scheduled_job_tells_the_device_when_it_starts(iot: Any, inbox: Inbox, mock: Any) -> None:
    import datetime as dt

    arn = _things(iot, "s")["s"]
    inbox.mark("s")
    start = dt.datetime.fromtimestamp(mock.now() + 3600, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M")
    iot.create_job(jobId="later", targets=[arn], document="{}", schedulingConfig={"startTime": start})
    assert inbox.thing("s") == []
    mock.advance_time(hours=1, minutes=1)
    assert [topic for topic, _ in inbox.thing("s")] == ["notify", "notify-next"]
    assert inbox.thing("s")[1][1]["execution"]["jobId"] == "later"


# --- refusals publish nothing -----------------------------------------------------------------


def test_refused_calls_publish_nothing(iot: Any, jobs_data: Any, inbox: Inbox) -> None:
    arn = _things(iot, "t")["t"]
    _job(iot, "j1", arn)
    _job(iot, "j2", arn)
    jobs_data.update_job_execution(thingName="t", jobId="j2", status="SUCCEEDED")
    inbox.mark("t")
    attempts = [
        dict(jobId="j1", status="CANCELED"),
        dict(jobId="j1", status="IN_PROGRESS", expectedVersion=9),
        dict(jobId="j2", status="IN_PROGRESS"),
        dict(jobId="j1", status="IN_PROGRESS", stepTimeoutInMinutes=0),
        dict(jobId="nope", status="SUCCEEDED"),
    ]
    for attempt in attempts:
        with pytest.raises(ClientError):
            jobs_data.update_job_execution(thingName="t", **attempt)
    with pytest.raises(ClientError):
        jobs_data.start_next_pending_job_execution(thingName="t", stepTimeoutInMinutes=10081)
    assert inbox.thing("t") == []
    assert inbox.events() == []


def test_reads_publish_nothing(iot: Any, jobs_data: Any, inbox: Inbox) -> None:
    _job(iot, "j1", _things(iot, "t")["t"])
    inbox.mark("t")
    jobs_data.get_pending_job_executions(thingName="t")
    jobs_data.describe_job_execution(thingName="t", jobId="$next")
    jobs_data.describe_job_execution(thingName="t", jobId="j1")
    assert inbox.thing("t") == []
    assert inbox.events() == []
