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

from ...protocol.errors import already_exists, not_found
from ..arns import iot_arn
from .references import by_name_or_arn, check_expected_version

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
        missing = f"BillingGroup {arn} does not exist"
        return by_name_or_arn(name, arn, "billingGroup", "billinggroup", self.get, missing)

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
        check_expected_version("billing group", group.name, group.version, expected_version)
        if "billingGroupDescription" in properties:
            group.description = properties["billingGroupDescription"]
        group.version += 1
        return group

    def delete(self, name: str, expected_version: Optional[int]) -> Optional[BillingGroup]:
        group = self.by_name.get(name)
        if group is None:
            # DeleteBillingGroup models no ResourceNotFoundException: a missing group is deleted already.
            return None
        check_expected_version("billing group", group.name, group.version, expected_version)
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
