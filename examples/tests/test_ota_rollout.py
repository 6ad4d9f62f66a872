"""The rollout service's own tests, written against the mock the way a user would."""

from __future__ import annotations

import json
from typing import Any, List

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from fleet_ota.rollout import FirmwareRelease, Progress, RolloutError, RolloutPolicy, RolloutService, waves_of
from fleet_ota.simulator import DeviceProfile, SimulatedFleet

from mock_iotjobs import MockIotJobs

pytestmark = pytest.mark.iot_jobs(region="eu-west-1")

RELEASE = FirmwareRelease("2.4.1", "https://firmware.example.com/2.4.1.bin", "ab" * 32, 1024)
# total_max_attempts counts the first try: 1 means no retry (botocore's max_attempts counts retries only).
NO_RETRY = Config(retries={"total_max_attempts": 1, "mode": "standard"})


def no_sleep(seconds: float) -> None:
    pass


def test_start_creates_a_paced_group_job_with_abort_and_timeout(iot_jobs_backend: MockIotJobs, iot_client: Any) -> None:
    iot_jobs_backend.create_fleet(30, group="lab")
    service = RolloutService(iot_client, sleep=no_sleep)

    targeted = service.start("fw-1", "lab", RELEASE, RolloutPolicy(base_rate_per_minute=5))

    assert targeted == 30
    job = iot_jobs_backend.job("fw-1")
    assert job.target_selection == "SNAPSHOT"
    assert job.targets == ("arn:aws:iot:eu-west-1:123456789012:thinggroup/lab",)
    assert json.loads(job.document or "")["firmware"]["version"] == "2.4.1"
    assert job.config["abortConfig"]["criteriaList"][0]["failureType"] == "ALL"
    assert job.config["timeoutConfig"] == {"inProgressTimeoutInMinutes": 30}
    # The first wave only: five devices notified, the rest waiting for the rollout.
    assert job.counts["QUEUED"] == 5
    assert job.waiting == 25


def test_waves_ramp_up_as_the_clock_moves(iot_jobs_backend: MockIotJobs, iot_client: Any) -> None:
    iot_jobs_backend.create_fleet(40, group="lab")
    service = RolloutService(iot_client, sleep=no_sleep)
    service.start("fw-1", "lab", RELEASE, RolloutPolicy(base_rate_per_minute=5, increment_factor=2.0))
    notified: List[int] = []
    for _ in range(4):
        notified.append(service.progress("fw-1", 40).notified)
        iot_jobs_backend.advance_time(minutes=1)
    assert notified == [5, 15, 35, 40]


def run_rollout(mock: MockIotJobs, iot: Any, jobs_data: Any, fleet: SimulatedFleet, **policy: Any) -> Any:
    def sleep(seconds: float) -> None:
        mock.advance_time(seconds=seconds)
        fleet.step()

    service = RolloutService(iot, sleep=sleep)
    targeted = service.start("fw-1", "lab", RELEASE, RolloutPolicy(**policy))
    history = service.monitor("fw-1", targeted, max_polls=60)
    return service.report("fw-1", history)


def test_a_rollout_runs_to_completion_and_reports_the_failures(
    iot_jobs_backend: MockIotJobs, iot_client: Any, iot_jobs_data_client: Any
) -> None:
    names = iot_jobs_backend.create_fleet(20, group="lab")
    profiles = {
        names[11]: DeviceProfile(fail="checksum mismatch"),
        names[17]: DeviceProfile(reject="battery low"),
        names[4]: DeviceProfile(update_minutes=3, wake_delay_minutes=2),
    }
    fleet = SimulatedFleet(iot_jobs_backend, iot_jobs_data_client, names, profiles)

    report = run_rollout(iot_jobs_backend, iot_client, iot_jobs_data_client, fleet)

    assert report.status == "COMPLETED"
    assert report.counts["SUCCEEDED"] == 18
    assert [(d.thing_name, d.status, d.details.get("reason")) for d in report.attention()] == [
        (names[11], "FAILED", "checksum mismatch"),
        (names[17], "REJECTED", "battery low"),
    ]
    assert [w.notified for w in report.waves] == [5, 10, 5]
    assert "COMPLETED - 18/20 devices updated (90.0%)" in report.render()
    # What the devices reported is what the mock holds.
    succeeded = [e for e in iot_jobs_backend.executions("fw-1") if e.status == "SUCCEEDED"]
    assert len(succeeded) == 18
    assert all(e.status_details == {"step": "done", "firmwareVersion": "2.4.1"} for e in succeeded)


@pytest.mark.iot_jobs_events("JOB", "JOB_EXECUTION")
def test_too_many_failures_abort_the_rollout(
    iot_jobs_backend: MockIotJobs, iot_client: Any, iot_jobs_data_client: Any
) -> None:
    names = iot_jobs_backend.create_fleet(40, group="lab")
    profiles = {name: DeviceProfile(fail="boot loop") for name in names[::2]}
    fleet = SimulatedFleet(iot_jobs_backend, iot_jobs_data_client, names, profiles)

    report = run_rollout(iot_jobs_backend, iot_client, iot_jobs_data_client, fleet, abort_min_executed=10)

    assert report.aborted
    assert report.status == "CANCELED"
    # The devices the rollout had not reached yet never get the update.
    assert sum(report.counts.values()) < 40 or report.counts["CANCELED"] > 0
    assert any(e.topic == "$aws/events/job/fw-1/canceled" for e in iot_jobs_backend.events())


def test_create_job_is_retried_when_throttled(iot_jobs_backend: MockIotJobs) -> None:
    iot_jobs_backend.create_fleet(3, group="lab")
    slept: List[float] = []
    service = RolloutService(boto3.client("iot", config=NO_RETRY), sleep=slept.append)
    iot_jobs_backend.fail_next("CreateJob", times=2)

    assert service.start("fw-1", "lab", RELEASE) == 3
    assert slept == [2.0, 4.0]
    assert [job.job_id for job in iot_jobs_backend.jobs()] == ["fw-1"]


def test_start_gives_up_after_its_attempts_and_leaves_nothing_behind(iot_jobs_backend: MockIotJobs) -> None:
    iot_jobs_backend.create_fleet(3, group="lab")
    service = RolloutService(boto3.client("iot", config=NO_RETRY), sleep=no_sleep, attempts=3)
    iot_jobs_backend.fail_next("CreateJob", "ServiceUnavailableException", times=3)

    with pytest.raises(RolloutError, match="ServiceUnavailableException"):
        service.start("fw-1", "lab", RELEASE)
    assert iot_jobs_backend.jobs() == []


class LostResponse:
    """An ``iot`` client whose first CreateJob reaches the service but whose answer is lost."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.lost = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def create_job(self, **kwargs: Any) -> Any:
        response = self._client.create_job(**kwargs)
        if not self.lost:
            self.lost = True
            raise ClientError({"Error": {"Code": "ServiceUnavailableException", "Message": "lost"}}, "CreateJob")
        return response


def test_a_retry_that_finds_its_own_job_accepts_it(iot_jobs_backend: MockIotJobs, iot_client: Any) -> None:
    iot_jobs_backend.create_fleet(3, group="lab")
    service = RolloutService(LostResponse(iot_client), sleep=no_sleep)
    assert service.start("fw-1", "lab", RELEASE) == 3


def test_a_job_id_taken_by_another_release_is_an_error(iot_jobs_backend: MockIotJobs, iot_client: Any) -> None:
    iot_jobs_backend.create_fleet(3, group="lab")
    RolloutService(iot_client).start("fw-1", "lab", RELEASE)
    other = FirmwareRelease("9.9.9", "https://firmware.example.com/9.bin", "cd" * 32, 1)
    with pytest.raises(RolloutError, match="ResourceAlreadyExistsException"):
        RolloutService(LostResponse(iot_client), sleep=no_sleep).start("fw-1", "lab", other)


def test_monitoring_outlives_throttled_polls(iot_jobs_backend: MockIotJobs) -> None:
    names = iot_jobs_backend.create_fleet(5, group="lab")
    jobs_data = boto3.client("iot-jobs-data")
    fleet = SimulatedFleet(iot_jobs_backend, jobs_data, names)

    def sleep(seconds: float) -> None:
        iot_jobs_backend.advance_time(seconds=seconds)
        fleet.step()

    service = RolloutService(boto3.client("iot", config=NO_RETRY), sleep=sleep)
    targeted = service.start("fw-1", "lab", RELEASE)
    iot_jobs_backend.fail_next("DescribeJob", "ThrottlingException", times=2)
    history = service.monitor("fw-1", targeted, max_polls=20)

    assert history[-1].status == "COMPLETED"
    # The two throttled polls are missing: the first recorded one is the third minute.
    assert history[0].elapsed_seconds == 120


def test_monitor_raises_on_a_real_error(iot_jobs_backend: MockIotJobs, iot_client: Any) -> None:
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        RolloutService(iot_client, sleep=no_sleep).monitor("missing", 1)


def test_an_empty_or_missing_group_cannot_be_rolled_out_to(iot_jobs_backend: MockIotJobs, iot_client: Any) -> None:
    service = RolloutService(iot_client, sleep=no_sleep)
    with pytest.raises(RolloutError, match="ResourceNotFoundException"):
        service.start("fw-1", "nowhere", RELEASE)
    iot_client.create_thing_group(thingGroupName="empty")
    with pytest.raises(RolloutError, match="no devices"):
        service.start("fw-1", "empty", RELEASE)


def test_an_operator_abort_cancels_the_queued_devices(iot_jobs_backend: MockIotJobs, iot_client: Any) -> None:
    iot_jobs_backend.create_fleet(10, group="lab")
    service = RolloutService(iot_client, sleep=no_sleep)
    service.start("fw-1", "lab", RELEASE)
    service.abort("fw-1", "bad build")

    job = iot_jobs_backend.job("fw-1")
    assert (job.status, job.reason_code, job.comment) == ("CANCELED", "OPERATOR_ABORT", "bad build")
    assert {e.status for e in iot_jobs_backend.executions("fw-1")} == {"CANCELED"}


def test_waves_are_read_from_the_polls() -> None:
    def poll(minute: int, notified: int) -> Progress:
        counts = dict.fromkeys(("QUEUED", "SUCCEEDED"), 0)
        counts["QUEUED"] = notified
        return Progress("j", "IN_PROGRESS", counts, 10, minute * 60.0)

    waves = waves_of([poll(0, 2), poll(1, 2), poll(2, 6), poll(3, 10)])
    assert [(w.number, w.elapsed_seconds, w.notified, w.total_notified) for w in waves] == [
        (1, 0.0, 2, 2),
        (2, 120.0, 4, 6),
        (3, 180.0, 4, 10),
    ]
