"""The certificate domain's X.509 helpers: signature checks for every key type a CA
may have, CSR acceptance, the mock CA's certificates."""

from __future__ import annotations

import base64
import datetime
import hashlib
from typing import Any, Optional

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import NameOID

from mock_iotjobs.backend.security import crypto

NOW = datetime.datetime.now(datetime.timezone.utc)


def _cert(subject_key: Any, signer: Any, ca: bool = False, algorithm: Optional[Any] = None) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "x")])
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(subject_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - datetime.timedelta(days=1))
        .not_valid_after(NOW + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .sign(signer, algorithm)
    )


@pytest.mark.parametrize(
    "make_key, algorithm",
    [
        (lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048), hashes.SHA256()),
        (lambda: ec.generate_private_key(ec.SECP384R1()), hashes.SHA384()),
        (lambda: ed25519.Ed25519PrivateKey.generate(), None),
    ],
    ids=["rsa", "ec", "ed25519"],
)
def test_signed_by_checks_the_signature_for_each_key_type(make_key: Any, algorithm: Any) -> None:
    issuer_key, other_key = make_key(), make_key()
    issuer = _cert(issuer_key, issuer_key, ca=True, algorithm=algorithm)
    leaf = _cert(ec.generate_private_key(ec.SECP256R1()), issuer_key, algorithm=algorithm)
    forged = _cert(ec.generate_private_key(ec.SECP256R1()), other_key, algorithm=algorithm)
    assert crypto.signed_by(leaf, issuer)
    assert not crypto.signed_by(forged, issuer)


def test_fingerprint_is_the_der_sha256() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    cert = _cert(key, key, algorithm=hashes.SHA256())
    assert crypto.fingerprint(cert) == hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()


def test_is_ca_reads_basic_constraints() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    assert crypto.is_ca(_cert(key, key, ca=True, algorithm=hashes.SHA256()))
    assert not crypto.is_ca(_cert(key, key, ca=False, algorithm=hashes.SHA256()))


def test_mock_ca_issues_verifiable_certificates() -> None:
    ca = crypto.MockCA("123456789012", "us-east-1", NOW.timestamp())
    assert crypto.is_ca(ca.certificate)
    key = ec.generate_private_key(ec.SECP256R1())
    issued = ca.issue(key.public_key(), NOW.timestamp())
    issued.verify_directly_issued_by(ca.certificate)
    assert crypto.common_name(issued) == "AWS IoT Certificate"
    assert issued.not_valid_after_utc == crypto.NOT_AFTER


def test_load_certificate_refuses_garbage() -> None:
    with pytest.raises(crypto.CertificateError):
        crypto.load_certificate("-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n")


def test_load_csr_refuses_a_bad_self_signature() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "d")])
    der = bytearray(
        x509.CertificateSigningRequestBuilder().subject_name(name).sign(key, hashes.SHA256()).public_bytes(
            serialization.Encoding.DER
        )
    )
    der[-5] ^= 0xFF  # corrupt the signature
    body = base64.encodebytes(bytes(der)).decode()
    pem = f"-----BEGIN CERTIFICATE REQUEST-----\n{body}-----END CERTIFICATE REQUEST-----\n"
    with pytest.raises(crypto.CertificateError):
        crypto.load_csr(pem)
