"""Thing registry operations."""

from __future__ import annotations

from ...backend.paging import paginate
from ...protocol.models import IOT
from ..base import Context, Params, Result, compact, operation


@operation(IOT, "CreateThing")
def create_thing(ctx: Context, p: Params) -> Result:
    attributes = (p.get("attributePayload") or {}).get("attributes")
    thing = ctx.backend.things.create(
        p["thingName"], p.get("thingTypeName"), attributes, p.get("billingGroupName")
    )
    return {"thingName": thing.name, "thingArn": thing.arn, "thingId": thing.thing_id}


@operation(IOT, "DescribeThing")
def describe_thing(ctx: Context, p: Params) -> Result:
    return compact(**ctx.backend.things.get(p["thingName"]).describe())


@operation(IOT, "UpdateThing")
def update_thing(ctx: Context, p: Params) -> Result:
    ctx.backend.things.update(
        p["thingName"],
        type_name=p.get("thingTypeName"),
        attribute_payload=p.get("attributePayload"),
        expected_version=p.get("expectedVersion"),
        remove_type=bool(p.get("removeThingType")),
    )
    return {}


@operation(IOT, "DeleteThing")
def delete_thing(ctx: Context, p: Params) -> Result:
    ctx.backend.delete_thing(p["thingName"], p.get("expectedVersion"))
    return {}


@operation(IOT, "ListThings")
def list_things(ctx: Context, p: Params) -> Result:
    things = ctx.backend.things.listing(
        attribute_name=p.get("attributeName"),
        attribute_value=p.get("attributeValue"),
        type_name=p.get("thingTypeName"),
        prefix_value=bool(p.get("usePrefixAttributeValue")),
    )
    page, token = paginate(
        things, lambda t: t.seq, p.get("maxResults"), p.get("nextToken"), "ListThings", 250
    )
    return compact(things=[compact(**t.summary()) for t in page], nextToken=token)
