"""Thing types: shared descriptions of things, which can be deprecated and then deleted.

The rules, from the AWS IoT developer guide and API reference:

- a thing type has at most three searchable attributes;
- a deprecated type cannot be given to new things (things that have it keep it);
- a type can be deleted only once deprecated, no sooner than five minutes after
  the deprecation, and only when no thing is associated with it.
"""

from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

from ...protocol.errors import already_exists, invalid_request, not_found
from ..arns import iot_arn

if TYPE_CHECKING:
    from ..state import Backend

MAX_SEARCHABLE_ATTRIBUTES = 3
# "Before you can delete a thing type, wait for five minutes after you deprecate it."
DELETE_AFTER_DEPRECATION_SECONDS = 5 * 60


@dataclass
class ThingType:
    name: str
    type_id: str
    arn: str
    seq: int
    created_at: float
    properties: Dict[str, Any] = field(default_factory=dict)
    deprecated: bool = False
    deprecated_at: Optional[float] = None

    def metadata(self) -> Dict[str, Any]:
        meta: Dict[str, Any] = {"deprecated": self.deprecated, "creationDate": self.created_at}
        if self.deprecated and self.deprecated_at is not None:
            meta["deprecationDate"] = self.deprecated_at
        return meta

    def describe(self) -> Dict[str, Any]:
        return {
            "thingTypeName": self.name,
            "thingTypeId": self.type_id,
            "thingTypeArn": self.arn,
            "thingTypeProperties": copy.deepcopy(self.properties),
            "thingTypeMetadata": self.metadata(),
        }

    def summary(self) -> Dict[str, Any]:
        return {
            "thingTypeName": self.name,
            "thingTypeArn": self.arn,
            "thingTypeProperties": copy.deepcopy(self.properties),
            "thingTypeMetadata": self.metadata(),
        }


def _normalise(properties: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    """The stored form of ``thingTypeProperties``: only the members given, copied."""
    props = {k: copy.deepcopy(v) for k, v in (properties or {}).items() if v is not None}
    searchable = props.get("searchableAttributes")
    if searchable is not None and len(searchable) > MAX_SEARCHABLE_ATTRIBUTES:
        raise invalid_request(
            f"A thing type can have at most {MAX_SEARCHABLE_ATTRIBUTES} searchable attributes; "
            f"{len(searchable)} were given."
        )
    return props


def _identity(props: Dict[str, Any]) -> Dict[str, Any]:
    """What makes two property sets the same type: searchable attributes are a set, and an
    absent member equals an empty one."""
    return {
        "thingTypeDescription": props.get("thingTypeDescription") or None,
        "searchableAttributes": sorted(set(props.get("searchableAttributes") or [])),
        "mqtt5Configuration": props.get("mqtt5Configuration") or None,
    }


class ThingTypes:
    """Thing types of one account and region, in creation order."""

    def __init__(self, backend: "Backend") -> None:
        self._backend = backend
        self.by_name: Dict[str, ThingType] = {}

    def arn_for(self, name: str) -> str:
        return iot_arn(self._backend.region, self._backend.account_id, f"thingtype/{name}")

    def get(self, name: str) -> ThingType:
        thing_type = self.by_name.get(name)
        if thing_type is None:
            raise not_found(f"Thing Type {name} does not exist")
        return thing_type

    def check_assignable(self, name: str) -> ThingType:
        """The type a thing is about to be associated with: it must exist and not be deprecated."""
        thing_type = self.get(name)
        if thing_type.deprecated:
            raise invalid_request(f"Thing type {name} is deprecated: no new thing can be associated with it.")
        return thing_type

    def create(self, name: str, properties: Optional[Dict[str, Any]]) -> Tuple[ThingType, bool]:
        """The type and whether it is new: re-creating an identical type is idempotent."""
        props = _normalise(properties)
        existing = self.by_name.get(name)
        if existing is not None:
            if _identity(existing.properties) == _identity(props):
                return existing, False
            raise already_exists(
                f"Thing Type {name} already exists with different properties",
                resource_id=existing.type_id,
                resource_arn=existing.arn,
            )
        thing_type = ThingType(
            name=name,
            type_id=str(uuid.uuid4()),
            arn=self.arn_for(name),
            seq=self._backend.next_seq(),
            created_at=self._backend.now(),
            properties=props,
        )
        self.by_name[name] = thing_type
        return thing_type, True

    def update(self, name: str, properties: Optional[Dict[str, Any]]) -> ThingType:
        """UpdateThingType: the members given replace the stored ones; the others stay."""
        thing_type = self.get(name)
        incoming = _normalise(properties)
        thing_type.properties.update(incoming)
        return thing_type

    def deprecate(self, name: str, undo: bool) -> ThingType:
        thing_type = self.get(name)
        if undo:
            thing_type.deprecated = False
            thing_type.deprecated_at = None
        elif not thing_type.deprecated:
            # Deprecating again keeps the first date, so it cannot push the deletion back.
            thing_type.deprecated = True
            thing_type.deprecated_at = self._backend.now()
        return thing_type

    def delete(self, name: str, things_of_type: int) -> ThingType:
        """DeleteThingType, refused unless deprecated for five minutes and unused."""
        thing_type = self.get(name)
        if not thing_type.deprecated or thing_type.deprecated_at is None:
            raise invalid_request(f"Thing type {name} must be deprecated before it can be deleted.")
        waited = self._backend.now() - thing_type.deprecated_at
        if waited < DELETE_AFTER_DEPRECATION_SECONDS:
            raise invalid_request(
                f"Thing type {name} was deprecated {int(waited)} seconds ago; "
                "wait five minutes after deprecating a thing type before deleting it."
            )
        if things_of_type:
            raise invalid_request(
                f"Thing type {name} cannot be deleted: {things_of_type} thing(s) are still associated with it."
            )
        del self.by_name[name]
        return thing_type

    def listing(self, name: Optional[str]) -> List[ThingType]:
        types = sorted(self.by_name.values(), key=lambda t: t.seq)
        if name is not None:
            types = [t for t in types if t.name == name]
        return types
