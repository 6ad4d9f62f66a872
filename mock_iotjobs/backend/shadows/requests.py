"""Shadow requests published on the reserved topics (over MQTT, or through
``iot-data`` Publish): ``$aws/things/<thing>/shadow[/name/<shadow>]/get|update|delete``.

The answer is published, not returned: on ``<method>/accepted`` (and, for an
update, ``/documents`` and ``/delta``) or on ``<method>/rejected`` with the
``code`` and ``message`` the developer guide lists ("Device Shadow error
messages"), so every subscriber sees it, as on AWS.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

from ...protocol.errors import ServiceError

if TYPE_CHECKING:
    from ..state import Backend

METHODS = ("get", "update", "delete")


@dataclass(frozen=True)
class ShadowRequest:
    thing: str
    name: str
    method: str


def shadow_request(topic: str) -> Optional[ShadowRequest]:
    """The request a topic makes, or None when it is not a shadow request topic."""
    levels = topic.split("/")
    if len(levels) < 5 or levels[:2] != ["$aws", "things"] or levels[3] != "shadow":
        return None
    rest = levels[4:]
    if len(rest) == 1 and rest[0] in METHODS:
        return ShadowRequest(levels[2], "", rest[0])
    if len(rest) == 3 and rest[0] == "name" and rest[1] and rest[2] in METHODS:
        return ShadowRequest(levels[2], rest[1], rest[2])
    return None


def _token(payload: bytes) -> Optional[str]:
    try:
        body = json.loads(payload.decode("utf-8")) if payload.strip() else {}
    except (UnicodeDecodeError, ValueError):
        return None
    token = body.get("clientToken") if isinstance(body, dict) else None
    return token if isinstance(token, str) else None


def handle(backend: "Backend", request: ShadowRequest, payload: bytes) -> None:
    """Serve one request (the caller holds the backend's lock)."""
    shadows = backend.shadows
    token = _token(payload)
    try:
        if request.method == "update":
            shadows.update(request.thing, request.name, payload)
        elif request.method == "get":
            shadows.get(request.thing, request.name, publish=True, token=token)
        else:
            shadows.delete(request.thing, request.name, token=token)
    except ServiceError as error:
        shadows.reject(request.thing, request.name, request.method, error, token)
