"""Helpers of the certificate and thing-principal tests: a CA of the test's own
(EC P-256, so making one is instant), certificates it signs, CSRs, and the
(code, status, message) of a refused call (``refusal_support.refused`` checks that
it changed nothing)."""

from __future__ import annotations

import datetime
from typing import Any, Callable, Optional, Tuple

import pytest
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

Key = ec.EllipticCurvePrivateKey
_NOW = datetime.datetime.now(datetime.timezone.utc)
_LATER = _NOW + datetime.timedelta(days=3650)


def name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def new_key() -> Key:
    return ec.generate_private_key(ec.SECP256R1())


def pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def make_ca(cn: str = "Test Root CA", key: Optional[Key] = None, ca: bool = True) -> Tuple[Key, x509.Certificate]:
    key = key or new_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name(cn))
        .issuer_name(name(cn))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_NOW - datetime.timedelta(days=1))
        .not_valid_after(_LATER)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def sign(issuer_key: Key, issuer: x509.Certificate, cn: str, key: Optional[Key] = None) -> x509.Certificate:
    """A leaf certificate with subject ``cn``, issued by ``issuer`` and signed with ``issuer_key``."""
    subject_key = key or new_key()
    return (
        x509.CertificateBuilder()
        .subject_name(name(cn))
        .issuer_name(issuer.subject)
        .public_key(subject_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_NOW - datetime.timedelta(days=1))
        .not_valid_after(_LATER)
        .sign(issuer_key, hashes.SHA256())
    )


def csr(cn: str = "device-1", key: Any = None) -> str:
    request = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(name(cn))
        .sign(key or new_key(), hashes.SHA256())
    )
    return request.public_bytes(serialization.Encoding.PEM).decode()


def register_ca(iot: Any, cn: str = "Test Root CA", **params: Any) -> Tuple[Key, x509.Certificate, str]:
    """Register a new CA of our own in DEFAULT mode (ACTIVE unless told); returns key, cert and id."""
    key, ca = make_ca(cn)
    code = iot.get_registration_code()["registrationCode"]
    params.setdefault("setAsActive", True)
    answer = iot.register_ca_certificate(
        caCertificate=pem(ca), verificationCertificate=pem(sign(key, ca, code)), **params
    )
    return key, ca, answer["certificateId"]


def error_of(call: Callable[..., Any], **params: Any) -> Tuple[str, int, str]:
    """(code, HTTP status, message) of the error ``call(**params)`` answers."""
    with pytest.raises(ClientError) as caught:
        call(**params)
    response = caught.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Message"]
