"""Paging for the security listings that page with ``marker``/``pageSize``.

Two paginators serve them and stay apart on purpose: the certificate listings
(``backend.security.markers``: newest first unless ``ascendingOrder``, 25 a page,
their own marker text) and the rest (``backend.paging.paginate_marker``: keys
ascending, 250 a page by default). Markers and messages clients already see
differ between the two, so folding them would change behaviour.
"""

from __future__ import annotations

from typing import Callable, Iterable, List, Optional, Sequence, Tuple, TypeVar

from ...backend.paging import paginate_marker
from ...backend.security.certificate_record import CertificateRecord
from ...backend.security.markers import marker_page
from ..base import Params, Result, compact

T = TypeVar("T")

# AWS's default and largest page for the marker-paged listings other than certificates.
PAGE_SIZE = 250


def page_by_marker(
    p: Params, items: Sequence[T], key: Callable[[T], int], scope: str, default_size: int = PAGE_SIZE
) -> Tuple[List[T], Optional[str]]:
    """One page of ``items`` (ascending by ``key``) for the request's ``marker`` and ``pageSize``."""
    return paginate_marker(items, key, p.get("pageSize"), p.get("marker"), scope, default_size)


def keyed_by_creation(items: Iterable[T], seq: Callable[[T], int], ascending: bool) -> List[Tuple[int, T]]:
    """``items`` (in listing order) keyed by creation sequence, negated when newest come
    first: the keys then ascend as the listing does, and a page boundary stays put as
    items come and go."""
    return [(seq(item) if ascending else -seq(item), item) for item in items]


def certificate_page(p: Params, certs: Sequence[CertificateRecord], scope: str) -> Result:
    """A page of device or CA certificate summaries (``certificates``, ``nextMarker``)."""
    page, marker = marker_page(
        certs, lambda c: c.seq, p.get("pageSize"), p.get("marker"), bool(p.get("ascendingOrder")), scope
    )
    return compact(certificates=[c.summary() for c in page], nextMarker=marker)
