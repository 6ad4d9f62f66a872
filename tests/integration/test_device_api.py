"""The four ``iot-jobs-data`` operations, member by member, as the device API documents them."""

from __future__ import annotations

import json
from typing import Any, Dict, List

import pytest
from botocore.exceptions import ClientError
from device_support import REGION, _client, iot, jobs_data  # noqa: F401  (fixtures are used by name)


def _things(iot: Any, *names: str) -> Dict[str, str]:
    return {name: iot.create_thing(thingName=name)["thingArn"] for name in names}


def _job(iot: Any, job_id: str, *arns: str, **extra: Any) -> None:
    extra.setdefault("document", json.dumps({"job": job_id}))
    iot.create_job(jobId=job_id, targets=list(arns), **extra)


def _ids(summaries: List[Dict[str, Any]]) -> List[str]:
    return [s["jobId"] for s in summaries]


def _error(raised: Any) -> tuple:
    response = raised.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def _about(seconds: int, expected: int) -> bool:
    """Equal up to the second the real clock may tick between two calls."""
    return expected - 1 <= seconds <= expected


def _control(iot: Any, job_id: str, thing: str) -> Dict[str, Any]:
    return iot.describe_job_execution(jobId=job_id, thingName=thing)["execution"]


# --- GetPendingJobExecutions and the pending order -------------------------------------------


def test_pending_lists_in_progress_then_queued_each_in_creation_order(iot: Any, jobs_data: Any) -> None:
    arn = _things(iot, "t")["t"]
    for job_id in ("j1", "j2", "j3", "j4", "j5"):
        _job(iot, job_id, arn)
    # Start j4 before j2: the in-progress list is still in creation order.
    jobs_data.update_job_execution(thingName="t", jobId="j4", status="IN_PROGRESS")
    jobs_data.update_job_execution(thingName="t", jobId="j2", status="IN_PROGRESS")

    pending = jobs_data.get_pending_job_executions(thingName="t")
    assert _ids(pending["inProgressJobs"]) == ["j2", "j4"]
    assert _ids(pending["queuedJobs"]) == ["j1", "j3", "j5"]
    assert all("startedAt" in s for s in pending["inProgressJobs"])
    assert all("startedAt" not in s for s in pending["queuedJobs"])
    assert set(pending["queuedJobs"][0]) == {"jobId", "queuedAt", "lastUpdatedAt", "versionNumber", "executionNumber"}

    assert jobs_data.describe_job_execution(thingName="t", jobId="$next")["execution"]["jobId"] == "j2"
    # StartNext works down the same order.
    order = []
    for _ in range(5):
        execution = jobs_data.start_next_pending_job_execution(thingName="t")["execution"]
        order.append(execution["jobId"])
        jobs_data.update_job_execution(thingName="t", jobId=execution["jobId"], status="SUCCEEDED")
    assert order == ["j2", "j4", "j1", "j3", "j5"]
    empty = jobs_data.get_pending_job_executions(thingName="t")
    assert (empty["inProgressJobs"], empty["queuedJobs"]) == ([], [])


def test_pending_is_per_thing_and_leaves_out_terminal_executions(iot: Any, jobs_data: Any) -> None:
    arns = _things(iot, "a", "b")
    _job(iot, "both", arns["a"], arns["b"])
    _job(iot, "only-b", arns["b"])
    jobs_data.update_job_execution(thingName="a", jobId="both", status="REJECTED")

    a = jobs_data.get_pending_job_executions(thingName="a")
    assert a["inProgressJobs"] == [] and a["queuedJobs"] == []
    b = jobs_data.get_pending_job_executions(thingName="b")
    assert _ids(b["queuedJobs"]) == ["both", "only-b"]


# --- StartNextPendingJobExecution --------------------------------------------------------------


def test_start_next_starts_a_queued_execution(iot: Any, jobs_data: Any, mock: Any) -> None:
    arn = _things(iot, "t")["t"]
    _job(iot, "j1", arn, document='{"op": "reboot"}')
    queued = jobs_data.describe_job_execution(thingName="t", jobId="j1")["execution"]
    mock.advance_time(seconds=90)

    execution = jobs_data.start_next_pending_job_execution(thingName="t", statusDetails={"phase": "starting"})[
        "execution"
    ]
    assert execution["status"] == "IN_PROGRESS"
    assert execution["versionNumber"] == queued["versionNumber"] + 1 == 2
    assert execution["statusDetails"] == {"phase": "starting"}
    # Over HTTPS the document is re-serialised compactly, as AWS's service writes it.
    assert execution["jobDocument"] == '{"op":"reboot"}'
    assert execution["queuedAt"] == queued["queuedAt"]
    assert 89 <= execution["startedAt"] - queued["queuedAt"] <= 91
    assert execution["lastUpdatedAt"] == execution["startedAt"]
    assert isinstance(execution["startedAt"], int)

    control = _control(iot, "j1", "t")
    assert control["status"] == "IN_PROGRESS"
    assert control["statusDetails"] == {"detailsMap": {"phase": "starting"}}


def test_start_next_without_details_leaves_them_empty(iot: Any, jobs_data: Any) -> None:
    _job(iot, "j1", _things(iot, "t")["t"])
    execution = jobs_data.start_next_pending_job_execution(thingName="t")["execution"]
    assert execution["status"] == "IN_PROGRESS"
    assert "statusDetails" not in execution


def test_start_next_returns_an_in_progress_next_unchanged(iot: Any, jobs_data: Any, mock: Any) -> None:
    arn = _things(iot, "t")["t"]
    _job(iot, "j1", arn)
    _job(iot, "j2", arn)
    first = jobs_data.start_next_pending_job_execution(thingName="t", statusDetails={"k": "v1"})["execution"]
    mock.advance_time(seconds=30)

    again = jobs_data.start_next_pending_job_execution(
        thingName="t", statusDetails={"k": "v2"}, stepTimeoutInMinutes=5
    )["execution"]
    assert again["jobId"] == "j1"
    assert again["statusDetails"] == {"k": "v1"}
    assert again["versionNumber"] == first["versionNumber"] == 2
    assert again["lastUpdatedAt"] == first["lastUpdatedAt"]
    assert again["startedAt"] == first["startedAt"]
    assert "approximateSecondsBeforeTimedOut" not in again
    # j2 was not touched either.
    assert jobs_data.describe_job_execution(thingName="t", jobId="j2")["execution"]["status"] == "QUEUED"


def test_start_next_with_nothing_pending_has_no_execution(iot: Any, jobs_data: Any) -> None:
    arn = _things(iot, "t")["t"]
    answer = jobs_data.start_next_pending_job_execution(thingName="t")
    assert "execution" not in answer
    _job(iot, "j1", arn)
    jobs_data.update_job_execution(thingName="t", jobId="j1", status="FAILED")
    answer = jobs_data.start_next_pending_job_execution(thingName="t", statusDetails={"a": "b"})
    assert "execution" not in answer
    assert _control(iot, "j1", "t")["status"] == "FAILED"


def test_start_next_step_timeout_is_stored(iot: Any, jobs_data: Any, mock: Any) -> None:
    _job(iot, "j1", _things(iot, "t")["t"])
    execution = jobs_data.start_next_pending_job_execution(thingName="t", stepTimeoutInMinutes=10)["execution"]
    assert _about(execution["approximateSecondsBeforeTimedOut"], 600)
    mock.advance_time(minutes=4)
    described = jobs_data.describe_job_execution(thingName="t", jobId="j1")["execution"]
    assert _about(described["approximateSecondsBeforeTimedOut"], 360)


@pytest.mark.parametrize("minutes", [0, -1, 10081])
def test_start_next_refuses_a_step_timeout_out_of_range(iot: Any, jobs_data: Any, minutes: int) -> None:
    _job(iot, "j1", _things(iot, "t")["t"])
    with pytest.raises(ClientError) as refused:
        jobs_data.start_next_pending_job_execution(thingName="t", stepTimeoutInMinutes=minutes)
    assert _error(refused) == ("InvalidRequestException", 400)
    execution = jobs_data.describe_job_execution(thingName="t", jobId="j1")["execution"]
    assert execution["status"] == "QUEUED" and execution["versionNumber"] == 1


# --- DescribeJobExecution ----------------------------------------------------------------------


def test_describe_next_peeks_without_starting(iot: Any, jobs_data: Any) -> None:
    arn = _things(iot, "t")["t"]
    _job(iot, "j1", arn, document='{"n": 1}')
    _job(iot, "j2", arn)

    for _ in range(2):
        peek = jobs_data.describe_job_execution(thingName="t", jobId="$next")["execution"]
        assert peek["jobId"] == "j1"
        assert peek["status"] == "QUEUED"
        assert peek["versionNumber"] == 1
        assert peek["jobDocument"] == '{"n":1}'
        assert "startedAt" not in peek
    assert _control(iot, "j1", "t")["status"] == "QUEUED"
    assert iot.describe_job(jobId="j1")["job"]["jobProcessDetails"]["numberOfQueuedThings"] == 1

    started = jobs_data.start_next_pending_job_execution(thingName="t")["execution"]
    assert started["jobId"] == "j1" and started["status"] == "IN_PROGRESS" and started["versionNumber"] == 2
    peek = jobs_data.describe_job_execution(thingName="t", jobId="$next")["execution"]
    assert (peek["jobId"], peek["status"], peek["versionNumber"]) == ("j1", "IN_PROGRESS", 2)


def test_describe_next_with_nothing_pending(iot: Any, jobs_data: Any) -> None:
    _things(iot, "t")
    answer = jobs_data.describe_job_execution(thingName="t", jobId="$next")
    assert "execution" not in answer


def test_describe_includes_the_document_unless_told_not_to(iot: Any, jobs_data: Any) -> None:
    _job(iot, "j1", _things(iot, "t")["t"], document='{"doc": true}')
    default = jobs_data.describe_job_execution(thingName="t", jobId="j1")["execution"]
    assert default["jobDocument"] == '{"doc":true}'
    explicit = jobs_data.describe_job_execution(thingName="t", jobId="j1", includeJobDocument=True)["execution"]
    assert explicit["jobDocument"] == '{"doc":true}'
    without = jobs_data.describe_job_execution(thingName="t", jobId="j1", includeJobDocument=False)["execution"]
    assert "jobDocument" not in without
    next_without = jobs_data.describe_job_execution(thingName="t", jobId="$next", includeJobDocument=False)["execution"]
    assert "jobDocument" not in next_without
    assert set(without) == {
        "jobId",
        "thingName",
        "status",
        "queuedAt",
        "lastUpdatedAt",
        "versionNumber",
        "executionNumber",
    }


def test_describe_by_execution_number(iot: Any, jobs_data: Any) -> None:
    """A CONTINUOUS job gives a thing that leaves and rejoins the group a second execution."""
    _things(iot, "t")
    group = iot.create_thing_group(thingGroupName="fleet")["thingGroupArn"]
    iot.add_thing_to_thing_group(thingGroupName="fleet", thingName="t")
    iot.create_job(jobId="c", targets=[group], targetSelection="CONTINUOUS", document="{}")
    iot.remove_thing_from_thing_group(thingGroupName="fleet", thingName="t")
    iot.add_thing_to_thing_group(thingGroupName="fleet", thingName="t")

    latest = jobs_data.describe_job_execution(thingName="t", jobId="c")["execution"]
    assert latest["executionNumber"] == 2 and latest["status"] == "QUEUED"
    second = jobs_data.describe_job_execution(thingName="t", jobId="c", executionNumber=2)["execution"]
    assert second["executionNumber"] == 2
    with pytest.raises(ClientError) as removed:
        jobs_data.describe_job_execution(thingName="t", jobId="c", executionNumber=1)
    assert _error(removed) == ("TerminalStateException", 410)
    with pytest.raises(ClientError) as missing:
        jobs_data.describe_job_execution(thingName="t", jobId="c", executionNumber=3)
    assert _error(missing) == ("ResourceNotFoundException", 404)

    # UpdateJobExecution honours executionNumber too.
    with pytest.raises(ClientError) as old:
        jobs_data.update_job_execution(thingName="t", jobId="c", status="IN_PROGRESS", executionNumber=1)
    assert _error(old) == ("InvalidStateTransitionException", 409)
    jobs_data.update_job_execution(thingName="t", jobId="c", status="IN_PROGRESS", executionNumber=2)
    assert jobs_data.describe_job_execution(thingName="t", jobId="c")["execution"]["status"] == "IN_PROGRESS"


def test_describe_unknown_execution_is_not_found(iot: Any, jobs_data: Any) -> None:
    arn = _things(iot, "t", "other")["t"]
    _job(iot, "j1", arn)
    for thing, job_id in (("t", "nope"), ("other", "j1"), ("ghost", "j1")):
        with pytest.raises(ClientError) as missing:
            jobs_data.describe_job_execution(thingName=thing, jobId=job_id)
        assert _error(missing) == ("ResourceNotFoundException", 404)
    with pytest.raises(ClientError) as missing:
        jobs_data.describe_job_execution(thingName="t", jobId="j1", executionNumber=2)
    assert _error(missing) == ("ResourceNotFoundException", 404)


# --- UpdateJobExecution ------------------------------------------------------------------------


def test_update_answers_only_what_was_asked_for(iot: Any, jobs_data: Any) -> None:
    _job(iot, "j1", _things(iot, "t")["t"], document='{"d": 1}')

    def update(**flags: Any) -> Dict[str, Any]:
        answer = jobs_data.update_job_execution(
            thingName="t", jobId="j1", status="IN_PROGRESS", statusDetails={"n": "x"}, **flags
        )
        answer.pop("ResponseMetadata")
        return answer

    assert update() == {}
    assert update(includeJobExecutionState=False, includeJobDocument=False) == {}
    assert update(includeJobExecutionState=True) == {
        "executionState": {"status": "IN_PROGRESS", "statusDetails": {"n": "x"}, "versionNumber": 4}
    }
    assert update(includeJobDocument=True) == {"jobDocument": '{"d":1}'}
    assert update(includeJobExecutionState=True, includeJobDocument=True) == {
        "executionState": {"status": "IN_PROGRESS", "statusDetails": {"n": "x"}, "versionNumber": 6},
        "jobDocument": '{"d":1}',
    }


def test_update_increments_the_version_and_honours_expected_version(iot: Any, jobs_data: Any, mock: Any) -> None:
    _job(iot, "j1", _things(iot, "t")["t"])
    for version in (1, 2, 3):
        mock.advance_time(seconds=10)
        state = jobs_data.update_job_execution(
            thingName="t", jobId="j1", status="IN_PROGRESS", expectedVersion=version, includeJobExecutionState=True
        )["executionState"]
        assert state["versionNumber"] == version + 1
    execution = jobs_data.describe_job_execution(thingName="t", jobId="j1")["execution"]
    assert execution["versionNumber"] == 4
    assert 29 <= execution["lastUpdatedAt"] - execution["queuedAt"] <= 31
    assert 19 <= execution["lastUpdatedAt"] - execution["startedAt"] <= 21


def test_status_details_are_kept_when_omitted_and_replaced_when_given(iot: Any, jobs_data: Any) -> None:
    _job(iot, "j1", _things(iot, "t")["t"])
    jobs_data.start_next_pending_job_execution(thingName="t", statusDetails={"a": "1", "b": "2"})

    def details() -> Dict[str, str]:
        return jobs_data.describe_job_execution(thingName="t", jobId="j1")["execution"].get("statusDetails", {})

    jobs_data.update_job_execution(thingName="t", jobId="j1", status="IN_PROGRESS")
    assert details() == {"a": "1", "b": "2"}
    jobs_data.update_job_execution(thingName="t", jobId="j1", status="IN_PROGRESS", statusDetails={"c": "3"})
    assert details() == {"c": "3"}
    jobs_data.update_job_execution(thingName="t", jobId="j1", status="SUCCEEDED")
    assert _control(iot, "j1", "t")["statusDetails"] == {"detailsMap": {"c": "3"}}


@pytest.mark.parametrize("status", ["SUCCEEDED", "FAILED", "REJECTED", "IN_PROGRESS"])
def test_a_device_may_report_each_allowed_status_from_queued(iot: Any, jobs_data: Any, status: str) -> None:
    _job(iot, "j1", _things(iot, "t")["t"])
    state = jobs_data.update_job_execution(thingName="t", jobId="j1", status=status, includeJobExecutionState=True)[
        "executionState"
    ]
    assert state == {"status": status, "versionNumber": 2}
    control = _control(iot, "j1", "t")
    assert control["status"] == status
    assert ("startedAt" in control) == (status == "IN_PROGRESS")
    counts = iot.describe_job(jobId="j1")["job"]["jobProcessDetails"]
    member = {
        "SUCCEEDED": "numberOfSucceededThings",
        "FAILED": "numberOfFailedThings",
        "REJECTED": "numberOfRejectedThings",
        "IN_PROGRESS": "numberOfInProgressThings",
    }[status]
    assert counts[member] == 1 and counts["numberOfQueuedThings"] == 0


@pytest.mark.parametrize("minutes", [1, 10080])
def test_update_accepts_step_timeouts_in_range(iot: Any, jobs_data: Any, minutes: int) -> None:
    _job(iot, "j1", _things(iot, "t")["t"])
    jobs_data.update_job_execution(thingName="t", jobId="j1", status="IN_PROGRESS", stepTimeoutInMinutes=minutes)
    execution = jobs_data.describe_job_execution(thingName="t", jobId="j1")["execution"]
    assert _about(execution["approximateSecondsBeforeTimedOut"], 60 * minutes)


def test_update_step_timeout_minus_one_cancels_the_step_timer(iot: Any, jobs_data: Any, mock: Any) -> None:
    """CLI reference: "A value of -1 is also valid and will cancel the current step timer"."""
    _job(iot, "j1", _things(iot, "t")["t"])
    jobs_data.start_next_pending_job_execution(thingName="t", stepTimeoutInMinutes=2)
    jobs_data.update_job_execution(thingName="t", jobId="j1", status="IN_PROGRESS", stepTimeoutInMinutes=-1)
    execution = jobs_data.describe_job_execution(thingName="t", jobId="j1")["execution"]
    assert "approximateSecondsBeforeTimedOut" not in execution
    mock.advance_time(minutes=5)
    assert jobs_data.describe_job_execution(thingName="t", jobId="j1")["execution"]["status"] == "IN_PROGRESS"


def test_update_resets_the_step_timer(iot: Any, jobs_data: Any, mock: Any) -> None:
    _job(iot, "j1", _things(iot, "t")["t"])
    jobs_data.start_next_pending_job_execution(thingName="t", stepTimeoutInMinutes=2)
    mock.advance_time(minutes=1)
    jobs_data.update_job_execution(thingName="t", jobId="j1", status="IN_PROGRESS", stepTimeoutInMinutes=5)
    execution = jobs_data.describe_job_execution(thingName="t", jobId="j1")["execution"]
    assert _about(execution["approximateSecondsBeforeTimedOut"], 300)
