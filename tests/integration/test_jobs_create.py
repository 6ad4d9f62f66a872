"""CreateJob, DescribeJob and GetJobDocument end to end through boto3 (issue 3).

Targets (things, groups, nested groups, duplicates, bad targets), the
document rules, unique job ids, and that a refused CreateJob changes nothing.
"""

from __future__ import annotations

import json
from typing import Any, List

import boto3
import pytest
from botocore.exceptions import ClientError
from jobs_support import (  # noqa: F401  (fixtures are used by name)
    ACCOUNT,
    CREDS,
    NO_RETRY,
    REGION,
    UNVALIDATED,
    data,
    error,
    group,
    group_arn,
    iot,
    mock,
    raw_iot,
    thing_arn,
    things,
    world,
)

from mock_iotjobs import MockIotJobs

DOC = json.dumps({"operation": "reboot"})


def executed_things(iot: Any, job_id: str) -> List[str]:
    summaries = iot.list_job_executions_for_job(jobId=job_id)["executionSummaries"]
    return sorted(s["thingArn"].rsplit("/", 1)[1] for s in summaries)


# --- targets ----------------------------------------------------------------
def test_thing_targets_get_one_execution_each(iot: Any, data: Any) -> None:
    things(iot, "t1", "t2", "bystander")
    iot.create_job(jobId="j", targets=[thing_arn("t1"), thing_arn("t2")], document=DOC)
    assert executed_things(iot, "j") == ["t1", "t2"]
    summaries = iot.list_job_executions_for_job(jobId="j")["executionSummaries"]
    assert {s["thingArn"] for s in summaries} == {thing_arn("t1"), thing_arn("t2")}
    assert data.get_pending_job_executions(thingName="bystander")["queuedJobs"] == []
    queued = data.get_pending_job_executions(thingName="t1")["queuedJobs"]
    assert [q["jobId"] for q in queued] == ["j"]


def test_group_target_reaches_members_of_child_groups(iot: Any) -> None:
    things(iot, "direct", "child", "grandchild", "outsider", "sibling")
    group(iot, "root", "direct")
    group(iot, "mid", "child", parent="root")
    group(iot, "leaf", "grandchild", parent="mid")
    group(iot, "elsewhere", "outsider")
    iot.create_job(jobId="j", targets=[group_arn("root")], document=DOC)
    assert executed_things(iot, "j") == ["child", "direct", "grandchild"]
    # Targeting a child group reaches only that subtree.
    iot.create_job(jobId="k", targets=[group_arn("mid")], document=DOC)
    assert executed_things(iot, "k") == ["child", "grandchild"]
    details = iot.describe_job(jobId="j")["job"]["jobProcessDetails"]
    assert details["numberOfQueuedThings"] == 3


def test_thing_reached_twice_gets_one_execution(iot: Any, data: Any) -> None:
    things(iot, "a", "b", "c")
    group(iot, "g1", "a", "b")
    group(iot, "g2", "b", "c")
    group(iot, "inner", "a", parent="g1")  # a reaches g1 directly and through a child
    targets = [group_arn("g1"), group_arn("g2"), thing_arn("a"), thing_arn("c"), thing_arn("c")]
    iot.create_job(jobId="j", targets=targets, document=DOC)
    summaries = iot.list_job_executions_for_job(jobId="j")["executionSummaries"]
    assert sorted(s["thingArn"] for s in summaries) == [thing_arn(n) for n in "abc"]
    assert all(s["jobExecutionSummary"]["executionNumber"] == 1 for s in summaries)
    assert iot.describe_job(jobId="j")["job"]["jobProcessDetails"]["numberOfQueuedThings"] == 3
    for name in "abc":
        assert len(iot.list_job_executions_for_thing(thingName=name)["executionSummaries"]) == 1
        assert len(data.get_pending_job_executions(thingName=name)["queuedJobs"]) == 1


def test_empty_group_target_is_accepted(iot: Any) -> None:
    group(iot, "empty")
    iot.create_job(jobId="j", targets=[group_arn("empty")], document=DOC, targetSelection="CONTINUOUS")
    job = iot.describe_job(jobId="j")["job"]
    assert job["targets"] == [group_arn("empty")]
    assert executed_things(iot, "j") == []


BAD_TARGETS = [
    pytest.param(thing_arn("ghost"), "ghost", id="missing-thing"),
    pytest.param(group_arn("ghost-group"), "ghost-group", id="missing-group"),
    pytest.param(thing_arn("real", region="eu-west-1"), thing_arn("real", region="eu-west-1"), id="other-region"),
    pytest.param(
        thing_arn("real", account="210987654321"), thing_arn("real", account="210987654321"), id="other-account"
    ),
    pytest.param(group_arn("g", region="us-west-2"), group_arn("g", region="us-west-2"), id="group-other-region"),
    pytest.param(f"arn:aws:iot:{REGION}:{ACCOUNT}:job/other", "job/other", id="not-a-target-kind"),
    pytest.param(f"arn:aws-cn:iot:{REGION}:{ACCOUNT}:thing/real", "arn:aws-cn:iot", id="other-partition"),
    pytest.param(
        f"arn:aws-us-gov:iot:{REGION}:{ACCOUNT}:thinggroup/g", "arn:aws-us-gov:iot", id="group-other-partition"
    ),
    pytest.param("real", "real", id="bare-name"),
    pytest.param(f"arn:aws:s3:::{REGION}-bucket/thing/real", "bucket", id="other-service"),
]


@pytest.mark.parametrize("bad, named", BAD_TARGETS)
def test_bad_target_is_refused_naming_it_and_changes_nothing(iot: Any, data: Any, bad: str, named: str) -> None:
    things(iot, "real")
    group(iot, "g", "real")
    before = world(iot, data, ["real"])
    with pytest.raises(ClientError) as excinfo:
        iot.create_job(jobId="j", targets=[thing_arn("real"), group_arn("g"), bad], document=DOC)
    err = error(excinfo)
    assert 400 <= err["status"] < 500, err
    assert err["code"] in ("InvalidRequestException", "ResourceNotFoundException"), err
    assert named in err["message"], err
    assert world(iot, data, ["real"]) == before
    with pytest.raises(ClientError) as missing:
        iot.describe_job(jobId="j")
    assert error(missing)["code"] == "ResourceNotFoundException"


def test_thing_of_the_same_name_in_another_region_is_not_a_target(iot: Any) -> None:
    west = boto3.client("iot", region_name="us-west-2", config=NO_RETRY, **CREDS)
    west.create_thing(thingName="w")
    west.create_thing_group(thingGroupName="wg")
    for target in (thing_arn("w", region="us-west-2"), group_arn("wg", region="us-west-2")):
        with pytest.raises(ClientError) as excinfo:
            iot.create_job(jobId="j", targets=[target], document=DOC)
        assert 400 <= error(excinfo)["status"] < 500
        assert target in error(excinfo)["message"]
    # The same targets are fine from their own region.
    west.create_job(jobId="j", targets=[thing_arn("w", region="us-west-2")], document=DOC)
    assert iot.list_jobs()["jobs"] == []


def test_thing_of_another_account_is_not_a_target(iot: Any) -> None:
    other = boto3.client(
        "iot",
        region_name=REGION,
        config=NO_RETRY,
        aws_access_key_id="210987654321",
        aws_secret_access_key="x",
    )
    other.create_thing(thingName="theirs")
    target = thing_arn("theirs", account="210987654321")
    with pytest.raises(ClientError) as excinfo:
        iot.create_job(jobId="j", targets=[target], document=DOC)
    assert 400 <= error(excinfo)["status"] < 500
    assert target in error(excinfo)["message"]
    other.create_job(jobId="j", targets=[target], document=DOC)
    assert [j["jobId"] for j in other.list_jobs()["jobs"]] == ["j"]
    assert iot.list_jobs()["jobs"] == []


def test_no_targets_is_a_validation_error(raw_iot: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        raw_iot.create_job(jobId="j", targets=[], document=DOC)
    assert error(excinfo)["code"] == "InvalidRequestException"


# --- the document -------------------------------------------------------------
def test_document_or_document_source_exactly_one(iot: Any, data: Any, mock: MockIotJobs) -> None:
    # documentSource is read at creation (issue 13): the object must exist.
    mock.put_s3_object("bucket", "doc.json", DOC)
    things(iot, "t")
    before = world(iot, data, ["t"])
    for kwargs in ({}, {"document": DOC, "documentSource": "https://s3.amazonaws.com/bucket/doc.json"}):
        with pytest.raises(ClientError) as excinfo:
            iot.create_job(jobId="j", targets=[thing_arn("t")], **kwargs)
        assert error(excinfo)["code"] == "InvalidRequestException"
        assert error(excinfo)["status"] == 400
        assert world(iot, data, ["t"]) == before
    iot.create_job(jobId="src", targets=[thing_arn("t")], documentSource="https://s3.amazonaws.com/bucket/doc.json")
    described = iot.describe_job(jobId="src")
    assert described["documentSource"] == "https://s3.amazonaws.com/bucket/doc.json"
    iot.create_job(jobId="inline", targets=[thing_arn("t")], document=DOC)
    assert "documentSource" not in iot.describe_job(jobId="inline")


def _document_of_size(size: int, filler: str = "x") -> str:
    """A JSON object of exactly ``size`` bytes in UTF-8."""
    envelope = len(json.dumps({"p": ""}).encode())
    count, rest = divmod(size - envelope, len(filler.encode()))
    text = json.dumps({"p": filler * count + "x" * rest}, ensure_ascii=False)
    assert len(text.encode()) == size
    return text


def test_document_of_32_kb_is_accepted_and_returned_verbatim(iot: Any, data: Any) -> None:
    things(iot, "t")
    document = _document_of_size(32 * 1024)
    iot.create_job(jobId="j", targets=[thing_arn("t")], document=document)
    assert iot.get_job_document(jobId="j")["document"] == document
    started = data.start_next_pending_job_execution(thingName="t")["execution"]
    # Devices get it re-serialised compactly (issue 13): the same JSON, without the space.
    assert started["jobDocument"] == document.replace('{"p": ', '{"p":')


@pytest.mark.parametrize("filler", ["x", "\u00e9"], ids=["ascii", "two-byte"])
def test_document_over_32_kb_is_refused(raw_iot: Any, iot: Any, data: Any, filler: str) -> None:
    things(iot, "t")
    before = world(iot, data, ["t"])
    size = 32 * 1024 + (1 if filler == "x" else 2)
    with pytest.raises(ClientError) as excinfo:
        raw_iot.create_job(jobId="j", targets=[thing_arn("t")], document=_document_of_size(size, filler))
    assert error(excinfo)["code"] == "InvalidRequestException"
    assert error(excinfo)["status"] == 400
    assert world(iot, data, ["t"]) == before


def test_get_job_document(iot: Any) -> None:
    things(iot, "t")
    document = json.dumps({"steps": [{"action": "download", "url": "https://example.com/fw.bin"}]})
    iot.create_job(jobId="j", targets=[thing_arn("t")], document=document)
    assert iot.get_job_document(jobId="j")["document"] == document
    with pytest.raises(ClientError) as excinfo:
        iot.get_job_document(jobId="nope")
    assert error(excinfo)["code"] == "ResourceNotFoundException"
    assert error(excinfo)["status"] == 404


# --- job ids ------------------------------------------------------------------------
def test_duplicate_job_id_is_409_and_leaves_the_first_job_alone(iot: Any, data: Any) -> None:
    things(iot, "t1", "t2")
    created = iot.create_job(jobId="j", targets=[thing_arn("t1")], document=DOC, description="first")
    before = world(iot, data, ["t1", "t2"])
    with pytest.raises(ClientError) as excinfo:
        iot.create_job(jobId="j", targets=[thing_arn("t2")], document='{"other": 1}', description="second")
    err = error(excinfo)
    assert err["code"] == "ResourceAlreadyExistsException"
    assert err["status"] == 409
    assert world(iot, data, ["t1", "t2"]) == before
    assert iot.get_job_document(jobId="j")["document"] == DOC
    assert iot.describe_job(jobId="j")["job"]["jobArn"] == created["jobArn"]
    # Even an identical request is a duplicate.
    with pytest.raises(ClientError) as again:
        iot.create_job(jobId="j", targets=[thing_arn("t1")], document=DOC, description="first")
    assert error(again)["code"] == "ResourceAlreadyExistsException"


def test_invalid_job_id_is_a_validation_error(raw_iot: Any, iot: Any) -> None:
    things(iot, "t")
    for bad in ("has space", "x" * 65, "dot.ted"):
        with pytest.raises(ClientError) as excinfo:
            raw_iot.create_job(jobId=bad, targets=[thing_arn("t")], document=DOC)
        assert error(excinfo)["code"] == "InvalidRequestException", bad
    assert iot.list_jobs()["jobs"] == []


# --- what CreateJob and DescribeJob return ----------------------------------------
def test_create_job_response_and_describe_job(iot: Any, mock: MockIotJobs) -> None:
    things(iot, "t")
    group(iot, "g", "t")
    before = mock.advance_time()
    created = iot.create_job(
        jobId="fw-1",
        targets=[group_arn("g"), thing_arn("t")],
        document=DOC,
        description="firmware 1",
        presignedUrlConfig={"roleArn": "arn:aws:iam::123456789012:role/s3", "expiresInSec": 120},
        timeoutConfig={"inProgressTimeoutInMinutes": 30},
        jobExecutionsRolloutConfig={"maximumPerMinute": 50},
        abortConfig={
            "criteriaList": [
                {
                    "failureType": "FAILED",
                    "action": "CANCEL",
                    "thresholdPercentage": 50.0,
                    "minNumberOfExecutedThings": 10,
                }
            ]
        },
        jobExecutionsRetryConfig={"criteriaList": [{"failureType": "FAILED", "numberOfRetries": 2}]},
        namespaceId="ns1",
        tags=[{"Key": "team", "Value": "fw"}],
    )
    after = mock.advance_time()
    arn = f"arn:aws:iot:{REGION}:{ACCOUNT}:job/fw-1"
    assert (created["jobArn"], created["jobId"], created["description"]) == (arn, "fw-1", "firmware 1")
    described = iot.describe_job(jobId="fw-1")
    job = described["job"]
    assert "documentSource" not in described
    assert job["jobArn"] == arn
    assert job["jobId"] == "fw-1"
    assert job["status"] == "IN_PROGRESS"
    assert job["targetSelection"] == "SNAPSHOT"
    assert job["targets"] == [group_arn("g"), thing_arn("t")]
    assert job["description"] == "firmware 1"
    assert job["presignedUrlConfig"] == {"roleArn": "arn:aws:iam::123456789012:role/s3", "expiresInSec": 120}
    assert job["timeoutConfig"] == {"inProgressTimeoutInMinutes": 30}
    assert job["jobExecutionsRolloutConfig"]["maximumPerMinute"] == 50
    assert job["abortConfig"]["criteriaList"][0]["thresholdPercentage"] == 50.0
    assert job["jobExecutionsRetryConfig"]["criteriaList"] == [{"failureType": "FAILED", "numberOfRetries": 2}]
    assert job["namespaceId"] == "ns1"
    assert "completedAt" not in job
    created_at = job["createdAt"].timestamp()
    assert before - 0.002 <= created_at <= after + 0.002
    assert job["lastUpdatedAt"] == job["createdAt"]
    assert iot.list_tags_for_resource(resourceArn=arn)["tags"] == [{"Key": "team", "Value": "fw"}]


def test_target_selection_default_and_continuous(iot: Any) -> None:
    things(iot, "t")
    iot.create_job(jobId="s", targets=[thing_arn("t")], document=DOC)
    iot.create_job(jobId="c", targets=[thing_arn("t")], document=DOC, targetSelection="CONTINUOUS")
    assert iot.describe_job(jobId="s")["job"]["targetSelection"] == "SNAPSHOT"
    assert iot.describe_job(jobId="c")["job"]["targetSelection"] == "CONTINUOUS"


def test_describe_missing_job_is_404(iot: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        iot.describe_job(jobId="nope")
    assert error(excinfo)["code"] == "ResourceNotFoundException"
    assert error(excinfo)["status"] == 404


def test_too_many_tags_refuses_the_whole_job(iot: Any, data: Any) -> None:
    things(iot, "t")
    before = world(iot, data, ["t"])
    tags = [{"Key": f"k{i}", "Value": "v"} for i in range(51)]
    with pytest.raises(ClientError) as excinfo:
        iot.create_job(jobId="j", targets=[thing_arn("t")], document=DOC, tags=tags)
    assert 400 <= error(excinfo)["status"] < 500
    assert world(iot, data, ["t"]) == before
    # The id is still free.
    iot.create_job(jobId="j", targets=[thing_arn("t")], document=DOC, tags=tags[:50])
    assert len(iot.list_tags_for_resource(resourceArn=f"arn:aws:iot:{REGION}:{ACCOUNT}:job/j")["tags"]) == 50
