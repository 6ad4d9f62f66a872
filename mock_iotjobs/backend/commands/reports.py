"""What a device reports on a command execution, checked as the commands MQTT API does.

The report's ``statusReason`` (``reasonCode`` ``[A-Z0-9_-]+`` up to 64,
``reasonDescription`` up to 1024 characters) and ``result`` (names
``[a-zA-Z0-9_-]+`` up to 32, each value exactly one of ``S``, ``B``, ``BIN``;
``BIN`` in base64 over JSON) are checked before anything changes; a refusal is a
:class:`CommandRejection` carrying the API's error code.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any, Dict, Optional

_REASON_CODE = re.compile(r"[A-Z0-9_-]{1,64}")
_RESULT_NAME = re.compile(r"[a-zA-Z0-9_-]{1,32}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")

# Rejection codes of the commands MQTT API (the device SDKs' RejectedErrorCode).
INVALID_REQUEST = "InvalidRequest"
INVALID_STATE_TRANSITION = "InvalidStateTransition"
RESOURCE_NOT_FOUND = "ResourceNotFound"
TERMINAL_STATE_REACHED = "TerminalStateReached"


class CommandRejection(Exception):
    """A device's status report refused, with the MQTT API's error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def status_reason_of(reason: Any) -> Optional[Dict[str, str]]:
    if reason is None:
        return None
    if not isinstance(reason, dict) or not isinstance(reason.get("reasonCode"), str):
        raise CommandRejection(INVALID_REQUEST, "statusReason must be an object with a string reasonCode.")
    code, description = reason["reasonCode"], reason.get("reasonDescription")
    if not _REASON_CODE.fullmatch(code):
        raise CommandRejection(INVALID_REQUEST, "statusReason.reasonCode must match [A-Z0-9_-]+ (at most 64).")
    if description is not None and (
        not isinstance(description, str) or len(description) > 1024 or _CONTROL.search(description)
    ):
        raise CommandRejection(INVALID_REQUEST, "statusReason.reasonDescription must be text of at most 1024.")
    return {"reasonCode": code, **({"reasonDescription": description} if description is not None else {})}


def results_of(result: Any) -> Optional[Dict[str, Dict[str, Any]]]:
    if result is None:
        return None
    if not isinstance(result, dict) or not result:
        raise CommandRejection(INVALID_REQUEST, "result must be a non-empty object of named results.")
    results: Dict[str, Dict[str, Any]] = {}
    for name, value in result.items():
        if not _RESULT_NAME.fullmatch(name):
            raise CommandRejection(INVALID_REQUEST, f"Result name {name!r} must match [a-zA-Z0-9_-]+ (at most 32).")
        results[name] = _result_value(name, value)
    return results


def _result_value(name: str, value: Any) -> Dict[str, Any]:
    if not isinstance(value, dict) or len(value) != 1:
        raise CommandRejection(INVALID_REQUEST, f"Result {name} must set exactly one of S, B, BIN.")
    (member, item), = value.items()
    if member == "S" and isinstance(item, str) and item:
        return {"S": item}
    if member == "B" and isinstance(item, bool):
        return {"B": item}
    if member == "BIN":
        if isinstance(item, (bytes, bytearray)) and item:
            return {"BIN": bytes(item)}
        if isinstance(item, str) and item:
            try:
                return {"BIN": base64.b64decode(item, validate=True)}
            except (binascii.Error, ValueError):
                pass
    raise CommandRejection(INVALID_REQUEST, f"Result {name} has an invalid value for {member}.")
