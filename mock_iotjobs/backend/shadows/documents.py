"""Shadow documents: request checks, the desired/reported merge, delta and metadata.

Plain functions over JSON values, following the AWS IoT developer guide
("Device Shadow service documents", "Device Shadow error messages"):
- only ``state.desired`` and ``state.reported`` are stored; a ``null`` value
  deletes its key, ``"desired": null`` the whole section, ``"state": null``
  all state (the shadow itself stays);
- objects merge key by key, arrays and scalars replace;
- ``delta`` holds the desired values that differ from the reported ones
  (recursively for objects, whole for arrays), and only keys that are desired;
- ``metadata`` mirrors each section with a ``timestamp`` per leaf (and per array
  element), the time the leaf was last updated.
"""

from __future__ import annotations

import json
from typing import Any, Dict, Optional, Tuple

from ...protocol.errors import ServiceError

MAX_DEPTH = 6
MAX_STATE_BYTES = 8 * 1024
MAX_CLIENT_TOKEN_BYTES = 64
SECTIONS = ("desired", "reported")

Json = Dict[str, Any]


def bad_request(message: str) -> ServiceError:
    return ServiceError("InvalidRequestException", message)


def parse_update(payload: bytes) -> Json:
    """The update request, checked as the Device Shadow service checks it."""
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        raise ServiceError(
            "UnsupportedDocumentEncodingException", "Unsupported documented encoding; supported encoding is UTF-8"
        ) from None
    try:
        request = json.loads(text)
    except ValueError:
        raise bad_request("Invalid JSON") from None
    if not isinstance(request, dict):
        raise bad_request("Invalid JSON")
    if "state" not in request:
        raise bad_request("Missing required node: state")
    state = request["state"]
    if state is not None:
        if not isinstance(state, dict):
            raise bad_request("State node must be an object")
        for key, value in state.items():
            if key not in SECTIONS:
                raise bad_request("State contains an invalid node")
            if value is not None and not isinstance(value, dict):
                raise bad_request(f"{key.capitalize()} node must be an object")
            if value is not None and _depth(value) > MAX_DEPTH:
                raise bad_request(f"JSON contains too many levels of nesting; maximum is {MAX_DEPTH}")
    version = request.get("version")
    if version is not None and (isinstance(version, bool) or not isinstance(version, int) or version < 0):
        raise bad_request("Invalid version")
    token = request.get("clientToken")
    if token is not None and (
        not isinstance(token, str) or len(token.encode("utf-8")) > MAX_CLIENT_TOKEN_BYTES
    ):
        raise bad_request("Invalid clientToken")
    return request


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return max((_depth(v) for v in value), default=0)
    return 0


def merge(current: Optional[Json], change: Optional[Json]) -> Optional[Json]:
    """``current`` with ``change`` applied (None deletes); None when nothing is left."""
    if change is None:
        return None
    result = dict(current or {})
    for key, value in change.items():
        if value is None:
            result.pop(key, None)
        elif isinstance(value, dict) and isinstance(result.get(key), dict):
            merged = merge(result[key], value)
            if merged:
                result[key] = merged
            else:
                result.pop(key, None)
        elif isinstance(value, dict):
            cleaned = merge({}, value)
            if cleaned:
                result[key] = cleaned
            else:
                result.pop(key, None)
        else:
            result[key] = value
    return result or None


def stamp(value: Any, now: int) -> Any:
    """Metadata for a value written at ``now``."""
    if isinstance(value, dict):
        return {k: stamp(v, now) for k, v in value.items()}
    if isinstance(value, list):
        return [stamp(v, now) for v in value]
    return {"timestamp": now}


def merge_metadata(current: Optional[Json], change: Optional[Json], now: int) -> Optional[Json]:
    """The metadata after ``change``: written leaves get ``now``, deleted ones disappear."""
    if change is None:
        return None
    result = dict(current or {})
    for key, value in change.items():
        if value is None:
            result.pop(key, None)
        elif isinstance(value, dict) and isinstance(result.get(key), dict) and "timestamp" not in result[key]:
            merged = merge_metadata(result[key], value, now)
            if merged:
                result[key] = merged
            else:
                result.pop(key, None)
        elif isinstance(value, dict):
            merged = merge_metadata({}, value, now)
            if merged:
                result[key] = merged
            else:
                result.pop(key, None)
        else:
            result[key] = stamp(value, now)
    return result or None


def request_metadata(change: Optional[Json], now: int) -> Optional[Json]:
    """Metadata echoed for the leaves an update names (deleted keys included)."""
    if change is None:
        return None
    return {k: (request_metadata(v, now) if isinstance(v, dict) else stamp(v, now)) for k, v in change.items()}


def delta(desired: Optional[Json], reported: Optional[Json]) -> Optional[Json]:
    """What is desired and not (yet) reported."""
    if not desired:
        return None
    reported = reported or {}
    result: Json = {}
    for key, wanted in desired.items():
        if key not in reported:
            result[key] = wanted
        elif isinstance(wanted, dict) and isinstance(reported[key], dict):
            inner = delta(wanted, reported[key])
            if inner:
                result[key] = inner
        elif wanted != reported[key] or type(wanted) is not type(reported[key]):
            result[key] = wanted
    return result or None


def delta_metadata(delta_state: Json, desired_metadata: Optional[Json]) -> Json:
    """The desired metadata of the keys in ``delta_state``."""
    metadata = desired_metadata or {}
    result: Json = {}
    for key, value in delta_state.items():
        entry = metadata.get(key)
        if isinstance(value, dict) and isinstance(entry, dict) and "timestamp" not in entry:
            result[key] = delta_metadata(value, entry)
        elif entry is not None:
            result[key] = entry
    return result


def state_size(desired: Optional[Json], reported: Optional[Json]) -> int:
    """Bytes of the stored state: what counts toward the 8 KB limit (metadata does not)."""
    state = {k: v for k, v in (("desired", desired), ("reported", reported)) if v}
    return len(json.dumps(state, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))


def split_sections(state: Optional[Json]) -> Tuple[bool, Optional[Json], bool, Optional[Json]]:
    """(desired given?, desired change, reported given?, reported change) of a request's state."""
    if state is None:
        return True, None, True, None
    return "desired" in state, state.get("desired"), "reported" in state, state.get("reported")
