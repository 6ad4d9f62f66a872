"""What a policy can be attached to: certificates, thing groups and Cognito identities.

AWS names a target by a certificate ARN (``arn:aws:iot:region:account:cert/id``),
a thing group ARN (``arn:aws:iot:region:account:thinggroup/name``) or a Cognito
identity id (``region:uuid``).  Certificates and thing groups must exist in the
account and region; a Cognito identity lives in another service and is taken as given.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Optional

from ...protocol.errors import invalid_request, not_found

if TYPE_CHECKING:
    from ..state import Backend

CERTIFICATE = "cert"
THING_GROUP = "thinggroup"
COGNITO = "cognito"

_IOT_ARN = re.compile(r"arn:aws(?:-cn|-us-gov)?:iot:([a-z0-9-]+):(\d{12}):(cert|thinggroup)/(.+)")
# Amazon Cognito identity ids: "<region>:<uuid>".
_COGNITO_ID = re.compile(r"[a-z]{2}(?:-[a-z]+)+-\d:[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")


def kind_of(target: str) -> str:
    """The kind of target ``target`` names; InvalidRequestException if none."""
    match = _IOT_ARN.fullmatch(target)
    if match is not None:
        return match.group(3)
    if _COGNITO_ID.fullmatch(target):
        return COGNITO
    raise invalid_request(
        f"{target} is not a valid policy target: expected a certificate ARN, a thing group ARN "
        "or an Amazon Cognito identity id (region:id)."
    )


def group_name(target: str) -> Optional[str]:
    """The thing group name in a thing group ARN, else None."""
    match = _IOT_ARN.fullmatch(target)
    return match.group(4) if match is not None and match.group(3) == THING_GROUP else None


def exists(backend: "Backend", target: str) -> bool:
    """Whether ``target`` names an existing certificate or thing group (or is a Cognito id)."""
    kind = kind_of(target)
    if kind == COGNITO:
        return True
    if kind == CERTIFICATE:
        return backend.certificates.find_by_arn(target) is not None
    group = backend.groups.by_name.get(group_name(target) or "")
    return group is not None and group.arn == target


def require(backend: "Backend", target: str) -> str:
    """``target`` if it names an existing target; ResourceNotFoundException otherwise."""
    if not exists(backend, target):
        what = "certificate" if kind_of(target) == CERTIFICATE else "thing group"
        raise not_found(f"The {what} {target} does not exist.")
    return target
