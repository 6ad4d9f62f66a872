"""ListJobs, ListJobExecutionsForJob and ListJobExecutionsForThing (issue 3).

Every filter in the model, a stable order, maxResults bounds, nextToken
pages that see everything exactly once (by hand and with botocore's
paginators), and forged tokens refused with InvalidRequestException.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any, Callable, Dict, List

import pytest
from botocore.exceptions import ClientError
from jobs_support import (  # noqa: F401  (fixtures are used by name)
    ACCOUNT,
    CREDS,
    NO_RETRY,
    REGION,
    UNVALIDATED,
    data,
    group_arn,
    iot,
    mock,
    raw_iot,
    thing_arn,
    things,
)

from mock_iotjobs import MockIotJobs

DOC = json.dumps({"operation": "list"})
STATUSES = ["QUEUED", "IN_PROGRESS", "SUCCEEDED", "FAILED", "TIMED_OUT", "REJECTED", "REMOVED", "CANCELED"]


def error(excinfo: pytest.ExceptionInfo) -> Dict[str, Any]:
    response = excinfo.value.response
    return {"code": response["Error"]["Code"], "status": response["ResponseMetadata"]["HTTPStatusCode"]}


def job_ids(answer: Dict[str, Any]) -> List[str]:
    return [j["jobId"] for j in answer["jobs"]]


def exec_things(answer: Dict[str, Any]) -> List[str]:
    return [s["thingArn"].rsplit("/", 1)[1] for s in answer["executionSummaries"]]


def exec_jobs(answer: Dict[str, Any]) -> List[str]:
    return [s["jobId"] for s in answer["executionSummaries"]]


def page_by_hand(call: Callable[..., Dict[str, Any]], key: str, size: int, **kwargs: Any) -> List[List[Any]]:
    pages: List[List[Any]] = []
    token = None
    while True:
        extra = {"nextToken": token} if token else {}
        answer = call(maxResults=size, **kwargs, **extra)
        assert len(answer[key]) <= size
        pages.append(answer[key])
        token = answer.get("nextToken")
        if not token:
            return pages
        assert len(pages) < 100, "pagination does not terminate"


def test_list_jobs_filters(iot: Any, data: Any, mock: MockIotJobs) -> None:
    things(iot, "t")
    iot.create_thing_group(thingGroupName="g")
    iot.create_thing_group(thingGroupName="child", parentGroupName="g")
    iot.create_thing_group(thingGroupName="h")
    iot.add_thing_to_thing_group(thingGroupName="child", thingName="t")
    iot.create_job(jobId="snap-g", targets=[group_arn("g")], document=DOC)
    iot.create_job(jobId="cont-g", targets=[group_arn("g")], document=DOC, targetSelection="CONTINUOUS")
    iot.create_job(jobId="cont-child", targets=[group_arn("child")], document=DOC, targetSelection="CONTINUOUS")
    iot.create_job(jobId="thing-only", targets=[thing_arn("t")], document=DOC, namespaceId="ns1")
    iot.create_job(jobId="canceled", targets=[thing_arn("t")], document=DOC, namespaceId="ns1")
    iot.cancel_job(jobId="canceled")
    iot.create_job(jobId="completed", targets=[group_arn("h")], document=DOC)  # empty group: nothing to run
    iot.create_job(jobId="assoc", targets=[group_arn("h")], document=DOC, targetSelection="CONTINUOUS")
    iot.associate_targets_with_job(jobId="assoc", targets=[group_arn("g")])
    later = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    iot.create_job(jobId="scheduled", targets=[thing_arn("t")], document=DOC, schedulingConfig={"startTime": later})

    everything = job_ids(iot.list_jobs())
    assert sorted(everything) == sorted(
        ["snap-g", "cont-g", "cont-child", "thing-only", "canceled", "completed", "assoc", "scheduled"]
    )
    assert sorted(job_ids(iot.list_jobs(status="IN_PROGRESS"))) == [
        "assoc", "cont-child", "cont-g", "snap-g", "thing-only",
    ]  # fmt: skip
    assert job_ids(iot.list_jobs(status="CANCELED")) == ["canceled"]
    assert job_ids(iot.list_jobs(status="COMPLETED")) == ["completed"]
    assert job_ids(iot.list_jobs(status="SCHEDULED")) == ["scheduled"]
    assert job_ids(iot.list_jobs(status="DELETION_IN_PROGRESS")) == []
    assert sorted(job_ids(iot.list_jobs(targetSelection="CONTINUOUS"))) == ["assoc", "cont-child", "cont-g"]
    assert sorted(job_ids(iot.list_jobs(targetSelection="SNAPSHOT"))) == [
        "canceled", "completed", "scheduled", "snap-g", "thing-only",
    ]  # fmt: skip
    assert sorted(job_ids(iot.list_jobs(thingGroupName="g"))) == ["assoc", "cont-g", "snap-g"]
    assert job_ids(iot.list_jobs(thingGroupName="child")) == ["cont-child"]
    assert job_ids(iot.list_jobs(thingGroupName="no-such-group")) == []
    group_id = iot.describe_thing_group(thingGroupName="g")["thingGroupId"]
    assert sorted(job_ids(iot.list_jobs(thingGroupId=group_id))) == ["assoc", "cont-g", "snap-g"]
    child_id = iot.describe_thing_group(thingGroupName="child")["thingGroupId"]
    assert job_ids(iot.list_jobs(thingGroupId=child_id)) == ["cont-child"]
    assert sorted(job_ids(iot.list_jobs(namespaceId="ns1"))) == ["canceled", "thing-only"]
    assert job_ids(iot.list_jobs(namespaceId="other")) == []
    # Filters combine.
    assert job_ids(iot.list_jobs(thingGroupName="g", targetSelection="SNAPSHOT")) == ["snap-g"]
    assert job_ids(iot.list_jobs(namespaceId="ns1", status="CANCELED")) == ["canceled"]
    assert job_ids(iot.list_jobs(thingGroupName="g", status="CANCELED")) == []
    # Filtered lists keep the unfiltered order.
    for kwargs in ({"status": "IN_PROGRESS"}, {"targetSelection": "SNAPSHOT"}, {"thingGroupName": "g"}):
        filtered = job_ids(iot.list_jobs(**kwargs))
        assert filtered == [j for j in everything if j in filtered]


def test_list_jobs_summaries(iot: Any) -> None:
    things(iot, "t")
    iot.create_thing_group(thingGroupName="g")
    iot.create_job(jobId="g-job", targets=[group_arn("g")], document=DOC, targetSelection="CONTINUOUS")
    iot.create_job(jobId="t-job", targets=[thing_arn("t")], document=DOC)
    summaries = {j["jobId"]: j for j in iot.list_jobs()["jobs"]}
    for job_id, summary in summaries.items():
        described = iot.describe_job(jobId=job_id)["job"]
        for member in ("jobArn", "targetSelection", "status", "createdAt", "lastUpdatedAt"):
            assert summary[member] == described[member], member
    assert summaries["g-job"]["thingGroupId"] == iot.describe_thing_group(thingGroupName="g")["thingGroupId"]
    assert "thingGroupId" not in summaries["t-job"]


def _make_jobs(iot: Any, count: int) -> List[str]:
    things(iot, "t")
    ids = [f"job-{i:02d}" for i in range(count)]
    for job_id in ids:
        iot.create_job(jobId=job_id, targets=[thing_arn("t")], document=DOC)
    return ids


def test_list_jobs_pages_through_everything_once(iot: Any) -> None:
    ids = _make_jobs(iot, 7)
    everything = job_ids(iot.list_jobs())
    assert sorted(everything) == ids
    assert job_ids(iot.list_jobs()) == everything  # stable order
    assert "nextToken" not in iot.list_jobs()
    for size in (1, 2, 3, 6, 7, 250):
        pages = page_by_hand(iot.list_jobs, "jobs", size)
        flat = [j["jobId"] for page in pages for j in page]
        assert flat == everything, size
        assert len(pages) == max(1, -(-len(ids) // size))
    paginator = iot.get_paginator("list_jobs")
    pages = list(paginator.paginate(PaginationConfig={"PageSize": 3}))
    assert [len(p["jobs"]) for p in pages] == [3, 3, 1]
    assert [j["jobId"] for p in pages for j in p["jobs"]] == everything
    full = paginator.paginate(PaginationConfig={"PageSize": 2}).build_full_result()
    assert job_ids(full) == everything
    limited = paginator.paginate(PaginationConfig={"PageSize": 2, "MaxItems": 3}).build_full_result()
    assert job_ids(limited) == everything[:3]
    resumed = paginator.paginate(PaginationConfig={"PageSize": 2, "StartingToken": limited["NextToken"]})
    assert job_ids(resumed.build_full_result()) == everything[3:]
    # Filters page too.
    filtered = page_by_hand(iot.list_jobs, "jobs", 2, status="IN_PROGRESS")
    assert [j["jobId"] for page in filtered for j in page] == everything


def test_list_jobs_pages_stay_put_when_jobs_come_and_go(iot: Any, mock: MockIotJobs) -> None:
    ids = _make_jobs(iot, 6)
    first = iot.list_jobs(maxResults=3)
    seen = job_ids(first)
    iot.delete_job(jobId=seen[0], force=True)
    unseen = [j for j in ids if j not in seen]
    iot.delete_job(jobId=unseen[-1], force=True)
    mock.advance_time(seconds=1)  # DELETION_IN_PROGRESS ends
    iot.create_job(jobId="newcomer", targets=[thing_arn("t")], document=DOC)
    rest: List[str] = []
    token = first["nextToken"]
    while token:
        answer = iot.list_jobs(maxResults=3, nextToken=token)
        rest += job_ids(answer)
        token = answer.get("nextToken")
    assert not set(rest) & set(seen)
    assert set(unseen[:-1]) <= set(rest)
    assert unseen[-1] not in rest
    assert len(rest) == len(set(rest))


@pytest.mark.parametrize("size", [0, -1, 251, 1000])
def test_max_results_bounds(raw_iot: Any, iot: Any, size: int) -> None:
    things(iot, "t")
    iot.create_job(jobId="j", targets=[thing_arn("t")], document=DOC)
    calls = [
        lambda: raw_iot.list_jobs(maxResults=size),
        lambda: raw_iot.list_job_executions_for_job(jobId="j", maxResults=size),
        lambda: raw_iot.list_job_executions_for_thing(thingName="t", maxResults=size),
    ]
    for call in calls:
        with pytest.raises(ClientError) as excinfo:
            call()
        assert error(excinfo) == {"code": "InvalidRequestException", "status": 400}


def _forgeries(valid: str) -> List[str]:
    """Tokens a client might make up or tamper with, none of them equivalent to ``valid``."""
    middle = len(valid) // 2
    flipped = valid[:middle] + ("A" if valid[middle] != "A" else "B") + valid[middle + 1 :]
    forged = [
        "garbage",
        "eyJmb28iOiAiYmFyIn0",  # base64 of a JSON object
        base64.urlsafe_b64encode(json.dumps(['["ListJobs",0]', "0" * 16]).encode()).decode(),
        flipped,
        valid[:-2],
        valid + "AA",
    ]
    try:  # the same token with its position moved on, keeping the signature
        payload, signature = json.loads(base64.urlsafe_b64decode(valid + "=" * (-len(valid) % 4)))
        scope, position = json.loads(payload)
        moved = json.dumps([json.dumps([scope, position + 1]), signature])
        forged.append(base64.urlsafe_b64encode(moved.encode()).decode().rstrip("="))
    except (ValueError, TypeError):
        pass  # another token format: the generic forgeries still apply
    return forged


def test_forged_tokens_are_refused(raw_iot: Any, iot: Any) -> None:
    _make_jobs(iot, 3)
    valid = iot.list_jobs(maxResults=1)["nextToken"]
    for forged in _forgeries(valid):
        with pytest.raises(ClientError) as excinfo:
            raw_iot.list_jobs(maxResults=1, nextToken=forged)
        assert error(excinfo) == {"code": "InvalidRequestException", "status": 400}, forged
    # A token from one listing is not valid for another.
    with pytest.raises(ClientError) as other:
        iot.list_job_executions_for_thing(thingName="t", nextToken=valid)
    assert error(other)["code"] == "InvalidRequestException"


# --- ListJobExecutionsForJob -----------------------------------------------------------
def _one_execution_per_status(iot: Any, data: Any, mock: MockIotJobs) -> None:
    """Job "j" with one thing in each execution status (thing name = status)."""
    names = [s.lower().replace("_", "-") for s in STATUSES]
    things(iot, *names)
    iot.create_thing_group(thingGroupName="g")
    for name in names:
        iot.add_thing_to_thing_group(thingGroupName="g", thingName=name)
    iot.create_job(
        jobId="j",
        targets=[group_arn("g")],
        document=DOC,
        targetSelection="CONTINUOUS",
        timeoutConfig={"inProgressTimeoutInMinutes": 1},
    )
    data.start_next_pending_job_execution(thingName="timed-out")
    mock.advance_time(minutes=2)
    for name, final in (("succeeded", "SUCCEEDED"), ("failed", "FAILED")):
        data.start_next_pending_job_execution(thingName=name)
        data.update_job_execution(jobId="j", thingName=name, status=final)
    data.start_next_pending_job_execution(thingName="in-progress")
    data.update_job_execution(jobId="j", thingName="rejected", status="REJECTED")
    iot.remove_thing_from_thing_group(thingGroupName="g", thingName="removed")
    iot.cancel_job_execution(jobId="j", thingName="canceled")


def test_list_job_executions_for_job_filters_by_every_status(iot: Any, data: Any, mock: MockIotJobs) -> None:
    _one_execution_per_status(iot, data, mock)
    everything = iot.list_job_executions_for_job(jobId="j")
    assert len(everything["executionSummaries"]) == len(STATUSES)
    for status in STATUSES:
        answer = iot.list_job_executions_for_job(jobId="j", status=status)
        assert exec_things(answer) == [status.lower().replace("_", "-")], status
        summary = answer["executionSummaries"][0]["jobExecutionSummary"]
        assert summary["status"] == status
        assert summary["executionNumber"] == 1
    details = iot.describe_job(jobId="j")["job"]["jobProcessDetails"]
    assert all(value == 1 for key, value in details.items() if key.startswith("numberOf")), details


def test_list_job_executions_for_job_pages(iot: Any, data: Any, mock: MockIotJobs) -> None:
    _one_execution_per_status(iot, data, mock)
    everything = exec_things(iot.list_job_executions_for_job(jobId="j"))
    assert exec_things(iot.list_job_executions_for_job(jobId="j")) == everything
    for size in (1, 3, 8):
        pages = page_by_hand(iot.list_job_executions_for_job, "executionSummaries", size, jobId="j")
        flat = [s["thingArn"].rsplit("/", 1)[1] for page in pages for s in page]
        assert flat == everything, size
    paginator = iot.get_paginator("list_job_executions_for_job")
    pages = list(paginator.paginate(jobId="j", PaginationConfig={"PageSize": 3}))
    assert [len(p["executionSummaries"]) for p in pages] == [3, 3, 2]
    assert exec_things(paginator.paginate(jobId="j", PaginationConfig={"PageSize": 5}).build_full_result()) == (
        everything
    )


def test_list_job_executions_for_job_tokens(raw_iot: Any, iot: Any) -> None:
    things(iot, "a", "b", "c")
    for job_id in ("j", "k"):
        iot.create_job(jobId=job_id, targets=[thing_arn(n) for n in "abc"], document=DOC)
    valid = iot.list_job_executions_for_job(jobId="j", maxResults=1)["nextToken"]
    for forged in _forgeries(valid):
        with pytest.raises(ClientError) as excinfo:
            raw_iot.list_job_executions_for_job(jobId="j", maxResults=1, nextToken=forged)
        assert error(excinfo)["code"] == "InvalidRequestException", forged
    with pytest.raises(ClientError) as other_job:
        iot.list_job_executions_for_job(jobId="k", maxResults=1, nextToken=valid)
    assert error(other_job)["code"] == "InvalidRequestException"
    with pytest.raises(ClientError) as missing:
        iot.list_job_executions_for_job(jobId="nope")
    assert error(missing)["code"] == "ResourceNotFoundException"


# --- ListJobExecutionsForThing -------------------------------------------------------------
def test_list_job_executions_for_thing_filters(iot: Any, data: Any) -> None:
    things(iot, "t", "other")
    for job_id, namespace in (("a", None), ("b", "ns1"), ("c", "ns1"), ("d", None)):
        extra = {"namespaceId": namespace} if namespace else {}
        iot.create_job(jobId=job_id, targets=[thing_arn("t"), thing_arn("other")], document=DOC, **extra)
    data.start_next_pending_job_execution(thingName="t")  # a
    data.update_job_execution(jobId="a", thingName="t", status="SUCCEEDED")
    data.start_next_pending_job_execution(thingName="t")  # b
    iot.cancel_job_execution(jobId="c", thingName="t")
    everything = exec_jobs(iot.list_job_executions_for_thing(thingName="t"))
    assert sorted(everything) == ["a", "b", "c", "d"]
    assert exec_jobs(iot.list_job_executions_for_thing(thingName="t")) == everything
    expected = {"SUCCEEDED": ["a"], "IN_PROGRESS": ["b"], "CANCELED": ["c"], "QUEUED": ["d"]}
    for status in STATUSES:
        answer = iot.list_job_executions_for_thing(thingName="t", status=status)
        assert exec_jobs(answer) == expected.get(status, []), status
        for summary in answer["executionSummaries"]:
            assert summary["jobExecutionSummary"]["status"] == status
    assert exec_jobs(iot.list_job_executions_for_thing(thingName="t", jobId="c")) == ["c"]
    assert exec_jobs(iot.list_job_executions_for_thing(thingName="t", jobId="nope")) == []
    assert sorted(exec_jobs(iot.list_job_executions_for_thing(thingName="t", namespaceId="ns1"))) == ["b", "c"]
    assert exec_jobs(iot.list_job_executions_for_thing(thingName="t", namespaceId="ns1", status="QUEUED")) == []
    assert exec_jobs(iot.list_job_executions_for_thing(thingName="other", status="QUEUED")) == everything
    assert iot.list_job_executions_for_thing(thingName="nobody")["executionSummaries"] == []


def test_list_job_executions_for_thing_pages(raw_iot: Any, iot: Any) -> None:
    things(iot, "t", "u")
    ids = [f"job-{i}" for i in range(7)]
    for job_id in ids:
        iot.create_job(jobId=job_id, targets=[thing_arn("t"), thing_arn("u")], document=DOC)
    everything = exec_jobs(iot.list_job_executions_for_thing(thingName="t"))
    assert sorted(everything) == ids
    for size in (1, 2, 7):
        pages = page_by_hand(iot.list_job_executions_for_thing, "executionSummaries", size, thingName="t")
        assert [s["jobId"] for page in pages for s in page] == everything
    paginator = iot.get_paginator("list_job_executions_for_thing")
    pages = list(paginator.paginate(thingName="t", PaginationConfig={"PageSize": 3}))
    assert [len(p["executionSummaries"]) for p in pages] == [3, 3, 1]
    assert [s["jobId"] for p in pages for s in p["executionSummaries"]] == everything
    valid = iot.list_job_executions_for_thing(thingName="t", maxResults=2)["nextToken"]
    for forged in _forgeries(valid):
        with pytest.raises(ClientError) as excinfo:
            raw_iot.list_job_executions_for_thing(thingName="t", maxResults=2, nextToken=forged)
        assert error(excinfo)["code"] == "InvalidRequestException", forged
    with pytest.raises(ClientError) as other_thing:
        iot.list_job_executions_for_thing(thingName="u", maxResults=2, nextToken=valid)
    assert error(other_thing)["code"] == "InvalidRequestException"


def test_list_job_executions_for_thing_order_survives_retries(iot: Any, data: Any) -> None:
    """A retry (a new execution of the same job) neither reorders the list nor repeats
    the job on a later page."""
    things(iot, "t")
    retry = {"criteriaList": [{"failureType": "FAILED", "numberOfRetries": 1}]}
    for job_id in ("a", "b", "c"):
        iot.create_job(jobId=job_id, targets=[thing_arn("t")], document=DOC, jobExecutionsRetryConfig=retry)
    everything = exec_jobs(iot.list_job_executions_for_thing(thingName="t"))
    first = iot.list_job_executions_for_thing(thingName="t", maxResults=1)
    assert exec_jobs(first) == everything[:1]
    data.start_next_pending_job_execution(thingName="t")
    data.update_job_execution(jobId=everything[0], thingName="t", status="FAILED")  # retried: execution 2
    rest: List[str] = []
    token = first["nextToken"]
    while token:
        answer = iot.list_job_executions_for_thing(thingName="t", maxResults=1, nextToken=token)
        rest += exec_jobs(answer)
        token = answer.get("nextToken")
    assert rest == everything[1:]
    assert exec_jobs(iot.list_job_executions_for_thing(thingName="t")) == everything
    latest = iot.list_job_executions_for_thing(thingName="t")["executionSummaries"][0]["jobExecutionSummary"]
    assert latest["executionNumber"] == 2
