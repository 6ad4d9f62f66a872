"""Real X.509 work for the certificate domain, with the ``cryptography`` package.

Keys and certificates are genuine, so a test can load what the mock returns,
check it with any TLS stack, and (later) use it for mutual TLS.

Key choices, made for speed without giving up fidelity where callers look:

* The mock CA of each (account, region) signs with an EC P-256 key: making one
  takes microseconds, so every backend gets its own CA and a certificate from
  one account never verifies against another account's CA.
* CreateKeysAndCertificate returns an RSA 2048 key pair, as AWS does (about
  40 ms each on a laptop); the mock never keeps the private key. A suite that
  provisions thousands of devices can set ``MOCK_IOTJOBS_DEVICE_KEYS=ec`` to get
  EC P-256 pairs instead, made in microseconds.
* The certificate id is the SHA-256 fingerprint of the DER encoding, in lowercase
  hex, as AWS computes it.
"""

from __future__ import annotations

import datetime
import hashlib
import ipaddress
import os
import time
from typing import Dict, Optional, Tuple, Union

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

# AWS issues its device certificates with this subject, valid until the end of 2049.
DEVICE_SUBJECT = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "AWS IoT Certificate")])
NOT_AFTER = datetime.datetime(2049, 12, 31, 23, 59, 59, tzinfo=datetime.timezone.utc)

IssuerKey = Union[rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey]

# Key types AWS IoT accepts in a CSR: RSA of at least 2048 bits, or NIST P-256/384/521.
_CURVES = (ec.SECP256R1, ec.SECP384R1, ec.SECP521R1)


class CertificateError(ValueError):
    """What was given is not a usable certificate (or CSR); the message says why."""


def fingerprint(cert: x509.Certificate) -> str:
    """AWS's certificate id: SHA-256 of the DER encoding, lowercase hex."""
    return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()


def to_pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def load_certificate(pem: str) -> x509.Certificate:
    """The first certificate in ``pem``; CertificateError if there is none or it is malformed."""
    try:
        return x509.load_pem_x509_certificate(pem.encode())
    except (ValueError, TypeError, UnsupportedAlgorithm) as error:
        raise CertificateError(f"The certificate is not a valid PEM-encoded X.509 certificate ({error}).") from None


def load_csr(pem: str) -> x509.CertificateSigningRequest:
    """A CSR whose self-signature holds and whose key AWS IoT accepts; CertificateError otherwise."""
    try:
        csr = x509.load_pem_x509_csr(pem.encode())
        valid = csr.is_signature_valid
        key = csr.public_key()
    except (ValueError, TypeError, UnsupportedAlgorithm) as error:
        raise CertificateError(f"The certificate signing request is not valid ({error}).") from None
    if not valid:
        raise CertificateError("The certificate signing request's signature is not valid.")
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size < 2048:
            raise CertificateError("The CSR's RSA key must be at least 2048 bits long.")
    elif isinstance(key, ec.EllipticCurvePublicKey):
        if not isinstance(key.curve, _CURVES):
            raise CertificateError("The CSR's EC key must be on NIST P-256, P-384 or P-521.")
    else:
        raise CertificateError("The CSR's key must be RSA (2048 bits or more) or ECC (NIST P-256, P-384, P-521).")
    return csr


def validity(cert: x509.Certificate) -> Tuple[float, float]:
    """(notBefore, notAfter) as epoch seconds."""
    return cert.not_valid_before_utc.timestamp(), cert.not_valid_after_utc.timestamp()


def is_ca(cert: x509.Certificate) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def signed_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """Whether ``issuer``'s key made ``cert``'s signature (names are not compared)."""
    key = issuer.public_key()
    algorithm = cert.signature_hash_algorithm
    try:
        if isinstance(key, rsa.RSAPublicKey) and algorithm is not None:
            key.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(), algorithm)
        elif isinstance(key, ec.EllipticCurvePublicKey) and algorithm is not None:
            key.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(algorithm))
        elif isinstance(key, (ed25519.Ed25519PublicKey, ed448.Ed448PublicKey)):
            key.verify(cert.signature, cert.tbs_certificate_bytes)
        else:
            return False
    except (InvalidSignature, ValueError, TypeError, UnsupportedAlgorithm):
        return False
    return True


def common_name(cert: x509.Certificate) -> Optional[str]:
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    if not names:
        return None
    value = names[0].value
    return value if isinstance(value, str) else value.decode(errors="replace")


def new_key_pair() -> Tuple[IssuerKey, str, str]:
    """A fresh device key and its (public, private) PEMs in AWS's formats: RSA 2048,
    or EC P-256 when ``MOCK_IOTJOBS_DEVICE_KEYS`` is ``ec``."""
    key: IssuerKey
    if os.environ.get("MOCK_IOTJOBS_DEVICE_KEYS", "rsa").lower() == "ec":
        key = ec.generate_private_key(ec.SECP256R1())
    else:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    )
    return key, public.decode(), private.decode()


def _utc(epoch: float) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(int(epoch), tz=datetime.timezone.utc)


def _not_before(now: float) -> datetime.datetime:
    """A day before the earlier of the mock clock and the wall clock: a test that moved
    the mock clock ahead still gets certificates a real TLS peer (which checks validity
    against the wall clock) takes as valid now."""
    return _utc(min(now, time.time()) - 86400)


class MockCA:
    """The certificate authority that signs what CreateKeysAndCertificate and
    CreateCertificateFromCsr issue in one account and region."""

    def __init__(self, account_id: str, region: str, now: float) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self._servers: Dict[Tuple[str, ...], Tuple[str, str]] = {}
        name = x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "mock_iotjobs"),
                x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, f"{account_id} {region}"),
                x509.NameAttribute(NameOID.COMMON_NAME, "mock_iotjobs AWS IoT Certificate Authority"),
            ]
        )
        public = self.key.public_key()
        self.certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(public)
            .serial_number(x509.random_serial_number())
            # A day of slack: the mock clock may be behind a TLS peer's wall clock.
            .not_valid_before(_not_before(now))
            .not_valid_after(NOT_AFTER)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
            .sign(self.key, hashes.SHA256())
        )
        self.pem = to_pem(self.certificate)

    def issue(self, public_key: object, now: float, subject: Optional[x509.Name] = None) -> x509.Certificate:
        """A device certificate for ``public_key``, signed by this CA."""
        return (
            x509.CertificateBuilder()
            .subject_name(subject if subject is not None and len(subject) else DEVICE_SUBJECT)
            .issuer_name(self.certificate.subject)
            .public_key(public_key)  # type: ignore[arg-type]
            .serial_number(x509.random_serial_number())
            .not_valid_before(_not_before(now))
            .not_valid_after(NOT_AFTER)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), critical=False
            )
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(public_key),  # type: ignore[arg-type]
                critical=False,
            )
            .sign(self.key, hashes.SHA256())
        )

    def server_identity(self, host_names: Tuple[str, ...], now: float) -> Tuple[str, str]:
        """(certificate PEM, private key PEM) of a TLS server certificate for ``host_names``
        (DNS names or IP addresses, the first one also its common name), signed by this
        CA; made once per set of names."""
        cached = self._servers.get(host_names)
        if cached is not None:
            return cached
        key = ec.generate_private_key(ec.SECP256R1())
        names: list = []
        for name in host_names:
            try:
                names.append(x509.IPAddress(ipaddress.ip_address(name)))
            except ValueError:
                names.append(x509.DNSName(name))
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host_names[0])]))
            .issuer_name(self.certificate.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(_not_before(now))
            # TLS clients refuse server certificates valid for more than ~13 months
            # only in browsers; the SDKs take this one, valid as long as the CA.
            .not_valid_after(NOT_AFTER)
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), critical=False
            )
            .sign(self.key, hashes.SHA256())
        )
        private = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
        identity = (to_pem(cert), private)
        self._servers[host_names] = identity
        return identity
