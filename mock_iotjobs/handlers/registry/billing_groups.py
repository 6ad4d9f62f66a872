"""Billing group operations."""

from __future__ import annotations

from typing import Tuple

from ...backend.paging import paginate
from ...backend.registry.billing_groups import BillingGroup
from ...backend.registry.groups import thing_from
from ...backend.registry.things import Thing
from ...protocol.models import IOT
from ..base import Context, Params, Result, compact, operation
from ..tagged_create import create_tagged


@operation(IOT, "CreateBillingGroup")
def create_billing_group(ctx: Context, p: Params) -> Result:
    groups, name = ctx.backend.billing_groups, p["billingGroupName"]
    group = create_tagged(
        ctx.backend, groups, name, p.get("tags") or [], lambda: groups.create(name, p.get("billingGroupProperties"))
    )
    return {"billingGroupName": group.name, "billingGroupArn": group.arn, "billingGroupId": group.group_id}


@operation(IOT, "DescribeBillingGroup")
def describe_billing_group(ctx: Context, p: Params) -> Result:
    return ctx.backend.billing_groups.get(p["billingGroupName"]).describe()


@operation(IOT, "UpdateBillingGroup")
def update_billing_group(ctx: Context, p: Params) -> Result:
    group = ctx.backend.billing_groups.update(
        p["billingGroupName"], p["billingGroupProperties"], p.get("expectedVersion")
    )
    return {"version": group.version}


@operation(IOT, "DeleteBillingGroup")
def delete_billing_group(ctx: Context, p: Params) -> Result:
    group = ctx.backend.billing_groups.delete(p["billingGroupName"], p.get("expectedVersion"))
    if group is not None:
        ctx.backend.tags.drop(group.arn)
    return {}


@operation(IOT, "ListBillingGroups")
def list_billing_groups(ctx: Context, p: Params) -> Result:
    groups = ctx.backend.billing_groups.listing(p.get("namePrefixFilter"))
    page, token = paginate(groups, lambda g: g.seq, p.get("maxResults"), p.get("nextToken"), "ListBillingGroups", 250)
    return compact(billingGroups=[{"groupName": g.name, "groupArn": g.arn} for g in page], nextToken=token)


def _group_and_thing(ctx: Context, p: Params) -> Tuple[BillingGroup, Thing]:
    """The billing group and the thing a membership request names (each by name and/or ARN)."""
    backend = ctx.backend
    group = backend.billing_groups.resolve(p.get("billingGroupName"), p.get("billingGroupArn"))
    thing = backend.things.get(thing_from(backend, p.get("thingName"), p.get("thingArn")))
    return group, thing


@operation(IOT, "AddThingToBillingGroup")
def add_thing_to_billing_group(ctx: Context, p: Params) -> Result:
    group, thing = _group_and_thing(ctx, p)
    ctx.backend.billing_groups.add(thing, group)
    return {}


@operation(IOT, "RemoveThingFromBillingGroup")
def remove_thing_from_billing_group(ctx: Context, p: Params) -> Result:
    group, thing = _group_and_thing(ctx, p)
    ctx.backend.billing_groups.remove(thing, group)
    return {}


@operation(IOT, "ListThingsInBillingGroup")
def list_things_in_billing_group(ctx: Context, p: Params) -> Result:
    name = p["billingGroupName"]
    members = ctx.backend.billing_groups.members_keyed(name)
    page, token = paginate(
        members, lambda m: m[0], p.get("maxResults"), p.get("nextToken"), f"ListThingsInBillingGroup:{name}", 250
    )
    return compact(things=[thing for _, thing in page], nextToken=token)
