"""Thing group operations (dynamic groups are created, updated and deleted in dynamic_groups.py)."""

from __future__ import annotations

from ...backend.paging import paginate
from ...backend.registry.groups import MAX_GROUPS_PER_THING, ThingGroup, ThingGroups, thing_from
from ...protocol.errors import invalid_request
from ...protocol.models import IOT
from ..base import Context, Params, Result, compact, operation
from ..tagged_create import create_tagged


def _name_and_arn(group: ThingGroup) -> dict:
    return {"groupName": group.name, "groupArn": group.arn}


def _static_only(groups: ThingGroups, names: "list[str]", verb: str) -> None:
    """Membership of a dynamic group follows its query: AWS refuses to change it by hand."""
    for name in names:
        if groups.get(name).dynamic:
            raise invalid_request(f"Cannot {verb} dynamic thing group {name}.")


def _make_room(ctx: Context, thing: str, adding: "list[str]", override: bool) -> "list[str]":
    """With overrideDynamicGroups, the dynamic groups to leave so a thing at the
    10-group quota can join static ones (the most recently joined first)."""
    groups = ctx.backend.groups
    direct = groups.direct_groups(thing)
    current = {g.name for _, g in direct}
    excess = len(current | set(adding)) - MAX_GROUPS_PER_THING
    if not override or excess <= 0:
        return []
    dynamic = [g.name for _, g in reversed(direct) if g.dynamic]
    return dynamic[:excess]


@operation(IOT, "CreateThingGroup")
def create_thing_group(ctx: Context, p: Params) -> Result:
    groups, name = ctx.backend.groups, p["thingGroupName"]
    group = create_tagged(
        ctx.backend,
        groups,
        name,
        p.get("tags") or [],
        lambda: groups.create(name, p.get("parentGroupName"), p.get("thingGroupProperties")),
    )
    return {"thingGroupName": group.name, "thingGroupArn": group.arn, "thingGroupId": group.group_id}


@operation(IOT, "DescribeThingGroup")
def describe_thing_group(ctx: Context, p: Params) -> Result:
    groups = ctx.backend.groups
    group = groups.get(p["thingGroupName"])
    return {
        "thingGroupName": group.name,
        "thingGroupId": group.group_id,
        "thingGroupArn": group.arn,
        "version": group.version,
        "thingGroupProperties": group.properties(),
        "thingGroupMetadata": compact(
            parentGroupName=group.parent,
            rootToParentThingGroups=groups.root_to_parent(group.name) if group.parent else None,
            creationDate=group.created_at,
        ),
        **(
            {
                "indexName": group.index_name,
                "queryString": group.query,
                "queryVersion": group.query_version,
                "status": "ACTIVE",
            }
            if group.dynamic
            else {}
        ),
    }


@operation(IOT, "UpdateThingGroup")
def update_thing_group(ctx: Context, p: Params) -> Result:
    group = ctx.backend.groups.update(p["thingGroupName"], p["thingGroupProperties"], p.get("expectedVersion"))
    return {"version": group.version}


@operation(IOT, "DeleteThingGroup")
def delete_thing_group(ctx: Context, p: Params) -> Result:
    existing = ctx.backend.groups.by_name.get(p["thingGroupName"])
    if existing is not None and existing.dynamic:
        raise invalid_request(f"Thing group {existing.name} is dynamic: delete it with DeleteDynamicThingGroup.")
    group = ctx.backend.groups.delete(p["thingGroupName"], p.get("expectedVersion"))
    if group is not None:
        ctx.backend.tags.drop(group.arn)
    return {}


@operation(IOT, "ListThingGroups")
def list_thing_groups(ctx: Context, p: Params) -> Result:
    groups = ctx.backend.groups.listing(p.get("parentGroup"), p.get("namePrefixFilter"), p.get("recursive"))
    page, token = paginate(groups, lambda g: g.seq, p.get("maxResults"), p.get("nextToken"), "ListThingGroups", 250)
    return compact(thingGroups=[_name_and_arn(g) for g in page], nextToken=token)


def _group_and_thing(ctx: Context, p: Params) -> "tuple[ThingGroup, str]":
    """The thing group and the thing's name a membership request names (each by name and/or ARN)."""
    group = ctx.backend.groups.resolve(p.get("thingGroupName"), p.get("thingGroupArn"))
    return group, thing_from(ctx.backend, p.get("thingName"), p.get("thingArn"))


@operation(IOT, "AddThingToThingGroup")
def add_thing_to_thing_group(ctx: Context, p: Params) -> Result:
    groups = ctx.backend.groups
    group, thing = _group_and_thing(ctx, p)
    _static_only(groups, [group.name], "add things to")
    leave = _make_room(ctx, thing, [group.name], bool(p.get("overrideDynamicGroups")))
    groups.update_membership(thing, add=[group.name], remove=leave)
    return {}


@operation(IOT, "RemoveThingFromThingGroup")
def remove_thing_from_thing_group(ctx: Context, p: Params) -> Result:
    groups = ctx.backend.groups
    group, thing = _group_and_thing(ctx, p)
    _static_only(groups, [group.name], "remove things from")
    groups.update_membership(thing, add=[], remove=[group.name])
    return {}


@operation(IOT, "UpdateThingGroupsForThing")
def update_thing_groups_for_thing(ctx: Context, p: Params) -> Result:
    thing = thing_from(ctx.backend, p.get("thingName"), None)
    groups = ctx.backend.groups
    add, remove = p.get("thingGroupsToAdd") or [], p.get("thingGroupsToRemove") or []
    _static_only(groups, add, "add things to")
    _static_only(groups, remove, "remove things from")
    leave = _make_room(ctx, thing, add, bool(p.get("overrideDynamicGroups")))
    groups.update_membership(thing, add=add, remove=remove + leave)
    return {}


@operation(IOT, "ListThingsInThingGroup")
def list_things_in_thing_group(ctx: Context, p: Params) -> Result:
    name = p["thingGroupName"]
    members = ctx.backend.groups.members_keyed(name, bool(p.get("recursive")))
    page, token = paginate(
        members,
        lambda m: m[0],
        p.get("maxResults"),
        p.get("nextToken"),
        f"ListThingsInThingGroup:{name}",
        250,
    )
    return compact(things=[thing for _, thing in page], nextToken=token)


@operation(IOT, "ListThingGroupsForThing")
def list_thing_groups_for_thing(ctx: Context, p: Params) -> Result:
    thing = ctx.backend.things.get(p["thingName"]).name
    entries = ctx.backend.groups.direct_groups(thing)
    page, token = paginate(
        entries,
        lambda e: e[0],
        p.get("maxResults"),
        p.get("nextToken"),
        f"ListThingGroupsForThing:{thing}",
        250,
    )
    return compact(thingGroups=[_name_and_arn(g) for _, g in page], nextToken=token)
