"""Thing principals: which certificates (or Cognito identities) are attached to which things.

AWS rules kept here:
* the thing must exist, and a certificate principal must be a certificate of
  this account and region (a Cognito identity id is taken as given);
* ``EXCLUSIVE_THING``: the thing is the only one attached to the principal, so
  an exclusive attachment is refused while the principal is attached to another
  thing, and nothing else can be attached to a principal held exclusively;
* a thing with principals attached cannot be deleted (DeleteThing answers
  ``InvalidRequestException``), and a certificate attached to things cannot be
  deleted (``DeleteConflictException``, see certificates.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Dict, List

from ...protocol.errors import invalid_request, not_found

if TYPE_CHECKING:
    from ..state import Backend

EXCLUSIVE = "EXCLUSIVE_THING"
NON_EXCLUSIVE = "NON_EXCLUSIVE_THING"

_CERT_ARN = re.compile(r"arn:aws(?:-cn|-us-gov)?:iot:[a-z0-9-]+:\d{12}:cert/[0-9a-fA-F]+")
# A Cognito identity id: "<region>:<uuid>".
_COGNITO_ID = re.compile(r"[a-z]{2}(?:-[a-z]+)+-\d:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@dataclass
class Attachment:
    thing: str
    principal: str
    kind: str
    seq: int


class ThingPrincipals:
    def __init__(self, backend: "Backend") -> None:
        self._backend = backend
        # thing name -> principal -> attachment, and the reverse; both in attachment order.
        self.by_thing: Dict[str, Dict[str, Attachment]] = {}
        self.by_principal: Dict[str, Dict[str, Attachment]] = {}

    def check_principal(self, principal: str) -> None:
        """NotFound for a certificate ARN that names no certificate here; InvalidRequest
        for anything that is neither a certificate ARN nor a Cognito identity id."""
        if _CERT_ARN.fullmatch(principal):
            if self._backend.certificates.find_by_arn(principal) is None:
                raise not_found(f"The certificate {principal} does not exist.")
            return
        if not _COGNITO_ID.fullmatch(principal):
            raise invalid_request(
                f"The principal {principal} is neither a certificate ARN nor an Amazon Cognito identity id."
            )

    def attach(self, thing_name: str, principal: str, kind: str) -> None:
        self._backend.things.get(thing_name)
        self.check_principal(principal)
        holders = self.by_principal.get(principal, {})
        others = [a for name, a in holders.items() if name != thing_name]
        if kind == EXCLUSIVE and others:
            raise invalid_request(
                f"The principal {principal} is already attached to another thing; "
                f"it cannot be attached exclusively to {thing_name}."
            )
        if any(a.kind == EXCLUSIVE for a in others):
            raise invalid_request(
                f"The principal {principal} is exclusively attached to thing {others[0].thing}."
            )
        current = holders.get(thing_name)
        if current is not None:
            current.kind = kind  # attaching again is idempotent (and may change the type)
            self._backend.auth_epoch += 1
            return
        attachment = Attachment(thing_name, principal, kind, self._backend.next_seq())
        self.by_thing.setdefault(thing_name, {})[principal] = attachment
        self.by_principal.setdefault(principal, {})[thing_name] = attachment
        self._backend.auth_epoch += 1

    def detach(self, thing_name: str, principal: str) -> None:
        self._backend.things.get(thing_name)
        self.check_principal(principal)
        # Detaching a principal that is not attached changes nothing and succeeds.
        self._backend.auth_epoch += 1
        self.by_thing.get(thing_name, {}).pop(principal, None)
        self.by_principal.get(principal, {}).pop(thing_name, None)
        if not self.by_thing.get(thing_name, True):
            del self.by_thing[thing_name]
        if not self.by_principal.get(principal, True):
            del self.by_principal[principal]

    def principals_of(self, thing_name: str) -> List[Attachment]:
        return list(self.by_thing.get(thing_name, {}).values())

    def things_of(self, principal: str) -> List[Attachment]:
        return list(self.by_principal.get(principal, {}).values())

    def check_thing_deletable(self, thing_name: str) -> None:
        """DeleteThing is refused while principals are attached to the thing."""
        if self.by_thing.get(thing_name):
            raise invalid_request(f"Cannot delete. Thing {thing_name} is still attached to one or more principals")
