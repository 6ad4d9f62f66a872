"""CreateKeysAndCertificate, CreateCertificateFromCsr, DescribeCertificate: real
certificates from the account's mock CA."""

from __future__ import annotations

import datetime
import hashlib
from typing import Any

from certs_support import csr, error_of, new_key
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from refusal_support import refused

from mock_iotjobs import MockIotJobs

ARN = "arn:aws:iot:us-east-1:123456789012:cert/{}"


def _der_sha256(certificate_pem: str) -> str:
    cert = x509.load_pem_x509_certificate(certificate_pem.encode())
    return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()


def test_create_keys_and_certificate_returns_a_real_signed_pair(iot: Any, mock: MockIotJobs) -> None:
    created = iot.create_keys_and_certificate(setAsActive=True)
    cert = x509.load_pem_x509_certificate(created["certificatePem"].encode())
    private = serialization.load_pem_private_key(created["keyPair"]["PrivateKey"].encode(), password=None)
    public = serialization.load_pem_public_key(created["keyPair"]["PublicKey"].encode())
    # RSA 2048, as AWS issues, and the three pieces belong together.
    assert isinstance(private, rsa.RSAPrivateKey) and private.key_size == 2048
    assert created["keyPair"]["PrivateKey"].startswith("-----BEGIN RSA PRIVATE KEY-----")
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    enc = serialization.Encoding.PEM
    assert public.public_bytes(enc, spki) == private.public_key().public_bytes(enc, spki)
    assert cert.public_key().public_bytes(enc, spki) == public.public_bytes(enc, spki)
    # The id is the SHA-256 of the DER, and the ARN ends with it.
    assert created["certificateId"] == _der_sha256(created["certificatePem"])
    assert len(created["certificateId"]) == 64 and created["certificateId"] == created["certificateId"].lower()
    assert created["certificateArn"] == ARN.format(created["certificateId"])
    # Signed by the account's mock CA, which the handle hands out for a test (or TLS peer) to trust.
    ca = x509.load_pem_x509_certificate(mock.ca_certificate_pem().encode())
    cert.verify_directly_issued_by(ca)
    assert cert.not_valid_after_utc == datetime.datetime(2049, 12, 31, 23, 59, 59, tzinfo=datetime.timezone.utc)
    assert cert.subject.rfc4514_string() == "CN=AWS IoT Certificate"


def test_each_call_makes_a_new_key_and_certificate(iot: Any) -> None:
    first = iot.create_keys_and_certificate()
    second = iot.create_keys_and_certificate()
    assert first["certificateId"] != second["certificateId"]
    assert first["keyPair"]["PrivateKey"] != second["keyPair"]["PrivateKey"]


def test_set_as_active_decides_the_status(iot: Any) -> None:
    active = iot.create_keys_and_certificate(setAsActive=True)["certificateId"]
    inactive = iot.create_keys_and_certificate()["certificateId"]
    assert iot.describe_certificate(certificateId=active)["certificateDescription"]["status"] == "ACTIVE"
    assert iot.describe_certificate(certificateId=inactive)["certificateDescription"]["status"] == "INACTIVE"


def test_describe_certificate(iot: Any, mock: MockIotJobs) -> None:
    created = iot.create_keys_and_certificate(setAsActive=True)
    described = iot.describe_certificate(certificateId=created["certificateId"])["certificateDescription"]
    assert described["certificateArn"] == created["certificateArn"]
    assert described["certificateId"] == created["certificateId"]
    assert described["certificatePem"] == created["certificatePem"]
    assert described["status"] == "ACTIVE"
    assert described["ownedBy"] == "123456789012"
    assert described["customerVersion"] == 1
    assert described["certificateMode"] == "DEFAULT"
    assert described["transferData"] == {}
    assert "caCertificateId" not in described  # issued by AWS's (the mock's) own CA
    assert described["creationDate"] == described["lastModifiedDate"]
    assert abs(described["creationDate"].timestamp() - mock.now()) < 5
    cert = x509.load_pem_x509_certificate(created["certificatePem"].encode())
    assert described["validity"]["notBefore"].timestamp() == cert.not_valid_before_utc.timestamp()
    assert described["validity"]["notAfter"].timestamp() == cert.not_valid_after_utc.timestamp()


def test_describe_accepts_upper_case_ids(iot: Any) -> None:
    cert_id = iot.create_keys_and_certificate()["certificateId"]
    assert iot.describe_certificate(certificateId=cert_id.upper())["certificateDescription"]["certificateId"] == cert_id


def test_describe_missing_certificate(iot: Any) -> None:
    code, status, _ = error_of(iot.describe_certificate, certificateId="a" * 64)
    assert (code, status) == ("ResourceNotFoundException", 404)


def test_describe_validates_the_id(iot: Any) -> None:
    code, status, _ = error_of(iot.describe_certificate, certificateId="not-hex-" * 8)
    assert (code, status) == ("InvalidRequestException", 400)


def test_each_account_and_region_has_its_own_ca(make_client: Any, mock: MockIotJobs) -> None:
    here = make_client("iot").create_keys_and_certificate()
    there = make_client("iot", region="eu-west-1").create_keys_and_certificate()
    ca_here = x509.load_pem_x509_certificate(mock.ca_certificate_pem().encode())
    ca_there = x509.load_pem_x509_certificate(mock.ca_certificate_pem(region="eu-west-1").encode())
    assert ca_here != ca_there
    x509.load_pem_x509_certificate(here["certificatePem"].encode()).verify_directly_issued_by(ca_here)
    x509.load_pem_x509_certificate(there["certificatePem"].encode()).verify_directly_issued_by(ca_there)
    assert there["certificateArn"].startswith("arn:aws:iot:eu-west-1:123456789012:cert/")
    assert mock.ca_certificate_pem() == mock.ca_certificate_pem()  # cached, not remade


# --- CreateCertificateFromCsr --------------------------------------------------------
def test_certificate_from_csr_keeps_the_key_and_subject(iot: Any, mock: MockIotJobs) -> None:
    key = new_key()
    created = iot.create_certificate_from_csr(certificateSigningRequest=csr("sensor-7", key), setAsActive=True)
    cert = x509.load_pem_x509_certificate(created["certificatePem"].encode())
    assert cert.public_key().public_numbers() == key.public_key().public_numbers()
    assert cert.subject.rfc4514_string() == "CN=sensor-7"
    cert.verify_directly_issued_by(x509.load_pem_x509_certificate(mock.ca_certificate_pem().encode()))
    assert created["certificateId"] == _der_sha256(created["certificatePem"])
    assert created["certificateArn"] == ARN.format(created["certificateId"])
    described = iot.describe_certificate(certificateId=created["certificateId"])["certificateDescription"]
    assert described["status"] == "ACTIVE"
    assert described["certificateMode"] == "DEFAULT"


def test_the_same_csr_twice_makes_two_certificates(iot: Any) -> None:
    request = csr()
    first = iot.create_certificate_from_csr(certificateSigningRequest=request)
    second = iot.create_certificate_from_csr(certificateSigningRequest=request)
    assert first["certificateId"] != second["certificateId"]
    assert iot.describe_certificate(certificateId=first["certificateId"])["certificateDescription"]["status"] == (
        "INACTIVE"
    )


def test_malformed_csr_is_refused(iot: Any, mock: MockIotJobs) -> None:
    for bad in ("not a csr", "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n"):
        refused(mock, iot.create_certificate_from_csr, "InvalidRequestException", 400, certificateSigningRequest=bad)
    assert mock.certificates() == []


def test_csr_with_a_key_aws_does_not_accept_is_refused(iot: Any, mock: MockIotJobs) -> None:
    weak_rsa = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    refused(mock, iot.create_certificate_from_csr, "InvalidRequestException", 400, certificateSigningRequest=csr(
        key=weak_rsa
    ))
    other_curve = ec.generate_private_key(ec.SECP256K1())
    refused(mock, iot.create_certificate_from_csr, "InvalidRequestException", 400, certificateSigningRequest=csr(
        key=other_curve
    ))


def test_csr_with_a_p384_key_is_accepted(iot: Any) -> None:
    key = ec.generate_private_key(ec.SECP384R1())
    created = iot.create_certificate_from_csr(certificateSigningRequest=csr(key=key))
    cert = x509.load_pem_x509_certificate(created["certificatePem"].encode())
    assert cert.public_key().public_numbers() == key.public_key().public_numbers()


def test_the_snapshot_holds_no_private_key(iot: Any, mock: MockIotJobs) -> None:
    created = iot.create_keys_and_certificate(setAsActive=True)
    text = repr(mock.backend().snapshot())
    assert created["certificateId"] in text
    assert "PRIVATE KEY" not in text
    assert created["keyPair"]["PrivateKey"] not in text


def test_ec_device_keys_on_request(iot: Any, monkeypatch: Any) -> None:
    """MOCK_IOTJOBS_DEVICE_KEYS=ec: instant EC P-256 pairs for suites that provision thousands of devices."""
    monkeypatch.setenv("MOCK_IOTJOBS_DEVICE_KEYS", "ec")
    created = iot.create_keys_and_certificate()
    private = serialization.load_pem_private_key(created["keyPair"]["PrivateKey"].encode(), password=None)
    assert isinstance(private, ec.EllipticCurvePrivateKey) and private.curve.name == "secp256r1"
    assert created["keyPair"]["PrivateKey"].startswith("-----BEGIN EC PRIVATE KEY-----")
    cert = x509.load_pem_x509_certificate(created["certificatePem"].encode())
    assert cert.public_key().public_numbers() == private.public_key().public_numbers()
