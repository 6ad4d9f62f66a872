"""CA certificates registered by the account, and its registration code.

RegisterCACertificate in DEFAULT mode proves possession of the CA's private
key: the caller signs a *verification certificate* whose common name is the
account's registration code (GetRegistrationCode) with the CA's key. In
SNI_ONLY mode no proof is given (and none may be).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Dict, List, Optional

from ...protocol.errors import ServiceError, already_exists, invalid_request, limit_exceeded, not_found
from .certificate_record import CertificateRecord, validation_error
from .lazy_crypto import crypto

if TYPE_CHECKING:
    from cryptography import x509

    from ..state import Backend

# AWS: at most 10 CA certificates with the same subject per account.
MAX_SAME_SUBJECT = 10


@dataclass
class CACertificate(CertificateRecord):
    auto_registration: str = "DISABLE"
    registration_config: Dict[str, Any] = field(default_factory=dict)

    def describe(self) -> Dict[str, Any]:
        return self.description(autoRegistrationStatus=self.auto_registration)


class CACertificates:
    def __init__(self, backend: "Backend") -> None:
        self._backend = backend
        self.by_id: Dict[str, CACertificate] = {}
        self._registration_code: Optional[str] = None

    # --- registration code ------------------------------------------------------
    def registration_code(self) -> str:
        """The account's code (stable until DeleteRegistrationCode), 64 hex digits as in AWS."""
        if self._registration_code is None:
            self._registration_code = hashlib.sha256(os.urandom(32)).hexdigest()
        return self._registration_code

    def delete_registration_code(self) -> None:
        # A code that was never handed out cannot be deleted.
        if self._registration_code is None:
            raise not_found("The registration code does not exist.")
        self._registration_code = None

    # --- lookups ------------------------------------------------------------------
    def get(self, cert_id: str) -> CACertificate:
        ca = self.by_id.get(cert_id.lower())
        if ca is None:
            raise not_found(f"The CA certificate {cert_id} does not exist.")
        return ca

    def issuers_of(self, cert: x509.Certificate) -> List[CACertificate]:
        """Registered CAs whose subject is ``cert``'s issuer and whose key signed it."""
        return [
            ca
            for ca in self.by_id.values()
            if ca.certificate.subject == cert.issuer and crypto.signed_by(cert, ca.certificate)
        ]

    # --- RegisterCACertificate -------------------------------------------------------
    def register(
        self,
        ca_pem: str,
        verification_pem: Optional[str],
        set_as_active: bool,
        allow_auto_registration: bool,
        registration_config: Optional[Dict[str, Any]],
        mode: Optional[str],
    ) -> CACertificate:
        mode = mode or "DEFAULT"
        if mode == "SNI_ONLY" and verification_pem:
            raise invalid_request("The verificationCertificate must be empty when certificateMode is SNI_ONLY.")
        if mode == "DEFAULT" and not verification_pem:
            raise invalid_request("The verificationCertificate is required when certificateMode is DEFAULT.")
        try:
            cert = crypto.load_certificate(ca_pem)
        except crypto.CertificateError as error:
            raise validation_error(f"CA certificate is not valid. {error}") from None
        if not crypto.is_ca(cert):
            raise validation_error(
                "CA certificate is not valid. The CA certificate does not have the basicConstraints extension as true."
            )
        if verification_pem:
            self._check_verification(cert, verification_pem)
        cert_id = crypto.fingerprint(cert)
        existing = self.by_id.get(cert_id)
        if existing is not None:
            raise already_exists(
                "The CA certificate is already registered.", resource_id=cert_id, resource_arn=existing.arn
            )
        if sum(1 for ca in self.by_id.values() if ca.certificate.subject == cert.subject) >= MAX_SAME_SUBJECT:
            raise limit_exceeded(
                f"At most {MAX_SAME_SUBJECT} CA certificates with the same subject can be registered in an account."
            )
        ca = CACertificate.from_x509(
            self._backend,
            cert,
            "cacert",
            "ACTIVE" if set_as_active else "INACTIVE",
            mode,
            auto_registration="ENABLE" if allow_auto_registration else "DISABLE",
            registration_config=dict(registration_config or {}),
        )
        self.by_id[cert_id] = ca
        return ca

    def _check_verification(self, ca: x509.Certificate, verification_pem: str) -> None:
        try:
            verification = crypto.load_certificate(verification_pem)
        except crypto.CertificateError as error:
            raise validation_error(f"Verification certificate is not valid. {error}") from None
        if not crypto.signed_by(verification, ca):
            raise validation_error("The verification certificate is not signed by the CA certificate's private key.")
        code = self._registration_code
        if code is None or crypto.common_name(verification) != code:
            raise ServiceError(
                "RegistrationCodeValidationException",
                "The common name of the verification certificate does not match the registration code.",
            )

    # --- UpdateCACertificate / DeleteCACertificate -------------------------------------
    def update(
        self,
        cert_id: str,
        new_status: Optional[str],
        new_auto_registration: Optional[str],
        registration_config: Optional[Dict[str, Any]],
        remove_auto_registration: bool,
    ) -> CACertificate:
        ca = self.get(cert_id)
        if remove_auto_registration and registration_config is not None:
            raise invalid_request("registrationConfig and removeAutoRegistration cannot be given together.")
        if new_status is not None:
            ca.status = new_status
        if new_auto_registration is not None:
            ca.auto_registration = new_auto_registration
        if registration_config is not None:
            ca.registration_config = dict(registration_config)
        if remove_auto_registration:
            ca.registration_config = {}
        ca.touch(self._backend.now())
        return ca

    def delete(self, cert_id: str) -> None:
        ca = self.get(cert_id)
        if ca.status == "ACTIVE":
            raise ServiceError(
                "CertificateStateException",
                f"The CA certificate must be deactivated (not ACTIVE) before deletion. Id: {ca.cert_id}",
            )
        # Device certificates registered with it stay, still naming it as their CA.
        del self.by_id[ca.cert_id]
        self._backend.tags.drop(ca.arn)

    def listing(self, template_name: Optional[str] = None) -> List[CACertificate]:
        return [
            ca
            for ca in self.by_id.values()
            if template_name is None or ca.registration_config.get("templateName") == template_name
        ]
