"""Control-plane job-execution operations on the ``iot`` client."""

from __future__ import annotations

from typing import List, Optional, Tuple

from ...backend.jobs.checks import check_status_details
from ...backend.jobs.model import IN_PROGRESS, Job, JobExecution
from ...backend.paging import paginate
from ...protocol.errors import invalid_transition, not_found, version_conflict
from ...protocol.models import IOT
from ..base import Context, Params, Result, compact, operation
from .views import execution_description, execution_summary


def find_execution(job: Job, thing_name: str, execution_number: Optional[int] = None) -> JobExecution:
    """The thing's latest execution of ``job``, or the numbered one."""
    history = job.history.get(thing_name) or []
    if execution_number is None:
        if history:
            return history[-1]
    else:
        for execution in history:
            if execution.execution_number == execution_number:
                return execution
    raise not_found(f"Job execution of job {job.job_id} on thing {thing_name} cannot be found.")


@operation(IOT, "DescribeJobExecution")
def describe_job_execution(ctx: Context, p: Params) -> Result:
    job = ctx.backend.jobs.get(p["jobId"])
    execution = find_execution(job, p["thingName"], p.get("executionNumber"))
    return {"execution": execution_description(execution, ctx.backend.now())}


@operation(IOT, "CancelJobExecution")
def cancel_job_execution(ctx: Context, p: Params) -> Result:
    backend = ctx.backend
    check_status_details(p.get("statusDetails"))
    job = backend.jobs.get(p["jobId"])
    execution = find_execution(job, p["thingName"])
    if execution.terminal:
        raise invalid_transition(
            f"Job execution is already in terminal state {execution.status} and cannot be canceled."
        )
    if execution.status == IN_PROGRESS and not p.get("force"):
        raise invalid_transition("Job execution is IN_PROGRESS; set force to cancel it.")
    expected = p.get("expectedVersion")
    if expected is not None and expected != execution.version_number:
        raise version_conflict(
            f"Expected version {expected} but found version {execution.version_number}"
        )
    # The docs: true when canceled with force=true (whatever the status was).
    forced = True if p.get("force") else None
    details = p.get("statusDetails")
    with backend.executions.observe([execution.thing_name]):
        backend.executions.set_status(
            execution, "CANCELED", backend.now(), details=details, force_canceled=forced
        )
    return {}


@operation(IOT, "DeleteJobExecution")
def delete_job_execution(ctx: Context, p: Params) -> Result:
    backend = ctx.backend
    job = backend.jobs.get(p["jobId"])
    execution = find_execution(job, p["thingName"], p["executionNumber"])
    if not execution.terminal and not p.get("force"):
        raise invalid_transition(
            f"Job execution is {execution.status}; only terminal executions can be deleted unless force is true."
        )
    with backend.executions.observe([execution.thing_name]):
        backend.jobs.delete_execution(execution)
    return {}


@operation(IOT, "ListJobExecutionsForJob")
def list_job_executions_for_job(ctx: Context, p: Params) -> Result:
    job = ctx.backend.jobs.get(p["jobId"])
    status = p.get("status")
    executions = sorted(
        (e for e in job.latest.values() if status is None or e.status == status),
        key=lambda e: job.history[e.history_key][0].seq,
    )
    page, token = paginate(
        executions,
        lambda e: job.history[e.history_key][0].seq,
        p.get("maxResults"),
        p.get("nextToken"),
        f"ListJobExecutionsForJob/{job.seq}",
        250,
    )
    summaries = [
        {"thingArn": e.thing_arn, "jobExecutionSummary": execution_summary(e)} for e in page
    ]
    return compact(executionSummaries=summaries, nextToken=token)


@operation(IOT, "ListJobExecutionsForThing")
def list_job_executions_for_thing(ctx: Context, p: Params) -> Result:
    backend = ctx.backend
    thing_name = p["thingName"]
    status = p.get("status")
    job_id = p.get("jobId")
    namespace = p.get("namespaceId")
    # (sort key, execution): a job's place is that of its first execution on the thing,
    # so a retry neither reorders the list nor shows the job again on a later page.
    keyed: List[Tuple[int, JobExecution]] = []
    for execution in backend.executions.for_thing(thing_name):
        if job_id is not None and execution.job_id != job_id:
            continue
        if namespace is not None and execution.job.namespace_id != namespace:
            continue
        history = execution.job.history.get(thing_name) or [execution]
        # With a job id, every execution of that job on the thing (retries too).
        chosen = [(e.seq, e) for e in history] if job_id else [(history[0].seq, execution)]
        keyed.extend(item for item in chosen if status is None or item[1].status == status)
    keyed.sort(key=lambda item: item[0])
    page, token = paginate(
        keyed, lambda item: item[0], p.get("maxResults"), p.get("nextToken"),
        f"ListJobExecutionsForThing/{thing_name}", 250,
    )
    summaries = [{"jobId": e.job_id, "jobExecutionSummary": execution_summary(e)} for _, e in page]
    return compact(executionSummaries=summaries, nextToken=token)
