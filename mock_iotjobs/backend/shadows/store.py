"""Device shadows (classic and named) of one account and region, and the messages
the Device Shadow service publishes about them.

Shadows are keyed by thing name and shadow name ("" for the classic shadow)
and live beside the registry, not inside it: deleting a thing does not delete
its shadows (AWS IoT developer guide).  A deleted shadow's version is
remembered for 48 hours on the mock clock, and a shadow created again within
that time continues from it.  Every change is published on the reserved topics
(``/update/accepted``, ``/update/documents``, ``/update/delta``,
``/delete/accepted``) through the backend's message log, so the MQTT listener
delivers HTTPS changes to subscribers and the handle can show them.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

from ...protocol.errors import ServiceError, not_found
from . import documents as docs

if TYPE_CHECKING:
    from ..state import Backend

VERSION_MEMORY_SECONDS = 48 * 3600

Json = Dict[str, Any]
Key = Tuple[str, str]


@dataclass
class Shadow:
    desired: Optional[Json] = None
    reported: Optional[Json] = None
    desired_metadata: Optional[Json] = None
    reported_metadata: Optional[Json] = None
    version: int = 0
    timestamp: int = 0

    def document(self) -> Json:
        """The full document GetThingShadow answers."""
        state: Json = {}
        metadata: Json = {}
        if self.desired:
            state["desired"] = copy.deepcopy(self.desired)
            metadata["desired"] = copy.deepcopy(self.desired_metadata or {})
        if self.reported:
            state["reported"] = copy.deepcopy(self.reported)
            metadata["reported"] = copy.deepcopy(self.reported_metadata or {})
        difference = docs.delta(self.desired, self.reported)
        if difference:
            state["delta"] = difference
        return {"state": state, "metadata": metadata, "version": self.version, "timestamp": self.timestamp}

    def stored_document(self) -> Json:
        """The document as /update/documents shows it (no delta)."""
        document = self.document()
        document["state"].pop("delta", None)
        return {k: document[k] for k in ("state", "metadata", "version")}


def topic_prefix(thing: str, name: str) -> str:
    return f"$aws/things/{thing}/shadow" + (f"/name/{name}" if name else "")


class ShadowStore:
    def __init__(self, backend: "Backend") -> None:
        self._backend = backend
        self.live: Dict[Key, Shadow] = {}
        # Deleted shadows: key -> (last version, deleted at).
        self._deleted: Dict[Key, Tuple[int, float]] = {}

    def _now(self) -> int:
        return int(self._backend.now())

    def _missing(self, name: str) -> ServiceError:
        return not_found(f"No shadow exists with name: '{name}'")

    # --- the three shadow methods -------------------------------------------------
    def get(self, thing: str, name: str, publish: bool = False, token: Optional[str] = None) -> Json:
        shadow = self.live.get((thing, name))
        if shadow is None:
            raise self._missing(name)
        document = shadow.document()
        if token is not None:
            document["clientToken"] = token
        if publish:  # an MQTT /get is answered on /get/accepted
            self._publish(f"{topic_prefix(thing, name)}/get/accepted", document, thing)
        return document

    def update(self, thing: str, name: str, payload: bytes) -> Json:
        """Apply an update request; returns the response document. Refusals change nothing."""
        request = docs.parse_update(payload)
        key = (thing, name)
        shadow = self.live.get(key)
        expected = request.get("version")
        current_version = shadow.version if shadow is not None else self._remembered_version(key)
        if expected is not None and expected != current_version:
            raise ServiceError("ConflictException", "Version conflict")
        state = request.get("state")
        desired_given, desired_change, reported_given, reported_change = docs.split_sections(state)
        before = shadow or Shadow(version=current_version)
        desired = docs.merge(before.desired, desired_change) if desired_given else before.desired
        reported = docs.merge(before.reported, reported_change) if reported_given else before.reported
        if docs.state_size(desired, reported) > docs.MAX_STATE_BYTES:
            raise ServiceError("RequestEntityTooLargeException", "The payload exceeds the maximum size allowed")
        now = self._now()
        previous = before.stored_document() if shadow is not None else None
        after = Shadow(
            desired=desired,
            reported=reported,
            desired_metadata=(
                docs.merge_metadata(before.desired_metadata, desired_change, now)
                if desired_given
                else before.desired_metadata
            ),
            reported_metadata=(
                docs.merge_metadata(before.reported_metadata, reported_change, now)
                if reported_given
                else before.reported_metadata
            ),
            version=current_version + 1,
            timestamp=now,
        )
        self.live[key] = after
        self._deleted.pop(key, None)
        token = request.get("clientToken")
        response: Json = {"state": copy.deepcopy(state) if state is not None else {}}
        metadata = {
            section: docs.request_metadata(change, now)
            for section, given, change in (
                ("desired", desired_given, desired_change),
                ("reported", reported_given, reported_change),
            )
            if given and change is not None
        }
        response["metadata"] = metadata
        response.update({"version": after.version, "timestamp": now})
        if token is not None:
            response["clientToken"] = token
        self._announce_update(thing, name, after, previous, response, token)
        self._backend.on_shadow_changed(thing)
        return response

    def delete(self, thing: str, name: str, token: Optional[str] = None) -> Json:
        key = (thing, name)
        shadow = self.live.pop(key, None)
        if shadow is None:
            raise self._missing(name)
        now = self._now()
        self._deleted[key] = (shadow.version, self._backend.now())
        response: Json = {"version": shadow.version, "timestamp": now}
        if token is not None:
            response["clientToken"] = token
        self._publish(f"{topic_prefix(thing, name)}/delete/accepted", response, thing)
        self._backend.on_shadow_changed(thing)
        return response

    def reject(self, thing: str, name: str, method: str, error: ServiceError, token: Optional[str]) -> None:
        """Publish an MQTT request's refusal on ``<method>/rejected`` (HTTPS callers get the error instead)."""
        body: Json = {"code": error.status_for("iot-data"), "message": error.message, "timestamp": self._now()}
        if token is not None:
            body["clientToken"] = token
        self._publish(f"{topic_prefix(thing, name)}/{method}/rejected", body, thing)

    # --- listings and views ----------------------------------------------------------
    def names(self, thing: str) -> List[str]:
        return sorted(name for (owner, name) in self.live if owner == thing and name)

    def _remembered_version(self, key: Key) -> int:
        remembered = self._deleted.get(key)
        if remembered is None:
            return 0
        version, deleted_at = remembered
        if self._backend.now() - deleted_at > VERSION_MEMORY_SECONDS:
            del self._deleted[key]
            return 0
        return version

    # --- publishing ------------------------------------------------------------------
    def _announce_update(
        self, thing: str, name: str, after: Shadow, previous: Optional[Json], response: Json, token: Optional[str]
    ) -> None:
        prefix = topic_prefix(thing, name)
        self._publish(f"{prefix}/update/accepted", response, thing)
        documents: Json = {"current": after.stored_document(), "timestamp": after.timestamp}
        if previous is not None:
            documents["previous"] = previous
        if token is not None:
            documents["clientToken"] = token
        self._publish(f"{prefix}/update/documents", documents, thing)
        difference = docs.delta(after.desired, after.reported)
        desired_change = (response.get("state") or {}).get("desired")
        # /delta is published when an update changes what is desired and a difference remains.
        if difference and desired_change:
            message: Json = {
                "version": after.version,
                "timestamp": after.timestamp,
                "state": difference,
                "metadata": docs.delta_metadata(difference, after.desired_metadata),
            }
            if token is not None:
                message["clientToken"] = token
            self._publish(f"{prefix}/update/delta", message, thing)

    def _publish(self, topic: str, payload: Json, thing: str) -> None:
        self._backend.notifications.message(topic, payload, self._backend.now(), thing)
