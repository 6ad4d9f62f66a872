"""IoT policies, their versions and their attachments.

(Skeleton: the interface other domains rely on; filled in by the registry work.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Dict, List

if TYPE_CHECKING:
    from ..state import Backend


class Policies:
    def __init__(self, backend: "Backend") -> None:
        self._backend = backend
        self.by_name: Dict[str, object] = {}

    def attached_to(self, target: str) -> List[str]:
        """Names of the policies attached to ``target`` (a certificate ARN, thing group ARN, ...)."""
        return []

    def forget_target(self, target: str) -> None:
        """Drop every attachment to ``target`` (it was deleted)."""
