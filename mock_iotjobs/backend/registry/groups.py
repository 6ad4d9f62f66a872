"""Thing groups (static, nestable): the usual targets of jobs.

Membership is kept in both directions (group → things, thing → groups), each
entry stamped with a backend sequence number so listings are stable and
paginate.  Every membership change reports to the jobs engine, through
``Backend.on_group_membership``, each group whose reach (members of the group
and of its descendants) gained or lost the thing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterable, List, Optional, Tuple

from ...protocol.errors import already_exists, invalid_request, not_found
from ..arns import iot_arn
from .references import by_name_or_arn, check_expected_version

if TYPE_CHECKING:
    from ..state import Backend

# AWS quotas: a thing belongs to at most 10 thing groups; hierarchies are at most 7 deep.
MAX_GROUPS_PER_THING = 10
MAX_DEPTH = 7


@dataclass
class ThingGroup:
    name: str
    group_id: str
    arn: str
    seq: int
    created_at: float
    parent: Optional[str] = None
    description: Optional[str] = None
    # None until attributes are first given, so describe can omit attributePayload.
    attributes: Optional[Dict[str, str]] = None
    version: int = 1
    # Direct member things → membership sequence number (insertion ordered).
    members: Dict[str, int] = field(default_factory=dict)
    children: List[str] = field(default_factory=list)
    # Dynamic thing groups: membership follows this fleet-indexing query (see indexing.py).
    query: Optional[str] = None
    query_version: Optional[str] = None
    index_name: Optional[str] = None

    @property
    def dynamic(self) -> bool:
        return self.query is not None

    def properties(self) -> Dict[str, Any]:
        props: Dict[str, Any] = {}
        if self.description is not None:
            props["thingGroupDescription"] = self.description
        if self.attributes is not None:
            props["attributePayload"] = {"attributes": dict(self.attributes)}
        return props


def _normalise(properties: Optional[Dict[str, Any]]) -> Tuple[Optional[str], Optional[Dict[str, str]]]:
    properties = properties or {}
    payload = properties.get("attributePayload")
    attributes = None
    if payload is not None and payload.get("attributes") is not None:
        attributes = dict(payload["attributes"])
    return properties.get("thingGroupDescription"), attributes


class ThingGroups:
    """Thing groups of one account and region."""

    def __init__(self, backend: "Backend") -> None:
        self._backend = backend
        self.by_name: Dict[str, ThingGroup] = {}
        # Thing name → direct group name → membership sequence number.
        self._of_thing: Dict[str, Dict[str, int]] = {}

    # --- lookup -----------------------------------------------------------
    def arn_for(self, name: str) -> str:
        return iot_arn(self._backend.region, self._backend.account_id, f"thinggroup/{name}")

    def exists(self, name: str) -> bool:
        return name in self.by_name

    def get(self, name: str) -> ThingGroup:
        group = self.by_name.get(name)
        if group is None:
            raise not_found(f"ThingGroup {name} does not exist")
        return group

    def name_for_id(self, group_id: str) -> Optional[str]:
        """The name of the existing group whose thingGroupId is ``group_id``."""
        for group in self.by_name.values():
            if group.group_id == group_id:
                return group.name
        return None

    def id_for_name(self, name: str) -> Optional[str]:
        group = self.by_name.get(name)
        return group.group_id if group is not None else None

    def resolve(self, name: Optional[str], arn: Optional[str]) -> ThingGroup:
        """The group named by ``name`` and/or ``arn`` (the two must agree)."""
        missing = f"ThingGroup {arn} does not exist"
        return by_name_or_arn(name, arn, "thingGroup", "thinggroup", self.get, missing)

    def ancestors(self, name: str) -> List[str]:
        """Parent, grandparent, ... up to the root."""
        chain = []
        parent = self.by_name[name].parent
        while parent is not None:
            chain.append(parent)
            parent = self.by_name[parent].parent
        return chain

    def root_to_parent(self, name: str) -> List[Dict[str, str]]:
        return [{"groupName": g, "groupArn": self.by_name[g].arn} for g in reversed(self.ancestors(name))]

    def descendants(self, name: str) -> List[str]:
        """Every group below ``name``, in creation order."""
        found: List[str] = []
        stack = list(self.by_name[name].children)
        while stack:
            child = stack.pop()
            found.append(child)
            stack.extend(self.by_name[child].children)
        return sorted(found, key=lambda g: self.by_name[g].seq)

    # --- the interface the jobs engine relies on ----------------------------
    def things_in(self, group_name: str, recursive: bool = True) -> List[str]:
        """Names of the member things, in membership order, each once."""
        return [name for _, name in self.members_keyed(group_name, recursive)]

    def groups_containing(self, thing_name: str) -> List[str]:
        """Every group the thing is reached through (direct groups and their ancestors)."""
        reach: Dict[str, None] = {}
        for group in self._of_thing.get(thing_name, {}):
            reach[group] = None
            for ancestor in self.ancestors(group):
                reach[ancestor] = None
        return list(reach)

    def forget_thing(self, thing_name: str) -> None:
        """Drop a deleted thing from every group (the jobs engine hears of it separately)."""
        for group in self._of_thing.pop(thing_name, {}):
            self.by_name[group].members.pop(thing_name, None)

    # --- listings -----------------------------------------------------------
    def members_keyed(self, group_name: str, recursive: bool) -> List[Tuple[int, str]]:
        """(sort key, thing name) of the group's members, ordered by key, each thing once."""
        self.get(group_name)
        names = [group_name] + (self.descendants(group_name) if recursive else [])
        first: Dict[str, int] = {}
        for name in names:
            for thing, seq in self.get(name).members.items():
                if thing not in first or seq < first[thing]:
                    first[thing] = seq
        return sorted((seq, thing) for thing, seq in first.items())

    def direct_groups(self, thing_name: str) -> List[Tuple[int, ThingGroup]]:
        """(membership key, group) of the thing's direct groups, in membership order."""
        entries = self._of_thing.get(thing_name, {})
        return sorted(((seq, self.by_name[g]) for g, seq in entries.items()), key=lambda e: e[0])

    def listing(self, parent: Optional[str], prefix: Optional[str], recursive: Optional[bool]) -> List[ThingGroup]:
        recursive = True if recursive is None else recursive
        if parent is not None:
            self.get(parent)
            names = self.descendants(parent) if recursive else list(self.by_name[parent].children)
            groups = [self.by_name[n] for n in names]
        elif recursive:
            groups = list(self.by_name.values())
        else:
            groups = [g for g in self.by_name.values() if g.parent is None]
        if prefix:
            groups = [g for g in groups if g.name.startswith(prefix)]
        return sorted(groups, key=lambda g: g.seq)

    # --- groups ----------------------------------------------------------------
    def create(self, name: str, parent: Optional[str], properties: Optional[Dict[str, Any]]) -> Tuple[ThingGroup, bool]:
        """The group and whether it is new (an identical re-create is idempotent)."""
        description, attributes = _normalise(properties)
        existing = self.by_name.get(name)
        if existing is not None:
            same = (existing.parent, existing.description, existing.attributes or {}) == (
                parent,
                description,
                attributes or {},
            )
            if same:
                return existing, False
            raise already_exists(
                f"Thing Group {name} already exists with different tags or properties",
                resource_id=existing.group_id,
                resource_arn=existing.arn,
            )
        if parent is not None:
            if parent not in self.by_name:
                # CreateThingGroup's model declares no ResourceNotFoundException.
                raise invalid_request(f"Parent thing group {parent} does not exist")
            if self.by_name[parent].dynamic:
                raise invalid_request(f"Dynamic thing group {parent} cannot be part of a hierarchy.")
            if len(self.ancestors(parent)) + 2 > MAX_DEPTH:
                raise invalid_request(
                    f"Cannot create thing group {name}: the maximum depth of a thing group hierarchy is {MAX_DEPTH}."
                )
        group = ThingGroup(
            name=name,
            group_id=str(uuid.uuid4()),
            arn=self.arn_for(name),
            seq=self._backend.next_seq(),
            created_at=self._backend.now(),
            parent=parent,
            description=description,
            attributes=attributes,
        )
        self.by_name[name] = group
        if parent is not None:
            self.by_name[parent].children.append(name)
        return group, True

    def update(self, name: str, properties: Dict[str, Any], expected_version: Optional[int]) -> ThingGroup:
        group = self.get(name)
        check_expected_version("thing group", group.name, group.version, expected_version)
        if "thingGroupDescription" in properties:
            group.description = properties["thingGroupDescription"]
        payload = properties.get("attributePayload")
        if payload is not None and payload.get("attributes") is not None:
            incoming = payload["attributes"]
            if payload.get("merge"):
                merged = dict(group.attributes or {})
                for key, value in incoming.items():
                    # As for things: in a merge an empty value deletes the attribute.
                    if value == "":
                        merged.pop(key, None)
                    else:
                        merged[key] = value
                group.attributes = merged
            else:
                group.attributes = {k: v for k, v in incoming.items() if v != ""}
        group.version += 1
        return group

    def delete(self, name: str, expected_version: Optional[int]) -> Optional[ThingGroup]:
        group = self.by_name.get(name)
        if group is None:
            # Deleting a group that does not exist succeeds, as in AWS.
            return None
        check_expected_version("thing group", group.name, group.version, expected_version)
        if group.children:
            raise invalid_request(
                f"Cannot delete thing group : {name} when there are still child groups attached to it"
            )
        members = list(group.members)

        def detach() -> None:
            for thing in members:
                self._of_thing.get(thing, {}).pop(name, None)
            del self.by_name[name]
            # Policies attached to the group go with it.
            self._backend.policies.forget_target(group.arn)
            if group.parent is not None:
                self.by_name[group.parent].children.remove(name)

        self._report_changes(members, detach)
        return group

    # --- membership --------------------------------------------------------------
    def update_membership(self, thing_name: str, add: Iterable[str], remove: Iterable[str]) -> None:
        """Add ``thing_name`` to the groups ``add`` and remove it from ``remove``, atomically."""
        add, remove = list(dict.fromkeys(add)), list(dict.fromkeys(remove))
        for group in add + remove:
            self.get(group)
        current = self._of_thing.get(thing_name, {})
        after = (set(current) | set(add)) - set(remove)
        if len(after) > MAX_GROUPS_PER_THING and len(after) > len(current):
            raise invalid_request(
                f"Thing {thing_name} cannot be added to more than {MAX_GROUPS_PER_THING} thing groups."
            )

        def apply() -> None:
            for group in remove:
                if self.by_name[group].members.pop(thing_name, None) is not None:
                    self._of_thing[thing_name].pop(group, None)
            for group in add:
                members = self.by_name[group].members
                if thing_name not in members:
                    seq = self._backend.next_seq()
                    members[thing_name] = seq
                    self._of_thing.setdefault(thing_name, {})[group] = seq
            if not self._of_thing.get(thing_name, True):
                del self._of_thing[thing_name]

        self._report_changes([thing_name], apply)

    def _report_changes(self, things: List[str], change: Callable[[], None]) -> None:
        before = {thing: self.groups_containing(thing) for thing in things}
        change()
        for thing in things:
            old, new = before[thing], self.groups_containing(thing)
            for group in new:
                if group not in old:
                    self._backend.on_group_membership(group, thing, True)
            for group in old:
                if group not in new:
                    self._backend.on_group_membership(group, thing, False)
            # Once per thing, also when its reach is unchanged but its direct groups
            # changed (fleet indexing's thingGroupNames lists the direct ones).
            self._backend.on_thing_changed(thing)


def thing_from(backend: "Backend", name: Optional[str], arn: Optional[str]) -> str:
    """The existing thing named by ``name`` and/or ``arn`` (the two must agree)."""
    return by_name_or_arn(name, arn, "thing", "thing", backend.things.get, f"Thing {arn} cannot be found.").name
