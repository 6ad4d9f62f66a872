"""The device plane and the control plane share one store: jobs canceled or deleted under a
device, executions canceled from the console, counts and completion, and timestamp units."""

from __future__ import annotations

import datetime as dt
from typing import Any, Dict, List

import pytest
import requests
from botocore.exceptions import ClientError
from device_support import REGION, _client, iot, jobs_data  # noqa: F401  (fixtures are used by name)

BASE = f"https://data.jobs.iot.{REGION}.amazonaws.com"


def _things(iot: Any, *names: str) -> Dict[str, str]:
    return {name: iot.create_thing(thingName=name)["thingArn"] for name in names}


def _error(raised: Any) -> tuple:
    response = raised.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def _counts(iot: Any, job_id: str) -> Dict[str, int]:
    details = iot.describe_job(jobId=job_id)["job"]["jobProcessDetails"]
    return {k[len("numberOf") : -len("Things")]: v for k, v in details.items() if k.startswith("numberOf") and v}


def _pending_ids(jobs_data: Any, thing: str) -> List[str]:
    pending = jobs_data.get_pending_job_executions(thingName=thing)
    return [s["jobId"] for s in pending["inProgressJobs"] + pending["queuedJobs"]]


def _running_and_queued(iot: Any, jobs_data: Any) -> None:
    """Job j on things a (QUEUED) and b (IN_PROGRESS, version 2)."""
    arns = _things(iot, "a", "b")
    iot.create_job(jobId="j", targets=[arns["a"], arns["b"]], document='{"v": 1}')
    jobs_data.start_next_pending_job_execution(thingName="b", statusDetails={"step": "1"})


def _assert_gone_for_device(jobs_data: Any, thing: str, code: str, http: int) -> None:
    with pytest.raises(ClientError) as update:
        jobs_data.update_job_execution(thingName=thing, jobId="j", status="SUCCEEDED")
    assert _error(update) == (code, http)
    assert _pending_ids(jobs_data, thing) == []
    assert "execution" not in jobs_data.describe_job_execution(thingName=thing, jobId="$next")
    assert "execution" not in jobs_data.start_next_pending_job_execution(thingName=thing)


# --- canceled and deleted jobs ----------------------------------------------------------------


def test_cancel_job_without_force_cancels_queued_executions_only(iot: Any, jobs_data: Any) -> None:
    _running_and_queued(iot, jobs_data)
    iot.cancel_job(jobId="j")

    _assert_gone_for_device(jobs_data, "a", "InvalidStateTransitionException", 409)
    with pytest.raises(ClientError) as describe:
        jobs_data.describe_job_execution(thingName="a", jobId="j")
    assert _error(describe) == ("TerminalStateException", 410)
    assert iot.describe_job_execution(jobId="j", thingName="a")["execution"]["status"] == "CANCELED"

    # force=false leaves IN_PROGRESS executions running: that device may still finish.
    assert _pending_ids(jobs_data, "b") == ["j"]
    jobs_data.update_job_execution(thingName="b", jobId="j", status="SUCCEEDED")
    job = iot.describe_job(jobId="j")["job"]
    assert job["status"] == "CANCELED"
    assert _counts(iot, "j") == {"Canceled": 1, "Succeeded": 1}


def test_cancel_job_with_force_cancels_in_progress_executions_too(iot: Any, jobs_data: Any) -> None:
    _running_and_queued(iot, jobs_data)
    iot.cancel_job(jobId="j", force=True)

    for thing in ("a", "b"):
        _assert_gone_for_device(jobs_data, thing, "InvalidStateTransitionException", 409)
        with pytest.raises(ClientError) as describe:
            jobs_data.describe_job_execution(thingName=thing, jobId="j")
        assert _error(describe) == ("TerminalStateException", 410)
    b = iot.describe_job_execution(jobId="j", thingName="b")["execution"]
    assert b["status"] == "CANCELED" and b["forceCanceled"] is True
    assert b["statusDetails"] == {"detailsMap": {"step": "1"}}
    assert iot.describe_job(jobId="j")["job"]["forceCanceled"] is True
    assert _counts(iot, "j") == {"Canceled": 2}


def test_delete_job_with_force_takes_executions_away_from_the_device(iot: Any, jobs_data: Any) -> None:
    _running_and_queued(iot, jobs_data)
    iot.delete_job(jobId="j", force=True)

    for thing in ("a", "b"):
        _assert_gone_for_device(jobs_data, thing, "ResourceNotFoundException", 404)
        with pytest.raises(ClientError) as describe:
            jobs_data.describe_job_execution(thingName=thing, jobId="j")
        assert _error(describe) == ("ResourceNotFoundException", 404)


def test_delete_job_leaves_other_jobs_of_the_thing_alone(iot: Any, jobs_data: Any) -> None:
    arn = _things(iot, "t")["t"]
    for job_id in ("first", "second", "third"):
        iot.create_job(jobId=job_id, targets=[arn], document="{}")
    jobs_data.start_next_pending_job_execution(thingName="t")
    iot.delete_job(jobId="first", force=True)
    assert _pending_ids(jobs_data, "t") == ["second", "third"]
    assert jobs_data.start_next_pending_job_execution(thingName="t")["execution"]["jobId"] == "second"


def test_cancel_job_execution_from_the_console(iot: Any, jobs_data: Any) -> None:
    _running_and_queued(iot, jobs_data)
    iot.cancel_job_execution(jobId="j", thingName="a")
    _assert_gone_for_device(jobs_data, "a", "InvalidStateTransitionException", 409)
    iot.cancel_job_execution(jobId="j", thingName="b", force=True)
    _assert_gone_for_device(jobs_data, "b", "InvalidStateTransitionException", 409)
    assert iot.describe_job(jobId="j")["job"]["status"] == "COMPLETED"


def test_delete_job_execution_from_the_console(iot: Any, jobs_data: Any) -> None:
    _running_and_queued(iot, jobs_data)
    iot.delete_job_execution(jobId="j", thingName="b", executionNumber=1, force=True)
    _assert_gone_for_device(jobs_data, "b", "ResourceNotFoundException", 404)
    assert _pending_ids(jobs_data, "a") == ["j"]


# --- one store ---------------------------------------------------------------------------------


def test_device_progress_is_what_describe_job_counts(iot: Any, jobs_data: Any) -> None:
    arns = _things(iot, "d1", "d2", "d3")
    iot.create_job(jobId="j", targets=list(arns.values()), document="{}")
    assert _counts(iot, "j") == {"Queued": 3}

    jobs_data.start_next_pending_job_execution(thingName="d1")
    assert _counts(iot, "j") == {"Queued": 2, "InProgress": 1}
    jobs_data.update_job_execution(thingName="d2", jobId="j", status="REJECTED")
    assert _counts(iot, "j") == {"Queued": 1, "InProgress": 1, "Rejected": 1}
    jobs_data.update_job_execution(thingName="d1", jobId="j", status="SUCCEEDED")
    assert _counts(iot, "j") == {"Queued": 1, "Succeeded": 1, "Rejected": 1}
    assert iot.describe_job(jobId="j")["job"]["status"] == "IN_PROGRESS"
    assert "completedAt" not in iot.describe_job(jobId="j")["job"]

    jobs_data.update_job_execution(thingName="d3", jobId="j", status="FAILED")
    job = iot.describe_job(jobId="j")["job"]
    assert _counts(iot, "j") == {"Succeeded": 1, "Rejected": 1, "Failed": 1}
    assert job["status"] == "COMPLETED"
    assert isinstance(job["completedAt"], dt.datetime)

    statuses = {
        s["thingArn"].rsplit("/", 1)[1]: s["jobExecutionSummary"]["status"]
        for s in iot.list_job_executions_for_job(jobId="j")["executionSummaries"]
    }
    assert statuses == {"d1": "SUCCEEDED", "d2": "REJECTED", "d3": "FAILED"}
    for_thing = iot.list_job_executions_for_thing(thingName="d1")["executionSummaries"]
    assert [(s["jobId"], s["jobExecutionSummary"]["status"]) for s in for_thing] == [("j", "SUCCEEDED")]


def test_control_plane_changes_reach_the_device_at_once(iot: Any, jobs_data: Any) -> None:
    arn = _things(iot, "t")["t"]
    iot.create_job(jobId="j1", targets=[arn], document="{}")
    assert _pending_ids(jobs_data, "t") == ["j1"]
    iot.create_job(jobId="j2", targets=[arn], document="{}")
    assert _pending_ids(jobs_data, "t") == ["j1", "j2"]
    iot.cancel_job_execution(jobId="j1", thingName="t")
    assert _pending_ids(jobs_data, "t") == ["j2"]
    assert jobs_data.describe_job_execution(thingName="t", jobId="$next")["execution"]["jobId"] == "j2"


def test_device_sees_version_changes_made_by_the_control_plane(iot: Any, jobs_data: Any) -> None:
    _running_and_queued(iot, jobs_data)
    iot.cancel_job_execution(jobId="j", thingName="a", statusDetails={"why": "ops"})
    control = iot.describe_job_execution(jobId="j", thingName="a")["execution"]
    assert control["versionNumber"] == 2
    assert control["statusDetails"] == {"detailsMap": {"why": "ops"}}


# --- timestamps --------------------------------------------------------------------------------


def _integers(payload: Any) -> List[Any]:
    found = []
    if isinstance(payload, dict):
        for key, value in payload.items():
            if key in ("queuedAt", "startedAt", "lastUpdatedAt"):
                found.append(value)
            else:
                found.extend(_integers(value))
    elif isinstance(payload, list):
        for item in payload:
            found.extend(_integers(item))
    return found


def test_device_plane_timestamps_are_integer_epoch_seconds(iot: Any, mock: Any) -> None:
    arn = _things(iot, "t")["t"]
    iot.create_job(jobId="j1", targets=[arn], document="{}")
    iot.create_job(jobId="j2", targets=[arn], document="{}")
    now = mock.now()
    bodies = [
        requests.put(f"{BASE}/things/t/jobs/$next", json={}, timeout=5).json(),
        requests.get(f"{BASE}/things/t/jobs", timeout=5).json(),
        requests.get(f"{BASE}/things/t/jobs/j1", timeout=5).json(),
        requests.get(f"{BASE}/things/t/jobs/$next", timeout=5).json(),
    ]
    stamps = [value for body in bodies for value in _integers(body)]
    assert len(stamps) == 3 + 5 + 3 + 3
    for value in stamps:
        assert type(value) is int
        assert now - 5 <= value <= now + 1  # seconds, not milliseconds


def test_control_plane_timestamps_match_the_device_ones(iot: Any, jobs_data: Any, mock: Any) -> None:
    arn = _things(iot, "t")["t"]
    iot.create_job(jobId="j", targets=[arn], document="{}")
    mock.advance_time(seconds=42)
    device = jobs_data.start_next_pending_job_execution(thingName="t")["execution"]
    control = iot.describe_job_execution(jobId="j", thingName="t")["execution"]
    for member in ("queuedAt", "startedAt", "lastUpdatedAt"):
        assert isinstance(control[member], dt.datetime)
        assert type(device[member]) is int
        assert device[member] == int(control[member].timestamp())
    assert 41 <= device["startedAt"] - device["queuedAt"] <= 43


# --- concurrency and deleted things --------------------------------------------------------------


def test_concurrent_updates_with_the_same_expected_version_let_one_through(iot: Any, jobs_data: Any) -> None:
    import threading

    arn = _things(iot, "t")["t"]
    iot.create_job(jobId="j", targets=[arn], document="{}")
    outcomes: List[str] = []
    gate = threading.Barrier(8)

    def device(n: int) -> None:
        gate.wait()
        try:
            jobs_data.update_job_execution(
                thingName="t", jobId="j", status="IN_PROGRESS", statusDetails={"writer": str(n)}, expectedVersion=1
            )
            outcomes.append("ok")
        except ClientError as error:
            outcomes.append(error.response["Error"]["Code"])

    threads = [threading.Thread(target=device, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["InvalidRequestException"] * 7 + ["ok"]
    assert iot.describe_job_execution(jobId="j", thingName="t")["execution"]["versionNumber"] == 2


def test_deleting_a_thing_removes_its_pending_executions(iot: Any, jobs_data: Any, mock: Any) -> None:
    arn = _things(iot, "t")["t"]
    iot.create_job(jobId="j", targets=[arn], document="{}")
    jobs_data.start_next_pending_job_execution(thingName="t")
    mock.enable_events("JOB", "JOB_EXECUTION")
    events_before = len(mock.events())
    iot.delete_thing(thingName="t")
    assert [e.topic for e in mock.events()[events_before:]] == [
        "$aws/events/jobExecution/j/removed",
        "$aws/events/job/j/completed",
    ]
    assert _counts(iot, "j") == {"Removed": 1}
    with pytest.raises(ClientError) as update:
        jobs_data.update_job_execution(thingName="t", jobId="j", status="SUCCEEDED")
    assert _error(update) == ("ResourceNotFoundException", 404)
    # A new thing of the same name starts with no jobs.
    _things(iot, "t")
    assert _pending_ids(jobs_data, "t") == []
