"""Control-plane job operations on the ``iot`` client."""

from __future__ import annotations

from ...backend.paging import paginate
from ...protocol.errors import not_found
from ...protocol.models import IOT
from ..base import Context, Params, Result, compact, operation
from .views import job_description, job_summary


def _created(job_arn: str, job_id: str, description: object) -> Result:
    return compact(jobArn=job_arn, jobId=job_id, description=description)


@operation(IOT, "CreateJob")
def create_job(ctx: Context, p: Params) -> Result:
    job = ctx.backend.jobs.create(p)
    return _created(job.arn, job.job_id, job.description)


@operation(IOT, "DescribeJob")
def describe_job(ctx: Context, p: Params) -> Result:
    job = ctx.backend.jobs.get(p["jobId"])
    return compact(documentSource=job.document_source, job=job_description(job, ctx.backend.now()))


@operation(IOT, "GetJobDocument")
def get_job_document(ctx: Context, p: Params) -> Result:
    job = ctx.backend.jobs.get(p["jobId"])
    # The document as stored: presigned-URL placeholders stay (they are filled only
    # for devices); beforeSubstitution shows a managed template's parameters unfilled.
    if p.get("beforeSubstitution") and job.document_before_substitution is not None:
        return compact(document=job.document_before_substitution)
    return compact(document=job.document)


@operation(IOT, "UpdateJob")
def update_job(ctx: Context, p: Params) -> Result:
    ctx.backend.jobs.update(p["jobId"], p)
    return {}


@operation(IOT, "CancelJob")
def cancel_job(ctx: Context, p: Params) -> Result:
    job = ctx.backend.jobs.cancel(p["jobId"], bool(p.get("force")), p.get("reasonCode"), p.get("comment"))
    return _created(job.arn, job.job_id, job.description)


@operation(IOT, "DeleteJob")
def delete_job(ctx: Context, p: Params) -> Result:
    ctx.backend.jobs.delete(p["jobId"], bool(p.get("force")))
    return {}


@operation(IOT, "AssociateTargetsWithJob")
def associate_targets_with_job(ctx: Context, p: Params) -> Result:
    job = ctx.backend.jobs.associate_targets(p["jobId"], p["targets"], p.get("comment"))
    return _created(job.arn, job.job_id, job.description)


@operation(IOT, "ListJobs")
def list_jobs(ctx: Context, p: Params) -> Result:
    backend = ctx.backend
    group_name = p.get("thingGroupName")
    group_id = p.get("thingGroupId")
    if group_id is not None:
        group_name = backend.groups.name_for_id(group_id)
        if group_name is None:
            raise not_found(f"Thing group with id {group_id} cannot be found.")
    jobs = [
        job
        for job in backend.jobs.by_id.values()
        if (p.get("status") is None or job.status == p["status"])
        and (p.get("targetSelection") is None or job.target_selection == p["targetSelection"])
        and (p.get("namespaceId") is None or job.namespace_id == p["namespaceId"])
        and (group_name is None or group_name in job.target_groups)
    ]
    page, token = paginate(jobs, lambda j: j.seq, p.get("maxResults"), p.get("nextToken"), "ListJobs", 250)
    summaries = []
    for job in page:
        single_group = job.target_groups[0] if len(job.target_groups) == 1 else None
        summaries.append(job_summary(job, backend.groups.id_for_name(single_group) if single_group else None))
    return compact(jobs=summaries, nextToken=token)
