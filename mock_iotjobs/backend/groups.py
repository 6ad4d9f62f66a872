"""Thing groups (static, nestable): the usual targets of jobs."""

from __future__ import annotations

from typing import TYPE_CHECKING, List

if TYPE_CHECKING:
    from .state import Backend


class ThingGroups:
    """Thing groups of one account and region."""

    def __init__(self, backend: "Backend") -> None:
        self._backend = backend

    def things_in(self, group_name: str, recursive: bool = True) -> List[str]:
        """Names of the member things, in membership order, each once."""
        raise NotImplementedError

    def groups_containing(self, thing_name: str) -> List[str]:
        """Every group the thing is reached through (direct groups and their ancestors)."""
        return []

    def forget_thing(self, thing_name: str) -> None:
        """Drop a deleted thing from every group."""
