"""Domain records for jobs and job executions (no behaviour beyond derived values)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

QUEUED = "QUEUED"
IN_PROGRESS = "IN_PROGRESS"
SUCCEEDED = "SUCCEEDED"
FAILED = "FAILED"
REJECTED = "REJECTED"
CANCELED = "CANCELED"
TIMED_OUT = "TIMED_OUT"
REMOVED = "REMOVED"

EXECUTION_STATUSES = (QUEUED, IN_PROGRESS, SUCCEEDED, FAILED, REJECTED, CANCELED, TIMED_OUT, REMOVED)
PENDING = frozenset({QUEUED, IN_PROGRESS})
TERMINAL = frozenset({SUCCEEDED, FAILED, REJECTED, CANCELED, TIMED_OUT, REMOVED})
# The statuses a device may report through UpdateJobExecution.
DEVICE_REPORTABLE = frozenset({IN_PROGRESS, SUCCEEDED, FAILED, REJECTED})

JOB_IN_PROGRESS = "IN_PROGRESS"
JOB_CANCELED = "CANCELED"
JOB_COMPLETED = "COMPLETED"
JOB_SCHEDULED = "SCHEDULED"
JOB_DELETION_IN_PROGRESS = "DELETION_IN_PROGRESS"

# jobProcessDetails member for each execution status.
COUNT_MEMBERS = {
    QUEUED: "numberOfQueuedThings",
    IN_PROGRESS: "numberOfInProgressThings",
    SUCCEEDED: "numberOfSucceededThings",
    FAILED: "numberOfFailedThings",
    REJECTED: "numberOfRejectedThings",
    CANCELED: "numberOfCanceledThings",
    TIMED_OUT: "numberOfTimedOutThings",
    REMOVED: "numberOfRemovedThings",
}


@dataclass
class JobExecution:
    job: "Job"
    thing_name: str
    thing_arn: str
    execution_number: int
    seq: int
    queued_at: float
    status: str = QUEUED
    status_details: Dict[str, str] = field(default_factory=dict)
    started_at: Optional[float] = None
    last_updated_at: float = 0.0
    version_number: int = 1
    force_canceled: Optional[bool] = None
    retry_attempt: int = 0
    # Absolute deadlines (epoch seconds) of the in-progress and step timers.
    in_progress_deadline: Optional[float] = None
    step_deadline: Optional[float] = None
    step_timeout_minutes: Optional[int] = None
    # Key of this thing's entry in ``job.latest``/``job.history``: the thing name,
    # or a detached key once the thing is deleted.
    history_key: str = ""
    # Whether job.counts includes this execution: the latest of each thing does, and so
    # do a re-joined thing's earlier ones (measured); a retried one does not.
    counted: bool = True

    @property
    def job_id(self) -> str:
        return self.job.job_id

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL

    @property
    def pending(self) -> bool:
        return self.status in PENDING

    def deadline(self) -> Optional[float]:
        deadlines = [d for d in (self.in_progress_deadline, self.step_deadline) if d is not None]
        return min(deadlines) if deadlines else None


@dataclass
class Job:
    job_id: str
    arn: str
    seq: int
    created_at: float
    target_selection: str
    targets: List[str]
    document: Optional[str] = None
    document_source: Optional[str] = None
    description: Optional[str] = None
    status: str = JOB_IN_PROGRESS
    last_updated_at: float = 0.0
    completed_at: Optional[float] = None
    force_canceled: Optional[bool] = None
    reason_code: Optional[str] = None
    comment: Optional[str] = None
    config: Dict[str, Any] = field(default_factory=dict)
    namespace_id: Optional[str] = None
    job_template_arn: Optional[str] = None
    document_parameters: Optional[Dict[str, str]] = None
    # A managed template's document with its ${aws:iot:parameter:...} placeholders
    # (GetJobDocument with beforeSubstitution); None when the document had none to fill.
    document_before_substitution: Optional[str] = None
    # Latest execution per thing, in the order the things were targeted.
    latest: Dict[str, JobExecution] = field(default_factory=dict)
    # Every execution ever made for a thing (retries included), oldest first.
    history: Dict[str, List[JobExecution]] = field(default_factory=dict)
    # Highest execution number given per thing (history key), so none is reused.
    last_number: Dict[str, int] = field(default_factory=dict)
    counts: Dict[str, int] = field(default_factory=lambda: dict.fromkeys(EXECUTION_STATUSES, 0))
    # Target groups of a CONTINUOUS job, by name, for membership changes.
    target_groups: List[str] = field(default_factory=list)
    # Pacing of execution creation (rollout.RolloutState); None when unpaced.
    rollout: Any = None

    @property
    def terminal(self) -> bool:
        return self.status in (JOB_CANCELED, JOB_COMPLETED)

    def unfinished(self) -> int:
        """Executions still to run, including things the rollout has not reached yet."""
        waiting = len(self.rollout.waiting) if self.rollout is not None else 0
        return self.counts[QUEUED] + self.counts[IN_PROGRESS] + waiting
