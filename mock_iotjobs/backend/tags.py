"""Tags, kept per resource ARN, and the resolution of a taggable resource's ARN."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Dict, List, Optional

from ..protocol.errors import ServiceError, invalid_request, not_found

if TYPE_CHECKING:
    from .state import Backend

# AWS: at most 50 user tags per resource.
MAX_TAGS = 50

_ARN = re.compile(r"arn:aws(?:-cn|-us-gov)?:iot:[a-z0-9-]+:\d{12}:([a-z]+)/(.+)")
TAGGABLE = (
    "job",
    "jobtemplate",
    "thinggroup",
    "thing",
    "thingtype",
    "billinggroup",
    "cacert",
    "policy",
    "rolealias",
    "domainconfiguration",
    "rule",
    "command",
)


class TagStore:
    def __init__(self) -> None:
        self.by_arn: Dict[str, Dict[str, str]] = {}

    def check(self, arn: str, tags: List[Dict[str, str]], code: str = "LimitExceededException") -> None:
        """Raise ``code`` if adding ``tags`` would leave ``arn`` with more than 50 tags."""
        keys = set(self.by_arn.get(arn, {})) | {tag["Key"] for tag in tags}
        if len(keys) > MAX_TAGS:
            raise ServiceError(
                code, f"A resource can have at most {MAX_TAGS} tags; this request would give it {len(keys)}."
            )

    def set(self, arn: str, tags: List[Dict[str, str]], code: str = "LimitExceededException") -> None:
        self.check(arn, tags, code)
        current = self.by_arn.setdefault(arn, {})
        for tag in tags:
            current[tag["Key"]] = tag.get("Value", "")

    def remove(self, arn: str, keys: List[str]) -> None:
        current = self.by_arn.get(arn, {})
        for key in keys:
            current.pop(key, None)

    def list(self, arn: str) -> List[Dict[str, str]]:
        return [{"Key": k, "Value": v} for k, v in self.by_arn.get(arn, {}).items()]

    def drop(self, arn: str) -> None:
        self.by_arn.pop(arn, None)


def existing_resource_arn(backend: "Backend", arn: str) -> str:
    """``arn`` if it names an existing job, job template, thing group or thing of this
    account and region; ResourceNotFoundException (or InvalidRequestException for an
    ARN that is not one of those resource types) otherwise."""
    match = _ARN.fullmatch(arn)
    if match is None:
        raise invalid_request(f"{arn} is not a valid resource ARN.")
    kind, name = match.groups()
    if kind not in TAGGABLE:
        raise invalid_request(f"Resource type {kind} cannot be tagged here; taggable: {', '.join(TAGGABLE)}.")
    resource = _lookup(backend, kind, name)
    if resource is None or getattr(resource, "arn", None) != arn:
        raise not_found(f"The resource {arn} does not exist.")
    return arn


# Each taggable kind's store on the Backend and that store's dict of resources (by id or
# name); a kind not listed is a thing. jobs and templates are looked up leniently: the
# optional modules that provide them may be absent.
_STORES = {
    "job": ("jobs", "by_id"),
    "jobtemplate": ("templates", "by_id"),
    "thinggroup": ("groups", "by_name"),
    "thingtype": ("thing_types", "by_name"),
    "billinggroup": ("billing_groups", "by_name"),
    "cacert": ("ca_certificates", "by_id"),
    "command": ("commands", "by_id"),
    "policy": ("policies", "by_name"),
    "rolealias": ("role_aliases", "by_name"),
    "domainconfiguration": ("domain_configurations", "by_name"),
    "rule": ("topic_rules", "by_name"),
}


def _lookup(backend: "Backend", kind: str, name: str) -> Optional[Any]:
    if kind == "domainconfiguration":
        # A domain configuration's ARN ends in name/suffix.
        name = name.split("/", 1)[0]
    attribute, index = _STORES.get(kind, ("things", "by_name"))
    store = getattr(backend, attribute, None)
    return getattr(store, index).get(name) if store is not None else None
