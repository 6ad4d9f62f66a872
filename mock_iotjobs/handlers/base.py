"""The handler table: one small function per (service, operation)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Dict, Optional, Tuple

if TYPE_CHECKING:
    from ..backend.state import Backend, BackendStore

Params = Dict[str, Any]
Result = Optional[Dict[str, Any]]


@dataclass
class Context:
    backend: "Backend"
    store: "BackendStore"
    service: str
    operation: str
    request_id: str
    host: str


Handler = Callable[[Context, Params], Result]
HANDLERS: Dict[Tuple[str, str], Handler] = {}


def operation(service: str, name: str) -> Callable[[Handler], Handler]:
    def register(func: Handler) -> Handler:
        HANDLERS[(service, name)] = func
        return func

    return register


def compact(**members: Any) -> Dict[str, Any]:
    """A response dict without the members that have no value."""
    return {k: v for k, v in members.items() if v is not None}
