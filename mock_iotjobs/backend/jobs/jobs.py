"""Jobs: registering a new job (checked and built in ``creation``) and pacing its
rollout, cancel, delete, update, targets, completion, and the reaction to things
and groups changing."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, List, Optional

from ...protocol.errors import (
    already_exists,
    invalid_request,
    invalid_transition,
    limit_exceeded,
    not_found,
)
from ..events.notifications import NotificationLog
from . import maintenance, outcomes, rollout
from . import targets as target_resolution
from .checks import check_configs
from .creation import CONFIG_MEMBERS, new_job
from .executions import Executions
from .job_events import job_event
from .model import (
    CANCELED,
    IN_PROGRESS,
    JOB_CANCELED,
    JOB_COMPLETED,
    JOB_DELETION_IN_PROGRESS,
    JOB_IN_PROGRESS,
    JOB_SCHEDULED,
    QUEUED,
    REMOVED,
    Job,
    JobExecution,
)

if TYPE_CHECKING:
    from ..state import Backend

MAX_CONTINUOUS_TARGETS = 100
# How long (mock clock) a deleted job shows DELETION_IN_PROGRESS before it is gone.
DELETION_SECONDS = 1.0
MAX_DELETING = 10


class Jobs:
    """Jobs of one account and region, in creation order."""

    def __init__(self, backend: "Backend", executions: Executions, log: NotificationLog) -> None:
        self._backend = backend
        self._executions = executions
        self._log = log
        self.by_id: Dict[str, Job] = {}
        # Jobs with a namespaceId: while there are none, no change needs checking for them.
        self.namespaced = 0
        executions.on_change = self._after_status_change

    def get(self, job_id: str) -> Job:
        job = self.by_id.get(job_id)
        if job is None:
            raise not_found(f"Job {job_id} cannot be found.")
        return job

    # --- create ----------------------------------------------------------
    def create(self, p: Dict[str, Any]) -> Job:
        backend = self._backend
        job_id = p["jobId"]
        if job_id in self.by_id:
            raise already_exists(f"Job with id {job_id} already exists.", job_id, self.by_id[job_id].arn)
        job, start_at, end_at = new_job(backend, p)
        now = job.created_at
        if p.get("tags"):
            backend.tags.check(job.arn, p["tags"])  # refuse before anything is registered
        self.by_id[job_id] = job
        self.namespaced += 1 if job.namespace_id else 0
        if p.get("tags"):
            backend.tags.set(job.arn, p["tags"])
        if start_at is not None and start_at > now:
            job.status = JOB_SCHEDULED
            backend.scheduler.at(start_at, lambda when: self._start_scheduled(job, when))
        else:
            self._release(job, now)
        if end_at is not None:
            backend.scheduler.at(end_at, lambda when: self._end_schedule(job, when))
        self.after_execution_change(job)
        return job

    # --- pacing -------------------------------------------------------------
    def _release(self, job: Job, now: float) -> None:
        """Create executions for the next batch of waiting things; schedule the next tick."""
        state = job.rollout
        if job.status != JOB_IN_PROGRESS or not state.waiting:
            return
        # Maintenance windows: outside them the rollout waits for the next opening.
        opening = maintenance.closed_until(job.config, now)
        if opening is not None:
            if opening != maintenance.NEVER:
                self._backend.scheduler.at(opening, lambda when: self._release(job, when))
            return
        size = rollout.batch_size(state, job.counts["SUCCEEDED"])
        batch, state.waiting = state.waiting[:size], state.waiting[size:]
        with self._executions.observe((name for name, _ in batch), now=now):
            for name, arn in batch:
                self._executions.create(job, name, arn, now)
        state.notified += len(batch)
        if state.waiting:
            self._backend.scheduler.at(now + rollout.MINUTE, lambda when: self._release(job, when))

    def _start_scheduled(self, job: Job, when: float) -> None:
        if job.status != JOB_SCHEDULED or self.by_id.get(job.job_id) is not job:
            return
        job.status = JOB_IN_PROGRESS
        job.last_updated_at = when
        self._release(job, when)
        self.after_execution_change(job, now=when)

    def _end_schedule(self, job: Job, when: float) -> None:
        if self.by_id.get(job.job_id) is not job or job.terminal or job.status == JOB_DELETION_IN_PROGRESS:
            return
        behavior = (job.config.get("schedulingConfig") or {}).get("endBehavior") or "STOP_ROLLOUT"
        if behavior == "STOP_ROLLOUT":
            job.rollout.waiting = []
            if job.status == JOB_SCHEDULED:
                job.status = JOB_IN_PROGRESS
            job.last_updated_at = when
            self.after_execution_change(job, now=when)
        else:
            self.cancel(job.job_id, behavior == "FORCE_CANCEL", None, None, now=when)

    # --- cancel / delete / update ------------------------------------------
    def cancel(
        self,
        job_id: str,
        force: bool,
        reason_code: Optional[str],
        comment: Optional[str],
        *,
        now: Optional[float] = None,
    ) -> Job:
        """CancelJob; ``now`` is given when timed work (end time, abort after a
        timeout) cancels the job at its own due time during a clock jump."""
        job = self.get(job_id)
        if job.status == JOB_COMPLETED:
            raise invalid_request(f"Job {job_id} is already COMPLETED and cannot be canceled.")
        if job.status == JOB_DELETION_IN_PROGRESS:
            raise invalid_request(f"Job {job_id} is being deleted (DELETION_IN_PROGRESS) and cannot be canceled.")
        now = self._backend.now() if now is None else now
        if job.status != JOB_CANCELED or force:
            job.rollout.waiting = []
            job.status = JOB_CANCELED
            job.force_canceled = bool(force) or bool(job.force_canceled)
            job.reason_code = reason_code if reason_code is not None else job.reason_code
            job.comment = comment if comment is not None else job.comment
            job.last_updated_at = now
            self.cancel_executions(job, force, now)
            self._log.event(f"$aws/events/job/{job_id}/canceled", job_event(job, "canceled"), now)
        return job

    def cancel_executions(self, job: Job, force: bool, now: float) -> None:
        victims = [e for e in job.latest.values() if e.status == QUEUED or (force and e.status == IN_PROGRESS)]
        with self._executions.observe((e.thing_name for e in victims), now=now):
            for execution in victims:
                # The docs: true when canceled with force=true (whatever the status was).
                forced = True if force else None
                self._executions.set_status(execution, CANCELED, now, force_canceled=forced)

    def delete(self, job_id: str, force: bool) -> None:
        """DeleteJob: the executions go at once (devices see nothing more); the job shows
        DELETION_IN_PROGRESS for DELETION_SECONDS of the mock clock, then is gone."""
        job = self.get(job_id)
        if job.status == JOB_DELETION_IN_PROGRESS:
            raise invalid_transition(f"Job {job_id} is already being deleted (DELETION_IN_PROGRESS).")
        # The spec: without force only a job in a terminal state (COMPLETED or
        # CANCELED) can be deleted, even if a canceled job still has executions running.
        if not force and not job.terminal:
            raise invalid_transition(f"Cannot delete job {job_id} in status {job.status} unless force is true.")
        deleting = sum(1 for other in self.by_id.values() if other.status == JOB_DELETION_IN_PROGRESS)
        if deleting >= MAX_DELETING:
            # botocore's docs: only 10 jobs may be DELETION_IN_PROGRESS at the same time.
            raise limit_exceeded(f"Only {MAX_DELETING} jobs may have status DELETION_IN_PROGRESS at the same time.")
        now = self._backend.now()
        executions = [e for history in job.history.values() for e in history]
        with self._executions.observe({e.thing_name for e in executions}):
            for execution in executions:
                self._executions.forget(execution)
            job.status = JOB_DELETION_IN_PROGRESS
        job.last_updated_at = now
        # Timers and rollout ticks still scheduled for the job must find nothing to act on
        # (a timeout would otherwise retry the execution back into the thing's index).
        job.rollout.waiting = []
        job.latest.clear()
        job.history.clear()
        self._backend.scheduler.at(now + DELETION_SECONDS, lambda when: self._deleted(job, when))

    def _deleted(self, job: Job, when: float) -> None:
        if self.by_id.get(job.job_id) is not job:
            return
        del self.by_id[job.job_id]
        self.namespaced -= 1 if job.namespace_id else 0
        self._backend.tags.drop(job.arn)
        self._log.event(f"$aws/events/job/{job.job_id}/deleted", job_event(job, "deleted"), when)

    def update(self, job_id: str, p: Dict[str, Any]) -> Job:
        job = self.get(job_id)
        check_configs(p)
        if p.get("jobExecutionsRolloutConfig") is not None:
            fresh = rollout.rollout_state({"jobExecutionsRolloutConfig": p["jobExecutionsRolloutConfig"]})
            fresh.waiting = job.rollout.waiting
            fresh.notified = job.rollout.notified
            job.rollout = fresh
        if "description" in p:
            job.description = p["description"]
        for member in CONFIG_MEMBERS:
            if p.get(member) is not None:
                job.config[member] = p[member]
        job.last_updated_at = self._backend.now()
        return job

    def associate_targets(self, job_id: str, new_targets: List[str], comment: Optional[str]) -> Job:
        job = self.get(job_id)
        if job.target_selection != "CONTINUOUS":
            raise invalid_request(f"Targets can only be associated with a CONTINUOUS job; {job_id} is SNAPSHOT.")
        if job.status != JOB_IN_PROGRESS:
            raise invalid_request(f"Job {job_id} is {job.status}; targets can only be added while IN_PROGRESS.")
        combined = list(dict.fromkeys(job.targets + list(new_targets)))
        if len(combined) > MAX_CONTINUOUS_TARGETS:
            raise limit_exceeded(f"A job can have at most {MAX_CONTINUOUS_TARGETS} targets.")
        things, groups = target_resolution.resolve(self._backend, list(new_targets))
        now = self._backend.now()
        job.targets = combined
        job.target_groups = list(dict.fromkeys(job.target_groups + groups))
        if comment is not None:
            job.comment = comment
        # As when a thing joins a target group: reached again once its execution finished.
        fresh: Dict[str, str] = {}
        for name, arn in things.items():
            latest = self._latest(job, name)
            if not _waiting(job, name) and (latest is None or latest.terminal):
                fresh[name] = arn
        with self._executions.observe(fresh):
            for name, arn in fresh.items():
                self._executions.create(job, name, arn, now)
        job.last_updated_at = now
        return job

    # --- reactions -----------------------------------------------------------
    def _after_status_change(self, execution: JobExecution) -> None:
        job = execution.job
        # The moment of the change, not the clock: a timeout that fell due during a
        # long advance_time is retried (and completes or aborts the job) at its due time.
        now = execution.last_updated_at
        if outcomes.should_retry(job, execution):
            self._executions.create(
                job,
                execution.thing_name,
                execution.thing_arn,
                now,
                retry_attempt=execution.retry_attempt + 1,
            )
        self.after_execution_change(job, now=now)

    def after_execution_change(self, job: Job, now: Optional[float] = None) -> None:
        """Abort on the abort criteria; complete a SNAPSHOT job once nothing is left to run.
        ``now`` defaults to the clock; timed work passes its own due time."""
        if job.status == JOB_IN_PROGRESS and outcomes.abort_criterion_met(job) is not None:
            self.cancel(
                job.job_id, False, outcomes.ABORT_REASON_CODE, "Job aborted: abortConfig criteria met.", now=now
            )
            return
        if job.status == JOB_IN_PROGRESS and job.target_selection == "SNAPSHOT" and job.unfinished() == 0:
            now = self._backend.now() if now is None else now
            job.status = JOB_COMPLETED
            job.completed_at = now
            job.last_updated_at = now
            self._log.event(f"$aws/events/job/{job.job_id}/completed", job_event(job, "completed"), now)

    def on_thing_deleted(self, thing_name: str) -> None:
        """A deleted thing's unfinished executions become REMOVED; its history is detached,
        so a new thing of the same name starts with none."""
        now = self._backend.now()
        # Things the rollout has not reached yet will never be: drop them from the queue.
        paced = [job for job in self.by_id.values() if _waiting(job, thing_name)]
        for job in paced:
            job.rollout.waiting = [(n, a) for n, a in job.rollout.waiting if n != thing_name]
        executions = self._executions.for_thing(thing_name)
        with self._executions.observe([thing_name]):
            for execution in executions:
                if not execution.terminal:
                    self._executions.set_status(execution, REMOVED, now)
                self._executions.forget(execution)
        for execution in executions:
            job = execution.job
            key = _detached(thing_name, execution)
            history = job.history.pop(thing_name, [])
            for old in history:
                old.history_key = key
            job.history[key] = history
            job.last_number.pop(thing_name, None)
            job.latest[key] = job.latest.pop(thing_name, execution)
        for job in paced:
            self.after_execution_change(job)

    def delete_execution(self, execution: JobExecution) -> None:
        """Remove one execution; the thing's previous one (if any) becomes its latest."""
        job = execution.job
        key = execution.history_key
        history = job.history.get(key, [])
        was_latest = job.latest.get(key) is execution
        if execution in history:
            history.remove(execution)
        self._executions.forget(execution)
        if execution.counted:
            execution.counted = False
            job.counts[execution.status] -= 1
        if was_latest:
            if history:
                job.latest[key] = history[-1]
                if not history[-1].counted:
                    history[-1].counted = True
                    job.counts[history[-1].status] += 1
                if key == execution.thing_name:
                    self._executions.by_thing.setdefault(key, {})[job.job_id] = history[-1]
            else:
                del job.latest[key]
                del job.history[key]
        self.after_execution_change(job)

    def on_group_membership(self, group_name: str, thing_name: str, added: bool) -> None:
        """CONTINUOUS jobs follow their target groups' membership."""
        backend = self._backend
        for job in list(self.by_id.values()):
            if job.target_selection != "CONTINUOUS" or job.status not in (JOB_IN_PROGRESS, JOB_SCHEDULED):
                continue
            if group_name not in job.target_groups:
                continue
            latest = self._latest(job, thing_name)
            now = backend.now()
            if job.status == JOB_SCHEDULED or _waiting(job, thing_name):
                # Not started, or the rollout has not reached the thing yet: there is no
                # execution to add or remove, only the queue the start or rollout releases.
                if not added and not self._still_targeted(job, thing_name):
                    job.rollout.waiting = [(n, a) for n, a in job.rollout.waiting if n != thing_name]
                elif added and latest is None and not _waiting(job, thing_name):
                    thing = backend.things.by_name.get(thing_name)
                    if thing is not None:
                        job.rollout.waiting.append((thing_name, thing.arn))
                continue
            with self._executions.observe([thing_name]):
                if added and (latest is None or latest.terminal):
                    # Measured: a thing that joins a target group (again, or another one of
                    # the job) after its execution finished gets a new execution, unless its
                    # newest one is still QUEUED or IN_PROGRESS.
                    thing = backend.things.by_name.get(thing_name)
                    if thing is not None:
                        self._executions.create(job, thing_name, thing.arn, now)
                elif not added and latest is not None and latest.status == QUEUED:
                    if not self._still_targeted(job, thing_name):
                        # Measured: the REMOVED execution keeps its versionNumber.
                        self._executions.set_status(latest, REMOVED, now, bump_version=False)

    def _still_targeted(self, job: Job, thing_name: str) -> bool:
        thing = self._backend.things.by_name.get(thing_name)
        if thing is not None and thing.arn in job.targets:
            return True
        groups = set(self._backend.groups.groups_containing(thing_name))
        return any(g in groups for g in job.target_groups)

    @staticmethod
    def _latest(job: Job, thing_name: str) -> Optional[JobExecution]:
        return job.latest.get(thing_name)


def _waiting(job: Job, thing_name: str) -> bool:
    """Whether the job's rollout has yet to reach (and create an execution for) the thing."""
    return any(name == thing_name for name, _ in job.rollout.waiting)


def _detached(thing_name: str, execution: JobExecution) -> str:
    return f"{thing_name}#deleted-{execution.seq}"
