"""Command parameters and payloads: typed values, value conditions, the JSON
substitution preprocessor, and the payload format that picks the request topic.

A ``CommandParameterValue`` has exactly one member, named for its type
(``S`` string, ``B`` boolean, ``I`` integer, ``L`` long, ``D`` double,
``UL`` unsigned long as a decimal string, ``BIN`` binary).  A dynamic command's
``payloadTemplate`` is a JSON document whose placeholders
``${aws:iot:commandexecution::parameter:<name>}`` are replaced by the values
StartCommandExecution supplies (or the parameters' ``value``/``defaultValue``):
a string that is exactly one placeholder becomes the typed JSON value, a
placeholder inside a longer string is replaced by the value's text.
"""

from __future__ import annotations

import base64
import json
import re
import struct
from typing import Any, Dict, List, Optional

from ...protocol.errors import ServiceError

PLACEHOLDER = re.compile(r"\$\{aws:iot:commandexecution::parameter:([.$a-zA-Z0-9_-]+)\}")

# Parameter type -> the CommandParameterValue member that carries it.
TYPE_MEMBERS = {
    "STRING": "S",
    "INTEGER": "I",
    "DOUBLE": "D",
    "LONG": "L",
    "UNSIGNEDLONG": "UL",
    "BOOLEAN": "B",
    "BINARY": "BIN",
}
_INT_RANGES = {"I": (-(2**31), 2**31 - 1), "L": (-(2**63), 2**63 - 1), "UL": (0, 2**64 - 1)}
_NUMERIC = ("I", "L", "D", "UL")

JSON_FORMAT = "json"
CBOR_FORMAT = "cbor"


def validation(message: str) -> ServiceError:
    return ServiceError("ValidationException", message)


# --- typed values -----------------------------------------------------------------
def value_member(value: Dict[str, Any], where: str) -> str:
    """The one member a CommandParameterValue sets (ValidationException otherwise)."""
    members = [key for key, item in value.items() if item is not None]
    if len(members) != 1:
        raise validation(f"{where} must set exactly one of S, B, I, L, D, BIN, UL; it sets {len(members)}.")
    member = members[0]
    if member in _INT_RANGES:
        low, high = _INT_RANGES[member]
        number = int(value[member])
        if not low <= number <= high:
            raise validation(f"{where}.{member} is out of range: {value[member]}.")
    return member


def plain(value: Dict[str, Any]) -> Any:
    """The Python value of a CommandParameterValue (UL as int, BIN as bytes)."""
    member = next(key for key, item in value.items() if item is not None)
    item = value[member]
    return int(item) if member == "UL" else item


def _number(text: str, where: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise validation(f"{where}: '{text}' is not a number.") from None


def check_conditions(name: str, value: Dict[str, Any], conditions: List[Dict[str, Any]]) -> None:
    """Every valueCondition of parameter ``name`` must hold for ``value``."""
    member = value_member(value, f"parameters.{name}")
    actual = plain(value)
    for condition in conditions:
        operator, operand = condition["comparisonOperator"], condition.get("operand", {})
        if member in _NUMERIC:
            held = _numeric_condition(float(actual), operator, operand, name)
        else:
            held = _string_condition(_text(actual), operator, operand)
        if not held:
            raise validation(
                f"Value of parameter {name} does not satisfy the condition {operator} {json.dumps(operand)}."
            )


def _numeric_condition(actual: float, operator: str, operand: Dict[str, Any], name: str) -> bool:
    where = f"valueConditions of {name}"
    if operator in ("IN_SET", "NOT_IN_SET"):
        inside = actual in [_number(n, where) for n in operand.get("numbers", [])]
        return inside == (operator == "IN_SET")
    if operator in ("IN_RANGE", "NOT_IN_RANGE"):
        bounds = operand.get("numberRange") or {}
        low, high = _number(bounds.get("min", "0"), where), _number(bounds.get("max", "0"), where)
        return (low <= actual <= high) == (operator == "IN_RANGE")
    target = _number(operand.get("number", "0"), where)
    return {
        "EQUALS": actual == target,
        "NOT_EQUALS": actual != target,
        "LESS_THAN": actual < target,
        "LESS_THAN_EQUALS": actual <= target,
        "GREATER_THAN": actual > target,
        "GREATER_THAN_EQUALS": actual >= target,
    }.get(operator, False)


def _string_condition(actual: str, operator: str, operand: Dict[str, Any]) -> bool:
    if operator in ("IN_SET", "NOT_IN_SET"):
        return (actual in operand.get("strings", [])) == (operator == "IN_SET")
    if operator == "EQUALS":
        return actual == operand.get("string")
    if operator == "NOT_EQUALS":
        return actual != operand.get("string")
    return False  # ordering and ranges do not apply to strings


_STRING_OPERATORS = ("EQUALS", "NOT_EQUALS", "IN_SET", "NOT_IN_SET")


def check_condition_shapes(name: str, member: Optional[str], conditions: List[Dict[str, Any]]) -> None:
    """At CreateCommand: each condition's operand fits its operator and the parameter's type."""
    textual = member in ("S", "B", "BIN")
    for condition in conditions:
        operator, operand = condition["comparisonOperator"], condition.get("operand") or {}
        if textual and operator not in _STRING_OPERATORS:
            raise validation(f"The {operator} condition does not apply to the non-numeric parameter {name}.")
        if operator in ("IN_SET", "NOT_IN_SET"):
            wanted = "strings" if textual else "numbers"
        elif operator in ("IN_RANGE", "NOT_IN_RANGE"):
            wanted = "numberRange"
        else:
            wanted = "string" if textual else "number"
        given = [key for key, item in operand.items() if item is not None]
        if given != [wanted]:
            raise validation(f"The {operator} condition of parameter {name} takes exactly one operand: {wanted}.")


# --- the JSON substitution preprocessor ---------------------------------------------
def template_placeholders(template: str) -> List[str]:
    return sorted(set(PLACEHOLDER.findall(template)))


def parse_template(template: str) -> Any:
    try:
        return json.loads(template)
    except ValueError:
        raise validation("payloadTemplate must be a valid JSON document.") from None


def _json_value(value: Dict[str, Any]) -> Any:
    item = plain(value)
    return base64.b64encode(item).decode() if isinstance(item, bytes) else item


def _text(item: Any) -> str:
    if isinstance(item, bytes):
        return item.decode("utf-8", "replace")
    if isinstance(item, bool):
        return "true" if item else "false"
    return str(item)


def substitute(document: Any, values: Dict[str, Dict[str, Any]]) -> Any:
    """``document`` with every placeholder replaced from ``values`` (name -> typed value)."""
    if isinstance(document, dict):
        return {substitute(key, values): substitute(item, values) for key, item in document.items()}
    if isinstance(document, list):
        return [substitute(item, values) for item in document]
    if isinstance(document, str):
        whole = PLACEHOLDER.fullmatch(document)
        if whole is not None:
            return _json_value(values[whole.group(1)])
        return PLACEHOLDER.sub(lambda m: _text(_json_value(values[m.group(1)])), document)
    return document


def render(template: str, output_format: str, values: Dict[str, Dict[str, Any]]) -> bytes:
    """The execution payload of a dynamic command, in its preprocessor's output format."""
    document = substitute(parse_template(template), values)
    if output_format == "CBOR":
        return cbor_encode(document)
    return json.dumps(document, separators=(",", ":")).encode()


# --- payload formats ------------------------------------------------------------------
def static_format(content_type: Optional[str]) -> Optional[str]:
    """The request topic's format level for a static payload: ``json``, ``cbor`` or none."""
    if not content_type:
        return None
    media = content_type.split(";", 1)[0].strip().lower()
    if media == "application/json":
        return JSON_FORMAT
    if media == "application/cbor":
        return CBOR_FORMAT
    return None


def cbor_encode(value: Any) -> bytes:
    """RFC 8949 encoding of JSON-like data (the preprocessor's CBOR output)."""
    if value is None:
        return b"\xf6"
    if value is True:
        return b"\xf5"
    if value is False:
        return b"\xf4"
    if isinstance(value, int):
        return _cbor_head(0, value) if value >= 0 else _cbor_head(1, -1 - value)
    if isinstance(value, float):
        return b"\xfb" + struct.pack(">d", value)
    if isinstance(value, bytes):
        return _cbor_head(2, len(value)) + value
    if isinstance(value, str):
        data = value.encode("utf-8")
        return _cbor_head(3, len(data)) + data
    if isinstance(value, list):
        return _cbor_head(4, len(value)) + b"".join(cbor_encode(item) for item in value)
    if isinstance(value, dict):
        return _cbor_head(5, len(value)) + b"".join(cbor_encode(k) + cbor_encode(v) for k, v in value.items())
    raise TypeError(f"cannot encode {type(value).__name__} as CBOR")


def _cbor_head(major: int, argument: int) -> bytes:
    if argument < 24:
        return bytes([major << 5 | argument])
    for extra, size, fmt in ((24, 1, ">B"), (25, 2, ">H"), (26, 4, ">I"), (27, 8, ">Q")):
        if argument < 1 << (8 * size):
            return bytes([major << 5 | extra]) + struct.pack(fmt, argument)
    raise ValueError("integer too large for CBOR")


def cbor_decode(data: bytes) -> Any:
    """Decode one CBOR data item (what a device may publish on ``.../response/cbor``);
    ValueError when it is not well-formed or uses what JSON cannot carry."""
    value, end = _cbor_item(data, 0)
    if end != len(data):
        raise ValueError("trailing bytes after the CBOR data item")
    return value


def _cbor_item(data: bytes, at: int) -> "tuple[Any, int]":
    if at >= len(data):
        raise ValueError("truncated CBOR")
    major, info = data[at] >> 5, data[at] & 0x1F
    at += 1
    if major == 7:
        simple = {20: False, 21: True, 22: None}
        if info in simple:
            return simple[info], at
        sizes = {25: (2, ">e"), 26: (4, ">f"), 27: (8, ">d")}
        if info not in sizes:
            raise ValueError("unsupported CBOR simple value")
        size, fmt = sizes[info]
        if at + size > len(data):
            raise ValueError("truncated CBOR")
        return struct.unpack(fmt, data[at : at + size])[0], at + size
    if info < 24:
        argument = info
    elif info <= 27:
        size = 1 << (info - 24)
        if at + size > len(data):
            raise ValueError("truncated CBOR")
        argument = int.from_bytes(data[at : at + size], "big")
        at += size
    else:
        raise ValueError("indefinite-length CBOR is not supported")
    if major == 0:
        return argument, at
    if major == 1:
        return -1 - argument, at
    if major in (2, 3):
        if at + argument > len(data):
            raise ValueError("truncated CBOR")
        raw = data[at : at + argument]
        return (raw if major == 2 else raw.decode("utf-8")), at + argument
    if major == 4:
        items = []
        for _ in range(argument):
            item, at = _cbor_item(data, at)
            items.append(item)
        return items, at
    if major == 5:
        mapping = {}
        for _ in range(argument):
            key, at = _cbor_item(data, at)
            mapping[key], at = _cbor_item(data, at)
        return mapping, at
    raise ValueError("CBOR tags are not supported")
