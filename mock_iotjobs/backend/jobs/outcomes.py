"""What happens after an execution reaches a terminal state: retries and abort.

Both follow the job's configuration as AWS documents it:
``jobExecutionsRetryConfig`` queues a new execution (next execution number)
while retries of that failure type remain; ``abortConfig`` cancels the job
once enough things have finished and the failing share reaches the threshold.
"""

from __future__ import annotations

from typing import Dict, List, Optional

from .model import FAILED, REJECTED, SUCCEEDED, TIMED_OUT, Job, JobExecution

ABORT_REASON_CODE = "FAILURE_THRESHOLD_EXCEEDED"

_RETRYABLE = {FAILED: "FAILED", TIMED_OUT: "TIMED_OUT"}
_ABORT_TYPES = {
    "FAILED": (FAILED,),
    "REJECTED": (REJECTED,),
    "TIMED_OUT": (TIMED_OUT,),
    "ALL": (FAILED, REJECTED, TIMED_OUT),
}


def retries_allowed(job: Job, failure: str) -> int:
    """How many retries the job allows for executions ending in ``failure``."""
    criteria: List[Dict] = (job.config.get("jobExecutionsRetryConfig") or {}).get("criteriaList") or []
    by_type = {c["failureType"]: c.get("numberOfRetries", 0) for c in criteria}
    kind = _RETRYABLE.get(failure)
    if kind is None:
        return 0
    if kind in by_type:
        return by_type[kind]
    return by_type.get("ALL", 0)


def should_retry(job: Job, execution: JobExecution) -> bool:
    if execution.status not in _RETRYABLE or job.terminal:
        return False
    history = job.history.get(execution.history_key, [])
    if not history or history[-1] is not execution:
        return False
    kinds = (FAILED, TIMED_OUT) if _counts_as_all(job, execution.status) else (execution.status,)
    used = sum(1 for e in history[:-1] if e.status in kinds)
    return used < retries_allowed(job, execution.status)


def _counts_as_all(job: Job, failure: str) -> bool:
    criteria = (job.config.get("jobExecutionsRetryConfig") or {}).get("criteriaList") or []
    types = {c["failureType"] for c in criteria}
    return _RETRYABLE[failure] not in types and "ALL" in types


def abort_criterion_met(job: Job) -> Optional[Dict]:
    """The first abort criterion the job's finished executions satisfy, if any."""
    criteria = (job.config.get("abortConfig") or {}).get("criteriaList") or []
    if not criteria:
        return None
    # Executed things: those whose latest execution ran to an outcome.
    finished = sum(job.counts[s] for s in (SUCCEEDED, FAILED, REJECTED, TIMED_OUT))
    if finished == 0:
        return None
    for criterion in criteria:
        if finished < criterion["minNumberOfExecutedThings"]:
            continue
        failing = sum(job.counts[s] for s in _ABORT_TYPES[criterion["failureType"]])
        if 100.0 * failing / finished >= criterion["thresholdPercentage"]:
            return criterion
    return None
