"""Job executions: the per-thing index, the state machine and what devices see.

Every status change goes through :meth:`Executions.set_status`, which keeps
the job's counts, version numbers and timestamps right and publishes the
job-execution event; changes a device would notice are published by
:meth:`Executions.observe`.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Callable, Dict, Iterable, Iterator, List, Optional, Tuple

from ... import logs
from ..events.notifications import NotificationLog
from .documents import device_document
from .model import IN_PROGRESS, QUEUED, TERMINAL, TIMED_OUT, Job, JobExecution

if TYPE_CHECKING:
    from ..state import Backend

DeviceView = Tuple[frozenset, Optional[Tuple[str, int]]]
# UpdateJobExecution's stepTimeoutInMinutes of -1 cancels the current step timer.
CANCEL_STEP_TIMER = -1
# Pending executions a ``notify`` (ListNotification) carries at most.
MAX_LISTED = 15


def device_seconds(value: Optional[float]) -> Optional[int]:
    """Device-plane timestamps are whole epoch seconds."""
    return None if value is None else int(value)


class Executions:
    """Latest execution of each job on each thing, indexed by thing."""

    def __init__(self, backend: "Backend", log: NotificationLog) -> None:
        self._backend = backend
        self._log = log
        self.by_thing: Dict[str, Dict[str, JobExecution]] = {}
        # Called after any status change, so the job can retry, abort or complete.
        self.on_change: Callable[[JobExecution], None] = lambda execution: None

    # --- creation and transitions ----------------------------------------
    def create(
        self, job: Job, thing_name: str, thing_arn: str, now: float, retry_attempt: int = 0
    ) -> JobExecution:
        history = job.history.setdefault(thing_name, [])
        execution = JobExecution(
            job=job,
            thing_name=thing_name,
            thing_arn=thing_arn,
            # Numbers are never reused, even after an earlier execution is deleted.
            execution_number=job.last_number.get(thing_name, 0) + 1,
            seq=self._backend.next_seq(),
            queued_at=now,
            last_updated_at=now,
            retry_attempt=retry_attempt,
            history_key=thing_name,
        )
        previous = job.latest.get(thing_name)
        if previous is not None and previous.counted and retry_attempt > 0:
            # A retry takes its attempt's place in the counts; a thing that re-joined
            # keeps its earlier execution counted (measured: jobProcessDetails counts both).
            previous.counted = False
            job.counts[previous.status] -= 1
        job.last_number[thing_name] = execution.execution_number
        history.append(execution)
        job.latest[thing_name] = execution
        job.counts[QUEUED] += 1
        self.by_thing.setdefault(thing_name, {})[job.job_id] = execution
        return execution

    def set_status(
        self,
        execution: JobExecution,
        status: str,
        now: float,
        details: Optional[Dict[str, str]] = None,
        force_canceled: Optional[bool] = None,
        bump_version: bool = True,
    ) -> None:
        job = execution.job
        old = execution.status
        if execution.counted:
            job.counts[old] -= 1
            job.counts[status] += 1
        execution.status = status
        if details is not None:
            execution.status_details = details
        if force_canceled is not None:
            execution.force_canceled = force_canceled
        if status == IN_PROGRESS and execution.started_at is None:
            execution.started_at = now
        if bump_version:
            execution.version_number += 1
        execution.last_updated_at = now
        job.last_updated_at = now
        if status in TERMINAL:
            execution.in_progress_deadline = None
            execution.step_deadline = None
            self._log.event(
                f"$aws/events/jobExecution/{job.job_id}/{status.lower()}",
                {
                    "eventType": "JOB_EXECUTION",
                    "operation": status.lower(),
                    "jobId": job.job_id,
                    "thingArn": execution.thing_arn,
                    "status": status,
                    "statusDetails": dict(execution.status_details),
                },
                now,
            )
        if old != status:
            self.on_change(execution)

    def device_update(
        self,
        execution: JobExecution,
        status: str,
        now: float,
        details: Optional[Dict[str, str]] = None,
        step_timeout_minutes: Optional[int] = None,
    ) -> None:
        """A device reports progress: status, details and (re)armed timers."""
        starting = execution.started_at is None and status == IN_PROGRESS
        self.set_status(execution, status, now, details=details)
        if status != IN_PROGRESS:
            return
        if starting:
            timeout = (execution.job.config.get("timeoutConfig") or {}).get("inProgressTimeoutInMinutes")
            if timeout:
                execution.in_progress_deadline = now + 60 * timeout
                self._arm(execution, execution.in_progress_deadline)
        if step_timeout_minutes == CANCEL_STEP_TIMER:
            execution.step_timeout_minutes = None
            execution.step_deadline = None
        elif step_timeout_minutes is not None:
            execution.step_timeout_minutes = step_timeout_minutes
            execution.step_deadline = now + 60 * step_timeout_minutes
            self._arm(execution, execution.step_deadline)

    def _arm(self, execution: JobExecution, deadline: float) -> None:
        def fire(when: float) -> None:
            current = execution.deadline()
            # A reset timer or a finished execution leaves this entry stale.
            if execution.status != IN_PROGRESS or current is None or current > when:
                return
            if execution.job.latest.get(execution.history_key) is not execution:
                return
            with self.observe([execution.thing_name], now=when):
                self.set_status(execution, TIMED_OUT, when)

        self._backend.scheduler.at(deadline, fire)

    def forget(self, execution: JobExecution) -> None:
        """Drop an execution from the per-thing index (job or execution deleted)."""
        per_thing = self.by_thing.get(execution.thing_name)
        if per_thing is not None and per_thing.get(execution.job_id) is execution:
            del per_thing[execution.job_id]
            if not per_thing:
                del self.by_thing[execution.thing_name]

    # --- what a device sees ----------------------------------------------
    def for_thing(self, thing_name: str) -> List[JobExecution]:
        return list(self.by_thing.get(thing_name, {}).values())

    def pending(self, thing_name: str) -> Tuple[List[JobExecution], List[JobExecution]]:
        """(in progress, queued) executions visible to the device, each oldest first."""
        in_progress: List[JobExecution] = []
        queued: List[JobExecution] = []
        for execution in self.by_thing.get(thing_name, {}).values():
            if execution.status == IN_PROGRESS:
                in_progress.append(execution)
            elif execution.status == QUEUED:
                queued.append(execution)
        in_progress.sort(key=_by_seq)
        queued.sort(key=_by_seq)
        return in_progress, queued

    def next_for(self, thing_name: str) -> Optional[JobExecution]:
        in_progress, queued = self.pending(thing_name)
        if in_progress:
            return in_progress[0]
        return queued[0] if queued else None

    def _view(self, thing_name: str) -> DeviceView:
        if thing_name not in self.by_thing:
            return _NO_VIEW  # most things in a large CreateJob had nothing pending
        return _view_of(*self.pending(thing_name))

    @contextlib.contextmanager
    def observe(self, thing_names: Iterable[str], now: Optional[float] = None) -> Iterator[None]:
        """Publish ``notify``/``notify-next`` for every thing whose view the block changes.
        ``now`` (default: the clock) is given by timed work, so a rollout wave or a
        timeout applied during a long ``advance_time`` is published at its due time."""
        before = {name: self._view(name) for name in thing_names}
        namespaced = {name: self._namespaced(name) for name in before} if self._has_namespaces else {}
        yield
        now = self._backend.now() if now is None else now
        for name, states in namespaced.items():
            self._notify_namespaces(name, states, now)
        for name, (ids, next_key) in before.items():
            # One pending scan per thing serves the comparison and both payloads.
            in_progress, queued = self.pending(name)
            after_ids, after_next = _view_of(in_progress, queued)
            if after_ids != ids:
                self._log.to_thing(name, "notify", _notify_payload(in_progress, queued, now), now)
            if after_next != next_key:
                first = in_progress[0] if in_progress else (queued[0] if queued else None)
                self._log.to_thing(name, "notify-next", _notify_next_payload(first, now), now)


    # --- jobs with a namespaceId -------------------------------------------
    @property
    def _has_namespaces(self) -> bool:
        jobs = getattr(self._backend, "jobs", None)
        return jobs is not None and jobs.namespaced > 0

    def _namespaced(self, thing_name: str) -> Dict[str, Tuple[int, str, int]]:
        """(execution number, status, version) of the thing's executions of namespaced jobs."""
        return {
            job_id: (e.execution_number, e.status, e.version_number)
            for job_id, e in self.by_thing.get(thing_name, {}).items()
            if e.job.namespace_id
        }

    def _notify_namespaces(self, thing_name: str, before: Dict[str, Tuple[int, str, int]], now: float) -> None:
        """The docs (CreateJob namespaceId): notifications of a namespaced job go to
        ``$aws/things/<thing>/jobs/<jobId>/notify-namespace-<namespaceId>/``; each carries
        the execution as notify-next does, whenever the execution appears or changes."""
        for job_id, execution in self.by_thing.get(thing_name, {}).items():
            namespace = execution.job.namespace_id
            state = (execution.execution_number, execution.status, execution.version_number)
            if namespace and before.get(job_id) != state:
                payload = {"timestamp": int(now), "execution": device_execution(execution, now, True, over_mqtt=True)}
                self._log.to_thing(thing_name, f"{job_id}/notify-namespace-{namespace}/", payload, now)


_NO_VIEW: DeviceView = (frozenset(), None)


def _view_of(in_progress: List[JobExecution], queued: List[JobExecution]) -> DeviceView:
    # An execution is (job, execution number): a retry that re-queues a job changes the list.
    ids = frozenset((e.job_id, e.execution_number) for e in in_progress + queued)
    first = in_progress[0] if in_progress else (queued[0] if queued else None)
    return ids, (None if first is None else (first.job_id, first.execution_number))


def _notify_payload(in_progress: List[JobExecution], queued: List[JobExecution], now: float) -> dict:
    # The developer guide: a ListNotification holds no more than 15 pending executions,
    # IN_PROGRESS ones first, then by the time they were queued.
    in_progress = in_progress[:MAX_LISTED]
    queued = queued[: MAX_LISTED - len(in_progress)]
    jobs = {}
    if in_progress:
        jobs[IN_PROGRESS] = [summary(e) for e in in_progress]
    if queued:
        jobs[QUEUED] = [summary(e) for e in queued]
    return {"jobs": jobs, "timestamp": int(now)}


def _notify_next_payload(first: Optional[JobExecution], now: float) -> dict:
    payload: dict = {"timestamp": int(now)}
    if first is not None:
        # notify-next is MQTT only: the document is the JSON object.
        payload["execution"] = device_execution(first, now, include_document=True, over_mqtt=True)
    return payload


def _by_seq(execution: JobExecution) -> int:
    return execution.seq


def summary(execution: JobExecution) -> dict:
    """The device plane's JobExecutionSummary."""
    out = {
        "jobId": execution.job_id,
        "queuedAt": device_seconds(execution.queued_at),
        "lastUpdatedAt": device_seconds(execution.last_updated_at),
        "versionNumber": execution.version_number,
        "executionNumber": execution.execution_number,
    }
    if execution.started_at is not None:
        out["startedAt"] = device_seconds(execution.started_at)
    return out


def seconds_before_timeout(execution: JobExecution, now: float) -> Optional[int]:
    deadline = execution.deadline()
    if deadline is None or execution.status != IN_PROGRESS:
        return None
    return max(0, int(deadline - now))


def device_execution(execution: JobExecution, now: float, include_document: bool, over_mqtt: bool = False) -> dict:
    """The device plane's JobExecution; ``jobDocument`` spelt for HTTPS or MQTT (documents.py)."""
    out: dict = {
        "jobId": execution.job_id,
        "thingName": execution.thing_name,
        "status": execution.status,
        "queuedAt": device_seconds(execution.queued_at),
        "lastUpdatedAt": device_seconds(execution.last_updated_at),
        "versionNumber": execution.version_number,
        "executionNumber": execution.execution_number,
    }
    if execution.status_details:
        out["statusDetails"] = dict(execution.status_details)
    if execution.started_at is not None:
        out["startedAt"] = device_seconds(execution.started_at)
    remaining = seconds_before_timeout(execution, now)
    if remaining is not None:
        out["approximateSecondsBeforeTimedOut"] = remaining
    if include_document:
        if execution.job.document is not None:
            out["jobDocument"] = device_document(execution.job, over_mqtt)
        else:
            logs.document_missing(execution.job_id, execution.thing_name)
    return out


def execution_state(execution: JobExecution) -> dict:
    """The device plane's JobExecutionState."""
    out: dict = {"status": execution.status, "versionNumber": execution.version_number}
    if execution.status_details:
        out["statusDetails"] = dict(execution.status_details)
    return out
