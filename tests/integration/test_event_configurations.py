"""Event configurations end to end (issue 12): DescribeEventConfigurations,
UpdateEventConfigurations, and Jobs events recorded only for enabled event types, as
AWS publishes them; the handle's ``enable_events`` and the ``iot_jobs_events`` marker."""

from __future__ import annotations

from typing import Any, List

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from mock_iotjobs import MockIotJobs

EVENT_TYPES = [
    "THING",
    "THING_GROUP",
    "THING_TYPE",
    "THING_GROUP_MEMBERSHIP",
    "THING_GROUP_HIERARCHY",
    "THING_TYPE_ASSOCIATION",
    "JOB",
    "JOB_EXECUTION",
    "POLICY",
    "CERTIFICATE",
    "CA_CERTIFICATE",
]


def enabled(iot: Any) -> List[str]:
    configurations = iot.describe_event_configurations()["eventConfigurations"]
    return sorted(t for t, c in configurations.items() if c["Enabled"])


def run_a_job(iot: Any, jobs_data: Any, job_id: str = "j", thing: str = "t") -> None:
    """A one-thing job, run by the device to SUCCEEDED: one execution event, one job event."""
    arn = iot.create_thing(thingName=thing)["thingArn"]
    iot.create_job(jobId=job_id, targets=[arn], document="{}")
    jobs_data.start_next_pending_job_execution(thingName=thing)
    jobs_data.update_job_execution(jobId=job_id, thingName=thing, status="SUCCEEDED")


def topics(mock: MockIotJobs, **where: Any) -> List[str]:
    return [event.topic for event in mock.events(**where)]


# --- the API ------------------------------------------------------------------------------------
def test_every_type_starts_disabled(iot: Any, mock: MockIotJobs) -> None:
    described = iot.describe_event_configurations()
    assert described["eventConfigurations"] == {t: {"Enabled": False} for t in EVENT_TYPES}
    assert described["creationDate"] == described["lastModifiedDate"]
    assert abs(described["creationDate"].timestamp() - mock.now()) < 2


def test_update_changes_only_the_types_given(iot: Any, mock: MockIotJobs) -> None:
    created = iot.describe_event_configurations()["creationDate"]
    mock.advance_time(minutes=3)
    iot.update_event_configurations(eventConfigurations={"JOB": {"Enabled": True}, "THING": {"Enabled": True}})
    assert enabled(iot) == ["JOB", "THING"]
    iot.update_event_configurations(eventConfigurations={"THING": {"Enabled": False}, "POLICY": {}})
    assert enabled(iot) == ["JOB"]
    described = iot.describe_event_configurations()
    assert described["creationDate"] == created
    assert round(described["lastModifiedDate"].timestamp() - created.timestamp()) == 180


def test_unknown_event_type_is_refused(make_client: Any, mock: MockIotJobs) -> None:
    iot = make_client("iot", validate=False)
    before = mock.backend().snapshot()
    with pytest.raises(ClientError) as caught:
        iot.update_event_configurations(eventConfigurations={"JOBS": {"Enabled": True}})
    response = caught.value.response
    assert (response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]) == (
        "InvalidRequestException",
        400,
    )
    assert "JOBS" in response["Error"]["Message"]
    assert mock.backend().snapshot() == before
    assert enabled(iot) == []


def test_configurations_are_per_account_and_region(make_client: Any) -> None:
    here, there = make_client("iot"), make_client("iot", region="eu-west-1")
    other_account = make_client("iot", account="111122223333")
    here.update_event_configurations(eventConfigurations={"JOB": {"Enabled": True}})
    assert (enabled(here), enabled(there), enabled(other_account)) == (["JOB"], [], [])


# --- Jobs events follow the configuration ------------------------------------------------------
def test_no_jobs_events_while_disabled_but_device_notifications_go_out(
    iot: Any, jobs_data: Any, mock: MockIotJobs
) -> None:
    run_a_job(iot, jobs_data)
    assert mock.events() == []
    assert mock.backend().snapshot()["events"] == 0
    # $aws/things/... notifications are not events: they are always sent.
    assert [n.topic for n in mock.notifications("t")][:2] == [
        "$aws/things/t/jobs/notify",
        "$aws/things/t/jobs/notify-next",
    ]


def test_each_type_enables_its_own_topics(iot: Any, jobs_data: Any, mock: MockIotJobs) -> None:
    iot.update_event_configurations(eventConfigurations={"JOB_EXECUTION": {"Enabled": True}})
    run_a_job(iot, jobs_data, "j1", "t1")
    assert topics(mock) == ["$aws/events/jobExecution/j1/succeeded"]

    iot.update_event_configurations(
        eventConfigurations={"JOB": {"Enabled": True}, "JOB_EXECUTION": {"Enabled": False}}
    )
    run_a_job(iot, jobs_data, "j2", "t2")
    assert topics(mock)[1:] == ["$aws/events/job/j2/completed"]

    iot.update_event_configurations(eventConfigurations={"JOB": {"Enabled": False}})
    iot.delete_job(jobId="j2")
    mock.advance_time(seconds=1)  # deletion ends, with JOB events still disabled
    assert len(topics(mock)) == 2


def test_enabled_events_are_those_aws_publishes(iot: Any, jobs_data: Any, mock: MockIotJobs) -> None:
    iot.update_event_configurations(
        eventConfigurations={"JOB": {"Enabled": True}, "JOB_EXECUTION": {"Enabled": True}}
    )
    run_a_job(iot, jobs_data)
    iot.delete_job(jobId="j")
    mock.advance_time(seconds=1)  # the deleted event comes when DELETION_IN_PROGRESS ends (issue 13)
    assert topics(mock) == [
        "$aws/events/jobExecution/j/succeeded",
        "$aws/events/job/j/completed",
        "$aws/events/job/j/deleted",
    ]


# --- the handle -------------------------------------------------------------------------------
def test_enable_events_everywhere_including_backends_used_later(
    iot: Any, jobs_data: Any, mock: MockIotJobs, make_client: Any
) -> None:
    mock.enable_events("JOB", "JOB_EXECUTION")
    assert enabled(iot) == ["JOB", "JOB_EXECUTION"]
    assert enabled(make_client("iot", region="ap-south-1")) == ["JOB", "JOB_EXECUTION"]
    run_a_job(iot, jobs_data)
    assert topics(mock) == ["$aws/events/jobExecution/j/succeeded", "$aws/events/job/j/completed"]

    mock.disable_events("JOB_EXECUTION")
    assert enabled(iot) == ["JOB"]
    assert enabled(make_client("iot", region="sa-east-1")) == ["JOB"]


def test_enable_events_without_names_enables_every_type(iot: Any, mock: MockIotJobs) -> None:
    mock.enable_events()
    assert enabled(iot) == sorted(EVENT_TYPES)
    mock.disable_events()
    assert enabled(iot) == []


def test_enable_events_in_one_region(mock: MockIotJobs, make_client: Any) -> None:
    mock.enable_events("JOB", region="eu-west-1")
    assert enabled(make_client("iot", region="eu-west-1")) == ["JOB"]
    assert enabled(make_client("iot")) == []


def test_enable_events_refuses_unknown_names(mock: MockIotJobs) -> None:
    with pytest.raises(ValueError, match="JOBS"):
        mock.enable_events("JOBS")


def test_reset_forgets_enabled_events(iot: Any, mock: MockIotJobs) -> None:
    mock.enable_events("JOB")
    mock.reset()
    assert enabled(iot) == []


# --- the pytest marker ---------------------------------------------------------------------------
@pytest.mark.iot_jobs_events("JOB")
def test_the_marker_enables_the_types_it_names(iot_jobs_backend: MockIotJobs, iot_client: Any) -> None:
    assert enabled(iot_client) == ["JOB"]


@pytest.mark.iot_jobs_events
def test_the_bare_marker_enables_every_type(iot_jobs_backend: MockIotJobs, iot_client: Any) -> None:
    assert enabled(iot_client) == sorted(EVENT_TYPES)


def test_without_the_marker_events_are_disabled(iot_jobs_backend: MockIotJobs, iot_client: Any) -> None:
    assert enabled(iot_client) == []


@pytest.mark.iot_jobs_events("JOB", "JOB_EXECUTION")
def test_the_marker_records_jobs_events(
    iot_jobs_backend: MockIotJobs, iot_client: Any, iot_jobs_data_client: Any
) -> None:
    run_a_job(iot_client, iot_jobs_data_client)
    assert topics(iot_jobs_backend) == ["$aws/events/jobExecution/j/succeeded", "$aws/events/job/j/completed"]


def test_a_client_made_before_enabling_sees_the_change(mock: MockIotJobs) -> None:
    """A client made before enabling sees the change: the configuration is state, not client setup."""
    client = boto3.client("iot", region_name="us-east-1", config=Config(retries={"max_attempts": 1}))
    assert enabled(client) == []
    mock.enable_events("JOB")
    assert enabled(client) == ["JOB"]
