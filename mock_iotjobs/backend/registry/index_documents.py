"""The documents of fleet indexing: what the AWS_Things and AWS_ThingGroups indexes
hold for a thing or thing group (field name → values, searched by queries), and
the ThingDocument / ThingGroupDocument that SearchIndex answers with."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Dict, List

from .search_index import Document

if TYPE_CHECKING:
    from ..state import Backend
    from .indexing import Connectivity, IndexingConfiguration


def thing_document(
    backend: "Backend", config: "IndexingConfiguration", connectivity: Dict[str, "Connectivity"], name: str
) -> Document:
    """The indexed fields of thing ``name``, as the AWS_Things index holds them."""
    thing = backend.things.by_name[name]
    doc: Document = {
        "thingName": [thing.name],
        "thingId": [thing.thing_id],
        "registry.version": [str(thing.version)],
    }
    if thing.type_name:
        doc["registry.thingTypeName"] = [thing.type_name]
    groups = thing_group_names(backend, name)
    if groups:
        doc["registry.thingGroupNames"] = groups
    for key, value in thing.attributes.items():
        doc[f"attributes.{key}"] = [value]
    state = connectivity.get(name)
    if config.connectivity_on:
        doc["connectivity.connected"] = ["true" if state and state.connected else "false"]
        if state is not None:
            doc["connectivity.timestamp"] = [str(state.timestamp_ms)]
            doc["connectivity.version"] = [str(state.version)]
            if state.disconnect_reason:
                doc["connectivity.disconnectReason"] = [state.disconnect_reason]
    if config.shadow_on:
        shadows = backend.shadows.live
        classic = shadows.get((name, ""))
        if classic is not None:
            _flatten_shadow(doc, "shadow", classic.document())
        for shadow_name in config.named_shadows:
            named = shadows.get((name, shadow_name))
            if named is not None:
                _flatten_shadow(doc, f"shadow.name.{shadow_name}", named.document())
    return doc


def thing_group_names(backend: "Backend", name: str) -> List[str]:
    """The thing's direct thing groups and its billing group (the documented meaning of thingGroupNames)."""
    names = [group.name for _, group in backend.groups.direct_groups(name)]
    billing = getattr(backend.things.by_name[name], "billing_group", None)
    if billing:
        names.append(billing)
    return names


def group_document(backend: "Backend", name: str) -> Document:
    """The indexed fields of thing group ``name``, as the AWS_ThingGroups index holds them."""
    group = backend.groups.by_name[name]
    doc: Document = {"thingGroupName": [group.name], "thingGroupId": [group.group_id]}
    if group.description:
        doc["thingGroupDescription"] = [group.description]
    parents = backend.groups.ancestors(name)
    if parents:
        doc["parentGroupNames"] = parents
    for key, value in (group.attributes or {}).items():
        doc[f"attributes.{key}"] = [value]
    return doc


def thing_result(
    backend: "Backend", config: "IndexingConfiguration", connectivity: Dict[str, "Connectivity"], name: str
) -> Dict[str, Any]:
    """A SearchIndex ThingDocument."""
    thing = backend.things.by_name[name]
    doc: Dict[str, Any] = {"thingName": thing.name, "thingId": thing.thing_id, "attributes": dict(thing.attributes)}
    if thing.type_name:
        doc["thingTypeName"] = thing.type_name
    groups = thing_group_names(backend, name)
    if groups:
        doc["thingGroupNames"] = groups
    classic = backend.shadows.live.get((name, "")) if config.shadow_on else None
    if classic is not None:
        document = classic.document()
        doc["shadow"] = json.dumps({k: document[k] for k in ("state", "metadata", "version")}, separators=(",", ":"))
    if config.connectivity_on:
        state = connectivity.get(name)
        doc["connectivity"] = {"connected": bool(state and state.connected)}
        if state is not None:
            doc["connectivity"]["timestamp"] = state.timestamp_ms
            if state.disconnect_reason:
                doc["connectivity"]["disconnectReason"] = state.disconnect_reason
    return doc


def group_result(backend: "Backend", name: str) -> Dict[str, Any]:
    """A SearchIndex ThingGroupDocument."""
    group = backend.groups.by_name[name]
    doc: Dict[str, Any] = {"thingGroupName": group.name, "thingGroupId": group.group_id}
    if group.description:
        doc["thingGroupDescription"] = group.description
    doc["attributes"] = dict(group.attributes or {})
    parents = backend.groups.ancestors(name)
    if parents:
        doc["parentGroupNames"] = parents
    return doc


def _flatten_shadow(doc: Document, prefix: str, document: Dict[str, Any]) -> None:
    """Index a shadow's desired, reported and delta leaves as ``<prefix>.<section>.<path>``."""
    state = document.get("state") or {}
    for section in ("desired", "reported", "delta"):
        _flatten(doc, f"{prefix}.{section}", state.get(section))
    doc[f"{prefix}.version"] = [str(document.get("version", 0))]
    doc[f"{prefix}.hasDelta"] = ["true" if state.get("delta") else "false"]


def _flatten(doc: Document, path: str, value: Any) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _flatten(doc, f"{path}.{key}", item)
    elif isinstance(value, list):
        for item in value:
            _flatten(doc, path, item)
    elif value is not None:
        text = value if isinstance(value, str) else json.dumps(value)
        doc.setdefault(path, []).append(text)
