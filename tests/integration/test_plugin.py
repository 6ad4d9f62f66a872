"""The pytest plugin: fixtures, the handle's methods, the marker, the option, xdist."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, Dict, Iterator, List

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from mock_iotjobs import MockIotJobs
from mock_iotjobs.interception import current_store

try:
    from mock_iotjobs.pytest_plugin import plugin
except ImportError:  # a source tree that is not installed: the conftest loaded the folder itself
    from pytest_plugin import plugin  # type: ignore[no-redef]

REPO = Path(__file__).resolve().parents[2]
# total_max_attempts counts the first try: 1 means botocore never retries.
NO_RETRY = Config(retries={"total_max_attempts": 1, "mode": "standard"})
DOCUMENT = '{"operation": "firmware-update"}'


def thing_arn(iot: Any, name: str) -> str:
    return str(iot.create_thing(thingName=name)["thingArn"])


# --- the fixture ---------------------------------------------------------------


def test_the_fixture_yields_an_active_empty_mock(iot_jobs_backend: MockIotJobs, iot_client: Any) -> None:
    assert isinstance(iot_jobs_backend, MockIotJobs)
    assert current_store() is not None
    assert iot_jobs_backend.things() == [] and iot_jobs_backend.jobs() == []
    assert iot_client.list_things()["things"] == []


def test_state_from_one_test_is_there_during_it(iot_jobs_backend: MockIotJobs, iot_client: Any) -> None:
    iot_client.create_job(jobId="leaky", targets=[thing_arn(iot_client, "leaky")], document=DOCUMENT)
    iot_jobs_backend.fail_next("ListThings", times=5)
    assert [j.job_id for j in iot_jobs_backend.jobs()] == ["leaky"]


def test_and_invisible_in_the_next(iot_jobs_backend: MockIotJobs, iot_client: Any) -> None:
    # Whichever order (or worker) the tests run in, nothing is left from another test:
    # no thing, no job, no pending fault.
    assert iot_client.list_things()["things"] == []
    assert iot_client.list_jobs()["jobs"] == []
    assert iot_jobs_backend.notifications("leaky") == []


def test_without_the_fixture_nothing_is_mocked() -> None:
    assert current_store() is None


def test_the_fixture_hides_the_machines_aws_identity(
    monkeypatch: pytest.MonkeyPatch, iot_jobs_backend: MockIotJobs, iot_client: Any
) -> None:
    assert os.environ["AWS_ACCESS_KEY_ID"] == plugin.FAKE_ACCESS_KEY_ID
    assert "AWS_PROFILE" not in os.environ and "AWS_SESSION_TOKEN" not in os.environ
    assert os.environ["AWS_DEFAULT_REGION"] == "us-east-1"
    credentials = iot_client._request_signer._credentials
    assert credentials.access_key == plugin.FAKE_ACCESS_KEY_ID


@pytest.fixture
def a_developer_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_PROFILE", "production-admin")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAREALKEY000000000")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-south-1")


def test_a_developers_own_profile_and_region_do_not_leak_in(
    a_developer_profile: None, iot_jobs_backend: MockIotJobs
) -> None:
    assert "AWS_PROFILE" not in os.environ
    assert os.environ["AWS_ACCESS_KEY_ID"] == plugin.FAKE_ACCESS_KEY_ID
    assert os.environ["AWS_DEFAULT_REGION"] == "us-east-1"
    # Code under test that builds its own client lands in the mock, in the test's region.
    boto3.client("iot").create_thing(thingName="t")
    assert [t.arn for t in iot_jobs_backend.things()] == ["arn:aws:iot:us-east-1:123456789012:thing/t"]


# --- the handle --------------------------------------------------------------------


def test_notifications_are_what_the_device_would_have_received(iot_jobs_backend: MockIotJobs, iot_client: Any) -> None:
    iot_client.create_job(jobId="j1", targets=[thing_arn(iot_client, "dev")], document=DOCUMENT)

    messages = iot_jobs_backend.notifications("dev")
    assert [m.topic for m in messages] == ["$aws/things/dev/jobs/notify", "$aws/things/dev/jobs/notify-next"]
    notify, notify_next = messages
    assert [j["jobId"] for j in notify.payload["jobs"]["QUEUED"]] == ["j1"]
    assert notify_next.payload["execution"]["jobId"] == "j1"
    assert notify_next.payload["execution"]["status"] == "QUEUED"
    assert abs(notify.timestamp - iot_jobs_backend.now()) < 60
    assert iot_jobs_backend.notifications("someone-else") == []


def test_notifications_follow_the_device_through_the_job(
    iot_jobs_backend: MockIotJobs, iot_client: Any, iot_jobs_data_client: Any
) -> None:
    iot_client.create_job(jobId="j1", targets=[thing_arn(iot_client, "dev")], document=DOCUMENT)
    iot_jobs_data_client.start_next_pending_job_execution(thingName="dev")
    before = len(iot_jobs_backend.notifications("dev"))
    iot_jobs_data_client.update_job_execution(thingName="dev", jobId="j1", status="SUCCEEDED")

    fresh = iot_jobs_backend.notifications("dev")[before:]
    assert [m.topic.rsplit("/", 1)[1] for m in fresh] == ["notify", "notify-next"]
    assert fresh[0].payload["jobs"] == {}
    assert "execution" not in fresh[1].payload


@pytest.mark.iot_jobs_events("JOB", "JOB_EXECUTION")
def test_events_are_the_jobs_events_published(
    iot_jobs_backend: MockIotJobs, iot_client: Any, iot_jobs_data_client: Any
) -> None:
    targets = [thing_arn(iot_client, "a"), thing_arn(iot_client, "b")]
    iot_client.create_job(jobId="j1", targets=targets, document=DOCUMENT)
    iot_jobs_data_client.update_job_execution(thingName="a", jobId="j1", status="FAILED")
    iot_client.cancel_job(jobId="j1")

    events = iot_jobs_backend.events()
    topics = [e.topic for e in events]
    assert "$aws/events/jobExecution/j1/failed" in topics
    assert "$aws/events/job/j1/canceled" in topics
    canceled = events[topics.index("$aws/events/job/j1/canceled")].payload
    assert (canceled["eventType"], canceled["operation"], canceled["jobId"]) == ("JOB", "canceled", "j1")
    assert iot_jobs_backend.events(region="eu-west-1") == []


def test_views_are_plain_frozen_snapshots(
    iot_jobs_backend: MockIotJobs, iot_client: Any, iot_jobs_data_client: Any
) -> None:
    names = iot_jobs_backend.create_fleet(3, group="lab")
    group_arn = iot_client.describe_thing_group(thingGroupName="lab")["thingGroupArn"]
    iot_client.create_job(jobId="j1", targets=[group_arn], document=DOCUMENT, description="first")
    iot_jobs_data_client.update_job_execution(
        thingName=names[0], jobId="j1", status="IN_PROGRESS", statusDetails={"step": "download"}
    )

    (job,) = iot_jobs_backend.jobs()
    assert (job.job_id, job.status, job.target_selection, job.description) == ("j1", "IN_PROGRESS", "SNAPSHOT", "first")
    assert job.targets == (group_arn,)
    assert job.counts["QUEUED"] == 2 and job.counts["IN_PROGRESS"] == 1
    assert job.completed_at is None and job.document == DOCUMENT
    assert iot_jobs_backend.job("j1") == job

    executions = iot_jobs_backend.executions("j1")
    assert [e.thing_name for e in executions] == names
    first = executions[0]
    assert (first.status, first.status_details, first.version_number, first.execution_number) == (
        "IN_PROGRESS",
        {"step": "download"},
        2,
        1,
    )
    assert first.started_at is not None and first.queued_at <= first.started_at

    things = iot_jobs_backend.things()
    assert [(t.name, t.groups, t.version) for t in things] == [(n, ("lab",), 1) for n in names]

    with pytest.raises(dataclasses.FrozenInstanceError):
        job.status = "COMPLETED"  # type: ignore[misc]
    # A snapshot does not move when the mock does.
    iot_client.cancel_job(jobId="j1")
    assert job.status == "IN_PROGRESS"
    assert iot_jobs_backend.job("j1").status == "CANCELED"
    job.counts["QUEUED"] = 99
    assert iot_jobs_backend.job("j1").counts["QUEUED"] == 0


def test_executions_with_history_include_every_attempt(
    iot_jobs_backend: MockIotJobs, iot_client: Any, iot_jobs_data_client: Any
) -> None:
    iot_client.create_job(
        jobId="j1",
        targets=[thing_arn(iot_client, "dev")],
        document=DOCUMENT,
        jobExecutionsRetryConfig={"criteriaList": [{"failureType": "FAILED", "numberOfRetries": 1}]},
    )
    iot_jobs_data_client.update_job_execution(thingName="dev", jobId="j1", status="FAILED")

    assert [(e.execution_number, e.status) for e in iot_jobs_backend.executions("j1")] == [(2, "QUEUED")]
    history = iot_jobs_backend.executions("j1", history=True)
    assert [(e.execution_number, e.status, e.retry_attempt) for e in history] == [(1, "FAILED", 0), (2, "QUEUED", 1)]


def test_views_of_a_missing_job_raise_key_error(iot_jobs_backend: MockIotJobs) -> None:
    with pytest.raises(KeyError):
        iot_jobs_backend.job("nope")
    with pytest.raises(KeyError):
        iot_jobs_backend.executions("nope")


def test_create_fleet_of_500_is_complete(iot_jobs_backend: MockIotJobs, iot_client: Any) -> None:
    # Its speed is measured in benchmarks/, not asserted here.
    names = iot_jobs_backend.create_fleet(500, group="fleet")
    assert names[0] == "device-0000" and names[-1] == "device-0499" and len(set(names)) == 500
    assert len(iot_jobs_backend.things()) == 500
    pages = iot_client.get_paginator("list_things_in_thing_group").paginate(thingGroupName="fleet")
    assert [thing for page in pages for thing in page["things"]] == names
    described = iot_client.describe_thing(thingName="device-0499")
    assert described["thingArn"] == "arn:aws:iot:us-east-1:123456789012:thing/device-0499"


def test_create_fleet_reaches_continuous_jobs_on_the_group(iot_jobs_backend: MockIotJobs, iot_client: Any) -> None:
    iot_jobs_backend.create_fleet(2, group="fleet")
    group_arn = iot_client.describe_thing_group(thingGroupName="fleet")["thingGroupArn"]
    iot_client.create_job(jobId="always", targets=[group_arn], document=DOCUMENT, targetSelection="CONTINUOUS")

    added = iot_jobs_backend.create_fleet(2, group="fleet", prefix="late")

    assert [e.thing_name for e in iot_jobs_backend.executions("always")] == [
        "device-0000",
        "device-0001",
        *added,
    ]
    assert iot_jobs_backend.notifications("late-0001")[-1].payload["execution"]["jobId"] == "always"


def test_create_fleet_options_and_refusals(iot_jobs_backend: MockIotJobs) -> None:
    names = iot_jobs_backend.create_fleet(2, prefix="cam", attributes={"model": "x1"}, region="eu-west-1")
    assert names == ["cam-0000", "cam-0001"]
    assert iot_jobs_backend.things() == []
    (first, _) = iot_jobs_backend.things(region="eu-west-1")
    assert (first.attributes, first.groups) == ({"model": "x1"}, ())
    assert first.arn == "arn:aws:iot:eu-west-1:123456789012:thing/cam-0000"
    assert iot_jobs_backend.create_fleet(0) == []
    # Idempotent, as CreateThing is for identical things.
    assert iot_jobs_backend.create_fleet(2, prefix="cam", attributes={"model": "x1"}, region="eu-west-1") == names
    with pytest.raises(ValueError):
        iot_jobs_backend.create_fleet(-1)
    with pytest.raises(ValueError):
        iot_jobs_backend.create_fleet(2, prefix="bad name")
    with pytest.raises(ValueError):
        iot_jobs_backend.create_fleet(2, group="bad/group")


def test_fail_next_answers_the_error_then_serves_again(iot_jobs_backend: MockIotJobs) -> None:
    iot = boto3.client("iot", config=NO_RETRY)
    target = thing_arn(iot, "dev")
    iot_jobs_backend.fail_next("CreateJob")

    with pytest.raises(ClientError) as caught:
        iot.create_job(jobId="j1", targets=[target], document=DOCUMENT)
    error = caught.value.response
    assert error["Error"]["Code"] == "ThrottlingException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400  # the iot model's status for it
    # The refused call changed nothing; the next one is served.
    assert iot_jobs_backend.jobs() == []
    iot.create_job(jobId="j1", targets=[target], document=DOCUMENT)
    assert [j.job_id for j in iot_jobs_backend.jobs()] == ["j1"]


def test_fail_next_takes_boto3_names_codes_and_counts(iot_jobs_backend: MockIotJobs) -> None:
    data = boto3.client("iot-jobs-data", config=NO_RETRY)
    iot = boto3.client("iot", config=NO_RETRY)
    thing_arn(iot, "dev")
    iot_jobs_backend.fail_next("get_pending_job_executions", "ServiceUnavailableException", times=2)

    for _ in range(2):
        with pytest.raises(ClientError) as caught:
            data.get_pending_job_executions(thingName="dev")
        assert caught.value.response["Error"]["Code"] == "ServiceUnavailableException"
        assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
        iot.describe_thing(thingName="dev")  # other operations are not affected
    assert data.get_pending_job_executions(thingName="dev")["queuedJobs"] == []
    iot_jobs_backend.fail_next("GetPendingJobExecutions")
    with pytest.raises(ClientError) as caught:
        data.get_pending_job_executions(thingName="dev")
    assert caught.value.response["Error"]["Code"] == "ThrottlingException"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429


def test_fail_next_exercises_botocores_retries(iot_jobs_backend: MockIotJobs) -> None:
    iot = boto3.client("iot", config=Config(retries={"total_max_attempts": 2, "mode": "standard"}))
    iot_jobs_backend.fail_next("ListThings")
    response = iot.list_things()
    assert response["ResponseMetadata"]["RetryAttempts"] == 1


def test_fail_next_refuses_what_is_not_an_operation(iot_jobs_backend: MockIotJobs) -> None:
    with pytest.raises(ValueError, match="CreateJobs"):
        iot_jobs_backend.fail_next("CreateJobs")
    with pytest.raises(ValueError):
        iot_jobs_backend.fail_next("CreateJob", times=0)


def test_reset_forgets_state_and_faults(iot_jobs_backend: MockIotJobs, iot_client: Any) -> None:
    iot_jobs_backend.create_fleet(3, group="lab")
    iot_jobs_backend.create_fleet(1, region="eu-west-1")
    iot_jobs_backend.fail_next("ListThings")
    iot_jobs_backend.reset()

    assert iot_jobs_backend.things() == [] and iot_jobs_backend.things(region="eu-west-1") == []
    assert iot_client.list_things()["things"] == []  # the fault went too
    assert iot_client.list_thing_groups()["thingGroups"] == []


def test_advance_time_moves_the_clock_and_fires_timers(
    iot_jobs_backend: MockIotJobs, iot_client: Any, iot_jobs_data_client: Any
) -> None:
    iot_client.create_job(jobId="j1", targets=[thing_arn(iot_client, "dev")], document=DOCUMENT)
    iot_jobs_data_client.start_next_pending_job_execution(thingName="dev", stepTimeoutInMinutes=10)
    before = iot_jobs_backend.now()

    after = iot_jobs_backend.advance_time(minutes=9, seconds=30)
    assert 570 <= after - before < 575
    assert iot_jobs_backend.executions("j1")[0].status == "IN_PROGRESS"
    iot_jobs_backend.advance_time(seconds=31)
    assert iot_jobs_backend.executions("j1")[0].status == "TIMED_OUT"
    assert iot_jobs_backend.advance_time(hours=1) - before >= 4200


def test_backend_gives_the_internal_state_of_one_account_and_region(iot_jobs_backend: MockIotJobs) -> None:
    backend = iot_jobs_backend.backend(account_id="999999999999", region="eu-west-1")
    assert (backend.account_id, backend.region) == ("999999999999", "eu-west-1")
    assert iot_jobs_backend.backend().region == "us-east-1"


def test_the_docs_quick_start(iot_jobs_backend: MockIotJobs, iot_client: Any, iot_jobs_data_client: Any) -> None:
    # docs/plugin.md, "Quick start", verbatim.
    devices = iot_jobs_backend.create_fleet(3, group="thermostats")  # device-0000 .. device-0002
    group = iot_client.describe_thing_group(thingGroupName="thermostats")["thingGroupArn"]
    iot_client.create_job(jobId="fw-2", targets=[group], document=json.dumps({"version": "2"}))

    # What the device would have received on $aws/things/device-0000/jobs/notify-next:
    (notify, notify_next) = iot_jobs_backend.notifications(devices[0])
    assert notify_next.payload["execution"]["jobId"] == "fw-2"

    # The device plane: start the job, report success.
    iot_jobs_data_client.start_next_pending_job_execution(thingName=devices[0])
    iot_jobs_data_client.update_job_execution(thingName=devices[0], jobId="fw-2", status="SUCCEEDED")

    job = iot_jobs_backend.job("fw-2")
    assert (job.counts["SUCCEEDED"], job.counts["QUEUED"]) == (1, 2)


@pytest.mark.parametrize("moto_inside", [True, False], ids=["moto-inside", "moto-outside"])
def test_moto_answers_other_services_while_iot_stays_here(moto_inside: bool) -> None:
    moto = pytest.importorskip("moto")
    from mock_iotjobs import mock_iotjobs

    outer, inner = (mock_iotjobs(), moto.mock_aws()) if moto_inside else (moto.mock_aws(), mock_iotjobs())
    with outer as first, inner as second:
        handle = first if moto_inside else second
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="firmware")
        s3.put_object(Bucket="firmware", Key="2.4.1.bin", Body=b"image")
        boto3.client("iot", region_name="us-east-1").create_thing(thingName="t")
        assert s3.list_objects_v2(Bucket="firmware")["KeyCount"] == 1
        assert [t.name for t in handle.things()] == ["t"]


# --- marker, option, clients ---------------------------------------------------------


@pytest.mark.iot_jobs(region="eu-west-1", account_id="111122223333")
def test_the_marker_chooses_region_and_account(
    iot_jobs_backend: MockIotJobs, iot_client: Any, iot_jobs_data_client: Any
) -> None:
    assert iot_jobs_backend.default_region == "eu-west-1"
    assert iot_jobs_backend.default_account_id == "111122223333"
    assert os.environ["AWS_DEFAULT_REGION"] == "eu-west-1"
    assert os.environ["MOCK_IOTJOBS_ACCOUNT_ID"] == "111122223333"
    assert iot_client.meta.region_name == iot_jobs_data_client.meta.region_name == "eu-west-1"

    arn = thing_arn(iot_client, "dev")
    assert arn == "arn:aws:iot:eu-west-1:111122223333:thing/dev"
    job_arn = iot_client.create_job(jobId="j1", targets=[arn], document=DOCUMENT)["jobArn"]
    assert job_arn == "arn:aws:iot:eu-west-1:111122223333:job/j1"
    assert [j.arn for j in iot_jobs_backend.jobs()] == [job_arn]
    assert iot_jobs_data_client.get_pending_job_executions(thingName="dev")["queuedJobs"][0]["jobId"] == "j1"
    # A client of the default region talks to another, empty backend.
    assert boto3.client("iot", region_name="us-east-1").list_jobs()["jobs"] == []


@pytest.mark.iot_jobs(region="ap-southeast-2")
class TestMarkerOnAClass:
    def test_applies_to_each_method(self, iot_jobs_backend: MockIotJobs, iot_client: Any) -> None:
        assert iot_jobs_backend.default_region == "ap-southeast-2"
        assert iot_jobs_backend.default_account_id == "123456789012"
        assert iot_client.meta.region_name == "ap-southeast-2"

    @pytest.mark.iot_jobs(region="ca-central-1")
    def test_the_closest_marker_wins(self, iot_jobs_backend: MockIotJobs) -> None:
        assert iot_jobs_backend.default_region == "ca-central-1"


def test_without_a_marker_the_default_region_applies(
    request: pytest.FixtureRequest, iot_jobs_backend: MockIotJobs
) -> None:
    expected = request.config.getoption("iot_jobs_region") or "us-east-1"
    assert iot_jobs_backend.default_region == expected
    assert "MOCK_IOTJOBS_ACCOUNT_ID" not in os.environ


@pytest.mark.iot_jobs(account_id="12345")
def test_a_bad_account_is_a_usage_error(request: pytest.FixtureRequest) -> None:
    with pytest.raises(pytest.UsageError, match="12 digits"):
        plugin.settings_for(request)


@pytest.mark.iot_jobs(region="Europe")
def test_a_bad_region_is_a_usage_error(request: pytest.FixtureRequest) -> None:
    with pytest.raises(pytest.UsageError, match="region"):
        plugin.settings_for(request)


@pytest.mark.iot_jobs(zone="eu-west-1")
def test_an_unknown_marker_argument_is_a_usage_error(request: pytest.FixtureRequest) -> None:
    with pytest.raises(pytest.UsageError, match="region= and account_id="):
        plugin.settings_for(request)


def test_the_plugin_is_registered_once_with_its_marker(request: pytest.FixtureRequest) -> None:
    manager = request.config.pluginmanager
    assert [p for p in manager.get_plugins() if p is plugin] == [plugin]
    assert any(line.startswith("iot_jobs(") for line in request.config.getini("markers"))


# --- whole sessions: xdist, the option, loading without the entry point ------------------

INNER_ISOLATION = """
    import os
    import boto3
    import pytest

    def record(tmp_name):
        worker = os.environ.get("PYTEST_XDIST_WORKER", "none")
        with open(os.path.join(os.environ["INNER_OUT"], tmp_name), "w") as out:
            out.write(worker)

    def test_first(iot_jobs_backend, iot_client):
        record("first")
        iot_jobs_backend.create_fleet(50, group="g")
        iot_jobs_backend.fail_next("ListThings", times=3)
        assert iot_client.meta.region_name == "ap-southeast-2"  # from --iot-jobs-region

    def test_second_sees_nothing_of_the_first(iot_jobs_backend, iot_client):
        record("second")
        assert iot_client.list_things()["things"] == []
        assert iot_jobs_backend.things() == []

    def test_after_teardown_nothing_is_mocked():
        from mock_iotjobs.interception import current_store
        assert current_store() is None
        assert "MOCK_IOTJOBS_ACCOUNT_ID" not in os.environ
"""

INNER_MARKERS = """
    import os
    import pytest

    @pytest.mark.iot_jobs(region="eu-west-1", account_id="111122223333")
    def test_marker(iot_jobs_backend, iot_client):
        with open(os.path.join(os.environ["INNER_OUT"], "marker"), "w") as out:
            out.write(os.environ.get("PYTEST_XDIST_WORKER", "none"))
        arn = iot_client.create_thing(thingName="t")["thingArn"]
        assert arn == "arn:aws:iot:eu-west-1:111122223333:thing/t"

    def test_clients(iot_jobs_data_client, iot_client):
        iot_client.create_thing(thingName="t")
        assert iot_jobs_data_client.get_pending_job_executions(thingName="t")["queuedJobs"] == []
"""


def _run_pytest(directory: Path, *args: str, extra_env: Dict[str, str]) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.update(extra_env)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])
    env.pop("PYTEST_XDIST_WORKER", None)
    env.pop("PYTEST_ADDOPTS", None)
    # Hypothesis's plugin costs seconds per process at session end, for nothing here.
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-q", *args]
    return subprocess.run(command, cwd=directory, env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture
def inner_session(tmp_path: Path) -> Iterator[Path]:
    session = tmp_path / "session"
    session.mkdir()
    (session / "out").mkdir()
    (session / "test_isolation.py").write_text(textwrap.dedent(INNER_ISOLATION))
    (session / "test_markers.py").write_text(textwrap.dedent(INNER_MARKERS))
    yield session


def _plugin_args(request: pytest.FixtureRequest) -> List[str]:
    # Installed: the entry point loads the plugin (and -p would register it twice).
    return [] if request.config.pluginmanager.has_plugin("mock_iotjobs") else ["-p", "pytest_plugin.plugin"]


def test_a_session_under_xdist_with_two_workers(request: pytest.FixtureRequest, inner_session: Path) -> None:
    pytest.importorskip("xdist")
    result = _run_pytest(
        inner_session,
        *_plugin_args(request),
        "-n",
        "2",
        "--dist",
        "loadfile",  # keeps each file's tests in order on one worker
        "--iot-jobs-region",
        "ap-southeast-2",
        extra_env={"INNER_OUT": str(inner_session / "out")},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "5 passed" in result.stdout
    out = inner_session / "out"
    workers = {(out / name).read_text() for name in ("first", "second", "marker")}
    assert workers <= {"gw0", "gw1"} and len(workers) == 2, workers


def test_the_conftests_load_the_plugin_when_the_entry_point_is_off() -> None:
    # As from a source tree that is not installed: tests/conftest.py and
    # examples/conftest.py load the plugin themselves, once.
    result = _run_pytest(
        REPO,
        "tests/integration/test_plugin.py::test_the_plugin_is_registered_once_with_its_marker",
        "tests/integration/test_plugin.py::test_the_fixture_yields_an_active_empty_mock",
        "examples/tests/test_ota_agent.py::test_no_job_means_idle",
        extra_env={"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout
