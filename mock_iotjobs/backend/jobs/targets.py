"""Resolve job targets (thing and thing-group ARNs) to the things they reach."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Dict, List, Tuple

from ...protocol.errors import invalid_request, not_found
from ..arns import partition

if TYPE_CHECKING:
    from ..state import Backend

_TARGET = re.compile(r"arn:(aws(?:-cn|-us-gov)?):iot:([a-z0-9-]+):(\d{12}):(thing|thinggroup)/(.+)")


def parse_target(backend: "Backend", arn: str) -> Tuple[str, str]:
    """('thing' | 'thinggroup', name) for a target of this account and region."""
    match = _TARGET.fullmatch(arn)
    if match is None:
        raise invalid_request(f"Target {arn} is not a valid thing or thing group ARN.")
    arn_partition, region, account, kind, name = match.groups()
    if arn_partition != partition(backend.region) or region != backend.region or account != backend.account_id:
        raise invalid_request(
            f"Target {arn} does not belong to account {backend.account_id} in {backend.region}."
        )
    return kind, name


def resolve(backend: "Backend", targets: List[str]) -> Tuple[Dict[str, str], List[str]]:
    """Things reached by ``targets`` (name → ARN, in target order, each once) and the
    names of the target groups.  Raises, naming the bad target, before anything changes."""
    things: Dict[str, str] = {}
    groups: List[str] = []
    for arn in targets:
        kind, name = parse_target(backend, arn)
        if kind == "thing":
            thing = backend.things.by_name.get(name)
            if thing is None:
                raise not_found(f"Thing {name} in target {arn} does not exist.")
            things.setdefault(name, thing.arn)
        else:
            if not backend.groups.exists(name):
                raise not_found(f"Thing group {name} in target {arn} does not exist.")
            groups.append(name)
            for member in backend.groups.things_in(name, recursive=True):
                if member not in things:
                    things[member] = backend.things.get(member).arn
    return things, groups
