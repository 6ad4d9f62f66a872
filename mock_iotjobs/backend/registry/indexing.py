"""Fleet indexing: the indexing configuration, the AWS_Things and AWS_ThingGroups
indexes (their documents are built in ``index_documents``), device connectivity,
and dynamic thing groups' membership upkeep.

The registry reports every change of a thing (``thing_changed``) and of a thing
group (``group_changed``); while the index is on, the thing's document is
rebuilt and re-posted, and each dynamic thing group re-checks that one
document.  So a change costs what the dynamic groups cost, never a re-run of
their queries over the fleet, and membership follows a change immediately
(AWS applies it within seconds; a test should not have to wait).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Set

from ...protocol.errors import ServiceError, invalid_request, not_found
from . import index_documents
from .search_index import Document, InvertedIndex, matches
from .search_query import And, Match, Node, Not, Or, Range, parse_query

if TYPE_CHECKING:
    from ..state import Backend

THINGS_INDEX = "AWS_Things"
GROUPS_INDEX = "AWS_ThingGroups"
QUERY_VERSION = "2017-09-30"

# Managed fields, as GetIndexingConfiguration lists them for each data source.
_REGISTRY_FIELDS = [
    ("thingName", "String"),
    ("thingId", "String"),
    ("registry.version", "Number"),
    ("registry.thingTypeName", "String"),
    ("registry.thingGroupNames", "String"),
]
_CONNECTIVITY_FIELDS = [
    ("connectivity.timestamp", "Number"),
    ("connectivity.version", "Number"),
    ("connectivity.connected", "Boolean"),
    ("connectivity.disconnectReason", "String"),
]
_SHADOW_FIELDS = [("shadow.version", "Number"), ("shadow.hasDelta", "Boolean")]
_GROUP_FIELDS = [
    ("thingGroupName", "String"),
    ("thingGroupId", "String"),
    ("thingGroupDescription", "String"),
    ("parentGroupNames", "String"),
]
# Query fields that are spelled without their "registry." prefix.
_ALIASES = {"thingTypeName": "registry.thingTypeName", "thingGroupNames": "registry.thingGroupNames"}


@dataclass
class Connectivity:
    connected: bool
    timestamp_ms: int
    version: int = 1
    disconnect_reason: Optional[str] = None
    client_id: Optional[str] = None


@dataclass
class IndexingConfiguration:
    thing: Dict[str, Any] = field(
        default_factory=lambda: {"thingIndexingMode": "OFF", "thingConnectivityIndexingMode": "OFF"}
    )
    group: Dict[str, Any] = field(default_factory=lambda: {"thingGroupIndexingMode": "OFF"})

    @property
    def things_on(self) -> bool:
        return self.thing.get("thingIndexingMode", "OFF") != "OFF"

    @property
    def connectivity_on(self) -> bool:
        return self.things_on and self.thing.get("thingConnectivityIndexingMode") == "STATUS"

    @property
    def shadow_on(self) -> bool:
        return self.thing.get("thingIndexingMode") == "REGISTRY_AND_SHADOW"

    @property
    def named_shadows(self) -> List[str]:
        """The named shadows indexed (namedShadowIndexingMode ON, names in the filter)."""
        if not self.shadow_on or self.thing.get("namedShadowIndexingMode") != "ON":
            return []
        return list((self.thing.get("filter") or {}).get("namedShadowNames") or [])

    @property
    def groups_on(self) -> bool:
        return self.group.get("thingGroupIndexingMode") == "ON"


def _fields(pairs: List[Any]) -> List[Dict[str, str]]:
    return [{"name": name, "type": kind} for name, kind in pairs]


class FleetIndex:
    def __init__(self, backend: "Backend") -> None:
        self._backend = backend
        self.config = IndexingConfiguration()
        self.things = InvertedIndex()
        self.connectivity: Dict[str, Connectivity] = {}
        # Dynamic thing group name → its parsed query.
        self.dynamic: Dict[str, Node] = {}
        self._applying = False

    # --- configuration -------------------------------------------------------
    def describe_configuration(self) -> Dict[str, Any]:
        thing = copy.deepcopy(self.config.thing)
        if self.config.things_on:
            managed = list(_REGISTRY_FIELDS) + (list(_CONNECTIVITY_FIELDS) if self.config.connectivity_on else [])
            managed += list(_SHADOW_FIELDS) if self.config.shadow_on else []
            thing["managedFields"] = _fields(managed)
        group = copy.deepcopy(self.config.group)
        if self.config.groups_on:
            group["managedFields"] = _fields(_GROUP_FIELDS)
        return {"thingIndexingConfiguration": thing, "thingGroupIndexingConfiguration": group}

    def update_configuration(self, thing: Optional[Dict[str, Any]], group: Optional[Dict[str, Any]]) -> None:
        if thing is not None:
            thing = {k: v for k, v in thing.items() if k != "managedFields"}
            mode = thing.get("thingIndexingMode", "OFF")
            if mode == "OFF" and thing.get("thingConnectivityIndexingMode", "OFF") != "OFF":
                raise invalid_request("thingConnectivityIndexingMode must be OFF when thingIndexingMode is OFF.")
            if mode == "OFF" and self.dynamic:
                raise invalid_request(
                    "Thing indexing cannot be turned off while dynamic thing groups exist: delete them first."
                )
            _check_custom_fields(thing.get("customFields") or [], _REGISTRY_FIELDS + _CONNECTIVITY_FIELDS, mode)
        if group is not None:
            group = {k: v for k, v in group.items() if k != "managedFields"}
            _check_custom_fields(group.get("customFields") or [], _GROUP_FIELDS, "REGISTRY")
        was_on = self.config.things_on
        if thing is not None:
            self.config.thing = thing
        if group is not None:
            self.config.group = group
        if not self.config.things_on:
            self.things = InvertedIndex()
        elif not was_on or thing is not None:
            self.rebuild()

    def field_type(self, index: str, name: str) -> Optional[str]:
        """The declared type of an aggregatable field, or None when it is not indexed."""
        name = _ALIASES.get(name, name)
        if index == THINGS_INDEX:
            managed = _REGISTRY_FIELDS + (_CONNECTIVITY_FIELDS if self.config.connectivity_on else [])
            managed = managed + (_SHADOW_FIELDS if self.config.shadow_on else [])
            custom = self.config.thing.get("customFields") or []
        else:
            managed, custom = _GROUP_FIELDS, self.config.group.get("customFields") or []
        for field_name, kind in managed:
            if field_name == name:
                return str(kind)
        for entry in custom:
            if entry.get("name") == name:
                return str(entry.get("type", "String"))
        return None

    # --- the indexes -----------------------------------------------------------
    def require(self, index: str) -> None:
        """ResourceNotFoundException unless ``index`` exists (its indexing is on)."""
        if index == THINGS_INDEX and self.config.things_on:
            return
        if index == GROUPS_INDEX and self.config.groups_on:
            return
        raise not_found(f"Index {index} does not exist. Please enable index by calling UpdateIndexingConfiguration")

    def index_names(self) -> List[str]:
        names = []
        if self.config.things_on:
            names.append(THINGS_INDEX)
        if self.config.groups_on:
            names.append(GROUPS_INDEX)
        return names

    def schema(self, index: str) -> str:
        if index == GROUPS_INDEX:
            return "THING_GROUPS"
        mode = self.config.thing.get("thingIndexingMode")
        schema = "REGISTRY_AND_SHADOW" if mode == "REGISTRY_AND_SHADOW" else "REGISTRY"
        return schema + ("_AND_CONNECTIVITY_STATUS" if self.config.connectivity_on else "")

    def rebuild(self) -> None:
        self.things = InvertedIndex()
        for name, thing in self._backend.things.by_name.items():
            self.things.put(name, self.thing_document(name), thing.seq)

    def search_things(self, query: str) -> Set[str]:
        return self.things.search(_aliased(parse_query(query)))

    def search_groups(self, query: str) -> List[str]:
        node = _aliased(parse_query(query))
        groups = self._backend.groups.by_name
        return [name for name in groups if matches(node, self.group_document(name))]

    # --- documents (built in index_documents) ---------------------------------------
    def thing_document(self, name: str) -> Document:
        return index_documents.thing_document(self._backend, self.config, self.connectivity, name)

    def group_document(self, name: str) -> Document:
        return index_documents.group_document(self._backend, name)

    def thing_result(self, name: str) -> Dict[str, Any]:
        return index_documents.thing_result(self._backend, self.config, self.connectivity, name)

    def group_result(self, name: str) -> Dict[str, Any]:
        return index_documents.group_result(self._backend, name)

    # --- change notifications from the registry and the MQTT listener -----------------
    def thing_changed(self, name: str) -> None:
        if not self.config.things_on or name not in self._backend.things.by_name:
            return
        doc = self.thing_document(name)
        self.things.put(name, doc, self._backend.things.by_name[name].seq)
        if self.dynamic and not self._applying:
            self._apply_dynamic(name, doc)

    def thing_removed(self, name: str) -> None:
        self.things.remove(name)
        self.connectivity.pop(name, None)

    def set_connectivity(self, name: str, connected: bool, reason: Optional[str] = None, client_id: str = "") -> None:
        now_ms = int(self._backend.now() * 1000)
        previous = self.connectivity.get(name)
        version = previous.version + 1 if previous else 1
        self.connectivity[name] = Connectivity(connected, now_ms, version, None if connected else reason, client_id)
        self.thing_changed(name)

    # --- dynamic thing groups ------------------------------------------------------------
    def add_dynamic(self, group_name: str, query: str) -> None:
        node = _aliased(parse_query(query))
        self.dynamic[group_name] = node
        self._refresh_group(group_name, node)

    def drop_dynamic(self, group_name: str) -> None:
        self.dynamic.pop(group_name, None)

    def _refresh_group(self, group_name: str, node: Node) -> None:
        wanted = self.things.search(node)
        current = set(self._backend.groups.things_in(group_name, recursive=False))
        for thing in sorted(wanted - current, key=lambda n: self._backend.things.by_name[n].seq):
            self._set_member(group_name, thing, True)
        for thing in current - wanted:
            self._set_member(group_name, thing, False)

    def _apply_dynamic(self, name: str, doc: Document) -> None:
        direct = {group.name for _, group in self._backend.groups.direct_groups(name)}
        for group_name, node in list(self.dynamic.items()):
            wanted = matches(node, doc)
            if wanted != (group_name in direct):
                self._set_member(group_name, name, wanted)

    def _set_member(self, group_name: str, thing: str, member: bool) -> None:
        # The membership change re-indexes the thing (groups call on_thing_changed);
        # its dynamic groups are not re-checked from inside that, so a query over
        # thingGroupNames cannot loop.
        self._applying = True
        try:
            add, remove = ([group_name], []) if member else ([], [group_name])
            self._backend.groups.update_membership(thing, add, remove)
        except ServiceError:
            # A thing already in 10 groups is not added to more (AWS's quota holds for dynamic groups too).
            pass
        finally:
            self._applying = False


def _aliased(node: Node) -> Node:
    """The tree with query field names mapped to the index's names (thingTypeName → registry.thingTypeName)."""
    if isinstance(node, Match):
        return Match(_ALIASES.get(node.field, node.field) if node.field else None, node.value)
    if isinstance(node, Range):
        return Range(_ALIASES.get(node.field, node.field), node.low, node.high, node.low_inclusive, node.high_inclusive)
    if isinstance(node, Not):
        return Not(_aliased(node.part))
    if isinstance(node, And):
        return And(tuple(_aliased(p) for p in node.parts))
    assert isinstance(node, Or)
    return Or(tuple(_aliased(p) for p in node.parts))


def _check_custom_fields(custom: List[Dict[str, Any]], managed: List[Any], mode: str) -> None:
    managed_names = {name for name, _ in managed}
    for entry in custom:
        name = entry.get("name") or ""
        if name in managed_names or name in _ALIASES:
            raise invalid_request(f"Custom field {name} is a managed field and cannot be customized.")
        if name.startswith("shadow.") and mode != "REGISTRY_AND_SHADOW":
            raise invalid_request(f"Custom field {name} requires thingIndexingMode REGISTRY_AND_SHADOW.")
        if not (name.startswith("attributes.") or name.startswith("shadow.") or name.startswith("deviceDefender.")):
            raise invalid_request(f"Custom field {name} is not a valid field name.")
