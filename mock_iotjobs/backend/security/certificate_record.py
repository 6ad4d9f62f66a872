"""What device certificates and CA certificates have in common: the X.509
facts IoT keeps about each, and the version stamps an update moves on."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, Dict

from cryptography import x509

from ...protocol.errors import ServiceError


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
