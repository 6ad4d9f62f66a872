"""Which region names are served: those AWS has, or could have.

A region comes from the client (the SigV4 credential scope, or the host of an
unsigned call), so it is untrusted input: anything else would create a backend
and appear in ARNs.  AWS answers a scope naming no region with a signature
error (``Credential should be scoped to a valid region``), so we do too.
"""

from __future__ import annotations

import functools
import re
from typing import FrozenSet

from .errors import ServiceError

# AWS's shape for every region so far: us-east-1, us-gov-west-1, ap-southeast-7, us-isob-east-1.
_SHAPE = re.compile(r"[a-z]{2}(?:-[a-z]+)+-\d{1,2}")


@functools.lru_cache(maxsize=1)
def known_regions() -> FrozenSet[str]:
    """Every region in botocore's endpoint data (all partitions)."""
    from botocore.loaders import create_loader

    data = create_loader().load_data("endpoints")
    return frozenset(region for partition in data.get("partitions", ()) for region in partition.get("regions", {}))


def is_region(name: str) -> bool:
    return name in known_regions() or _SHAPE.fullmatch(name) is not None


def check_region(name: str) -> str:
    """``name`` if it is a region, else AWS's 403 signature error (nothing is created)."""
    if is_region(name):
        return name
    shown = name if len(name) <= 64 else name[:64] + "..."
    raise ServiceError(
        "InvalidSignatureException",
        f"Credential should be scoped to a valid region, not '{shown}'.",
        status=403,
    )
