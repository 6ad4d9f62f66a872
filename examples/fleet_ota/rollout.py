"""Fleet OTA rollout service: push a firmware release to a thing group with AWS IoT Jobs.

The service creates one SNAPSHOT job targeting the group, paced by
``jobExecutionsRolloutConfig`` (an exponential ramp: a few devices first,
more once they are notified) and guarded by ``abortConfig`` (cancel the
job once too large a share of the devices that finished have failed).
It then polls ``DescribeJob`` until the job completes or is canceled,
recording each poll, and builds a report from ``ListJobExecutionsForJob``
and ``DescribeJobExecution``.

It is plain boto3 code and knows nothing of the mock: the same service
runs against AWS.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional

from botocore.exceptions import ClientError

# Errors worth another try once botocore's own retries are spent.
TRANSIENT = frozenset(
    {"ThrottlingException", "ServiceUnavailableException", "InternalFailureException", "LimitExceededException"}
)
STATUSES = ("QUEUED", "IN_PROGRESS", "SUCCEEDED", "FAILED", "REJECTED", "TIMED_OUT", "CANCELED", "REMOVED")
_COUNT_MEMBERS = {
    "QUEUED": "numberOfQueuedThings",
    "IN_PROGRESS": "numberOfInProgressThings",
    "SUCCEEDED": "numberOfSucceededThings",
    "FAILED": "numberOfFailedThings",
    "REJECTED": "numberOfRejectedThings",
    "TIMED_OUT": "numberOfTimedOutThings",
    "CANCELED": "numberOfCanceledThings",
    "REMOVED": "numberOfRemovedThings",
}
FINISHED = ("SUCCEEDED", "FAILED", "REJECTED", "TIMED_OUT")
ATTENTION = ("IN_PROGRESS", "FAILED", "REJECTED", "TIMED_OUT", "REMOVED")


class RolloutError(Exception):
    """The rollout could not be started or inspected."""


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


@dataclass(frozen=True)
class FirmwareRelease:
    """What the devices are asked to install."""

    version: str
    url: str
    sha256: str
    size_bytes: int

    def job_document(self) -> str:
        return json.dumps(
            {
                "operation": "firmware-update",
                "firmware": {
                    "version": self.version,
                    "url": self.url,
                    "sha256": self.sha256,
                    "sizeBytes": self.size_bytes,
                },
            },
            sort_keys=True,
        )


@dataclass(frozen=True)
class RolloutPolicy:
    """Pacing, abort and timeout settings of a rollout."""

    base_rate_per_minute: int = 5
    increment_factor: float = 2.0
    increase_after_notified: int = 5
    maximum_per_minute: int = 20
    # Abort once at least ``abort_min_executed`` devices finished and this share of them failed.
    abort_failure_percentage: float = 25.0
    abort_min_executed: int = 10
    in_progress_timeout_minutes: int = 30

    def create_job_config(self) -> Dict[str, Any]:
        return {
            "jobExecutionsRolloutConfig": {
                "maximumPerMinute": self.maximum_per_minute,
                "exponentialRate": {
                    "baseRatePerMinute": self.base_rate_per_minute,
                    "incrementFactor": self.increment_factor,
                    "rateIncreaseCriteria": {"numberOfNotifiedThings": self.increase_after_notified},
                },
            },
            "abortConfig": {
                "criteriaList": [
                    {
                        "failureType": "ALL",
                        "action": "CANCEL",
                        "thresholdPercentage": self.abort_failure_percentage,
                        "minNumberOfExecutedThings": self.abort_min_executed,
                    }
                ]
            },
            "timeoutConfig": {"inProgressTimeoutInMinutes": self.in_progress_timeout_minutes},
        }


@dataclass(frozen=True)
class Progress:
    """One poll of the job: its status and how many devices are in each state."""

    job_id: str
    status: str
    counts: Dict[str, int]
    targeted: int
    elapsed_seconds: float
    reason_code: Optional[str] = None

    @property
    def notified(self) -> int:
        """Devices that have an execution (the rollout reached them)."""
        return sum(self.counts.values())

    @property
    def finished(self) -> int:
        return sum(self.counts[s] for s in FINISHED)

    @property
    def done(self) -> bool:
        return self.status in ("COMPLETED", "CANCELED")


@dataclass(frozen=True)
class Wave:
    """Devices the rollout notified between two polls."""

    number: int
    elapsed_seconds: float
    notified: int
    total_notified: int


@dataclass(frozen=True)
class DeviceResult:
    thing_name: str
    status: str
    execution_number: int
    details: Dict[str, str]


@dataclass
class RolloutReport:
    job_id: str
    status: str
    reason_code: Optional[str]
    targeted: int
    counts: Dict[str, int]
    devices: List[DeviceResult]
    waves: List[Wave] = field(default_factory=list)

    @property
    def aborted(self) -> bool:
        return self.status == "CANCELED"

    @property
    def success_rate(self) -> float:
        return 100.0 * self.counts["SUCCEEDED"] / self.targeted if self.targeted else 0.0

    def attention(self) -> List[DeviceResult]:
        """Devices that tried the update and did not end up on the new firmware
        (canceled and never-reached devices are only counted)."""
        return [d for d in self.devices if d.status in ATTENTION]

    def render(self) -> str:
        lines = [
            f"Rollout {self.job_id}: {self.status}"
            + (f" ({self.reason_code})" if self.reason_code else "")
            + f" - {self.counts['SUCCEEDED']}/{self.targeted} devices updated ({self.success_rate:.1f}%)",
            "",
            "  wave  at      notified  total",
        ]
        for wave in self.waves:
            lines.append(
                f"  {wave.number:>4}  {_minutes(wave.elapsed_seconds):<6}  {wave.notified:>8}  {wave.total_notified:>5}"
            )
        lines += ["", "  status       devices"]
        for status in STATUSES:
            if self.counts.get(status):
                lines.append(f"  {status:<11}  {self.counts[status]:>7}")
        never = self.targeted - sum(self.counts.values())
        if never > 0:
            lines.append(f"  {'NOT REACHED':<11}  {never:>7}")
        attention = self.attention()
        if attention:
            lines += ["", "  device needing attention   status      exec  details"]
            for device in attention:
                details = ", ".join(f"{k}={v}" for k, v in sorted(device.details.items())) or "-"
                lines.append(f"  {device.thing_name:<25}  {device.status:<10}  {device.execution_number:>4}  {details}")
        return "\n".join(lines)


def _minutes(seconds: float) -> str:
    return f"t+{int(seconds // 60)}m"


def waves_of(history: List[Progress]) -> List[Wave]:
    """The waves a series of polls shows: each poll that found newly notified devices."""
    waves: List[Wave] = []
    seen = 0
    for progress in history:
        if progress.notified > seen:
            waves.append(Wave(len(waves) + 1, progress.elapsed_seconds, progress.notified - seen, progress.notified))
            seen = progress.notified
    return waves


class RolloutService:
    """Starts, watches and reports firmware rollouts to thing groups.

    ``iot`` is a boto3 ``iot`` client.  ``sleep`` is how the service waits
    between polls and retries (``time.sleep`` in production; a simulation
    passes a function that moves its clock instead).
    """

    def __init__(
        self,
        iot: Any,
        *,
        sleep: Callable[[float], None] = time.sleep,
        attempts: int = 4,
        retry_delay_seconds: float = 2.0,
    ) -> None:
        self.iot = iot
        self.sleep = sleep
        self.attempts = attempts
        self.retry_delay_seconds = retry_delay_seconds

    # --- start ---------------------------------------------------------------
    def start(
        self, job_id: str, group_name: str, release: FirmwareRelease, policy: Optional[RolloutPolicy] = None
    ) -> int:
        """Create the rollout job for every thing in ``group_name`` (and its subgroups).

        Returns how many devices it targets.  Transient errors are retried;
        a retry that finds the job already created (the earlier attempt did
        reach AWS) accepts it if it carries the same firmware.
        """
        policy = policy or RolloutPolicy()
        try:
            group_arn = self.iot.describe_thing_group(thingGroupName=group_name)["thingGroupArn"]
        except ClientError as error:
            raise RolloutError(f"cannot target group {group_name}: {error_code(error)}") from error
        targeted = self._count_members(group_name)
        if targeted == 0:
            raise RolloutError(f"group {group_name} has no devices")
        document = release.job_document()
        request = dict(
            jobId=job_id,
            targets=[group_arn],
            targetSelection="SNAPSHOT",
            document=document,
            description=f"OTA firmware {release.version} to {group_name}",
            **policy.create_job_config(),
        )
        for attempt in range(1, self.attempts + 1):
            try:
                self.iot.create_job(**request)
                return targeted
            except ClientError as error:
                code = error_code(error)
                if code == "ResourceAlreadyExistsException" and attempt > 1 and self._is_ours(job_id, document):
                    return targeted
                if code not in TRANSIENT or attempt == self.attempts:
                    raise RolloutError(f"cannot create job {job_id}: {code}: {error}") from error
                self.sleep(self.retry_delay_seconds * attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    def _count_members(self, group_name: str) -> int:
        pages = self.iot.get_paginator("list_things_in_thing_group").paginate(thingGroupName=group_name, recursive=True)
        return sum(len(page.get("things", [])) for page in pages)

    def _is_ours(self, job_id: str, document: str) -> bool:
        return bool(self.iot.get_job_document(jobId=job_id).get("document") == document)

    # --- watch ---------------------------------------------------------------
    def progress(self, job_id: str, targeted: int, elapsed_seconds: float = 0.0) -> Progress:
        job = self.iot.describe_job(jobId=job_id)["job"]
        details = job.get("jobProcessDetails", {})
        return Progress(
            job_id=job_id,
            status=job["status"],
            counts={status: int(details.get(member, 0)) for status, member in _COUNT_MEMBERS.items()},
            targeted=targeted,
            elapsed_seconds=elapsed_seconds,
            reason_code=job.get("reasonCode"),
        )

    def monitor(
        self,
        job_id: str,
        targeted: int,
        *,
        poll_seconds: float = 60.0,
        max_polls: int = 1000,
        on_progress: Optional[Callable[[Progress], None]] = None,
        wait_for_running: bool = True,
    ) -> List[Progress]:
        """Poll the job every ``poll_seconds`` until it completes or is canceled
        and (with ``wait_for_running``) no device is still mid-update: a canceled
        job's running executions go on to their own outcome.

        A poll that fails transiently is skipped, not fatal: a monitoring
        loop must outlive throttling.  Returns every successful poll.
        """
        history: List[Progress] = []
        for poll in range(max_polls):
            elapsed = poll * poll_seconds
            try:
                progress = self.progress(job_id, targeted, elapsed)
            except ClientError as error:
                if error_code(error) not in TRANSIENT:
                    raise
            else:
                history.append(progress)
                if on_progress is not None:
                    on_progress(progress)
                if progress.done and not (wait_for_running and progress.counts["IN_PROGRESS"]):
                    return history
            self.sleep(poll_seconds)
        raise RolloutError(f"job {job_id} still running after {max_polls} polls")

    def abort(self, job_id: str, comment: str) -> None:
        """Stop the rollout by hand: queued devices are canceled, running ones finish."""
        self.iot.cancel_job(jobId=job_id, reasonCode="OPERATOR_ABORT", comment=comment)

    # --- report ----------------------------------------------------------------
    def report(self, job_id: str, history: List[Progress]) -> RolloutReport:
        last = history[-1] if history else self.progress(job_id, 0)
        devices = []
        pages = self.iot.get_paginator("list_job_executions_for_job").paginate(jobId=job_id)
        for page in pages:
            for entry in page.get("executionSummaries", []):
                summary = entry["jobExecutionSummary"]
                thing = entry["thingArn"].rsplit("/", 1)[-1]
                details: Dict[str, str] = {}
                if summary["status"] != "SUCCEEDED":
                    # Only the full execution carries the device's statusDetails.
                    execution = self.iot.describe_job_execution(jobId=job_id, thingName=thing)["execution"]
                    details = execution.get("statusDetails", {}).get("detailsMap", {})
                devices.append(DeviceResult(thing, summary["status"], summary.get("executionNumber", 1), details))
        return RolloutReport(
            job_id=job_id,
            status=last.status,
            reason_code=last.reason_code,
            targeted=last.targeted,
            counts=dict(last.counts),
            devices=devices,
            waves=waves_of(history),
        )
