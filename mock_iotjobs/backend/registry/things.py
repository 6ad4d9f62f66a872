"""Things: the devices that jobs target."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Dict, List, Optional

from ...protocol.errors import already_exists, not_found, version_conflict
from ..arns import iot_arn

if TYPE_CHECKING:
    from ..state import Backend


@dataclass
class Thing:
    name: str
    thing_id: str
    arn: str
    seq: int
    type_name: Optional[str] = None
    attributes: Dict[str, str] = field(default_factory=dict)
    billing_group: Optional[str] = None
    version: int = 1

    def describe(self) -> Dict[str, Any]:
        return {
            "defaultClientId": self.name,
            "thingName": self.name,
            "thingId": self.thing_id,
            "thingArn": self.arn,
            "thingTypeName": self.type_name,
            "attributes": dict(self.attributes),
            "version": self.version,
            "billingGroupName": self.billing_group,
        }

    def summary(self) -> Dict[str, Any]:
        return {
            "thingName": self.name,
            "thingTypeName": self.type_name,
            "thingArn": self.arn,
            "attributes": dict(self.attributes),
            "version": self.version,
        }


class ThingRegistry:
    """Things of one account and region, in creation order."""

    def __init__(self, backend: "Backend") -> None:
        self._backend = backend
        self.by_name: Dict[str, Thing] = {}

    def arn_for(self, name: str) -> str:
        return iot_arn(self._backend.region, self._backend.account_id, f"thing/{name}")

    def get(self, name: str) -> Thing:
        thing = self.by_name.get(name)
        if thing is None:
            raise not_found(f"Thing {name} cannot be found.")
        return thing

    def create(
        self,
        name: str,
        type_name: Optional[str] = None,
        attributes: Optional[Dict[str, str]] = None,
        billing_group: Optional[str] = None,
    ) -> Thing:
        attributes = dict(attributes or {})
        existing = self.by_name.get(name)
        if existing is not None:
            # Creating an identical thing again is idempotent, as in AWS.
            if (existing.type_name, existing.attributes, existing.billing_group) == (
                type_name,
                attributes,
                billing_group,
            ):
                return existing
            raise already_exists(
                f"Thing {name} already exists in account with different attributes",
                resource_id=existing.thing_id,
                resource_arn=existing.arn,
            )
        thing = Thing(
            name=name,
            thing_id=str(uuid.uuid4()),
            arn=self.arn_for(name),
            seq=self._backend.next_seq(),
            type_name=type_name,
            attributes=attributes,
            billing_group=billing_group,
        )
        self.by_name[name] = thing
        self._backend.on_thing_changed(name)
        return thing

    def update(
        self,
        name: str,
        type_name: Optional[str] = None,
        attribute_payload: Optional[Dict[str, Any]] = None,
        expected_version: Optional[int] = None,
        remove_type: bool = False,
    ) -> Thing:
        thing = self.get(name)
        _check_version(thing, expected_version)
        if attribute_payload is not None:
            incoming = attribute_payload.get("attributes") or {}
            if attribute_payload.get("merge"):
                merged = dict(thing.attributes)
                for key, value in incoming.items():
                    # In a merge an empty value deletes the attribute.
                    if value == "":
                        merged.pop(key, None)
                    else:
                        merged[key] = value
                thing.attributes = merged
            else:
                thing.attributes = {k: v for k, v in incoming.items() if v != ""}
        if remove_type:
            thing.type_name = None
        elif type_name is not None:
            thing.type_name = type_name
        thing.version += 1
        self._backend.on_thing_changed(name)
        return thing

    def delete(self, name: str, expected_version: Optional[int] = None) -> Optional[Thing]:
        thing = self.by_name.get(name)
        if thing is None:
            # Deleting a thing that does not exist succeeds silently in AWS.
            return None
        _check_version(thing, expected_version)
        del self.by_name[name]
        return thing

    def listing(
        self,
        attribute_name: Optional[str] = None,
        attribute_value: Optional[str] = None,
        type_name: Optional[str] = None,
        prefix_value: bool = False,
    ) -> List[Thing]:
        result = []
        for thing in self.by_name.values():
            if type_name is not None and thing.type_name != type_name:
                continue
            if attribute_name is not None:
                value = thing.attributes.get(attribute_name)
                if value is None:
                    continue
                if attribute_value is not None:
                    if prefix_value and not value.startswith(attribute_value):
                        continue
                    if not prefix_value and value != attribute_value:
                        continue
            result.append(thing)
        return result


def _check_version(thing: Thing, expected: Optional[int]) -> None:
    if expected is not None and expected != thing.version:
        raise version_conflict(
            f"The version for thing {thing.name} does not match the expected version."
        )
