"""Issue 13: behaviours measured against live AWS (or stated by botocore's and AWS's docs)
that the mock used to answer differently."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Dict, List

import pytest
from botocore.exceptions import ClientError

from mock_iotjobs import MockIotJobs

DOC = json.dumps({"operation": "update"})
MINUTE = 60


def _things(iot: Any, *names: str) -> List[str]:
    return [iot.create_thing(thingName=n)["thingArn"] for n in names]


def _group(iot: Any, name: str, *members: str) -> str:
    arn = str(iot.create_thing_group(thingGroupName=name)["thingGroupArn"])
    for member in members:
        iot.add_thing_to_thing_group(thingGroupName=name, thingName=member)
    return arn


def _error(excinfo: pytest.ExceptionInfo) -> Dict[str, Any]:
    response = excinfo.value.response
    return {"code": response["Error"]["Code"], "status": response["ResponseMetadata"]["HTTPStatusCode"],
            "message": response["Error"]["Message"]}


def _stamp(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, tz=dt.timezone.utc).strftime("%Y-%m-%dT%H:%M")


def _details(iot: Any, job_id: str) -> Dict[str, int]:
    details = iot.describe_job(jobId=job_id)["job"]["jobProcessDetails"]
    return {k: v for k, v in details.items() if k.startswith("numberOf") and v}


# --- CONTINUOUS jobs: re-joining ----------------------------------------------------------
def test_a_finished_thing_that_rejoins_gets_a_new_execution(iot: Any, jobs_data: Any) -> None:
    _things(iot, "t")
    arn = _group(iot, "g", "t")
    iot.create_job(jobId="j", targets=[arn], document=DOC, targetSelection="CONTINUOUS")
    jobs_data.update_job_execution(thingName="t", jobId="j", status="SUCCEEDED")
    iot.remove_thing_from_thing_group(thingGroupName="g", thingName="t")
    iot.add_thing_to_thing_group(thingGroupName="g", thingName="t")
    latest = iot.describe_job_execution(jobId="j", thingName="t")["execution"]
    assert (latest["status"], latest["executionNumber"]) == ("QUEUED", 2)
    assert [q["jobId"] for q in jobs_data.get_pending_job_executions(thingName="t")["queuedJobs"]] == ["j"]
    # Every execution counts, the re-joined thing's earlier one included.
    assert _details(iot, "j") == {"numberOfSucceededThings": 1, "numberOfQueuedThings": 1}


def test_joining_another_target_group_after_finishing_queues_again(iot: Any, jobs_data: Any) -> None:
    _things(iot, "t")
    g1, g2 = _group(iot, "g1", "t"), _group(iot, "g2")
    iot.create_job(jobId="j", targets=[g1, g2], document=DOC, targetSelection="CONTINUOUS")
    jobs_data.update_job_execution(thingName="t", jobId="j", status="FAILED")
    iot.add_thing_to_thing_group(thingGroupName="g2", thingName="t")
    latest = iot.describe_job_execution(jobId="j", thingName="t")["execution"]
    assert (latest["status"], latest["executionNumber"]) == ("QUEUED", 2)
    assert _details(iot, "j") == {"numberOfFailedThings": 1, "numberOfQueuedThings": 1}


@pytest.mark.parametrize("running", [False, True], ids=["queued", "in-progress"])
def test_no_new_execution_while_the_newest_is_pending(iot: Any, jobs_data: Any, running: bool) -> None:
    _things(iot, "t")
    g1, g2 = _group(iot, "g1", "t"), _group(iot, "g2")
    iot.create_job(jobId="j", targets=[g1, g2], document=DOC, targetSelection="CONTINUOUS")
    if running:
        jobs_data.start_next_pending_job_execution(thingName="t")
    iot.add_thing_to_thing_group(thingGroupName="g2", thingName="t")
    summaries = iot.list_job_executions_for_thing(thingName="t", jobId="j")["executionSummaries"]
    assert [s["jobExecutionSummary"]["executionNumber"] for s in summaries] == [1]


def test_removed_execution_keeps_its_version_and_still_counts(iot: Any, jobs_data: Any) -> None:
    _things(iot, "t")
    arn = _group(iot, "g", "t")
    iot.create_job(jobId="j", targets=[arn], document=DOC, targetSelection="CONTINUOUS")
    iot.remove_thing_from_thing_group(thingGroupName="g", thingName="t")
    removed = iot.describe_job_execution(jobId="j", thingName="t")["execution"]
    assert (removed["status"], removed["versionNumber"]) == ("REMOVED", 1)
    iot.add_thing_to_thing_group(thingGroupName="g", thingName="t")
    assert _details(iot, "j") == {"numberOfRemovedThings": 1, "numberOfQueuedThings": 1}


# --- DescribeJob / DescribeJobTemplate: {} for unset configs ----------------------------
def test_unset_configs_are_empty_objects(iot: Any) -> None:
    iot.create_job(jobId="j", targets=_things(iot, "t"), document=DOC)
    job = iot.describe_job(jobId="j")["job"]
    for member in ("presignedUrlConfig", "jobExecutionsRolloutConfig", "timeoutConfig", "schedulingConfig"):
        assert job[member] == {}, member
    assert "abortConfig" not in job
    iot.create_job_template(jobTemplateId="t", description="d", document=DOC)
    template = iot.describe_job_template(jobTemplateId="t")
    for member in ("presignedUrlConfig", "jobExecutionsRolloutConfig", "timeoutConfig"):
        assert template[member] == {}, member
    iot.create_job(jobId="k", targets=_things(iot, "u"), document=DOC, timeoutConfig={"inProgressTimeoutInMinutes": 5})
    assert iot.describe_job(jobId="k")["job"]["timeoutConfig"] == {"inProgressTimeoutInMinutes": 5}


# --- schedulingConfig -------------------------------------------------------------------
@pytest.mark.parametrize("suffix", [":00", "Z", ":30Z"])
def test_schedule_times_must_be_exactly_minutes(mock: MockIotJobs, iot: Any, suffix: str) -> None:
    arns = _things(iot, "t")
    value = _stamp(mock.now() + 3600) + suffix
    with pytest.raises(ClientError) as excinfo:
        iot.create_job(jobId="j", targets=arns, document=DOC, schedulingConfig={"startTime": value})
    assert _error(excinfo) == {
        "code": "InvalidRequestException",
        "status": 400,
        "message": f"1 validation error detected: Provided time {value} UTC must follow the format YYYY-MM-DDThh:mm.",
    }
    assert iot.list_jobs()["jobs"] == []


# --- maintenance windows -------------------------------------------------------------------
WINDOWS = {"maintenanceWindows": [{"startTime": "cron(0 2 ? * SUN *)", "durationInMinutes": 60}]}


def test_maintenance_windows_need_continuous_and_a_start_time(mock: MockIotJobs, iot: Any) -> None:
    arns = _things(iot, "t")
    start = _stamp(mock.now() + 3600)
    cases = [
        ({"schedulingConfig": {**WINDOWS, "startTime": start}},
         "TargetSelection is invalid. MaintenanceWindow cannot be used with SNAPSHOT job."),
        ({"schedulingConfig": WINDOWS, "targetSelection": "CONTINUOUS"},
         "MaintenanceWindow cannot be used without StartTime of SchedulingConfig."),
    ]
    for extra, message in cases:
        with pytest.raises(ClientError) as excinfo:
            iot.create_job(jobId="j", targets=arns, document=DOC, **extra)
        assert _error(excinfo) == {"code": "InvalidRequestException", "status": 400, "message": message}
    assert iot.list_jobs()["jobs"] == []
    iot.create_job(jobId="j", targets=arns, document=DOC, targetSelection="CONTINUOUS",
                   schedulingConfig={**WINDOWS, "startTime": start})
    assert iot.describe_job(jobId="j")["job"]["status"] == "SCHEDULED"


def test_maintenance_windows_from_a_template_follow_the_same_rules(mock: MockIotJobs, iot: Any) -> None:
    arns = _things(iot, "t")
    template = iot.create_job_template(jobTemplateId="mw", description="d", document=DOC, **WINDOWS)["jobTemplateArn"]
    with pytest.raises(ClientError) as excinfo:
        iot.create_job(jobId="j", targets=arns, jobTemplateArn=template)
    snapshot = "TargetSelection is invalid. MaintenanceWindow cannot be used with SNAPSHOT job."
    assert _error(excinfo)["message"] == snapshot
    with pytest.raises(ClientError) as excinfo:
        iot.create_job(jobId="j", targets=arns, jobTemplateArn=template, targetSelection="CONTINUOUS")
    assert _error(excinfo)["message"] == "MaintenanceWindow cannot be used without StartTime of SchedulingConfig."
    start = _stamp(mock.now() + 3600)
    iot.create_job(jobId="j", targets=arns, jobTemplateArn=template, targetSelection="CONTINUOUS",
                   schedulingConfig={"startTime": start})
    scheduling = iot.describe_job(jobId="j")["job"]["schedulingConfig"]
    assert scheduling == {**WINDOWS, "startTime": start}


# --- job templates ------------------------------------------------------------------------
def test_job_template_messages(iot: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        iot.describe_job_template(jobTemplateId="ghost")
    assert _error(excinfo) == {"code": "ResourceNotFoundException", "status": 404,
                               "message": "Job Template ghost cannot be found."}
    with pytest.raises(ClientError) as excinfo:
        iot.create_job_template(jobTemplateId="t", description="d")
    assert _error(excinfo)["message"] == "Neither job document nor job document source is specified."
    iot.create_job_template(jobTemplateId="t", description="d", document=DOC)
    with pytest.raises(ClientError) as excinfo:
        iot.create_job_template(jobTemplateId="t", description="d", document=DOC)
    assert _error(excinfo)["code"] == "ConflictException"
    assert _error(excinfo)["message"] == "Job Template t already exists."
    with pytest.raises(ClientError) as excinfo:
        iot.list_job_templates(nextToken="garbage")
    assert _error(excinfo) == {"code": "InvalidRequestException", "status": 400, "message": "Next token is invalid."}
    with pytest.raises(ClientError) as excinfo:
        iot.delete_job_template(jobTemplateId="ghost")
    assert _error(excinfo)["message"] == "Job Template ghost cannot be found."


def test_templates_list_newest_first(iot: Any) -> None:
    for name in ("a", "b", "c"):
        iot.create_job_template(jobTemplateId=name, description="d", document=DOC)
    assert [t["jobTemplateId"] for t in iot.list_job_templates()["jobTemplates"]] == ["c", "b", "a"]


def test_template_from_a_job_with_a_document_takes_the_given_document(iot: Any) -> None:
    job_arn = iot.create_job(jobId="src", targets=_things(iot, "t"), document=DOC,
                             timeoutConfig={"inProgressTimeoutInMinutes": 9})["jobArn"]
    other = json.dumps({"operation": "other"})
    iot.create_job_template(jobTemplateId="t", description="d", jobArn=job_arn, document=other)
    template = iot.describe_job_template(jobTemplateId="t")
    assert template["document"] == other
    assert template["timeoutConfig"] == {"inProgressTimeoutInMinutes": 9}


def test_a_job_arn_as_template_arn_is_the_wrong_resource_type(iot: Any) -> None:
    arns = _things(iot, "t")
    job_arn = iot.create_job(jobId="src", targets=arns, document=DOC)["jobArn"]
    with pytest.raises(ClientError) as excinfo:
        iot.create_job(jobId="j", targets=arns, jobTemplateArn=job_arn)
    assert _error(excinfo) == {
        "code": "InvalidRequestException",
        "status": 400,
        "message": "Resource type should be jobtemplate but found invalid resource type job",
    }
    assert [j["jobId"] for j in iot.list_jobs()["jobs"]] == ["src"]


# --- isConcurrent, precision, statusDetails ---------------------------------------------------
def test_is_concurrent_while_rolling_out(mock: MockIotJobs, iot: Any) -> None:
    arns = _things(iot, "a", "b", "c")
    iot.create_job(jobId="paced", targets=arns, document=DOC, jobExecutionsRolloutConfig={"maximumPerMinute": 1})
    iot.create_job(jobId="plain", targets=arns, document=DOC)
    assert iot.describe_job(jobId="paced")["job"]["isConcurrent"] is True
    assert iot.describe_job(jobId="plain")["job"]["isConcurrent"] is False
    listed = {j["jobId"]: j["isConcurrent"] for j in iot.list_jobs()["jobs"]}
    assert listed == {"paced": True, "plain": False}
    mock.advance_time(minutes=3)
    assert iot.describe_job(jobId="paced")["job"]["isConcurrent"] is False


@pytest.mark.parametrize(
    "extra, ok",
    [
        ({"jobExecutionsRolloutConfig": {"exponentialRate": {
            "baseRatePerMinute": 1, "incrementFactor": 1.5,
            "rateIncreaseCriteria": {"numberOfNotifiedThings": 1}}}}, True),
        ({"jobExecutionsRolloutConfig": {"exponentialRate": {
            "baseRatePerMinute": 1, "incrementFactor": 1.55,
            "rateIncreaseCriteria": {"numberOfNotifiedThings": 1}}}}, False),
        ({"abortConfig": {"criteriaList": [{"failureType": "FAILED", "action": "CANCEL",
                                            "thresholdPercentage": 10.99, "minNumberOfExecutedThings": 1}]}}, True),
        ({"abortConfig": {"criteriaList": [{"failureType": "FAILED", "action": "CANCEL",
                                            "thresholdPercentage": 10.999, "minNumberOfExecutedThings": 1}]}}, False),
    ],
    ids=["factor-1.5", "factor-1.55", "threshold-10.99", "threshold-10.999"],
)
def test_decimal_places(iot: Any, extra: Dict[str, Any], ok: bool) -> None:
    arns = _things(iot, "t")
    if ok:
        iot.create_job(jobId="j", targets=arns, document=DOC, **extra)
        return
    with pytest.raises(ClientError) as excinfo:
        iot.create_job(jobId="j", targets=arns, document=DOC, **extra)
    assert _error(excinfo)["code"] == "InvalidRequestException"
    assert iot.list_jobs()["jobs"] == []


ELEVEN = {f"k{i}": "v" for i in range(11)}
TEN = {f"k{i}": "v" for i in range(10)}


def test_status_details_hold_at_most_ten_pairs(iot: Any, jobs_data: Any) -> None:
    iot.create_job(jobId="j", targets=_things(iot, "t"), document=DOC)
    iot.create_job(jobId="k", targets=_things(iot, "u"), document=DOC)
    calls = [
        lambda details: jobs_data.start_next_pending_job_execution(thingName="t", statusDetails=details),
        lambda details: jobs_data.update_job_execution(thingName="t", jobId="j", status="IN_PROGRESS",
                                                       statusDetails=details),
        lambda details: iot.cancel_job_execution(jobId="k", thingName="u", statusDetails=details),
    ]
    for call in calls:
        before = iot.describe_job_execution(jobId="j", thingName="t")["execution"]
        with pytest.raises(ClientError) as excinfo:
            call(ELEVEN)
        assert _error(excinfo)["code"] == "InvalidRequestException" and _error(excinfo)["status"] == 400
        assert iot.describe_job_execution(jobId="j", thingName="t")["execution"] == before
        call(TEN)
    assert iot.describe_job_execution(jobId="j", thingName="t")["execution"]["statusDetails"]["detailsMap"] == TEN


# --- namespaces, DELETION_IN_PROGRESS, the notify cap --------------------------------------------
def test_namespaced_jobs_notify_on_their_namespace_topic(mock: MockIotJobs, iot: Any, jobs_data: Any) -> None:
    iot.create_job(jobId="gg", targets=_things(iot, "core"), document=DOC, namespaceId="aws-gg-deployment")
    topic = "$aws/things/core/jobs/gg/notify-namespace-aws-gg-deployment/"
    messages = [m for m in mock.notifications("core") if m.topic == topic]
    assert len(messages) == 1
    assert messages[0].payload["execution"]["jobId"] == "gg"
    assert messages[0].payload["execution"]["status"] == "QUEUED"
    assert messages[0].payload["execution"]["jobDocument"] == json.loads(DOC)
    jobs_data.start_next_pending_job_execution(thingName="core")
    messages = [m for m in mock.notifications("core") if m.topic == topic]
    assert [m.payload["execution"]["status"] for m in messages] == ["QUEUED", "IN_PROGRESS"]
    # A job without a namespace publishes nothing there.
    iot.create_job(jobId="plain", targets=[iot.describe_thing(thingName="core")["thingArn"]], document=DOC)
    assert not [m for m in mock.notifications("core") if "notify-namespace" in m.topic and "/plain/" in m.topic]


def test_deletion_in_progress_on_the_mock_clock(mock: MockIotJobs, iot: Any, jobs_data: Any) -> None:
    arns = _things(iot, "t")
    for i in range(11):
        iot.create_job(jobId=f"j{i}", targets=arns, document=DOC)
    for i in range(10):
        iot.delete_job(jobId=f"j{i}", force=True)
    statuses = {j["jobId"]: j["status"] for j in iot.list_jobs()["jobs"]}
    assert statuses == {**{f"j{i}": "DELETION_IN_PROGRESS" for i in range(10)}, "j10": "IN_PROGRESS"}
    # botocore's docs: at most 10 jobs may be DELETION_IN_PROGRESS at once.
    with pytest.raises(ClientError) as excinfo:
        iot.delete_job(jobId="j10", force=True)
    assert _error(excinfo)["code"] == "LimitExceededException"
    assert [q["jobId"] for q in jobs_data.get_pending_job_executions(thingName="t")["queuedJobs"]] == ["j10"]
    mock.advance_time(seconds=1)
    assert [j["jobId"] for j in iot.list_jobs()["jobs"]] == ["j10"]
    iot.delete_job(jobId="j10", force=True)


def test_notify_lists_at_most_fifteen_executions(mock: MockIotJobs, iot: Any, jobs_data: Any) -> None:
    arns = _things(iot, "t")
    for i in range(16):
        iot.create_job(jobId=f"j{i:02d}", targets=arns, document=DOC)
    last = [m for m in mock.notifications("t") if m.topic.endswith("/notify")][-1].payload["jobs"]
    assert [e["jobId"] for e in last["QUEUED"]] == [f"j{i:02d}" for i in range(15)]
    jobs_data.start_next_pending_job_execution(thingName="t")
    iot.create_job(jobId="j16", targets=arns, document=DOC)
    last = [m for m in mock.notifications("t") if m.topic.endswith("/notify")][-1].payload["jobs"]
    assert [e["jobId"] for e in last["IN_PROGRESS"]] == ["j00"]
    assert [e["jobId"] for e in last["QUEUED"]] == [f"j{i:02d}" for i in range(1, 15)]
    pending = jobs_data.get_pending_job_executions(thingName="t")
    assert len(pending["inProgressJobs"]) + len(pending["queuedJobs"]) == 17
