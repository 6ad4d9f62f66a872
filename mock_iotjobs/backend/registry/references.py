"""How registry requests name a resource (by name, by ARN, or both) and the
``expectedVersion`` check of the versioned ones: the rules are the same for
things, thing groups and billing groups; only the words in the messages differ."""

from __future__ import annotations

from typing import Callable, Optional, Protocol, TypeVar

from ...protocol.errors import invalid_request, not_found, version_conflict


class _HasArn(Protocol):
    arn: str


R = TypeVar("R", bound=_HasArn)


def name_from_arn(arn: str, kind: str) -> str:
    """The resource name in an ARN of ``kind`` (``thing``, ``thinggroup``, ``billinggroup``)."""
    marker = f":{kind}/"
    if not arn.startswith("arn:") or marker not in arn:
        raise invalid_request(f"{arn} is not a valid {kind} ARN.")
    return arn.split(marker, 1)[1]


def by_name_or_arn(
    name: Optional[str], arn: Optional[str], member: str, kind: str, get: Callable[[str], R], missing: str
) -> R:
    """The resource named by ``name`` and/or ``arn`` (the request members ``<member>Name``
    and ``<member>Arn``); the two must agree. ``missing``: the message when no resource
    has that ARN."""
    from_arn = name_from_arn(arn, kind) if arn else None
    if name is None and from_arn is None:
        raise invalid_request(f"Either {member}Name or {member}Arn must be specified.")
    if name is not None and from_arn is not None and name != from_arn:
        raise invalid_request(f"{member}Name {name} does not match {member}Arn {arn}.")
    found = get(name or from_arn or "")
    if arn and arn != found.arn:
        raise not_found(missing)
    return found


def check_expected_version(label: str, name: str, version: int, expected: Optional[int]) -> None:
    """VersionConflictException unless ``expected`` is absent or the current ``version``."""
    if expected is not None and expected != version:
        raise version_conflict(f"The version for {label} {name} does not match the expected version.")
