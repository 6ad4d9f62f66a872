"""RegisterCertificate (signed by a CA the account registered), RegisterCertificateWithoutCA,
ListCertificatesByCA."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from certs_support import csr, make_ca, new_key, pem, register_ca, sign
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from refusal_support import refused

from mock_iotjobs import MockIotJobs


def _id(cert: x509.Certificate) -> str:
    return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()


def test_register_a_certificate_signed_by_a_registered_ca(iot: Any, mock: MockIotJobs) -> None:
    key, ca, ca_id = register_ca(iot)
    device = sign(key, ca, "device-1")
    registered = iot.register_certificate(certificatePem=pem(device), setAsActive=True)
    assert registered["certificateId"] == _id(device)
    assert registered["certificateArn"] == f"arn:aws:iot:us-east-1:123456789012:cert/{_id(device)}"
    described = iot.describe_certificate(certificateId=registered["certificateId"])["certificateDescription"]
    assert described["caCertificateId"] == ca_id
    assert described["status"] == "ACTIVE"
    assert described["certificateMode"] == "DEFAULT"
    assert described["certificatePem"] == pem(device)
    assert mock.certificates()[0].ca_certificate_id == ca_id


def test_register_with_the_ca_pem_and_a_status(iot: Any) -> None:
    key, ca, ca_id = register_ca(iot)
    for status in ("INACTIVE", "REVOKED", "ACTIVE"):
        device = sign(key, ca, f"device-{status}")
        cert_id = iot.register_certificate(certificatePem=pem(device), caCertificatePem=pem(ca), status=status)[
            "certificateId"
        ]
        assert iot.describe_certificate(certificateId=cert_id)["certificateDescription"]["status"] == status
    plain = iot.register_certificate(certificatePem=pem(sign(key, ca, "plain")))["certificateId"]
    assert iot.describe_certificate(certificateId=plain)["certificateDescription"]["status"] == "INACTIVE"


def test_certificates_take_the_mode_of_their_ca(iot: Any) -> None:
    key, ca = make_ca("SNI CA")
    ca_id = iot.register_ca_certificate(caCertificate=pem(ca), certificateMode="SNI_ONLY", setAsActive=True)[
        "certificateId"
    ]
    cert_id = iot.register_certificate(certificatePem=pem(sign(key, ca, "d")))["certificateId"]
    described = iot.describe_certificate(certificateId=cert_id)["certificateDescription"]
    assert (described["certificateMode"], described["caCertificateId"]) == ("SNI_ONLY", ca_id)


def test_register_refused_when_no_registered_ca_signed_it(iot: Any, mock: MockIotJobs) -> None:
    register_ca(iot)
    stranger_key, stranger = make_ca("Stranger CA")
    device = pem(sign(stranger_key, stranger, "d"))
    refused(mock, iot.register_certificate, "CertificateValidationException", 400, certificatePem=device)
    refused(
        mock, iot.register_certificate, "CertificateValidationException", 400,
        certificatePem=device, caCertificatePem=pem(stranger),
    )


def test_register_refused_when_the_given_ca_did_not_sign_it(iot: Any, mock: MockIotJobs) -> None:
    key, ca, _ = register_ca(iot, cn="CA one")
    _, other, _ = register_ca(iot, cn="CA two")
    refused(
        mock, iot.register_certificate, "CertificateValidationException", 400,
        certificatePem=pem(sign(key, ca, "d")), caCertificatePem=pem(other),
    )


def test_register_refused_while_the_ca_is_inactive(iot: Any, mock: MockIotJobs) -> None:
    key, ca, _ = register_ca(iot, setAsActive=False)
    refused(mock, iot.register_certificate, "CertificateStateException", 406, certificatePem=pem(sign(key, ca, "d")))


def test_two_registered_cas_with_the_same_subject_and_key_conflict(iot: Any, mock: MockIotJobs) -> None:
    key = new_key()
    _, first = make_ca("Twin CA", key=key)
    _, second = make_ca("Twin CA", key=key)
    code = iot.get_registration_code()["registrationCode"]
    for ca in (first, second):
        iot.register_ca_certificate(
            caCertificate=pem(ca), verificationCertificate=pem(sign(key, ca, code)), setAsActive=True
        )
    device = pem(sign(key, first, "d"))
    refused(mock, iot.register_certificate, "CertificateConflictException", 409, certificatePem=device)
    cert_id = iot.register_certificate(certificatePem=device, caCertificatePem=pem(second))["certificateId"]
    assert iot.describe_certificate(certificateId=cert_id)["certificateDescription"]["caCertificateId"] == _id(second)


def test_registering_a_certificate_twice(iot: Any, mock: MockIotJobs) -> None:
    key, ca, _ = register_ca(iot)
    device = pem(sign(key, ca, "d"))
    cert_id = iot.register_certificate(certificatePem=device)["certificateId"]
    before = mock.backend().snapshot()
    with pytest.raises(iot.exceptions.ResourceAlreadyExistsException) as caught:
        iot.register_certificate(certificatePem=device)
    assert caught.value.response["resourceId"] == cert_id
    assert mock.backend().snapshot() == before
    refused(mock, iot.register_certificate_without_ca, "ResourceAlreadyExistsException", 409, certificatePem=device)


def test_a_certificate_the_mock_issued_is_already_registered(iot: Any, mock: MockIotJobs) -> None:
    created = iot.create_certificate_from_csr(certificateSigningRequest=csr())
    refused(
        mock, iot.register_certificate_without_ca, "ResourceAlreadyExistsException", 409,
        certificatePem=created["certificatePem"],
    )


@pytest.mark.parametrize("status", ["PENDING_TRANSFER", "PENDING_ACTIVATION"])
def test_register_with_an_internal_status_is_refused(iot: Any, mock: MockIotJobs, status: str) -> None:
    key, ca, _ = register_ca(iot)
    device = pem(sign(key, ca, "d"))
    refused(mock, iot.register_certificate, "CertificateStateException", 406, certificatePem=device, status=status)
    refused(mock, iot.register_certificate_without_ca, "CertificateStateException", 406, certificatePem=device,
            status=status)


def test_malformed_certificate_is_refused(iot: Any, mock: MockIotJobs) -> None:
    register_ca(iot)
    for call in (iot.register_certificate, iot.register_certificate_without_ca):
        refused(mock, call, "CertificateValidationException", 400, certificatePem="-----BEGIN CERTIFICATE-----\nx")


# --- RegisterCertificateWithoutCA ---------------------------------------------------------
def test_register_without_ca(iot: Any) -> None:
    key, self_signed = make_ca("Lonely device", ca=False)
    registered = iot.register_certificate_without_ca(certificatePem=pem(self_signed), status="ACTIVE")
    assert registered["certificateId"] == _id(self_signed)
    described = iot.describe_certificate(certificateId=registered["certificateId"])["certificateDescription"]
    assert (described["status"], described["certificateMode"]) == ("ACTIVE", "SNI_ONLY")
    assert "caCertificateId" not in described
    other = iot.register_certificate_without_ca(certificatePem=pem(sign(key, self_signed, "x")))["certificateId"]
    assert iot.describe_certificate(certificateId=other)["certificateDescription"]["status"] == "INACTIVE"


# --- ListCertificatesByCA -----------------------------------------------------------------
def test_list_certificates_by_ca(iot: Any, mock: MockIotJobs) -> None:
    key, ca, ca_id = register_ca(iot, cn="CA one")
    other_key, other, _ = register_ca(iot, cn="CA two")
    mine = []
    for n in range(3):
        mine.append(iot.register_certificate(certificatePem=pem(sign(key, ca, f"d{n}")))["certificateId"])
        mock.advance_time(seconds=1)
    iot.register_certificate(certificatePem=pem(sign(other_key, other, "theirs")))
    iot.create_certificate_from_csr(certificateSigningRequest=csr())
    listed = iot.list_certificates_by_ca(caCertificateId=ca_id)
    assert [c["certificateId"] for c in listed["certificates"]] == mine[::-1]
    first = iot.list_certificates_by_ca(caCertificateId=ca_id.upper(), pageSize=2, ascendingOrder=True)
    assert [c["certificateId"] for c in first["certificates"]] == mine[:2]
    rest = iot.list_certificates_by_ca(
        caCertificateId=ca_id, pageSize=2, ascendingOrder=True, marker=first["nextMarker"]
    )
    assert [c["certificateId"] for c in rest["certificates"]] == mine[2:]
    assert len(iot.list_certificates()["certificates"]) == 5


def test_certificates_outlive_their_deleted_ca(iot: Any) -> None:
    key, ca, ca_id = register_ca(iot)
    cert_id = iot.register_certificate(certificatePem=pem(sign(key, ca, "d")))["certificateId"]
    iot.update_ca_certificate(certificateId=ca_id, newStatus="INACTIVE")
    iot.delete_ca_certificate(certificateId=ca_id)
    assert iot.describe_certificate(certificateId=cert_id)["certificateDescription"]["caCertificateId"] == ca_id
    assert [c["certificateId"] for c in iot.list_certificates_by_ca(caCertificateId=ca_id)["certificates"]] == [cert_id]


def test_list_by_an_unknown_ca_is_empty(iot: Any) -> None:
    assert iot.list_certificates_by_ca(caCertificateId="a" * 64)["certificates"] == []
