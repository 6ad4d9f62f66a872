"""What device certificates and CA certificates have in common: the X.509
facts IoT keeps about each, and the version stamps an update moves on."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Dict, Type, TypeVar

from ...protocol.errors import ServiceError
from ..arns import iot_arn
from .lazy_crypto import crypto

if TYPE_CHECKING:
    from cryptography import x509

    from ..state import Backend

C = TypeVar("C", bound="CertificateRecord")


def validation_error(message: str) -> ServiceError:
    """CertificateValidationException: the PEM given is not a usable certificate."""
    return ServiceError("CertificateValidationException", message)


def new_generation_id() -> str:
    return str(uuid.uuid4())


@dataclass
class CertificateRecord:
    cert_id: str
    arn: str
    pem: str
    certificate: x509.Certificate  # ``pem`` parsed, kept so checks need not parse it again
    status: str
    mode: str
    owner: str
    created: float
    modified: float
    not_before: float
    not_after: float
    seq: int
    customer_version: int = 1
    generation_id: str = field(default_factory=new_generation_id)

    @classmethod
    def from_x509(
        cls: Type[C], backend: "Backend", cert: x509.Certificate, resource: str, status: str, mode: str, **extra: Any
    ) -> C:
        """A new record of ``cert``, created now and owned by the account; ``resource``
        is the ARN's resource type (``cert``, ``cacert``), ``extra`` the subclass's fields."""
        now = backend.now()
        cert_id = crypto.fingerprint(cert)
        not_before, not_after = crypto.validity(cert)
        return cls(
            cert_id=cert_id,
            arn=iot_arn(backend.region, backend.account_id, f"{resource}/{cert_id}"),
            pem=crypto.to_pem(cert),
            certificate=cert,
            status=status,
            mode=mode,
            owner=backend.account_id,
            created=now,
            modified=now,
            not_before=not_before,
            not_after=not_after,
            seq=backend.next_seq(),
            **extra,
        )

    def description(self, **extra: Any) -> Dict[str, Any]:
        """The members both certificate descriptions share, plus ``extra``."""
        return {
            "certificateArn": self.arn,
            "certificateId": self.cert_id,
            "status": self.status,
            "certificatePem": self.pem,
            "ownedBy": self.owner,
            "creationDate": self.created,
            "lastModifiedDate": self.modified,
            "customerVersion": self.customer_version,
            "generationId": self.generation_id,
            "validity": {"notBefore": self.not_before, "notAfter": self.not_after},
            "certificateMode": self.mode,
            **extra,
        }

    def brief(self, **extra: Any) -> Dict[str, Any]:
        """The members both certificate summaries share, plus ``extra``."""
        return {
            "certificateArn": self.arn,
            "certificateId": self.cert_id,
            "status": self.status,
            "creationDate": self.created,
            **extra,
        }

    def summary(self) -> Dict[str, Any]:
        return self.brief()

    def touch(self, now: float) -> None:
        """An update happened: a new modification time, version and generation."""
        self.modified = now
        self.customer_version += 1
        self.generation_id = new_generation_id()
