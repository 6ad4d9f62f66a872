"""``marker``/``nextMarker`` paging of the certificate listings.

These operations page with a marker whose model pattern is standard base64
(``[A-Za-z0-9+/]+={0,2}``) and list newest first unless ``ascendingOrder``
is set. A marker names the creation sequence number of the last item
returned, so a page boundary stays put when certificates come or go.
"""

from __future__ import annotations

import base64
import binascii
from typing import Callable, List, Optional, Sequence, Tuple, TypeVar

from ...protocol.errors import invalid_request

T = TypeVar("T")

# AWS answers 25 certificates a page when pageSize is not given.
DEFAULT_PAGE_SIZE = 25


def _encode(scope: str, seq: int) -> str:
    return base64.b64encode(f"{scope}:{seq}".encode()).decode()


def _decode(scope: str, marker: str) -> int:
    try:
        text = base64.b64decode(marker, validate=True).decode()
        marker_scope, _, seq = text.rpartition(":")
        if marker_scope != scope:
            raise ValueError("another listing's marker")
        return int(seq)
    except (ValueError, binascii.Error, UnicodeError):
        raise invalid_request("The marker is not valid.") from None


def marker_page(
    items: Sequence[T],
    seq: Callable[[T], int],
    page_size: Optional[int],
    marker: Optional[str],
    ascending: bool,
    scope: str,
) -> Tuple[List[T], Optional[str]]:
    """One page of ``items`` (in creation order) and the marker of the next, if any."""
    ordered = sorted(items, key=seq, reverse=not ascending)
    if marker:
        after = _decode(scope, marker)
        ordered = [item for item in ordered if (seq(item) > after if ascending else seq(item) < after)]
    size = page_size or DEFAULT_PAGE_SIZE
    page = ordered[:size]
    more = len(ordered) > size
    return page, (_encode(scope, seq(page[-1])) if more else None)
