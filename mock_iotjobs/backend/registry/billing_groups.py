"""Billing groups: flat groups for cost allocation; a thing is in at most one.

The thing's side of the membership is ``Thing.billing_group`` (what DescribeThing
shows); the group's side is its ``members`` (thing name → membership sequence
number, so ListThingsInBillingGroup pages in a stable order).  Every change goes
through this module, which keeps the two in step.

Adding a thing that is already in another billing group moves it: the API
reference notes on AddThingToBillingGroup that the call is asynchronous and "the
detachment" (from the previous group) takes a few seconds to propagate.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

from ...protocol.errors import already_exists, invalid_request, not_found, version_conflict
from ..arns import iot_arn

if TYPE_CHECKING:
    from ..state import Backend
    from .things import Thing


@dataclass
class BillingGroup:
    name: str
    group_id: str
    arn: str
    seq: int
    created_at: float
    description: Optional[str] = None
    version: int = 1
    members: Dict[str, int] = field(default_factory=dict)

    def properties(self) -> Dict[str, Any]:
        return {"billingGroupDescription": self.description} if self.description is not None else {}

    def describe(self) -> Dict[str, Any]:
        return {
            "billingGroupName": self.name,
            "billingGroupId": self.group_id,
            "billingGroupArn": self.arn,
            "version": self.version,
            "billingGroupProperties": self.properties(),
            "billingGroupMetadata": {"creationDate": self.created_at},
        }


class BillingGroups:
    """Billing groups of one account and region."""

    def __init__(self, backend: "Backend") -> None:
        self._backend = backend
        self.by_name: Dict[str, BillingGroup] = {}

    def arn_for(self, name: str) -> str:
        return iot_arn(self._backend.region, self._backend.account_id, f"billinggroup/{name}")

    def get(self, name: str) -> BillingGroup:
        group = self.by_name.get(name)
        if group is None:
            raise not_found(f"BillingGroup {name} does not exist")
        return group

    def resolve(self, name: Optional[str], arn: Optional[str]) -> BillingGroup:
        """The group named by ``name`` and/or ``arn`` (the two must agree)."""
        from_arn = _name_from_arn(arn) if arn else None
        if name is None and from_arn is None:
            raise invalid_request("Either billingGroupName or billingGroupArn must be specified.")
        if name is not None and from_arn is not None and name != from_arn:
            raise invalid_request(f"billingGroupName {name} does not match billingGroupArn {arn}.")
        group = self.get(name or from_arn or "")
        if arn and arn != group.arn:
            raise not_found(f"BillingGroup {arn} does not exist")
        return group

    def create(self, name: str, properties: Optional[Dict[str, Any]]) -> Tuple[BillingGroup, bool]:
        """The group and whether it is new (an identical re-create is idempotent, as for thing groups)."""
        description = (properties or {}).get("billingGroupDescription")
        existing = self.by_name.get(name)
        if existing is not None:
            if existing.description == description:
                return existing, False
            raise already_exists(
                f"Billing Group {name} already exists with different properties",
                resource_id=existing.group_id,
                resource_arn=existing.arn,
            )
        group = BillingGroup(
            name=name,
            group_id=str(uuid.uuid4()),
            arn=self.arn_for(name),
            seq=self._backend.next_seq(),
            created_at=self._backend.now(),
            description=description,
        )
        self.by_name[name] = group
        return group, True

    def update(self, name: str, properties: Dict[str, Any], expected_version: Optional[int]) -> BillingGroup:
        group = self.get(name)
        _check_version(group, expected_version)
        if "billingGroupDescription" in properties:
            group.description = properties["billingGroupDescription"]
        group.version += 1
        return group

    def delete(self, name: str, expected_version: Optional[int]) -> Optional[BillingGroup]:
        group = self.by_name.get(name)
        if group is None:
            # DeleteBillingGroup models no ResourceNotFoundException: a missing group is deleted already.
            return None
        _check_version(group, expected_version)
        del self.by_name[name]
        for thing_name in group.members:
            thing = self._backend.things.by_name.get(thing_name)
            if thing is not None:
                thing.billing_group = None
                self._backend.on_thing_changed(thing_name)
        return group

    def listing(self, prefix: Optional[str]) -> List[BillingGroup]:
        groups = sorted(self.by_name.values(), key=lambda g: g.seq)
        return [g for g in groups if not prefix or g.name.startswith(prefix)]

    def members_keyed(self, name: str) -> List[Tuple[int, str]]:
        return sorted((seq, thing) for thing, seq in self.get(name).members.items())

    # --- membership ------------------------------------------------------------
    def add(self, thing: "Thing", group: BillingGroup, notify: bool = True) -> None:
        """Put ``thing`` in ``group``, taking it out of the billing group it was in.

        ``notify``: tell the registry's observers (fleet indexing shows the billing
        group among ``thingGroupNames``); CreateThing does so itself, once."""
        if thing.billing_group == group.name:
            return
        self._leave(thing)
        group.members[thing.name] = self._backend.next_seq()
        thing.billing_group = group.name
        if notify:
            self._backend.on_thing_changed(thing.name)

    def remove(self, thing: "Thing", group: BillingGroup) -> None:
        """Take ``thing`` out of ``group``; a thing that is not in it is left as it is."""
        if thing.billing_group == group.name:
            self._leave(thing)
            self._backend.on_thing_changed(thing.name)

    def forget_thing(self, thing: "Thing") -> None:
        """A deleted thing leaves its billing group."""
        self._leave(thing)

    def _leave(self, thing: "Thing") -> None:
        if thing.billing_group is not None:
            previous = self.by_name.get(thing.billing_group)
            if previous is not None:
                previous.members.pop(thing.name, None)
            thing.billing_group = None


def _name_from_arn(arn: str) -> str:
    marker = ":billinggroup/"
    if not arn.startswith("arn:") or marker not in arn:
        raise invalid_request(f"{arn} is not a valid billinggroup ARN.")
    return arn.split(marker, 1)[1]


def _check_version(group: BillingGroup, expected: Optional[int]) -> None:
    if expected is not None and expected != group.version:
        raise version_conflict(f"The version for billing group {group.name} does not match the expected version.")
