"""Custom job templates and AWS managed job templates."""

from __future__ import annotations

from ...backend.jobs import managed_templates
from ...backend.paging import paginate
from ...protocol.errors import ServiceError, invalid_request
from ...protocol.models import IOT
from ..base import Context, Params, Result, compact, operation


@operation(IOT, "CreateJobTemplate")
def create_job_template(ctx: Context, p: Params) -> Result:
    backend = ctx.backend
    tags = p.get("tags") or []
    if tags and p["jobTemplateId"] not in backend.templates.by_id:
        backend.tags.check(backend.templates.arn_for(p["jobTemplateId"]), tags)
    template = backend.templates.create(p)
    if tags:
        backend.tags.set(template.arn, tags)
    return {"jobTemplateArn": template.arn, "jobTemplateId": template.template_id}


@operation(IOT, "DescribeJobTemplate")
def describe_job_template(ctx: Context, p: Params) -> Result:
    return compact(**ctx.backend.templates.get(p["jobTemplateId"]).describe())


@operation(IOT, "ListJobTemplates")
def list_job_templates(ctx: Context, p: Params) -> Result:
    try:
        page, token = paginate(
            ctx.backend.templates.listing(),
            lambda t: -t.seq,  # newest first
            p.get("maxResults"),
            p.get("nextToken"),
            "ListJobTemplates",
            100,
        )
    except ServiceError:
        raise invalid_request("Next token is invalid.") from None  # measured wording
    return compact(jobTemplates=[t.summary() for t in page], nextToken=token)


@operation(IOT, "DeleteJobTemplate")
def delete_job_template(ctx: Context, p: Params) -> Result:
    ctx.backend.templates.delete(p["jobTemplateId"])
    return {}


@operation(IOT, "ListManagedJobTemplates")
def list_managed_job_templates(ctx: Context, p: Params) -> Result:
    name = p.get("templateName")
    items = list(enumerate(managed_templates.listing(name)))
    page, token = paginate(
        items,
        lambda item: item[0],
        p.get("maxResults"),
        p.get("nextToken"),
        f"ListManagedJobTemplates:{name or ''}",
        100,
    )
    region = ctx.backend.region
    return compact(managedJobTemplates=[t.summary(region) for _, t in page], nextToken=token)


@operation(IOT, "DescribeManagedJobTemplate")
def describe_managed_job_template(ctx: Context, p: Params) -> Result:
    template = managed_templates.get(p["templateName"], p.get("templateVersion"))
    return template.describe(ctx.backend.region)
