"""Strings AWS cannot hold: lone UTF-16 surrogates (``"\\ud800"``).

JSON lets a client write ``"\\ud800"``, and Python decodes it into a ``str``
that cannot be encoded as UTF-8: stored, it would break every later answer
that includes it.  AWS's services are UTF-8 throughout, and the models'
patterns (``[^\\p{C}]*`` and stricter) exclude surrogates, so such a value is
refused at parse time as a validation error, in every operation alike,
before anything is stored.
"""

from __future__ import annotations

import re
from typing import Any, Optional

from .errors import ServiceError, invalid_request

# A JSON escape in the surrogate range; a proper pair decodes to one character and is fine.
_ESCAPED_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_SURROGATE = re.compile("[\ud800-\udfff]")


def has_surrogate(text: str) -> bool:
    return not text.isascii() and _SURROGATE.search(text) is not None


def may_hold_surrogates(body: bytes) -> bool:
    """Cheap pre-check on a raw JSON body: only an escape can produce a surrogate."""
    return b"\\u" in body and _ESCAPED_SURROGATE.search(body) is not None


def surrogate_path(value: Any, path: str = "") -> Optional[str]:
    """Where in ``value`` (dicts, lists, strings) a lone surrogate sits, or None."""
    if isinstance(value, str):
        return path if has_surrogate(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and has_surrogate(key):
                return path or "the request body"
            found = surrogate_path(item, where)
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = surrogate_path(item, f"{path}.{index + 1}.member" if path else f"{index + 1}.member")
            if found is not None:
                return found
    return None


def surrogate_error(path: str) -> ServiceError:
    return invalid_request(
        f"1 validation error detected: Value at '{path}' failed to satisfy constraint: "
        "Member must be valid Unicode text (it holds a lone UTF-16 surrogate)"
    )
