"""SNAPSHOT vs CONTINUOUS group membership and AssociateTargetsWithJob (issue 3).

SNAPSHOT takes the group's membership when the job is created; CONTINUOUS
queues an execution for a thing that joins a target group later and removes
the QUEUED execution of a thing that leaves.  AssociateTargetsWithJob works
only on CONTINUOUS jobs that are IN_PROGRESS, up to 100 targets in all.
"""

from __future__ import annotations

import collections
import datetime as dt
import json
from typing import Any, Dict, List

import pytest
from botocore.exceptions import ClientError
from jobs_support import (  # noqa: F401  (fixtures are used by name)
    ACCOUNT,
    COUNT_MEMBERS,
    CREDS,
    NO_RETRY,
    REGION,
    data,
    error,
    group,
    group_arn,
    iot,
    mock,
    thing_arn,
    thing_views,
    things,
)

from mock_iotjobs import MockIotJobs

DOC = json.dumps({"operation": "onboard"})


def statuses(iot: Any, job_id: str) -> Dict[str, str]:
    """Thing name → status of its latest execution of the job."""
    summaries = iot.list_job_executions_for_job(jobId=job_id)["executionSummaries"]
    return {s["thingArn"].rsplit("/", 1)[1]: s["jobExecutionSummary"]["status"] for s in summaries}


def assert_counts_match(iot: Any, job_id: str) -> None:
    """Measured (issue 13): jobProcessDetails counts every execution of the job, a
    re-joined thing's earlier ones included; an attempt that was retried gives way
    to its retry."""
    details = iot.describe_job(jobId=job_id)["job"]["jobProcessDetails"]
    tally: collections.Counter = collections.Counter()
    for thing in statuses(iot, job_id):
        runs = iot.list_job_executions_for_thing(thingName=thing, jobId=job_id)["executionSummaries"]
        runs = sorted((r["jobExecutionSummary"] for r in runs), key=lambda r: r["executionNumber"])
        for run, after in zip(runs, runs[1:] + [None]):
            if after is None or not after.get("retryAttempt"):
                tally[run["status"]] += 1
    for status, member in COUNT_MEMBERS.items():
        assert details.get(member, 0) == tally.get(status, 0), (status, details, tally)


def queued_jobs(data: Any, thing: str) -> List[str]:
    return [q["jobId"] for q in data.get_pending_job_executions(thingName=thing)["queuedJobs"]]


def world(iot: Any, data: Any, thing_names: List[str]) -> Dict[str, Any]:
    jobs = iot.list_jobs()["jobs"]
    state: Dict[str, Any] = {"jobs": jobs}
    for summary in jobs:
        state[summary["jobId"]] = iot.describe_job(jobId=summary["jobId"])["job"]
        state[summary["jobId"] + "/executions"] = iot.list_job_executions_for_job(jobId=summary["jobId"])
        state[summary["jobId"] + "/executions"].pop("ResponseMetadata")
    state.update(thing_views(iot, data, thing_names))
    return state


# --- SNAPSHOT ----------------------------------------------------------------------
def test_snapshot_takes_membership_at_creation(iot: Any, data: Any) -> None:
    things(iot, "early", "late", "leaver")
    group(iot, "g", "early", "leaver")
    group(iot, "child", parent="g")
    iot.create_job(jobId="j", targets=[group_arn("g")], document=DOC)
    iot.add_thing_to_thing_group(thingGroupName="g", thingName="late")
    iot.add_thing_to_thing_group(thingGroupName="child", thingName="late")
    iot.remove_thing_from_thing_group(thingGroupName="g", thingName="leaver")
    assert statuses(iot, "j") == {"early": "QUEUED", "leaver": "QUEUED"}
    assert queued_jobs(data, "late") == []
    assert queued_jobs(data, "leaver") == ["j"]
    assert iot.list_job_executions_for_thing(thingName="late")["executionSummaries"] == []
    assert_counts_match(iot, "j")


# --- CONTINUOUS follows membership ---------------------------------------------------
def test_continuous_queues_an_execution_for_a_thing_added_later(iot: Any, data: Any, mock: MockIotJobs) -> None:
    things(iot, "first", "second", "deep")
    group(iot, "g", "first")
    group(iot, "child", parent="g")
    iot.create_job(jobId="j", targets=[group_arn("g")], document=DOC, targetSelection="CONTINUOUS")
    data.start_next_pending_job_execution(thingName="first")
    data.update_job_execution(jobId="j", thingName="first", status="SUCCEEDED")
    before = mock.advance_time(seconds=60)
    iot.add_thing_to_thing_group(thingGroupName="g", thingName="second")
    iot.add_thing_to_thing_group(thingGroupName="child", thingName="deep")
    assert statuses(iot, "j") == {"first": "SUCCEEDED", "second": "QUEUED", "deep": "QUEUED"}
    fresh = iot.describe_job_execution(jobId="j", thingName="second")["execution"]
    assert (fresh["executionNumber"], fresh["versionNumber"]) == (1, 1)
    assert fresh["queuedAt"].timestamp() >= before - 0.002
    assert queued_jobs(data, "second") == ["j"]
    assert queued_jobs(data, "deep") == ["j"]
    described = iot.describe_job(jobId="j")["job"]
    assert described["status"] == "IN_PROGRESS"
    assert described["jobProcessDetails"]["numberOfQueuedThings"] == 2
    assert_counts_match(iot, "j")


def test_continuous_follows_update_thing_groups_for_thing(iot: Any, data: Any) -> None:
    things(iot, "t")
    group(iot, "g")
    group(iot, "h")
    iot.create_job(jobId="j", targets=[group_arn("g")], document=DOC, targetSelection="CONTINUOUS")
    iot.update_thing_groups_for_thing(thingName="t", thingGroupsToAdd=["g"])
    assert statuses(iot, "j") == {"t": "QUEUED"}
    iot.update_thing_groups_for_thing(thingName="t", thingGroupsToAdd=["h"], thingGroupsToRemove=["g"])
    assert statuses(iot, "j") == {"t": "REMOVED"}
    assert queued_jobs(data, "t") == []
    assert_counts_match(iot, "j")


def test_continuous_removes_the_queued_execution_of_a_thing_that_leaves(iot: Any, data: Any) -> None:
    things(iot, "stay", "leave", "deep")
    group(iot, "g", "stay", "leave")
    group(iot, "child", "deep", parent="g")
    iot.create_job(jobId="j", targets=[group_arn("g")], document=DOC, targetSelection="CONTINUOUS")
    iot.remove_thing_from_thing_group(thingGroupName="g", thingName="leave")
    iot.remove_thing_from_thing_group(thingGroupName="child", thingName="deep")
    assert statuses(iot, "j") == {"stay": "QUEUED", "leave": "REMOVED", "deep": "REMOVED"}
    removed = iot.describe_job_execution(jobId="j", thingName="leave")["execution"]
    assert removed["versionNumber"] == 1  # measured: REMOVED keeps the QUEUED version
    assert queued_jobs(data, "leave") == []
    described = iot.describe_job(jobId="j")["job"]
    assert described["jobProcessDetails"]["numberOfRemovedThings"] == 2
    assert described["status"] == "IN_PROGRESS"
    assert_counts_match(iot, "j")


def test_leaving_does_not_touch_started_or_finished_executions(iot: Any, data: Any) -> None:
    things(iot, "running", "done")
    group(iot, "g", "running", "done")
    iot.create_job(jobId="j", targets=[group_arn("g")], document=DOC, targetSelection="CONTINUOUS")
    data.start_next_pending_job_execution(thingName="running")
    data.start_next_pending_job_execution(thingName="done")
    data.update_job_execution(jobId="j", thingName="done", status="SUCCEEDED")
    for name in ("running", "done"):
        iot.remove_thing_from_thing_group(thingGroupName="g", thingName=name)
    assert statuses(iot, "j") == {"running": "IN_PROGRESS", "done": "SUCCEEDED"}
    assert_counts_match(iot, "j")


def test_thing_still_reached_another_way_keeps_its_execution(iot: Any, data: Any) -> None:
    things(iot, "both", "direct")
    group(iot, "g1", "both", "direct")
    group(iot, "g2", "both")
    iot.create_job(
        jobId="j",
        targets=[group_arn("g1"), group_arn("g2"), thing_arn("direct")],
        document=DOC,
        targetSelection="CONTINUOUS",
    )
    iot.remove_thing_from_thing_group(thingGroupName="g1", thingName="both")
    iot.remove_thing_from_thing_group(thingGroupName="g1", thingName="direct")
    assert statuses(iot, "j") == {"both": "QUEUED", "direct": "QUEUED"}
    # Joining a second target group does not queue a second execution.
    iot.add_thing_to_thing_group(thingGroupName="g1", thingName="both")
    assert len(iot.list_job_executions_for_thing(thingName="both")["executionSummaries"]) == 1
    assert queued_jobs(data, "both") == ["j"]
    assert_counts_match(iot, "j")


def test_thing_that_rejoins_gets_the_next_execution_number(iot: Any, data: Any) -> None:
    things(iot, "t")
    group(iot, "g", "t")
    iot.create_job(jobId="j", targets=[group_arn("g")], document=DOC, targetSelection="CONTINUOUS")
    iot.remove_thing_from_thing_group(thingGroupName="g", thingName="t")
    iot.add_thing_to_thing_group(thingGroupName="g", thingName="t")
    latest = iot.describe_job_execution(jobId="j", thingName="t")["execution"]
    assert (latest["status"], latest["executionNumber"], latest["versionNumber"]) == ("QUEUED", 2, 1)
    first = iot.describe_job_execution(jobId="j", thingName="t", executionNumber=1)["execution"]
    assert first["status"] == "REMOVED"
    assert queued_jobs(data, "t") == ["j"]
    assert_counts_match(iot, "j")


def test_deleting_a_target_group_removes_its_members_queued_executions(iot: Any, data: Any) -> None:
    things(iot, "a", "b")
    group(iot, "g", "a", "b")
    iot.create_job(jobId="j", targets=[group_arn("g")], document=DOC, targetSelection="CONTINUOUS")
    data.start_next_pending_job_execution(thingName="a")
    iot.delete_thing_group(thingGroupName="g")
    assert statuses(iot, "j") == {"a": "IN_PROGRESS", "b": "REMOVED"}
    assert_counts_match(iot, "j")


def test_canceled_continuous_job_no_longer_follows_membership(iot: Any, data: Any) -> None:
    things(iot, "old", "new")
    group(iot, "g", "old")
    iot.create_job(jobId="j", targets=[group_arn("g")], document=DOC, targetSelection="CONTINUOUS")
    iot.cancel_job(jobId="j")
    iot.add_thing_to_thing_group(thingGroupName="g", thingName="new")
    iot.remove_thing_from_thing_group(thingGroupName="g", thingName="old")
    assert statuses(iot, "j") == {"old": "CANCELED"}
    assert queued_jobs(data, "new") == []
    assert_counts_match(iot, "j")


def test_groups_that_are_not_targets_do_not_matter(iot: Any, data: Any) -> None:
    things(iot, "t")
    group(iot, "target")
    group(iot, "parent")
    iot.create_job(jobId="j", targets=[group_arn("target")], document=DOC, targetSelection="CONTINUOUS")
    iot.add_thing_to_thing_group(thingGroupName="parent", thingName="t")
    assert statuses(iot, "j") == {}
    assert queued_jobs(data, "t") == []


# --- AssociateTargetsWithJob ----------------------------------------------------------------
def test_associate_targets_with_continuous_job(iot: Any, data: Any) -> None:
    things(iot, "a", "b", "c", "solo")
    group(iot, "g1", "a")
    group(iot, "g2", "a", "b")
    group(iot, "g2child", "c", parent="g2")
    iot.create_job(jobId="j", targets=[group_arn("g1")], document=DOC, targetSelection="CONTINUOUS", description="d")
    answer = iot.associate_targets_with_job(
        jobId="j", targets=[group_arn("g2"), thing_arn("solo")], comment="add the second fleet"
    )
    assert (answer["jobId"], answer["description"]) == ("j", "d")
    assert answer["jobArn"] == f"arn:aws:iot:{REGION}:{ACCOUNT}:job/j"
    described = iot.describe_job(jobId="j")["job"]
    assert described["targets"] == [group_arn("g1"), group_arn("g2"), thing_arn("solo")]
    assert described["comment"] == "add the second fleet"
    assert statuses(iot, "j") == {"a": "QUEUED", "b": "QUEUED", "c": "QUEUED", "solo": "QUEUED"}
    assert len(iot.list_job_executions_for_thing(thingName="a")["executionSummaries"]) == 1
    for name in ("b", "c", "solo"):
        assert queued_jobs(data, name) == ["j"]
    assert_counts_match(iot, "j")
    # The new group is followed from now on.
    things(iot, "later")
    iot.add_thing_to_thing_group(thingGroupName="g2child", thingName="later")
    assert statuses(iot, "j")["later"] == "QUEUED"
    assert [j["jobId"] for j in iot.list_jobs(thingGroupName="g2")["jobs"]] == ["j"]


def test_associate_targets_refused_for_snapshot_job(iot: Any, data: Any) -> None:
    things(iot, "a", "b")
    group(iot, "g", "b")
    iot.create_job(jobId="j", targets=[thing_arn("a")], document=DOC)
    before = world(iot, data, ["a", "b"])
    with pytest.raises(ClientError) as excinfo:
        iot.associate_targets_with_job(jobId="j", targets=[group_arn("g")])
    assert error(excinfo)["code"] == "InvalidRequestException"
    assert error(excinfo)["status"] == 400
    assert world(iot, data, ["a", "b"]) == before


def test_associate_targets_refused_for_canceled_continuous_job(iot: Any, data: Any) -> None:
    things(iot, "a", "b")
    group(iot, "g", "b")
    iot.create_job(jobId="j", targets=[thing_arn("a")], document=DOC, targetSelection="CONTINUOUS")
    iot.cancel_job(jobId="j")
    before = world(iot, data, ["a", "b"])
    with pytest.raises(ClientError) as excinfo:
        iot.associate_targets_with_job(jobId="j", targets=[group_arn("g")])
    assert 400 <= error(excinfo)["status"] < 500
    assert error(excinfo)["code"] == "InvalidRequestException"
    assert world(iot, data, ["a", "b"]) == before


def test_associate_targets_with_missing_job(iot: Any) -> None:
    group(iot, "g")
    with pytest.raises(ClientError) as excinfo:
        iot.associate_targets_with_job(jobId="nope", targets=[group_arn("g")])
    assert error(excinfo)["code"] == "ResourceNotFoundException"


def test_associate_bad_target_is_refused_naming_it_and_changes_nothing(iot: Any, data: Any) -> None:
    things(iot, "a", "b")
    group(iot, "g", "b")
    iot.create_job(jobId="j", targets=[thing_arn("a")], document=DOC, targetSelection="CONTINUOUS")
    before = world(iot, data, ["a", "b"])
    for bad in (group_arn("ghost"), thing_arn("ghost"), f"arn:aws:iot:eu-west-1:{ACCOUNT}:thinggroup/g"):
        with pytest.raises(ClientError) as excinfo:
            iot.associate_targets_with_job(jobId="j", targets=[group_arn("g"), bad])
        assert 400 <= error(excinfo)["status"] < 500
        assert ("ghost" if "ghost" in bad else bad) in error(excinfo)["message"]
        assert world(iot, data, ["a", "b"]) == before


def test_at_most_100_targets_in_all(iot: Any, data: Any) -> None:
    names = [f"g{i:03d}" for i in range(101)]
    for name in names:
        iot.create_thing_group(thingGroupName=name)
    things(iot, "member")
    iot.add_thing_to_thing_group(thingGroupName="g100", thingName="member")
    iot.create_job(jobId="j", targets=[group_arn(names[0])], document=DOC, targetSelection="CONTINUOUS")
    # 1 + 99 = 100 targets is allowed.
    iot.associate_targets_with_job(jobId="j", targets=[group_arn(n) for n in names[1:100]])
    assert len(iot.describe_job(jobId="j")["job"]["targets"]) == 100
    before = world(iot, data, ["member"])
    with pytest.raises(ClientError) as excinfo:
        iot.associate_targets_with_job(jobId="j", targets=[group_arn("g100")])
    assert error(excinfo)["code"] == "LimitExceededException"
    assert 400 <= error(excinfo)["status"] < 500
    assert world(iot, data, ["member"]) == before
    assert statuses(iot, "j") == {}


def test_more_than_100_targets_in_one_call_is_refused(iot: Any, data: Any) -> None:
    names = [f"g{i:03d}" for i in range(102)]
    for name in names:
        iot.create_thing_group(thingGroupName=name)
    things(iot, "member")
    iot.add_thing_to_thing_group(thingGroupName="g050", thingName="member")
    iot.create_job(jobId="j", targets=[group_arn(names[0])], document=DOC, targetSelection="CONTINUOUS")
    before = world(iot, data, ["member"])
    with pytest.raises(ClientError) as excinfo:
        iot.associate_targets_with_job(jobId="j", targets=[group_arn(n) for n in names[1:]])
    assert error(excinfo)["code"] == "LimitExceededException"
    assert world(iot, data, ["member"]) == before


# --- CONTINUOUS membership while a rollout paces the executions ---------------------------
def _paced_job_on_group(iot: Any, *members: str) -> None:
    group(iot, "g", *members)
    iot.create_job(
        jobId="j",
        targets=[group_arn("g")],
        document=DOC,
        targetSelection="CONTINUOUS",
        jobExecutionsRolloutConfig={"maximumPerMinute": 1},
    )


def test_thing_that_leaves_before_the_rollout_reaches_it_gets_nothing(iot: Any, data: Any, mock: MockIotJobs) -> None:
    things(iot, "a", "b", "c")
    _paced_job_on_group(iot, "a", "b", "c")
    assert statuses(iot, "j") == {"a": "QUEUED"}
    iot.remove_thing_from_thing_group(thingGroupName="g", thingName="c")
    mock.advance_time(minutes=5)
    assert statuses(iot, "j") == {"a": "QUEUED", "b": "QUEUED"}
    assert queued_jobs(data, "c") == []
    assert_counts_match(iot, "j")


def test_thing_that_rejoins_before_the_rollout_reaches_it_gets_one_execution(
    iot: Any, data: Any, mock: MockIotJobs
) -> None:
    things(iot, "a", "b")
    _paced_job_on_group(iot, "a", "b")
    iot.remove_thing_from_thing_group(thingGroupName="g", thingName="b")
    iot.add_thing_to_thing_group(thingGroupName="g", thingName="b")
    mock.advance_time(minutes=5)
    summaries = iot.list_job_executions_for_thing(thingName="b", jobId="j")["executionSummaries"]
    assert [(s["jobExecutionSummary"]["executionNumber"], s["jobExecutionSummary"]["status"]) for s in summaries] == [
        (1, "QUEUED")
    ]
    assert statuses(iot, "j") == {"a": "QUEUED", "b": "QUEUED"}
    assert_counts_match(iot, "j")


def test_associating_a_thing_the_rollout_has_not_reached_gives_one_execution(
    iot: Any, data: Any, mock: MockIotJobs
) -> None:
    things(iot, "a", "b")
    _paced_job_on_group(iot, "a", "b")
    iot.associate_targets_with_job(jobId="j", targets=[thing_arn("b")])
    mock.advance_time(minutes=5)
    summaries = iot.list_job_executions_for_thing(thingName="b", jobId="j")["executionSummaries"]
    assert [s["jobExecutionSummary"]["executionNumber"] for s in summaries] == [1]
    assert_counts_match(iot, "j")


def test_associating_a_group_requeues_a_thing_whose_execution_was_removed(iot: Any, data: Any) -> None:
    things(iot, "t")
    group(iot, "g1", "t")
    group(iot, "g2", "t")
    iot.create_job(jobId="j", targets=[group_arn("g1")], document=DOC, targetSelection="CONTINUOUS")
    iot.remove_thing_from_thing_group(thingGroupName="g1", thingName="t")
    assert statuses(iot, "j") == {"t": "REMOVED"}
    iot.associate_targets_with_job(jobId="j", targets=[group_arn("g2")])
    latest = iot.describe_job_execution(jobId="j", thingName="t")["execution"]
    assert (latest["status"], latest["executionNumber"]) == ("QUEUED", 2)
    assert queued_jobs(data, "t") == ["j"]
    assert_counts_match(iot, "j")


def test_scheduled_continuous_job_starts_on_the_members_of_its_start_time(
    iot: Any, data: Any, mock: MockIotJobs
) -> None:
    things(iot, "stays", "leaves", "joins")
    group(iot, "g", "stays", "leaves")
    start = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    iot.create_job(
        jobId="j",
        targets=[group_arn("g")],
        document=DOC,
        targetSelection="CONTINUOUS",
        schedulingConfig={"startTime": start},
    )
    assert iot.describe_job(jobId="j")["job"]["status"] == "SCHEDULED"
    iot.remove_thing_from_thing_group(thingGroupName="g", thingName="leaves")
    iot.add_thing_to_thing_group(thingGroupName="g", thingName="joins")
    assert statuses(iot, "j") == {}
    mock.advance_time(hours=2)
    assert iot.describe_job(jobId="j")["job"]["status"] == "IN_PROGRESS"
    assert statuses(iot, "j") == {"stays": "QUEUED", "joins": "QUEUED"}
    assert queued_jobs(data, "leaves") == []
    assert_counts_match(iot, "j")
