"""Things: the devices that jobs target."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Dict, List, Optional

from ...protocol.errors import already_exists, invalid_request, not_found
from ..arns import iot_arn
from .references import check_expected_version

if TYPE_CHECKING:
    from ..state import Backend

# The developer guide: things with a thing type can have up to 50 attributes,
# things without one up to three.
MAX_ATTRIBUTES_WITH_TYPE = 50
MAX_ATTRIBUTES_WITHOUT_TYPE = 3


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
        if type_name is not None:
            self._backend.thing_types.check_assignable(type_name)
        group = self._backend.billing_groups.get(billing_group) if billing_group is not None else None
        _check_attribute_count(name, attributes, type_name)
        thing = Thing(
            name=name,
            thing_id=str(uuid.uuid4()),
            arn=self.arn_for(name),
            seq=self._backend.next_seq(),
            type_name=type_name,
            attributes=attributes,
        )
        self.by_name[name] = thing
        if group is not None:
            self._backend.billing_groups.add(thing, group, notify=False)
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
        check_expected_version("thing", thing.name, thing.version, expected_version)
        if remove_type and type_name is not None:
            raise invalid_request("You cannot specify both thingTypeName and removeThingType.")
        new_type = thing.type_name
        if remove_type:
            new_type = None
        elif type_name is not None and type_name != thing.type_name:
            # A type the thing already has stays usable after deprecation ("existing things
            # associated with the thing type are unchanged"); a new association is refused.
            self._backend.thing_types.check_assignable(type_name)
            new_type = type_name
        attributes = thing.attributes
        if attribute_payload is not None:
            incoming = attribute_payload.get("attributes") or {}
            if attribute_payload.get("merge"):
                attributes = dict(thing.attributes)
                for key, value in incoming.items():
                    # In a merge an empty value deletes the attribute.
                    if value == "":
                        attributes.pop(key, None)
                    else:
                        attributes[key] = value
            else:
                attributes = {k: v for k, v in incoming.items() if v != ""}
        _check_attribute_count(name, attributes, new_type)
        thing.attributes = attributes
        thing.type_name = new_type
        thing.version += 1
        self._backend.on_thing_changed(name)
        return thing

    def delete(self, name: str, expected_version: Optional[int] = None) -> Optional[Thing]:
        thing = self.by_name.get(name)
        if thing is None:
            # Deleting a thing that does not exist succeeds silently in AWS.
            return None
        check_expected_version("thing", thing.name, thing.version, expected_version)
        del self.by_name[name]
        return thing

    def count_of_type(self, type_name: str) -> int:
        return sum(1 for thing in self.by_name.values() if thing.type_name == type_name)

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


def _check_attribute_count(name: str, attributes: Dict[str, str], type_name: Optional[str]) -> None:
    limit = MAX_ATTRIBUTES_WITH_TYPE if type_name is not None else MAX_ATTRIBUTES_WITHOUT_TYPE
    if len(attributes) > limit:
        kind = "with a thing type" if type_name is not None else "without a thing type"
        raise invalid_request(
            f"Thing {name} would have {len(attributes)} attributes; a thing {kind} can have at most {limit}."
        )
