"""Opaque, tamper-evident pagination tokens over sequence-ordered collections.

Items carry a creation sequence number; a token remembers the last one
returned, so a page boundary stays put when items are added or removed
between calls and every item is seen exactly once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from typing import Callable, List, Optional, Sequence, Tuple, TypeVar

from ..protocol.errors import invalid_request

T = TypeVar("T")

_SECRET = os.urandom(16)


def _sign(payload: bytes) -> str:
    return hmac.new(_SECRET, payload, hashlib.sha256).hexdigest()[:16]


def encode_token(scope: str, position: int) -> str:
    payload = json.dumps([scope, position], separators=(",", ":")).encode()
    raw = json.dumps([payload.decode(), _sign(payload)], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(scope: str, token: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        payload_text, signature = json.loads(raw)
        payload = payload_text.encode()
        if not hmac.compare_digest(signature, _sign(payload)):
            raise ValueError("bad signature")
        token_scope, position = json.loads(payload)
        if token_scope != scope or not isinstance(position, int):
            raise ValueError("wrong scope")
        return position
    except (ValueError, TypeError, UnicodeError, RecursionError):
        raise invalid_request("The pagination token is invalid.") from None


def paginate(
    items: Sequence[T],
    key: Callable[[T], int],
    max_results: Optional[int],
    token: Optional[str],
    scope: str,
    default_size: int,
) -> Tuple[List[T], Optional[str]]:
    """One page of ``items`` (already sorted by ``key``) and the token for the next."""
    start = 0
    if token:
        after = decode_token(scope, token)
        # bisect_right by hand, reading O(log n) keys instead of building all n
        # (bisect's key= needs Python 3.10).
        high = len(items)
        while start < high:
            middle = (start + high) // 2
            if after < key(items[middle]):
                high = middle
            else:
                start = middle + 1
    size = max_results or default_size
    page = list(items[start : start + size])
    more = start + size < len(items)
    return page, (encode_token(scope, key(page[-1])) if more and page else None)


def paginate_marker(
    items: Sequence[T],
    key: Callable[[T], int],
    page_size: Optional[int],
    marker: Optional[str],
    scope: str,
    default_size: int,
) -> Tuple[List[T], Optional[str]]:
    """As :func:`paginate`, for the older IoT listings whose ``marker``/``nextMarker``
    must match ``[A-Za-z0-9+/]+={0,2}`` (standard base64, which the URL-safe
    tokens above are not)."""
    token = None
    if marker:
        try:
            raw = base64.b64decode(marker, validate=True)
        except ValueError:
            raise invalid_request("The marker is invalid.") from None
        token = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    page, next_token = paginate(items, key, page_size, token, scope, default_size)
    if next_token is None:
        return page, None
    raw = base64.urlsafe_b64decode(next_token + "=" * (-len(next_token) % 4))
    return page, base64.b64encode(raw).decode()
