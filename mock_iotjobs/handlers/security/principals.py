"""Thing principals: attach, detach and list the certificates (or Cognito identities) of things."""

from __future__ import annotations

from typing import List, Optional

from ...backend.paging import paginate
from ...backend.security.principals import NON_EXCLUSIVE, Attachment
from ...protocol.models import IOT
from ..base import Context, Params, Result, compact, operation

_PAGE = 250


@operation(IOT, "AttachThingPrincipal")
def attach_thing_principal(ctx: Context, p: Params) -> Result:
    ctx.backend.principals.attach(p["thingName"], p["principal"], p.get("thingPrincipalType") or NON_EXCLUSIVE)
    return {}


@operation(IOT, "DetachThingPrincipal")
def detach_thing_principal(ctx: Context, p: Params) -> Result:
    ctx.backend.principals.detach(p["thingName"], p["principal"])
    return {}


def _of_thing(ctx: Context, p: Params, kind: Optional[str]) -> List[Attachment]:
    ctx.backend.things.get(p["thingName"])
    return [a for a in ctx.backend.principals.principals_of(p["thingName"]) if kind is None or a.kind == kind]


def _of_principal(ctx: Context, p: Params, kind: Optional[str]) -> List[Attachment]:
    ctx.backend.principals.check_principal(p["principal"])
    return [a for a in ctx.backend.principals.things_of(p["principal"]) if kind is None or a.kind == kind]


def _page(items: List[Attachment], p: Params, scope: str) -> "tuple[List[Attachment], Optional[str]]":
    return paginate(items, lambda a: a.seq, p.get("maxResults"), p.get("nextToken"), scope, _PAGE)


@operation(IOT, "ListThingPrincipals")
def list_thing_principals(ctx: Context, p: Params) -> Result:
    page, token = _page(_of_thing(ctx, p, None), p, "ListThingPrincipals")
    return compact(principals=[a.principal for a in page], nextToken=token)


@operation(IOT, "ListThingPrincipalsV2")
def list_thing_principals_v2(ctx: Context, p: Params) -> Result:
    page, token = _page(_of_thing(ctx, p, p.get("thingPrincipalType")), p, "ListThingPrincipalsV2")
    objects = [{"principal": a.principal, "thingPrincipalType": a.kind} for a in page]
    return compact(thingPrincipalObjects=objects, nextToken=token)


@operation(IOT, "ListPrincipalThings")
def list_principal_things(ctx: Context, p: Params) -> Result:
    page, token = _page(_of_principal(ctx, p, None), p, "ListPrincipalThings")
    return compact(things=[a.thing for a in page], nextToken=token)


@operation(IOT, "ListPrincipalThingsV2")
def list_principal_things_v2(ctx: Context, p: Params) -> Result:
    page, token = _page(_of_principal(ctx, p, p.get("thingPrincipalType")), p, "ListPrincipalThingsV2")
    objects = [{"thingName": a.thing, "thingPrincipalType": a.kind} for a in page]
    return compact(principalThingObjects=objects, nextToken=token)
