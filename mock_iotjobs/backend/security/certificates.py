"""Device certificates of one account and region: issued by the mock CA,
signed from a CSR, or registered (with or without a registered CA).

Status rules (AWS IoT API reference, UpdateCertificate / DeleteCertificate):
PENDING_TRANSFER and PENDING_ACTIVATION are IoT's own statuses and cannot be
set; a REVOKED certificate stays revoked; a certificate is deleted only once it
is not ACTIVE and has no thing attached, and (unless ``forceDelete``) no policy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

from ...protocol.errors import ServiceError, already_exists, invalid_request, not_found
from .ca_certificates import CACertificate
from .certificate_record import CertificateRecord, validation_error
from .lazy_crypto import crypto

if TYPE_CHECKING:
    from cryptography import x509

    from ..state import Backend

# Statuses that only IoT itself sets (transfers, just-in-time registration).
INTERNAL_STATUSES = ("PENDING_TRANSFER", "PENDING_ACTIVATION")


@dataclass
class Certificate(CertificateRecord):
    ca_id: Optional[str] = None

    def describe(self) -> Dict[str, Any]:
        return self.description(caCertificateId=self.ca_id, transferData={})

    def summary(self) -> Dict[str, Any]:
        return self.brief(certificateMode=self.mode)


def state_error(message: str) -> ServiceError:
    return ServiceError("CertificateStateException", message)


class Certificates:
    def __init__(self, backend: "Backend") -> None:
        self._backend = backend
        self.by_id: Dict[str, Certificate] = {}
        self._ca: Optional[crypto.MockCA] = None

    # --- the mock CA --------------------------------------------------------------
    @property
    def mock_ca(self) -> crypto.MockCA:
        """This account and region's issuing CA, made on first use."""
        if self._ca is None:
            self._ca = crypto.MockCA(self._backend.account_id, self._backend.region, self._backend.now())
        return self._ca

    # --- lookups ------------------------------------------------------------------
    def find_by_arn(self, arn: str) -> Optional[Certificate]:
        """The certificate whose ARN is ``arn``, or None."""
        cert = self.by_id.get(arn.rpartition("/")[2])
        return cert if cert is not None and cert.arn == arn else None

    def get(self, cert_id: str) -> Certificate:
        cert = self.by_id.get(cert_id.lower())
        if cert is None:
            raise not_found(f"The certificate {cert_id} does not exist.")
        return cert

    # --- creation -----------------------------------------------------------------
    def create_keys_and_certificate(self, set_as_active: bool) -> Tuple[Certificate, str, str]:
        """A new certificate, and the (public, private) PEMs of its key pair."""
        key, public_pem, private_pem = crypto.new_key_pair()
        issued = self.mock_ca.issue(key.public_key(), self._backend.now())
        return self._add(issued, _status(set_as_active), "DEFAULT"), public_pem, private_pem

    def create_from_csr(self, csr_pem: str, set_as_active: bool) -> Certificate:
        try:
            csr = crypto.load_csr(csr_pem)
        except crypto.CertificateError as error:
            raise invalid_request(str(error)) from None
        issued = self.mock_ca.issue(csr.public_key(), self._backend.now(), csr.subject)
        return self._add(issued, _status(set_as_active), "DEFAULT")

    def register(
        self, pem: str, ca_pem: Optional[str], status: Optional[str], set_as_active: Optional[bool]
    ) -> Certificate:
        """RegisterCertificate: the certificate must be signed by a CA this account registered."""
        initial = _registration_status(status, set_as_active)
        cert = _load(pem)
        ca = self._signing_ca(cert, ca_pem)
        if ca.status != "ACTIVE":
            raise state_error(f"The CA certificate {ca.cert_id} is not ACTIVE.")
        self._check_new(cert)
        return self._add(cert, initial, ca.mode, ca_id=ca.cert_id)

    def register_without_ca(self, pem: str, status: Optional[str]) -> Certificate:
        initial = _registration_status(status, None)
        cert = _load(pem)
        self._check_new(cert)
        return self._add(cert, initial, "SNI_ONLY")

    def _signing_ca(self, cert: x509.Certificate, ca_pem: Optional[str]) -> CACertificate:
        registered = self._backend.ca_certificates
        if ca_pem:
            try:
                ca_id = crypto.fingerprint(crypto.load_certificate(ca_pem))
            except crypto.CertificateError as error:
                raise validation_error(f"The CA certificate is not valid. {error}") from None
            ca = registered.by_id.get(ca_id)
            if ca is None:
                raise validation_error("The CA certificate is not registered with this account.")
            if not crypto.signed_by(cert, ca.certificate):
                raise validation_error("The certificate is not signed by the given CA certificate.")
            return ca
        issuers = registered.issuers_of(cert)
        if not issuers:
            raise validation_error("The certificate is not signed by a CA certificate registered with this account.")
        if len(issuers) > 1:
            raise ServiceError(
                "CertificateConflictException",
                "More than one registered CA certificate has the certificate's issuer subject and key; "
                "give caCertificatePem.",
            )
        return issuers[0]

    def _check_new(self, cert: x509.Certificate) -> None:
        cert_id = crypto.fingerprint(cert)
        existing = self.by_id.get(cert_id)
        if existing is not None:
            raise already_exists(
                "The certificate is already provisioned or registered", resource_id=cert_id, resource_arn=existing.arn
            )

    def _add(self, cert: x509.Certificate, status: str, mode: str, ca_id: Optional[str] = None) -> Certificate:
        record = Certificate.from_x509(self._backend, cert, "cert", status, mode, ca_id=ca_id)
        self.by_id[record.cert_id] = record
        return record

    # --- UpdateCertificate / DeleteCertificate ---------------------------------------
    def update_status(self, cert_id: str, new_status: str) -> Certificate:
        cert = self.get(cert_id)
        if new_status in INTERNAL_STATUSES:
            raise state_error(f"The status {new_status} is used internally by AWS IoT and cannot be set.")
        if cert.status == "PENDING_TRANSFER":
            raise state_error(f"The certificate {cert.cert_id} is being transferred and cannot be updated.")
        if cert.status == "REVOKED" and new_status != "REVOKED":
            raise state_error(f"The certificate {cert.cert_id} is REVOKED; a revoked certificate stays revoked.")
        if cert.status != new_status:  # idempotent: the same status again changes nothing
            cert.status = new_status
            self._backend.auth_epoch += 1  # the MQTT listener drops its connections if not ACTIVE
            cert.touch(self._backend.now())
        return cert

    def delete(self, cert_id: str, force: bool) -> None:
        cert = self.get(cert_id)
        if cert.status == "ACTIVE":
            raise state_error(f"Certificate must be deactivated (not ACTIVE) before deletion. Id: {cert.cert_id}")
        if cert.status == "PENDING_TRANSFER":
            raise state_error(f"The certificate {cert.cert_id} is being transferred and cannot be deleted.")
        if self._backend.principals.things_of(cert.arn):
            raise ServiceError("DeleteConflictException", f"Things must be detached before deletion (arn: {cert.arn})")
        policies = self._backend.policies
        if policies.attached_to(cert.arn):
            if not force:
                message = f"Certificate policies must be detached before deletion (arn: {cert.arn})"
                raise ServiceError("DeleteConflictException", message)
            policies.forget_target(cert.arn)
        del self.by_id[cert.cert_id]

    def listing(self, ca_id: Optional[str] = None) -> List[Certificate]:
        return [cert for cert in self.by_id.values() if ca_id is None or cert.ca_id == ca_id.lower()]


def _status(set_as_active: Optional[bool]) -> str:
    return "ACTIVE" if set_as_active else "INACTIVE"


def _registration_status(status: Optional[str], set_as_active: Optional[bool]) -> str:
    """``status`` if given (never an internal one), else ACTIVE/INACTIVE from ``setAsActive``."""
    if status is None:
        return _status(set_as_active)
    if status in INTERNAL_STATUSES:
        raise state_error(f"A certificate cannot be registered with the status {status}.")
    return status


def _load(pem: str) -> x509.Certificate:
    try:
        return crypto.load_certificate(pem)
    except crypto.CertificateError as error:
        raise validation_error(str(error)) from None
