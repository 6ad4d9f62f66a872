"""The device agent's own tests: the iot-jobs-data loop against the mock."""

from __future__ import annotations

import json
from typing import Any, Callable, Dict, List, Optional

import boto3
import pytest
from botocore.config import Config
from fleet_ota.agent import (
    ABANDONED,
    FAILED,
    IDLE,
    OFFLINE,
    REJECTED,
    SUCCEEDED,
    UNREACHABLE,
    ActiveJob,
    DeviceAgent,
    DeviceOffline,
    UpdateFailed,
    Updater,
)
from fleet_ota.rollout import FirmwareRelease

from mock_iotjobs import MockIotJobs

NO_RETRY = Config(retries={"total_max_attempts": 1, "mode": "standard"})
DOCUMENT = FirmwareRelease("2.4.1", "https://firmware.example.com/2.4.1.bin", "ab" * 32, 1024).job_document()


class ScriptedUpdater(Updater):
    def __init__(
        self,
        refuse: Optional[str] = None,
        fail: Optional[str] = None,
        offline: bool = False,
        during_download: Optional[Callable[[], None]] = None,
    ) -> None:
        self.refuse, self.fail, self.offline, self.during_download = refuse, fail, offline, during_download
        self.installed: List[Dict[str, Any]] = []

    def precheck(self, firmware: Dict[str, Any]) -> Optional[str]:
        return self.refuse

    def download(self, firmware: Dict[str, Any], report: Callable[[int], None]) -> None:
        report(50)
        if self.during_download is not None:
            self.during_download()
        if self.offline:
            raise DeviceOffline()
        report(100)

    def install(self, firmware: Dict[str, Any]) -> None:
        if self.fail:
            raise UpdateFailed(self.fail, "installing")
        self.installed.append(firmware)


@pytest.fixture
def device(iot_jobs_backend: MockIotJobs, iot_client: Any) -> str:
    iot_client.create_thing(thingName="thermostat-1")
    return "thermostat-1"


def create_job(iot: Any, job_id: str = "fw-1", document: str = DOCUMENT, thing: str = "thermostat-1") -> None:
    arn = iot.describe_thing(thingName=thing)["thingArn"]
    iot.create_job(jobId=job_id, targets=[arn], document=document)


def test_no_job_means_idle(device: str, iot_jobs_data_client: Any) -> None:
    assert DeviceAgent(device, iot_jobs_data_client).run_once().outcome == IDLE


def test_an_update_is_applied_and_reported(
    device: str, iot_client: Any, iot_jobs_data_client: Any, iot_jobs_backend: MockIotJobs
) -> None:
    create_job(iot_client)
    updater = ScriptedUpdater()

    result = DeviceAgent(device, iot_jobs_data_client, updater).run_once()

    assert (result.outcome, result.job_id) == (SUCCEEDED, "fw-1")
    assert updater.installed == [json.loads(DOCUMENT)["firmware"]]
    (execution,) = iot_jobs_backend.executions("fw-1")
    assert execution.status == "SUCCEEDED"
    assert execution.status_details == {"step": "done", "firmwareVersion": "2.4.1"}
    # accepted, downloading 50, downloading 100, installing, done: five updates after QUEUED.
    assert execution.version_number == 6
    assert iot_jobs_backend.job("fw-1").status == "COMPLETED"


def test_the_device_was_told_of_the_job_before_it_asked(
    device: str, iot_client: Any, iot_jobs_backend: MockIotJobs
) -> None:
    create_job(iot_client)
    (message,) = [m for m in iot_jobs_backend.notifications(device) if m.topic.endswith("/notify-next")]
    assert message.payload["execution"]["jobId"] == "fw-1"
    # notify-next is an MQTT message: the document is the JSON object itself.
    assert message.payload["execution"]["jobDocument"] == json.loads(DOCUMENT)


def test_progress_is_visible_in_the_cloud_while_downloading(
    device: str, iot_client: Any, iot_jobs_data_client: Any
) -> None:
    create_job(iot_client)
    seen: List[Dict[str, str]] = []

    def look() -> None:
        execution = iot_client.describe_job_execution(jobId="fw-1", thingName=device)["execution"]
        seen.append(execution["statusDetails"]["detailsMap"])

    DeviceAgent(device, iot_jobs_data_client, ScriptedUpdater(during_download=look)).run_once()
    assert seen == [{"step": "downloading", "progress": "50"}]


def test_a_device_that_cannot_take_the_update_rejects_it(
    device: str, iot_client: Any, iot_jobs_data_client: Any, iot_jobs_backend: MockIotJobs
) -> None:
    create_job(iot_client)
    result = DeviceAgent(device, iot_jobs_data_client, ScriptedUpdater(refuse="battery low")).run_once()
    assert (result.outcome, result.detail) == (REJECTED, "battery low")
    assert iot_jobs_backend.executions("fw-1")[0].status_details == {"reason": "battery low"}


def test_a_job_that_is_not_a_firmware_update_is_rejected(
    device: str, iot_client: Any, iot_jobs_data_client: Any
) -> None:
    create_job(iot_client, document=json.dumps({"operation": "reboot"}))
    result = DeviceAgent(device, iot_jobs_data_client).run_once()
    assert (result.outcome, result.detail) == (REJECTED, "unsupported operation reboot")


def test_a_failed_install_is_reported_with_its_reason(
    device: str, iot_client: Any, iot_jobs_data_client: Any, iot_jobs_backend: MockIotJobs
) -> None:
    create_job(iot_client)
    result = DeviceAgent(device, iot_jobs_data_client, ScriptedUpdater(fail="flash write error")).run_once()
    assert result.outcome == FAILED
    (execution,) = iot_jobs_backend.executions("fw-1")
    assert (execution.status, execution.status_details) == (
        "FAILED",
        {"reason": "flash write error", "step": "installing"},
    )


def test_a_job_canceled_mid_update_is_abandoned(device: str, iot_client: Any, iot_jobs_data_client: Any) -> None:
    create_job(iot_client)
    agent = DeviceAgent(device, iot_jobs_data_client)
    job = agent.begin()
    assert isinstance(job, ActiveJob)
    iot_client.cancel_job(jobId="fw-1", force=True)

    result = agent.complete(job)
    assert result.outcome == ABANDONED
    assert result.detail in ("InvalidStateTransitionException", "TerminalStateException")


def test_a_job_deleted_mid_update_is_abandoned(device: str, iot_client: Any, iot_jobs_data_client: Any) -> None:
    create_job(iot_client)
    agent = DeviceAgent(device, iot_jobs_data_client)
    job = agent.begin()
    assert isinstance(job, ActiveJob)
    iot_client.delete_job(jobId="fw-1", force=True)
    assert agent.complete(job) == agent.complete(job)  # the same answer every time
    assert agent.complete(job).outcome == ABANDONED


def test_a_stale_version_is_resynchronised_once(
    device: str, iot_client: Any, iot_jobs_data_client: Any, iot_jobs_backend: MockIotJobs
) -> None:
    create_job(iot_client)
    agent = DeviceAgent(device, iot_jobs_data_client)
    job = agent.begin()
    assert isinstance(job, ActiveJob)
    # Another process on the device reports too: the agent's version is now stale.
    iot_jobs_data_client.update_job_execution(
        thingName=device, jobId="fw-1", status="IN_PROGRESS", statusDetails={"step": "watchdog"}
    )
    assert agent.complete(job).outcome == SUCCEEDED
    assert iot_jobs_backend.executions("fw-1")[0].status == "SUCCEEDED"


def test_a_device_that_dies_mid_update_times_out(
    device: str, iot_client: Any, iot_jobs_data_client: Any, iot_jobs_backend: MockIotJobs
) -> None:
    create_job(iot_client)
    agent = DeviceAgent(device, iot_jobs_data_client, ScriptedUpdater(offline=True), step_timeout_minutes=5)
    assert agent.run_once().outcome == OFFLINE
    assert iot_jobs_backend.executions("fw-1")[0].status == "IN_PROGRESS"

    iot_jobs_backend.advance_time(minutes=5)
    assert iot_jobs_backend.executions("fw-1")[0].status == "TIMED_OUT"
    assert iot_jobs_backend.job("fw-1").status == "COMPLETED"


def test_an_unreachable_service_is_retried_on_the_next_wake(
    device: str, iot_client: Any, iot_jobs_backend: MockIotJobs
) -> None:
    create_job(iot_client)
    agent = DeviceAgent(device, boto3.client("iot-jobs-data", config=NO_RETRY))
    iot_jobs_backend.fail_next("StartNextPendingJobExecution", "ServiceUnavailableException")

    first = agent.run_once()
    assert (first.outcome, first.detail) == (UNREACHABLE, "ServiceUnavailableException")
    assert iot_jobs_backend.executions("fw-1")[0].status == "QUEUED"  # the failed call changed nothing
    assert agent.run_once().outcome == SUCCEEDED


def test_a_throttled_report_leaves_the_job_to_resume(
    device: str, iot_client: Any, iot_jobs_backend: MockIotJobs
) -> None:
    create_job(iot_client)
    agent = DeviceAgent(device, boto3.client("iot-jobs-data", config=NO_RETRY))
    iot_jobs_backend.fail_next("UpdateJobExecution", times=1)

    assert agent.run_once().outcome == UNREACHABLE
    # StartNextPendingJobExecution hands back the execution already in progress.
    assert agent.run_once().outcome == SUCCEEDED


def test_queued_jobs_are_run_one_after_the_other(device: str, iot_client: Any, iot_jobs_data_client: Any) -> None:
    create_job(iot_client, "fw-1")
    create_job(iot_client, "fw-2")
    agent = DeviceAgent(device, iot_jobs_data_client)
    outcomes = [(r.outcome, r.job_id) for r in (agent.run_once(), agent.run_once(), agent.run_once())]
    assert outcomes == [(SUCCEEDED, "fw-1"), (SUCCEEDED, "fw-2"), (IDLE, None)]
