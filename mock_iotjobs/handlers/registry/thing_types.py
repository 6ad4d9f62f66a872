"""Thing type operations."""

from __future__ import annotations

from ...backend.paging import paginate
from ...protocol.models import IOT
from ..base import Context, Params, Result, compact, operation


@operation(IOT, "CreateThingType")
def create_thing_type(ctx: Context, p: Params) -> Result:
    backend = ctx.backend
    name = p["thingTypeName"]
    tags = p.get("tags") or []
    if tags and name not in backend.thing_types.by_name:
        # CreateThingType models no LimitExceededException: too many tags is a bad request.
        backend.tags.check(backend.thing_types.arn_for(name), tags, "InvalidRequestException")
    thing_type, created = backend.thing_types.create(name, p.get("thingTypeProperties"))
    if created and tags:
        backend.tags.set(thing_type.arn, tags, "InvalidRequestException")
    return {"thingTypeName": thing_type.name, "thingTypeArn": thing_type.arn, "thingTypeId": thing_type.type_id}


@operation(IOT, "DescribeThingType")
def describe_thing_type(ctx: Context, p: Params) -> Result:
    return ctx.backend.thing_types.get(p["thingTypeName"]).describe()


@operation(IOT, "ListThingTypes")
def list_thing_types(ctx: Context, p: Params) -> Result:
    types = ctx.backend.thing_types.listing(p.get("thingTypeName"))
    page, token = paginate(types, lambda t: t.seq, p.get("maxResults"), p.get("nextToken"), "ListThingTypes", 250)
    return compact(thingTypes=[t.summary() for t in page], nextToken=token)


@operation(IOT, "UpdateThingType")
def update_thing_type(ctx: Context, p: Params) -> Result:
    ctx.backend.thing_types.update(p["thingTypeName"], p.get("thingTypeProperties"))
    return {}


@operation(IOT, "DeprecateThingType")
def deprecate_thing_type(ctx: Context, p: Params) -> Result:
    ctx.backend.thing_types.deprecate(p["thingTypeName"], bool(p.get("undoDeprecate")))
    return {}


@operation(IOT, "DeleteThingType")
def delete_thing_type(ctx: Context, p: Params) -> Result:
    backend = ctx.backend
    name = p["thingTypeName"]
    thing_type = backend.thing_types.delete(name, backend.things.count_of_type(name))
    backend.tags.drop(thing_type.arn)
    return {}
