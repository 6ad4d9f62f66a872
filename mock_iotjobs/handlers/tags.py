"""Tagging of jobs, job templates, thing groups and things."""

from __future__ import annotations

from ..backend.paging import paginate
from ..backend.tags import MAX_TAGS, existing_resource_arn
from ..protocol.models import IOT
from .base import Context, Params, Result, compact, operation


@operation(IOT, "TagResource")
def tag_resource(ctx: Context, p: Params) -> Result:
    arn = existing_resource_arn(ctx.backend, p["resourceArn"])
    ctx.backend.tags.set(arn, p["tags"])
    return {}


@operation(IOT, "UntagResource")
def untag_resource(ctx: Context, p: Params) -> Result:
    arn = existing_resource_arn(ctx.backend, p["resourceArn"])
    ctx.backend.tags.remove(arn, p["tagKeys"])
    return {}


@operation(IOT, "ListTagsForResource")
def list_tags_for_resource(ctx: Context, p: Params) -> Result:
    arn = existing_resource_arn(ctx.backend, p["resourceArn"])
    # The operation has no maxResults; tags come back in pages of at most 50 (one page).
    tags = list(enumerate(ctx.backend.tags.list(arn)))
    page, token = paginate(tags, lambda t: t[0], None, p.get("nextToken"), f"ListTagsForResource:{arn}", MAX_TAGS)
    return compact(tags=[tag for _, tag in page], nextToken=token)
