"""How the device plane spells a job document.

Over HTTPS (``iot-jobs-data``) ``jobDocument`` is a string: the document as
AWS's (Java) service re-serialises it, compactly: no insignificant
whitespace, object members whose value is null left out, member order kept,
floating-point numbers in Java's ``Double.toString`` spelling (``1.0E7``,
``1.0E-4``, ``0.5``), characters outside the Basic Multilingual Plane escaped
as UTF-16 surrogate pairs and control characters escaped.  Integers keep their
digits.  Over MQTT the document is the JSON object itself (see
:func:`device_object`).
"""

from __future__ import annotations

import functools
import json
import math
from decimal import Decimal
from typing import Any, Dict, List

_SHORT_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


@functools.lru_cache(maxsize=256)
def device_text(document: str) -> str:
    """The HTTPS device plane's ``jobDocument`` for a stored (valid) document (cached:
    a fleet asks for the same few documents over and over)."""
    return _write(json.loads(document, parse_float=float))


def device_object(document: str) -> Dict[str, Any]:
    """The MQTT device plane's ``jobDocument``: the document as a JSON object."""
    parsed: Dict[str, Any] = json.loads(document)
    return parsed


def _write(value: Any) -> str:
    if isinstance(value, dict):
        members = [f"{_string(k)}:{_write(v)}" for k, v in value.items() if v is not None]
        return "{" + ",".join(members) + "}"
    if isinstance(value, list):
        items: List[str] = [_write(v) for v in value]
        return "[" + ",".join(items) + "]"
    if isinstance(value, str):
        return _string(value)
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    if isinstance(value, float):
        return java_double(value)
    return str(int(value))


def _string(text: str) -> str:
    out = ['"']
    for char in text:
        code = ord(char)
        if char in _SHORT_ESCAPES:
            out.append(_SHORT_ESCAPES[char])
        elif code < 0x20:
            out.append(f"\\u{code:04x}")
        elif code > 0xFFFF:
            code -= 0x10000
            out.append(f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def java_double(value: float) -> str:
    """Java's ``Double.toString``: plain decimal for 10^-3 <= |x| < 10^7 (at least one
    digit after the point), otherwise computerized scientific notation (``1.0E7``)."""
    if math.isnan(value) or math.isinf(value):  # not JSON; documents are checked before
        raise ValueError(f"{value} is not a JSON number")
    sign = "-" if math.copysign(1.0, value) < 0 else ""
    if value == 0:
        return sign + "0.0"
    # The shortest digits that read back as the same double (as Java 19+ prints them).
    exact = Decimal(repr(abs(value))).normalize()
    _, digit_tuple, exponent = exact.as_tuple()
    digits = "".join(str(d) for d in digit_tuple)
    assert isinstance(exponent, int)
    point = len(digits) + exponent  # digits before the decimal point
    scientific = point - 1
    if -3 <= scientific < 7:
        if point <= 0:
            return f"{sign}0.{'0' * -point}{digits}"
        whole = digits[:point].ljust(point, "0")
        fraction = digits[point:] or "0"
        return f"{sign}{whole}.{fraction}"
    return f"{sign}{digits[0]}.{digits[1:] or '0'}E{scientific}"
