"""Role aliases for the IoT credentials provider."""

from __future__ import annotations

from ...protocol.models import IOT
from ..base import Context, Params, Result, compact, operation
from .marker_listing import keyed_by_creation, page_by_marker


@operation(IOT, "CreateRoleAlias")
def create_role_alias(ctx: Context, p: Params) -> Result:
    backend = ctx.backend
    aliases = backend.role_aliases
    tags = p.get("tags") or []
    name = p["roleAlias"]
    if tags and name not in aliases.by_name:
        backend.tags.check(aliases.arn_for(name), tags)
    alias = aliases.create(name, p["roleArn"], p.get("credentialDurationSeconds"))
    if tags:
        backend.tags.set(alias.arn, tags)
    return {"roleAlias": alias.name, "roleAliasArn": alias.arn}


@operation(IOT, "DescribeRoleAlias")
def describe_role_alias(ctx: Context, p: Params) -> Result:
    return {"roleAliasDescription": ctx.backend.role_aliases.get(p["roleAlias"]).describe()}


@operation(IOT, "UpdateRoleAlias")
def update_role_alias(ctx: Context, p: Params) -> Result:
    alias = ctx.backend.role_aliases.update(p["roleAlias"], p.get("roleArn"), p.get("credentialDurationSeconds"))
    return {"roleAlias": alias.name, "roleAliasArn": alias.arn}


@operation(IOT, "DeleteRoleAlias")
def delete_role_alias(ctx: Context, p: Params) -> Result:
    ctx.backend.role_aliases.delete(p["roleAlias"])
    return {}


@operation(IOT, "ListRoleAliases")
def list_role_aliases(ctx: Context, p: Params) -> Result:
    ascending = bool(p.get("ascendingOrder"))
    items = keyed_by_creation(ctx.backend.role_aliases.listing(ascending), lambda a: a.seq, ascending)
    page, marker = page_by_marker(p, items, lambda i: i[0], f"ListRoleAliases:{ascending}")
    return compact(roleAliases=[alias.name for _, alias in page], nextMarker=marker)
