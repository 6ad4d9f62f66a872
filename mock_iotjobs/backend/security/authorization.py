"""Who a connection is, and which policies are in force for it.

The policies in force for a principal (a certificate ARN or a Cognito
identity id) are those attached to it and, for the thing it connects as, those
attached to that thing's thing groups and their parents (AWS IoT developer
guide, "Thing group policies").  The thing is the one attached to the
principal whose name is the client id, or the principal's only exclusively
attached thing.  TestAuthorization and the MQTT listener both go through
``Authorizer.decide``, so they cannot disagree.
"""

from __future__ import annotations

import functools
import json
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence, Tuple

from .evaluation import AuthContext, Decision, evaluate
from .principals import EXCLUSIVE

if TYPE_CHECKING:
    from ..state import Backend

# MQTT actions and the resource kind each one names.
RESOURCE_KIND = {"CONNECT": "client", "PUBLISH": "topic", "RECEIVE": "topic", "SUBSCRIBE": "topicfilter"}
ACTION = {"CONNECT": "iot:Connect", "PUBLISH": "iot:Publish", "RECEIVE": "iot:Receive", "SUBSCRIBE": "iot:Subscribe"}

# The name attributes behind iot:Certificate.Subject.* and .Issuer.* (NameOID names).
_NAME_FIELDS = {
    "CommonName": "COMMON_NAME",
    "Organization": "ORGANIZATION_NAME",
    "OrganizationalUnit": "ORGANIZATIONAL_UNIT_NAME",
    "Country": "COUNTRY_NAME",
    "Locality": "LOCALITY_NAME",
    "State": "STATE_OR_PROVINCE_NAME",
    "SerialNumber": "SERIAL_NUMBER",
}


@functools.lru_cache(maxsize=1024)
def certificate_variables(pem: str) -> Tuple[Tuple[str, str], ...]:
    """The ``iot:Certificate.*`` policy variables of a certificate."""
    # Imported here: cryptography loads when a certificate is first looked at.
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    try:
        cert = x509.load_pem_x509_certificate(pem.encode())
    except ValueError:
        return ()
    values: Dict[str, str] = {"SerialNumber": str(cert.serial_number)}
    for prefix, name in (("Subject", cert.subject), ("Issuer", cert.issuer)):
        for label, oid in _NAME_FIELDS.items():
            found = name.get_attributes_for_oid(getattr(NameOID, oid))
            if found:
                values[f"{prefix}.{label}"] = str(found[0].value)
    values["Validity.NotBefore"] = cert.not_valid_before_utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    values["Validity.NotAfter"] = cert.not_valid_after_utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    return tuple(values.items())


class Authorizer:
    def __init__(self, backend: "Backend") -> None:
        self._backend = backend

    def resource_arn(self, action_type: str, name: str) -> str:
        from ..arns import iot_arn

        return iot_arn(self._backend.region, self._backend.account_id, f"{RESOURCE_KIND[action_type]}/{name}")

    def thing_for(self, principal: str, client_id: Optional[str]) -> Tuple[Optional[str], bool]:
        """(the thing the connection acts as, whether it is attached to the principal)."""
        attached = [a for a in self._backend.principals.things_of(principal)]
        if client_id is not None and any(a.thing == client_id for a in attached):
            return client_id, True
        exclusive = [a.thing for a in attached if a.kind == EXCLUSIVE]
        if len(exclusive) == 1:
            return exclusive[0], True
        if client_id is not None and client_id in self._backend.things.by_name:
            return client_id, False
        return None, False

    def context(self, principal: str, client_id: Optional[str]) -> AuthContext:
        backend = self._backend
        thing_name, attached = self.thing_for(principal, client_id)
        thing = backend.things.by_name.get(thing_name) if thing_name else None
        cert = backend.certificates.find_by_arn(principal)
        return AuthContext(
            client_id=client_id,
            thing_name=thing.name if thing is not None else None,
            thing_type=thing.type_name if thing is not None else None,
            thing_attributes=dict(thing.attributes) if thing is not None else {},
            is_attached=attached if thing is not None else None,
            certificate=dict(certificate_variables(cert.pem)) if cert is not None else {},
        )

    def policy_names(self, principal: str, thing_name: Optional[str], attached: bool) -> List[str]:
        backend = self._backend
        names = list(backend.policies.attached_to(principal))
        if thing_name is not None and attached:
            for group in backend.groups.groups_containing(thing_name):
                for name in backend.policies.attached_to(backend.groups.arn_for(group)):
                    if name not in names:
                        names.append(name)
        return names

    def documents(self, names: Sequence[str]) -> List[Tuple[str, Dict[str, Any]]]:
        found = []
        for name in names:
            policy = self._backend.policies.by_name.get(name)
            if policy is not None:
                found.append((name, json.loads(policy.default.document)))
        return found

    def decide(
        self,
        principal: str,
        client_id: Optional[str],
        action_type: str,
        resource: str,
        extra: Sequence[str] = (),
        skip: Sequence[str] = (),
    ) -> Decision:
        """The decision for one MQTT action (``resource``: a client id, topic or topic filter)."""
        ctx = self.context(principal, client_id)
        names = [n for n in self.policy_names(principal, ctx.thing_name, bool(ctx.is_attached)) if n not in skip]
        names += [n for n in extra if n not in names]
        arn = resource if resource.startswith("arn:") else self.resource_arn(action_type, resource)
        return evaluate(self.documents(names), ACTION[action_type], arn, ctx)
