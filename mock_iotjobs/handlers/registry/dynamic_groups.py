"""Dynamic thing groups: thing groups whose members follow a fleet-indexing query."""

from __future__ import annotations

from ...backend.registry.groups import ThingGroup
from ...backend.registry.indexing import QUERY_VERSION, THINGS_INDEX
from ...backend.registry.search_query import parse_query
from ...protocol.errors import ServiceError, already_exists, invalid_request, limit_exceeded, version_conflict
from ...protocol.models import IOT
from ..base import Context, Params, Result, operation

# AWS quota: dynamic thing groups per account.
MAX_DYNAMIC_GROUPS = 100


def _query_parts(ctx: Context, p: Params) -> "tuple[str, str]":
    """The (index name, query version) of a dynamic group request, checked as AWS does."""
    index = p.get("indexName") or THINGS_INDEX
    if index != THINGS_INDEX:
        raise invalid_request(f"Index {index} is not supported for dynamic thing groups; use {THINGS_INDEX}.")
    version = p.get("queryVersion") or QUERY_VERSION
    if version != QUERY_VERSION:
        raise invalid_request(f"Query version {version} is not supported; the supported version is {QUERY_VERSION}.")
    ctx.backend.indexing.require(THINGS_INDEX)
    return index, version


def dynamic_group(ctx: Context, name: str) -> ThingGroup:
    group = ctx.backend.groups.get(name)
    if not group.dynamic:
        raise invalid_request(f"Thing group {name} is not a dynamic thing group.")
    return group


@operation(IOT, "CreateDynamicThingGroup")
def create_dynamic_thing_group(ctx: Context, p: Params) -> Result:
    backend = ctx.backend
    name, query = p["thingGroupName"], p["queryString"]
    index, version = _query_parts(ctx, p)
    parse_query(query)  # InvalidQueryException before anything changes
    existing = backend.groups.by_name.get(name)
    if existing is None and len(backend.indexing.dynamic) >= MAX_DYNAMIC_GROUPS:
        raise limit_exceeded(f"An account can have at most {MAX_DYNAMIC_GROUPS} dynamic thing groups.")
    if existing is not None and (not existing.dynamic or existing.query != query):
        raise already_exists(
            f"Thing Group {name} already exists with different tags or properties",
            resource_id=existing.group_id,
            resource_arn=existing.arn,
        )
    tags = p.get("tags") or []
    if tags and existing is None:
        backend.tags.check(backend.groups.arn_for(name), tags, "InvalidRequestException")
    group, created = backend.groups.create(name, None, p.get("thingGroupProperties"))
    if created:
        group.query, group.query_version, group.index_name = query, version, index
        if tags:
            backend.tags.set(group.arn, tags, "InvalidRequestException")
        backend.indexing.add_dynamic(name, query)
    return {
        "thingGroupName": group.name,
        "thingGroupArn": group.arn,
        "thingGroupId": group.group_id,
        "indexName": group.index_name,
        "queryString": group.query,
        "queryVersion": group.query_version,
    }


@operation(IOT, "UpdateDynamicThingGroup")
def update_dynamic_thing_group(ctx: Context, p: Params) -> Result:
    backend = ctx.backend
    group = dynamic_group(ctx, p["thingGroupName"])
    expected = p.get("expectedVersion")
    if expected is not None and expected != group.version:
        raise version_conflict(f"The version for thing group {group.name} does not match the expected version.")
    query = p.get("queryString")
    if query is not None or p.get("indexName") or p.get("queryVersion"):
        _query_parts(ctx, p)
    if query is not None:
        parse_query(query)
    group = backend.groups.update(group.name, p.get("thingGroupProperties") or {}, None)
    if query is not None and query != group.query:
        group.query = query
        backend.indexing.add_dynamic(group.name, query)
    return {"version": group.version}


@operation(IOT, "DeleteDynamicThingGroup")
def delete_dynamic_thing_group(ctx: Context, p: Params) -> Result:
    backend = ctx.backend
    group = backend.groups.by_name.get(p["thingGroupName"])
    if group is None:
        return {}  # deleting a group that does not exist succeeds, as for static groups
    if not group.dynamic:
        raise invalid_request(f"Thing group {group.name} is not a dynamic thing group.")
    # Stop upkeep first, so removing the members does not re-check this group; restore it if refused.
    node = backend.indexing.dynamic.pop(group.name, None)
    try:
        deleted = backend.groups.delete(group.name, p.get("expectedVersion"))
    except ServiceError:
        if node is not None:
            backend.indexing.dynamic[group.name] = node
        raise
    if deleted is not None:
        backend.tags.drop(deleted.arn)
    return {}
