"""Thing type operations."""

from __future__ import annotations

from ...backend.paging import paginate
from ...protocol.models import IOT
from ..base import Context, Params, Result, compact, operation
from ..tagged_create import create_tagged


@operation(IOT, "CreateThingType")
def create_thing_type(ctx: Context, p: Params) -> Result:
    types, name = ctx.backend.thing_types, p["thingTypeName"]
    thing_type = create_tagged(
        ctx.backend, types, name, p.get("tags") or [], lambda: types.create(name, p.get("thingTypeProperties"))
    )
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
