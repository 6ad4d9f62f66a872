"""Control-plane renderings of jobs and executions, in the ``iot`` model's shapes."""

from __future__ import annotations

import datetime as dt
from typing import Any, Dict, List, Optional

from ...backend.jobs import maintenance
from ...backend.jobs.executions import seconds_before_timeout
from ...backend.jobs.model import COUNT_MEMBERS, JOB_IN_PROGRESS, Job, JobExecution
from ..base import compact


def process_details(job: Job) -> Dict[str, Any]:
    details: Dict[str, Any] = {member: job.counts[status] for status, member in COUNT_MEMBERS.items()}
    if job.rollout is not None and job.rollout.waiting:
        details["processingTargets"] = list(job.targets)
    return details


def job_description(job: Job, now: float) -> Dict[str, Any]:
    return compact(
        scheduledJobRollouts=_scheduled_rollouts(job, now),
        jobArn=job.arn,
        jobId=job.job_id,
        targetSelection=job.target_selection,
        status=job.status,
        forceCanceled=job.force_canceled,
        reasonCode=job.reason_code,
        comment=job.comment,
        targets=list(job.targets),
        description=job.description,
        createdAt=job.created_at,
        lastUpdatedAt=job.last_updated_at,
        completedAt=job.completed_at,
        jobProcessDetails=process_details(job),
        namespaceId=job.namespace_id,
        jobTemplateArn=job.job_template_arn,
        documentParameters=job.document_parameters,
        isConcurrent=is_concurrent(job),
        **{**UNSET_AS_EMPTY, **job.config},
    )


# Measured: DescribeJob shows these as {} when the job was created without them.
UNSET_AS_EMPTY: Dict[str, Any] = {
    "presignedUrlConfig": {},
    "jobExecutionsRolloutConfig": {},
    "timeoutConfig": {},
    "schedulingConfig": {},
}


def is_concurrent(job: Job) -> bool:
    """The docs: true while the job is rolling out new executions or cancelling earlier
    ones.  Cancelling is instant in the mock, so: while the rollout has things to reach."""
    return job.status == JOB_IN_PROGRESS and bool(job.rollout is not None and job.rollout.waiting)


def _scheduled_rollouts(job: Job, now: float) -> Optional[List[Dict[str, str]]]:
    """The next maintenance-window openings, while the rollout still has things to reach."""
    if job.terminal or not maintenance.windows(job.config) or not (job.rollout and job.rollout.waiting):
        return None
    return [{"startTime": _minute(at)} for at in maintenance.upcoming_starts(job.config, now)]


def _minute(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M")


def job_summary(job: Job, group_id: Optional[str] = None) -> Dict[str, Any]:
    return compact(
        jobArn=job.arn,
        jobId=job.job_id,
        thingGroupId=group_id,
        targetSelection=job.target_selection,
        status=job.status,
        createdAt=job.created_at,
        lastUpdatedAt=job.last_updated_at,
        completedAt=job.completed_at,
        isConcurrent=is_concurrent(job),
    )


def execution_description(execution: JobExecution, now: float) -> Dict[str, Any]:
    return compact(
        jobId=execution.job_id,
        status=execution.status,
        forceCanceled=execution.force_canceled,
        statusDetails={"detailsMap": dict(execution.status_details)},
        thingArn=execution.thing_arn,
        queuedAt=execution.queued_at,
        startedAt=execution.started_at,
        lastUpdatedAt=execution.last_updated_at,
        executionNumber=execution.execution_number,
        versionNumber=execution.version_number,
        approximateSecondsBeforeTimedOut=seconds_before_timeout(execution, now),
    )


def execution_summary(execution: JobExecution) -> Dict[str, Any]:
    # Spelled out rather than compact(**...): a listing page makes 250 of these.
    out: Dict[str, Any] = {}
    if execution.status is not None:
        out["status"] = execution.status
    if execution.queued_at is not None:
        out["queuedAt"] = execution.queued_at
    if execution.started_at is not None:
        out["startedAt"] = execution.started_at
    if execution.last_updated_at is not None:
        out["lastUpdatedAt"] = execution.last_updated_at
    if execution.execution_number is not None:
        out["executionNumber"] = execution.execution_number
    if execution.retry_attempt is not None:
        out["retryAttempt"] = execution.retry_attempt
    return out
