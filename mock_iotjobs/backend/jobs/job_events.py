"""The JOB event IoT publishes on ``$aws/events/job/<jobId>/<operation>``."""

from __future__ import annotations

from typing import Any, Dict

from .model import CANCELED, IN_PROGRESS, QUEUED, REMOVED, Job


def job_event(job: Job, operation: str) -> Dict[str, Any]:
    event: Dict[str, Any] = {
        "eventType": "JOB",
        "operation": operation,
        "jobId": job.job_id,
        "status": job.status,
        "targetSelection": job.target_selection,
        "targets": list(job.targets),
        "createdAt": int(job.created_at),
        "lastUpdatedAt": int(job.last_updated_at),
    }
    if job.description:
        event["description"] = job.description
    if job.completed_at is not None:
        event["completedAt"] = int(job.completed_at)
    event["jobProcessDetails"] = {
        "numberOfCanceledThings": job.counts[CANCELED],
        "numberOfSucceededThings": job.counts["SUCCEEDED"],
        "numberOfFailedThings": job.counts["FAILED"],
        "numberOfRejectedThings": job.counts["REJECTED"],
        "numberOfQueuedThings": job.counts[QUEUED],
        "numberOfInProgressThings": job.counts[IN_PROGRESS],
        "numberOfRemovedThings": job.counts[REMOVED],
        "numberOfTimedOutThings": job.counts["TIMED_OUT"],
    }
    return event
