"""Create* operations that take ``tags`` but model no LimitExceededException
(CreateThingType, CreateThingGroup, CreateBillingGroup, CreatePolicy,
CreateTopicRule): too many tags is refused as a bad request, before anything is
created, and the tags are stored only on a resource the call really created
(an idempotent re-create keeps the tags it has)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Dict, List, Protocol, Tuple, TypeVar

if TYPE_CHECKING:
    from ..backend.state import Backend

# The code these operations answer a tag-count refusal with.
TAGS_REFUSED = "InvalidRequestException"


class _Store(Protocol):
    @property
    def by_name(self) -> Dict[str, Any]: ...

    def arn_for(self, name: str) -> str: ...


class _Tagged(Protocol):
    arn: str


R = TypeVar("R", bound=_Tagged)


def create_tagged(
    backend: "Backend", store: _Store, name: str, tags: List[Dict[str, str]], create: Callable[[], Tuple[R, bool]]
) -> R:
    """``create()`` (the resource and whether it is new), with ``tags`` checked first and set after."""
    if tags and name not in store.by_name:
        backend.tags.check(store.arn_for(name), tags, TAGS_REFUSED)
    resource, created = create()
    if created and tags:
        backend.tags.set(resource.arn, tags, TAGS_REFUSED)
    return resource
