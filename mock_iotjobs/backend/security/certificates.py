"""Device certificates and CA certificates of one account and region.

(Skeleton: the interface other domains rely on; filled in by the registry work.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, Optional

if TYPE_CHECKING:
    from ..state import Backend


class Certificates:
    def __init__(self, backend: "Backend") -> None:
        self._backend = backend
        self.by_id: Dict[str, Any] = {}

    def find_by_arn(self, arn: str) -> Optional[Any]:
        """The certificate whose ARN is ``arn``, or None."""
        cert_id = arn.rpartition("/")[2]
        cert = self.by_id.get(cert_id)
        return cert if cert is not None and getattr(cert, "arn", None) == arn else None
