"""The jobs engine on its own (backend/jobs/jobs.py, no HTTP): internal invariants under a
random mix of everything that changes executions.

After every step: each job's counts equal its latest executions' statuses; the
latest execution of each thing is the last of its history; the per-thing index
(what devices see) holds exactly the live jobs' latest executions of existing
things; execution numbers grow by one; version numbers never go down; a
SNAPSHOT job is COMPLETED exactly when nothing is left to run.
"""

from __future__ import annotations

import collections
import random
from typing import Dict, List, Tuple

import pytest

from mock_iotjobs.backend.clock import Clock
from mock_iotjobs.backend.jobs.model import (
    EXECUTION_STATUSES,
    IN_PROGRESS,
    JOB_COMPLETED,
    JOB_IN_PROGRESS,
    QUEUED,
    TERMINAL,
)
from mock_iotjobs.backend.state import Backend
from mock_iotjobs.protocol.errors import ServiceError

ACCOUNT = "123456789012"
REGION = "us-east-1"
DOC = '{"op": "x"}'


def thing_arn(name: str) -> str:
    return f"arn:aws:iot:{REGION}:{ACCOUNT}:thing/{name}"


def group_arn(name: str) -> str:
    return f"arn:aws:iot:{REGION}:{ACCOUNT}:thinggroup/{name}"


@pytest.fixture
def backend() -> Backend:
    return Backend(ACCOUNT, REGION, Clock())


def check_invariants(backend: Backend, versions: Dict[Tuple[str, str, int], int]) -> None:
    jobs = backend.jobs.by_id
    for job in jobs.values():
        if job.status == "DELETION_IN_PROGRESS":
            # Its executions went at once; only the job is left until deletion ends.
            assert not job.latest and not job.history, job.job_id
            continue
        # Every execution counts except an attempt that was retried (issue 13: a
        # re-joined thing's earlier executions stay in jobProcessDetails).
        tally = collections.Counter(e.status for history in job.history.values() for e in history if e.counted)
        assert job.counts == {s: tally.get(s, 0) for s in EXECUTION_STATUSES}, job.job_id
        assert all(e.counted for e in job.latest.values()), job.job_id
        assert set(job.latest) == set(job.history), job.job_id
        for key, history in job.history.items():
            assert history and job.latest[key] is history[-1], (job.job_id, key)
            numbers = [e.execution_number for e in history]
            assert numbers == sorted(set(numbers)), (job.job_id, key, numbers)
            for execution in history:
                seen = (job.job_id, execution.thing_name, execution.seq)
                assert execution.version_number >= versions.get(seen, 1)
                versions[seen] = execution.version_number
                if execution.status in TERMINAL:
                    assert execution.deadline() is None
        for key, execution in job.latest.items():
            live = key == execution.thing_name and key in backend.things.by_name
            indexed = backend.executions.by_thing.get(execution.thing_name, {}).get(job.job_id)
            if live:
                assert indexed is execution, (job.job_id, key)
            else:
                assert indexed is not execution, (job.job_id, key)
        if job.target_selection == "SNAPSHOT" and job.status in (JOB_IN_PROGRESS, JOB_COMPLETED):
            assert (job.status == JOB_COMPLETED) == (job.unfinished() == 0), (job.job_id, job.counts)
        if job.target_selection == "CONTINUOUS":
            assert job.status != JOB_COMPLETED
    for thing, per_job in backend.executions.by_thing.items():
        assert thing in backend.things.by_name, thing
        for job_id, execution in per_job.items():
            assert job_id in jobs and jobs[job_id].latest.get(thing) is execution, (thing, job_id)


@pytest.mark.parametrize("seed", range(6))
def test_random_workload_keeps_the_engine_consistent(backend: Backend, seed: int) -> None:
    rng = random.Random(seed)
    names = [f"t{i}" for i in range(6)]
    for name in names:
        backend.things.create(name)
    backend.groups.create("g", None, None)
    backend.groups.create("child", "g", None)
    backend.groups.update_membership("t0", add=["g"], remove=[])
    backend.groups.update_membership("t1", add=["child"], remove=[])
    job_ids: List[str] = []
    created = iter(range(1000))
    versions: Dict[Tuple[str, str, int], int] = {}

    def create_job() -> None:
        job_id = f"job{next(created)}"
        targets = [group_arn("g")] + [thing_arn(n) for n in rng.sample(names, 2) if n in backend.things.by_name]
        params = {"jobId": job_id, "targets": targets, "document": DOC}
        if rng.random() < 0.5:
            params["targetSelection"] = "CONTINUOUS"
        if rng.random() < 0.5:
            params["timeoutConfig"] = {"inProgressTimeoutInMinutes": rng.choice([1, 3])}
        if rng.random() < 0.5:
            params["jobExecutionsRetryConfig"] = {"criteriaList": [{"failureType": "ALL", "numberOfRetries": 1}]}
        if rng.random() < 0.3:
            params["jobExecutionsRolloutConfig"] = {"maximumPerMinute": 1}
        backend.jobs.create(params)
        job_ids.append(job_id)

    def device() -> None:
        name = rng.choice(names)
        in_progress, queued = backend.executions.pending(name)
        if in_progress:
            execution = rng.choice(in_progress)
            status = rng.choice(["SUCCEEDED", "FAILED", "REJECTED", IN_PROGRESS])
        elif queued:
            execution = queued[0]
            status = rng.choice([IN_PROGRESS, IN_PROGRESS, "REJECTED"])
        else:
            return
        with backend.executions.observe([name]):
            backend.executions.device_update(execution, status, backend.now())

    def membership() -> None:
        name = rng.choice([n for n in names if n in backend.things.by_name])
        group = rng.choice(["g", "child"])
        if rng.random() < 0.5:
            backend.groups.update_membership(name, add=[group], remove=[])
        else:
            backend.groups.update_membership(name, add=[], remove=[group])

    def delete_or_recreate_thing() -> None:
        name = rng.choice(names)
        if name in backend.things.by_name:
            backend.delete_thing(name)
        else:
            backend.things.create(name)

    def cancel_job() -> None:
        if job_ids:
            backend.jobs.cancel(rng.choice(job_ids), rng.random() < 0.5, None, None)

    def delete_job() -> None:
        if job_ids:
            job_id = rng.choice(job_ids)
            backend.jobs.delete(job_id, force=True)
            job_ids.remove(job_id)

    def delete_execution() -> None:
        live = [(job, key) for job in backend.jobs.by_id.values() for key in job.history if "#" not in key]
        if live:
            job, key = rng.choice(live)
            execution = rng.choice(job.history[key])
            with backend.executions.observe([execution.thing_name]):
                backend.jobs.delete_execution(execution)

    def cancel_execution() -> None:
        live = [e for job in backend.jobs.by_id.values() for e in job.latest.values() if e.status == QUEUED]
        if live:
            execution = rng.choice(live)
            with backend.executions.observe([execution.thing_name]):
                backend.executions.set_status(execution, "CANCELED", backend.now())

    def advance() -> None:
        backend.clock.advance(60 * rng.choice([1, 2, 4]))
        backend.apply_due()

    steps = [
        (create_job, 2),
        (device, 6),
        (membership, 3),
        (delete_or_recreate_thing, 1),
        (cancel_job, 1),
        (delete_job, 1),
        (delete_execution, 1),
        (cancel_execution, 1),
        (advance, 2),
    ]
    population = [step for step, weight in steps for _ in range(weight)]
    create_job()
    for _ in range(150):
        try:
            rng.choice(population)()
        except ServiceError as refused:
            assert refused.code in ("InvalidRequestException", "InvalidStateTransitionException"), refused
        check_invariants(backend, versions)


def test_delete_job_clears_what_timers_could_reach(backend: Backend) -> None:
    backend.things.create("t")
    backend.jobs.create(
        {
            "jobId": "j",
            "targets": [thing_arn("t")],
            "document": DOC,
            "timeoutConfig": {"inProgressTimeoutInMinutes": 1},
            "jobExecutionsRetryConfig": {"criteriaList": [{"failureType": "TIMED_OUT", "numberOfRetries": 3}]},
        }
    )
    execution = backend.executions.next_for("t")
    assert execution is not None
    backend.executions.device_update(execution, IN_PROGRESS, backend.now())
    backend.jobs.delete("j", force=True)
    backend.clock.advance(300)
    backend.apply_due()
    assert backend.executions.by_thing == {}
    assert execution.status == IN_PROGRESS  # the deleted execution was left alone


def test_deleted_thing_leaves_the_rollout_queue(backend: Backend) -> None:
    for name in ("a", "b"):
        backend.things.create(name)
    job = backend.jobs.create(
        {
            "jobId": "j",
            "targets": [thing_arn("a"), thing_arn("b")],
            "document": DOC,
            "jobExecutionsRolloutConfig": {"maximumPerMinute": 1},
        }
    )
    assert [name for name, _ in job.rollout.waiting] == ["b"]
    backend.delete_thing("b")
    assert job.rollout.waiting == []
    execution = job.latest["a"]
    backend.executions.device_update(execution, "SUCCEEDED", backend.now())
    assert job.status == JOB_COMPLETED


def test_execution_numbers_stay_unique_after_deleting_an_earlier_one(backend: Backend) -> None:
    backend.things.create("t")
    job = backend.jobs.create(
        {
            "jobId": "j",
            "targets": [thing_arn("t")],
            "document": DOC,
            "jobExecutionsRetryConfig": {"criteriaList": [{"failureType": "FAILED", "numberOfRetries": 3}]},
        }
    )
    first = job.latest["t"]
    backend.executions.device_update(first, "FAILED", backend.now())
    second = job.latest["t"]
    assert second.execution_number == 2
    backend.jobs.delete_execution(first)
    backend.executions.device_update(second, "FAILED", backend.now())
    assert [e.execution_number for e in job.history["t"]] == [2, 3]
