"""Device agent: the ``iot-jobs-data`` loop that applies a firmware update on a device.

A device wakes when its ``notify-next`` topic says it has a job (or on its
own schedule), then:

1. ``StartNextPendingJobExecution`` claims the next job (QUEUED → IN_PROGRESS,
   with a step timeout so a device that dies mid-update times out);
2. checks the job document and its own preconditions — refusing with
   REJECTED when it cannot take the update (battery low, unsupported job);
3. downloads, reporting progress in ``statusDetails`` with ``expectedVersion``
   (optimistic locking), then installs;
4. reports SUCCEEDED, or FAILED with the reason.

The work is split in :meth:`DeviceAgent.begin` (claim and check) and
:meth:`DeviceAgent.complete` (download, install, report) because on a real
device they are separated by a reboot; :meth:`DeviceAgent.run_once` does both.
A job canceled or deleted under the device (``TerminalStateException``,
``InvalidStateTransitionException``, ``ResourceNotFoundException``) is
abandoned quietly: the cloud has already decided.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable, Dict, Optional

from botocore.exceptions import ClientError

from .rollout import error_code

# The job was canceled, deleted or finished elsewhere: stop working on it.
GONE = frozenset({"TerminalStateException", "InvalidStateTransitionException", "ResourceNotFoundException"})

IDLE = "IDLE"
SUCCEEDED = "SUCCEEDED"
FAILED = "FAILED"
REJECTED = "REJECTED"
ABANDONED = "ABANDONED"
OFFLINE = "OFFLINE"
UNREACHABLE = "UNREACHABLE"


class UpdateFailed(Exception):
    """Raised by an updater when the update cannot be applied; the reason goes to the cloud."""

    def __init__(self, reason: str, step: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.step = step


class DeviceOffline(Exception):
    """Raised by an updater when the device loses power or connectivity mid-update:
    nothing more is reported, and the job's timeout decides the outcome."""


class Updater:
    """The device-specific part; subclass it.  The defaults accept and apply anything."""

    def precheck(self, firmware: Dict[str, Any]) -> Optional[str]:
        """A reason to refuse this firmware (battery low, already installed...), or None."""
        return None

    def download(self, firmware: Dict[str, Any], report: Callable[[int], None]) -> None:
        """Fetch and verify the image, calling ``report(percent)`` as it goes."""
        report(100)

    def install(self, firmware: Dict[str, Any]) -> None:
        """Flash the image (raises :class:`UpdateFailed` on error)."""


@dataclass(frozen=True)
class AgentResult:
    thing_name: str
    outcome: str
    job_id: Optional[str] = None
    detail: str = ""


@dataclass
class ActiveJob:
    """A job this device has claimed: the execution's id and current version."""

    job_id: str
    version: int
    firmware: Dict[str, Any]


class DeviceAgent:
    """Runs the jobs of one thing.  ``jobs_data`` is a boto3 ``iot-jobs-data`` client."""

    def __init__(
        self, thing_name: str, jobs_data: Any, updater: Optional[Updater] = None, step_timeout_minutes: int = 5
    ) -> None:
        self.thing_name = thing_name
        self.jobs_data = jobs_data
        self.updater = updater or Updater()
        self.step_timeout_minutes = step_timeout_minutes

    def run_once(self) -> AgentResult:
        """Claim the next pending job, if any, and see it through."""
        begun = self.begin()
        if isinstance(begun, AgentResult):
            return begun
        return self.complete(begun)

    # --- phase 1: claim and check ---------------------------------------------
    def begin(self) -> "ActiveJob | AgentResult":
        try:
            response = self.jobs_data.start_next_pending_job_execution(
                thingName=self.thing_name,
                statusDetails={"step": "accepted"},
                stepTimeoutInMinutes=self.step_timeout_minutes,
            )
        except ClientError as error:
            return self._result(UNREACHABLE, None, error_code(error))
        execution = response.get("execution")
        if not execution:
            return self._result(IDLE, None)
        job = ActiveJob(execution["jobId"], execution["versionNumber"], {})
        try:
            document = json.loads(execution.get("jobDocument") or "{}")
        except ValueError:
            return self._finish(job, REJECTED, {"reason": "job document is not JSON"})
        if document.get("operation") != "firmware-update" or not isinstance(document.get("firmware"), dict):
            return self._finish(job, REJECTED, {"reason": f"unsupported operation {document.get('operation')}"})
        job.firmware = document["firmware"]
        refusal = self.updater.precheck(job.firmware)
        if refusal is not None:
            return self._finish(job, REJECTED, {"reason": refusal})
        return job

    # --- phase 2: download, install, report ---------------------------------------
    def complete(self, job: ActiveJob) -> AgentResult:
        try:
            self.updater.download(job.firmware, lambda percent: self._progress(job, "downloading", percent))
            self._progress(job, "installing", 0)
            self.updater.install(job.firmware)
        except UpdateFailed as failure:
            return self._finish(job, FAILED, {"reason": failure.reason, "step": failure.step})
        except DeviceOffline:
            return self._result(OFFLINE, job.job_id)
        except _Gone as gone:
            return self._result(ABANDONED, job.job_id, gone.code)
        except ClientError as error:
            return self._result(UNREACHABLE, job.job_id, error_code(error))
        return self._finish(job, SUCCEEDED, {"step": "done", "firmwareVersion": str(job.firmware.get("version"))})

    # --- reporting -------------------------------------------------------------------
    def _progress(self, job: ActiveJob, step: str, percent: int) -> None:
        self._update(job, "IN_PROGRESS", {"step": step, "progress": str(percent)})

    def _finish(self, job: ActiveJob, status: str, details: Dict[str, str]) -> AgentResult:
        try:
            self._update(job, status, details)
        except _Gone as gone:
            return self._result(ABANDONED, job.job_id, gone.code)
        except ClientError as error:
            return self._result(UNREACHABLE, job.job_id, error_code(error))
        return self._result(status, job.job_id, details.get("reason", ""))

    def _update(self, job: ActiveJob, status: str, details: Dict[str, str]) -> None:
        """UpdateJobExecution with optimistic locking; one resync on a version mismatch."""
        for attempt in (1, 2):
            try:
                response = self.jobs_data.update_job_execution(
                    thingName=self.thing_name,
                    jobId=job.job_id,
                    status=status,
                    statusDetails=details,
                    expectedVersion=job.version,
                    includeJobExecutionState=True,
                )
            except ClientError as error:
                code = error_code(error)
                if code in GONE:
                    raise _Gone(code) from error
                if code == "InvalidRequestException" and "version" in str(error).lower() and attempt == 1:
                    job.version = self._current_version(job)
                    continue
                raise
            job.version = response["executionState"]["versionNumber"]
            return

    def _current_version(self, job: ActiveJob) -> int:
        try:
            execution = self.jobs_data.describe_job_execution(
                thingName=self.thing_name, jobId=job.job_id, includeJobDocument=False
            )["execution"]
        except ClientError as error:
            if error_code(error) in GONE:
                raise _Gone(error_code(error)) from error
            raise
        return int(execution["versionNumber"])

    def _result(self, outcome: str, job_id: Optional[str], detail: str = "") -> AgentResult:
        return AgentResult(self.thing_name, outcome, job_id, detail)


class _Gone(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


__all__ = [
    "ABANDONED",
    "FAILED",
    "IDLE",
    "OFFLINE",
    "REJECTED",
    "SUCCEEDED",
    "UNREACHABLE",
    "ActiveJob",
    "AgentResult",
    "DeviceAgent",
    "DeviceOffline",
    "UpdateFailed",
    "Updater",
]
