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


def _lookup(backend: "Backend", kind: str, name: str) -> Optional[Any]:
    if kind == "job":
        jobs = getattr(backend, "jobs", None)
        return jobs.by_id.get(name) if jobs is not None else None
    if kind == "jobtemplate":
        templates = getattr(backend, "templates", None)
        return templates.by_id.get(name) if templates is not None else None
    if kind == "thinggroup":
        return backend.groups.by_name.get(name)
    if kind == "thingtype":
        return backend.thing_types.by_name.get(name)
    if kind == "billinggroup":
        return backend.billing_groups.by_name.get(name)
    if kind == "cacert":
        return backend.ca_certificates.by_id.get(name)
    if kind == "command":
        return backend.commands.by_id.get(name)
    if kind == "policy":
        return backend.policies.by_name.get(name)
    if kind == "rolealias":
        return backend.role_aliases.by_name.get(name)
    if kind == "domainconfiguration":
        # A domain configuration's ARN ends in name/suffix.
        return backend.domain_configurations.by_name.get(name.split("/", 1)[0])
    if kind == "rule":
        return backend.topic_rules.by_name.get(name)
    return backend.things.by_name.get(name)
