"""The device plane: ``iot-jobs-data`` operations a device calls over HTTPS."""

from __future__ import annotations

from typing import Optional

from ... import logs
from ...backend.jobs.checks import check_status_details
from ...backend.jobs.documents import device_document
from ...backend.jobs.executions import CANCEL_STEP_TIMER, device_execution, execution_state, summary
from ...backend.jobs.model import DEVICE_REPORTABLE, IN_PROGRESS, QUEUED, JobExecution
from ...backend.state import Backend
from ...protocol.errors import ServiceError, invalid_request, invalid_transition, not_found
from ...protocol.models import JOBS_DATA
from ..base import Context, Params, Result, compact, operation

NEXT = "$next"
# The Context.host mqtt/service.py gives requests that arrive over MQTT: there the
# device receives jobDocument as the JSON object, over HTTPS as a string.
MQTT_HOST = "mqtt"
MAX_STEP_TIMEOUT_MINUTES = 10080


def _thing(backend: Backend, thing_name: str) -> None:
    if thing_name not in backend.things.by_name:
        raise not_found(f"Thing {thing_name} cannot be found.")


def _visible_execution(
    backend: Backend, thing_name: str, job_id: str, execution_number: Optional[int] = None
) -> JobExecution:
    execution = backend.executions.by_thing.get(thing_name, {}).get(job_id)
    if execution is not None and execution_number is not None and execution.execution_number != execution_number:
        history = execution.job.history.get(thing_name, [])
        execution = next((e for e in history if e.execution_number == execution_number), None)
    if execution is None:
        raise not_found(f"Job execution of job {job_id} on thing {thing_name} cannot be found.")
    return execution


def _check_step_timeout(minutes: Optional[int], may_cancel: bool = False) -> None:
    """1 to 10080 minutes; UpdateJobExecution may also send -1, which cancels the step timer."""
    if minutes is None or (may_cancel and minutes == CANCEL_STEP_TIMER):
        return
    if not 1 <= minutes <= MAX_STEP_TIMEOUT_MINUTES:
        raise invalid_request(
            f"stepTimeoutInMinutes must be between 1 and {MAX_STEP_TIMEOUT_MINUTES}; got {minutes}."
        )


@operation(JOBS_DATA, "GetPendingJobExecutions")
def get_pending_job_executions(ctx: Context, p: Params) -> Result:
    backend = ctx.backend
    _thing(backend, p["thingName"])
    in_progress, queued = backend.executions.pending(p["thingName"])
    return {
        "inProgressJobs": [summary(e) for e in in_progress],
        "queuedJobs": [summary(e) for e in queued],
    }


@operation(JOBS_DATA, "StartNextPendingJobExecution")
def start_next_pending_job_execution(ctx: Context, p: Params) -> Result:
    backend = ctx.backend
    thing_name = p["thingName"]
    _thing(backend, thing_name)
    _check_step_timeout(p.get("stepTimeoutInMinutes"))
    check_status_details(p.get("statusDetails"))
    execution = backend.executions.next_for(thing_name)
    if execution is None:
        return {}
    now = backend.now()
    if execution.status == QUEUED:
        with backend.executions.observe([thing_name]):
            backend.executions.device_update(
                execution, IN_PROGRESS, now, p.get("statusDetails"), p.get("stepTimeoutInMinutes")
            )
    return {"execution": device_execution(execution, now, include_document=True, over_mqtt=ctx.host == MQTT_HOST)}


@operation(JOBS_DATA, "DescribeJobExecution")
def describe_job_execution(ctx: Context, p: Params) -> Result:
    backend = ctx.backend
    thing_name = p["thingName"]
    include_document = p.get("includeJobDocument", True)
    now = backend.now()
    if p["jobId"] == NEXT:
        _thing(backend, thing_name)
        execution = backend.executions.next_for(thing_name)
        if execution is None:
            return {}
    else:
        execution = _visible_execution(backend, thing_name, p["jobId"], p.get("executionNumber"))
        if execution.terminal:
            raise ServiceError(
                "TerminalStateException",
                f"Job execution of job {execution.job_id} on thing {thing_name} "
                f"is in terminal state {execution.status}.",
            )
    over_mqtt = ctx.host == MQTT_HOST
    return {"execution": device_execution(execution, now, include_document=include_document, over_mqtt=over_mqtt)}


@operation(JOBS_DATA, "UpdateJobExecution")
def update_job_execution(ctx: Context, p: Params) -> Result:
    backend = ctx.backend
    status = p["status"]
    # Measured against the live service: this refusal precedes the look-up.
    if status not in DEVICE_REPORTABLE:
        raise invalid_transition(f"The status of job execution cannot be changed to be {status}")
    _check_step_timeout(p.get("stepTimeoutInMinutes"), may_cancel=True)
    check_status_details(p.get("statusDetails"))
    thing_name = p["thingName"]
    execution = _visible_execution(backend, thing_name, p["jobId"], p.get("executionNumber"))
    if execution.terminal:
        raise invalid_transition(
            f"Job execution is in terminal state {execution.status} and cannot be updated.",
            executionState=execution_state(execution),
        )
    expected = p.get("expectedVersion")
    if expected is not None and expected != execution.version_number:
        raise invalid_request(
            f"Expected version {expected} but found version {execution.version_number}",
            executionState=execution_state(execution),
        )
    now = backend.now()
    with backend.executions.observe([thing_name]):
        backend.executions.device_update(
            execution, status, now, p.get("statusDetails"), p.get("stepTimeoutInMinutes")
        )
    if p.get("includeJobDocument") and execution.job.document is None:
        logs.document_missing(execution.job_id, thing_name)
    return compact(
        executionState=execution_state(execution) if p.get("includeJobExecutionState") else None,
        jobDocument=device_document(execution.job, ctx.host == MQTT_HOST) if p.get("includeJobDocument") else None,
    )
