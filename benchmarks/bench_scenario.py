"""What is timed: the fleet scenario, per-call micro benchmarks, enter/exit.

Runs inside one worker process against one backend and returns plain dicts
(nanoseconds); ``bench_report`` turns them into medians, ratios and tables.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections import defaultdict
from typing import Any, Callable, Dict, List

import bench_canned as canned
from bench_backends import Backend

Samples = Dict[str, List[int]]  # operation -> per-call nanoseconds

# Thread CPU time by default: on a shared machine it ignores time spent
# descheduled, which wall time cannot; ``use_clock("wall")`` switches.
clock = time.thread_time_ns


def use_clock(kind: str) -> int:
    """Select the clock; returns its own cost per reading (ns), subtracted per sample later."""
    global clock
    clock = time.perf_counter_ns if kind == "wall" else time.thread_time_ns
    costs = []
    for _ in range(2000):
        start = clock()
        costs.append(clock() - start)
    return sorted(costs)[len(costs) // 2]


# Phase name -> the operations it times; "device" needs the device plane.
PHASES = ["create_things", "add_to_group", "create_job", "list_executions", "device", "describe_job"]
CONTROL_PHASES = [p for p in PHASES if p != "device"]
DESCRIBE_JOB_CALLS = 5
DEVICE_OPS = ["StartNextPendingJobExecution", "UpdateJobExecution"]


class Recorder:
    """Times each call on its own, so per-call medians ignore the odd GC pause."""

    def __init__(self) -> None:
        self.samples: Samples = defaultdict(list)

    def __call__(self, operation: str, method: Callable[..., Any], **params: Any) -> Any:
        start = clock()
        answer = method(**params)
        self.samples[operation].append(clock() - start)
        return answer


def thing_name(i: int) -> str:
    return f"dev-{i:05d}"


def _create_things(backend: Backend, iot: Any, jobs: Any, n: int, rec: Recorder) -> Dict[str, Any]:
    backend.expect("CreateThing", n)
    for i in range(n):
        rec("CreateThing", iot.create_thing, thingName=thing_name(i))
    return {}


def _add_to_group(backend: Backend, iot: Any, jobs: Any, n: int, rec: Recorder) -> Dict[str, Any]:
    backend.expect("CreateThingGroup")
    backend.expect("AddThingToThingGroup", n)
    rec("CreateThingGroup", iot.create_thing_group, thingGroupName=canned.GROUP)
    for i in range(n):
        rec("AddThingToThingGroup", iot.add_thing_to_thing_group, thingGroupName=canned.GROUP, thingName=thing_name(i))
    return {}


def _create_job(backend: Backend, iot: Any, jobs: Any, n: int, rec: Recorder) -> Dict[str, Any]:
    backend.expect("CreateJob")
    rec(
        "CreateJob",
        iot.create_job,
        jobId=canned.JOB_ID,
        targets=[f"{canned.ARN}:thinggroup/{canned.GROUP}"],
        document=canned.DOCUMENT,
        targetSelection="SNAPSHOT",
    )
    return {}


def _list_executions(backend: Backend, iot: Any, jobs: Any, n: int, rec: Recorder) -> Dict[str, Any]:
    backend.expect("ListJobExecutionsForJob", -(-n // canned.PAGE))
    listed, token = 0, None
    while True:
        extra = {"nextToken": token} if token else {}
        page = rec(
            "ListJobExecutionsForJob",
            iot.list_job_executions_for_job,
            jobId=canned.JOB_ID,
            maxResults=canned.PAGE,
            **extra,
        )
        listed += len(page["executionSummaries"])
        token = page.get("nextToken")
        if not token:
            return {"executions_listed": listed}


def _device(backend: Backend, iot: Any, jobs: Any, n: int, rec: Recorder) -> Dict[str, Any]:
    for _ in range(n):  # queued per device so the Stubber's queue stays in call order
        backend.expect("StartNextPendingJobExecution")
        backend.expect("UpdateJobExecution", 2)
    started = 0
    for i in range(n):
        name = thing_name(i)
        answer = rec("StartNextPendingJobExecution", jobs.start_next_pending_job_execution, thingName=name)
        execution = answer.get("execution")
        if not execution:
            continue
        started += 1
        rec(
            "UpdateJobExecution",
            jobs.update_job_execution,
            thingName=name,
            jobId=execution["jobId"],
            status="IN_PROGRESS",
            statusDetails={"progress": "50%"},
            expectedVersion=execution["versionNumber"],
        )
        rec(
            "UpdateJobExecution",
            jobs.update_job_execution,
            thingName=name,
            jobId=execution["jobId"],
            status="SUCCEEDED",
        )
    return {"devices_started": started}


def _describe_job(backend: Backend, iot: Any, jobs: Any, n: int, rec: Recorder) -> Dict[str, Any]:
    backend.expect("DescribeJob", DESCRIBE_JOB_CALLS)
    for _ in range(DESCRIBE_JOB_CALLS):
        answer = rec("DescribeJob", iot.describe_job, jobId=canned.JOB_ID)
    details = answer["job"].get("jobProcessDetails", {})
    return {"succeeded_things": details.get("numberOfSucceededThings"), "job_status": answer["job"].get("status")}


_RUNNERS = {
    "create_things": _create_things,
    "add_to_group": _add_to_group,
    "create_job": _create_job,
    "list_executions": _list_executions,
    "device": _device,
    "describe_job": _describe_job,
}


def run_scenario(backend: Backend, n: int) -> Dict[str, Any]:
    """One pass of the fleet scenario on fresh state: per phase total ns, samples, observations."""
    iot, jobs = backend.start(n)
    phases: Dict[str, Any] = {}
    try:
        for phase in PHASES:
            if phase == "device" and not backend.device_plane:
                continue
            rec = Recorder()
            gc.collect()
            start = clock()
            observed = _RUNNERS[phase](backend, iot, jobs, n, rec)
            total = clock() - start
            phases[phase] = {"total_ns": total, "samples": dict(rec.samples), "observed": observed}
    finally:
        backend.stop()
    return phases


def run_micro(backend: Backend, loops: int, warmup: int = 20) -> Dict[str, List[int]]:
    """Per-call ns of small calls against a one-thing fleet with one queued job."""
    iot, jobs = backend.start(1)
    out: Dict[str, List[int]] = {}
    try:
        for op in ("CreateThing", "CreateThingGroup", "AddThingToThingGroup", "CreateJob"):
            backend.expect(op)
        iot.create_thing(thingName=thing_name(0))
        iot.create_thing_group(thingGroupName=canned.GROUP)
        iot.add_thing_to_thing_group(thingGroupName=canned.GROUP, thingName=thing_name(0))
        iot.create_job(
            jobId=canned.JOB_ID,
            targets=[f"{canned.ARN}:thing/{thing_name(0)}"],
            document=canned.DOCUMENT,
            targetSelection="SNAPSHOT",
        )
        calls = [
            ("DescribeThing", iot.describe_thing, {"thingName": thing_name(0)}),
            ("DescribeJob", iot.describe_job, {"jobId": canned.JOB_ID}),
        ]
        if backend.device_plane:
            calls.append(("GetPendingJobExecutions", jobs.get_pending_job_executions, {"thingName": thing_name(0)}))
        for op, method, params in calls:
            backend.expect(op, warmup + loops)
            for _ in range(warmup):
                method(**params)
            gc.collect()
            rec = Recorder()
            for _ in range(loops):
                rec(op, method, **params)
            out[op] = rec.samples[op]
    finally:
        backend.stop()
    return out


PAGE_OP = "ListJobExecutionsForJob (250-item page)"


def run_micro_page(backend: Backend, loops: int, warmup: int = 10) -> Dict[str, List[int]]:
    """Per-call ns of one full ListJobExecutionsForJob page (250 executions), steady
    state: the same first page asked again and again, as the small calls are (issue 15)."""
    iot, jobs = backend.start(canned.PAGE)
    try:
        rec = Recorder()
        _create_things(backend, iot, jobs, canned.PAGE, rec)
        _add_to_group(backend, iot, jobs, canned.PAGE, rec)
        _create_job(backend, iot, jobs, canned.PAGE, rec)
        backend.expect("ListJobExecutionsForJob", warmup + loops)
        for _ in range(warmup):
            iot.list_job_executions_for_job(jobId=canned.JOB_ID, maxResults=canned.PAGE)
        gc.collect()
        rec = Recorder()
        for _ in range(loops):
            rec(PAGE_OP, iot.list_job_executions_for_job, jobId=canned.JOB_ID, maxResults=canned.PAGE)
        return {PAGE_OP: rec.samples[PAGE_OP]}
    finally:
        backend.stop()


def run_enter_exit(backend: Backend, loops: int) -> Dict[str, Any]:
    """Per-activation ns of ``with mock(): pass`` (first one reported apart: it may import lazily)."""
    if backend.enter_exit() is None:
        return {}
    times: List[int] = []
    for _ in range(loops + 1):
        mock = backend.enter_exit()
        start = clock()
        with mock:
            pass
        times.append(clock() - start)
    return {"first_ns": times[0], "samples": times[1:], "median_ns": statistics.median(times[1:])}
