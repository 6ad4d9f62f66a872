"""Handlers of the commands API (``iot`` and ``iot-jobs-data``)."""

from __future__ import annotations

from typing import Callable, List, Optional, Sequence, Tuple, TypeVar

from ...backend.paging import paginate
from ...protocol.errors import ServiceError

T = TypeVar("T")


def page_of(
    items: Sequence[T], key: Callable[[T], int], max_results: Optional[int], token: Optional[str], scope: str
) -> Tuple[List[T], Optional[str]]:
    """``paginate`` (25 by default), answering a bad token with the ValidationException
    that the commands operations declare."""
    try:
        return paginate(items, key, max_results, token, scope, 25)
    except ServiceError as error:
        raise ServiceError("ValidationException", error.message) from None


__all__ = ["page_of"]
