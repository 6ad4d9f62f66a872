"""GetRegistrationCode, DeleteRegistrationCode, RegisterCACertificate (proof of
possession with a verification certificate, DEFAULT / SNI_ONLY), DescribeCACertificate,
UpdateCACertificate, DeleteCACertificate, ListCACertificates."""

from __future__ import annotations

import hashlib
from typing import Any, Dict, List

import pytest
from certs_support import error_of, make_ca, new_key, pem, register_ca, sign
from cryptography.hazmat.primitives import serialization
from refusal_support import refused

from mock_iotjobs import MockIotJobs

CA_ARN = "arn:aws:iot:us-east-1:123456789012:cacert/{}"


# --- registration code ------------------------------------------------------------------
def test_registration_code_is_stable_until_deleted(iot: Any) -> None:
    code = iot.get_registration_code()["registrationCode"]
    assert len(code) == 64 and int(code, 16) >= 0
    assert iot.get_registration_code()["registrationCode"] == code
    iot.delete_registration_code()
    assert iot.get_registration_code()["registrationCode"] != code


def test_delete_registration_code_when_there_is_none(iot: Any) -> None:
    code, status, _ = error_of(iot.delete_registration_code)
    assert (code, status) == ("ResourceNotFoundException", 404)


def test_registration_codes_differ_between_regions(make_client: Any) -> None:
    here = make_client("iot").get_registration_code()["registrationCode"]
    there = make_client("iot", region="eu-west-1").get_registration_code()["registrationCode"]
    assert here != there


# --- RegisterCACertificate -------------------------------------------------------------
def test_register_and_describe_a_ca(iot: Any, mock: MockIotJobs) -> None:
    key, ca = make_ca("Fleet Root")
    code = iot.get_registration_code()["registrationCode"]
    config = {"templateBody": "{}", "roleArn": "arn:aws:iam::123456789012:role/provisioning"}
    registered = iot.register_ca_certificate(
        caCertificate=pem(ca),
        verificationCertificate=pem(sign(key, ca, code)),
        setAsActive=True,
        allowAutoRegistration=True,
        registrationConfig=config,
        tags=[{"Key": "team", "Value": "fleet"}],
    )
    ca_id = hashlib.sha256(ca.public_bytes(serialization.Encoding.DER)).hexdigest()
    assert registered["certificateId"] == ca_id
    assert registered["certificateArn"] == CA_ARN.format(ca_id)
    described = iot.describe_ca_certificate(certificateId=ca_id)
    description = described["certificateDescription"]
    assert description["certificateArn"] == CA_ARN.format(ca_id)
    assert description["status"] == "ACTIVE"
    assert description["autoRegistrationStatus"] == "ENABLE"
    assert description["certificateMode"] == "DEFAULT"
    assert description["ownedBy"] == "123456789012"
    assert description["customerVersion"] == 1
    assert description["certificatePem"] == pem(ca)
    assert description["validity"]["notAfter"].timestamp() == ca.not_valid_after_utc.timestamp()
    assert described["registrationConfig"] == config
    tags = iot.list_tags_for_resource(resourceArn=registered["certificateArn"])["tags"]
    assert tags == [{"Key": "team", "Value": "fleet"}]


def test_register_defaults_inactive_without_auto_registration(iot: Any) -> None:
    _, _, ca_id = register_ca(iot, setAsActive=False)
    described = iot.describe_ca_certificate(certificateId=ca_id)
    assert described["certificateDescription"]["status"] == "INACTIVE"
    assert described["certificateDescription"]["autoRegistrationStatus"] == "DISABLE"
    assert "registrationConfig" not in described


def test_register_in_sni_only_mode_needs_no_verification(iot: Any) -> None:
    _, ca = make_ca()
    ca_id = iot.register_ca_certificate(caCertificate=pem(ca), certificateMode="SNI_ONLY")["certificateId"]
    assert iot.describe_ca_certificate(certificateId=ca_id)["certificateDescription"]["certificateMode"] == "SNI_ONLY"


def test_sni_only_refuses_a_verification_certificate(iot: Any, mock: MockIotJobs) -> None:
    key, ca = make_ca()
    code = iot.get_registration_code()["registrationCode"]
    refused(
        mock, iot.register_ca_certificate, "InvalidRequestException", 400,
        caCertificate=pem(ca), verificationCertificate=pem(sign(key, ca, code)), certificateMode="SNI_ONLY",
    )


def test_default_mode_needs_a_verification_certificate(iot: Any, mock: MockIotJobs) -> None:
    _, ca = make_ca()
    refused(mock, iot.register_ca_certificate, "InvalidRequestException", 400, caCertificate=pem(ca))


def test_verification_with_the_wrong_common_name(iot: Any, mock: MockIotJobs) -> None:
    key, ca = make_ca()
    iot.get_registration_code()
    refused(
        mock, iot.register_ca_certificate, "RegistrationCodeValidationException", 400,
        caCertificate=pem(ca), verificationCertificate=pem(sign(key, ca, "0" * 64)),
    )


def test_verification_not_signed_by_the_ca_key(iot: Any, mock: MockIotJobs) -> None:
    _, ca = make_ca()
    code = iot.get_registration_code()["registrationCode"]
    refused(
        mock, iot.register_ca_certificate, "CertificateValidationException", 400,
        caCertificate=pem(ca), verificationCertificate=pem(sign(new_key(), ca, code)),
    )


def test_a_certificate_that_is_not_a_ca_is_refused(iot: Any, mock: MockIotJobs) -> None:
    key, not_ca = make_ca(ca=False)
    code = iot.get_registration_code()["registrationCode"]
    refused(
        mock, iot.register_ca_certificate, "CertificateValidationException", 400,
        caCertificate=pem(not_ca), verificationCertificate=pem(sign(key, not_ca, code)),
    )


def test_malformed_ca_certificate_is_refused(iot: Any, mock: MockIotJobs) -> None:
    refused(
        mock, iot.register_ca_certificate, "CertificateValidationException", 400,
        caCertificate="garbage", certificateMode="SNI_ONLY",
    )


def test_registering_the_same_ca_twice(iot: Any, mock: MockIotJobs) -> None:
    key, ca, ca_id = register_ca(iot)
    code = iot.get_registration_code()["registrationCode"]
    before = mock.backend().snapshot()
    with pytest.raises(iot.exceptions.ResourceAlreadyExistsException) as caught:
        iot.register_ca_certificate(caCertificate=pem(ca), verificationCertificate=pem(sign(key, ca, code)))
    response = caught.value.response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 409
    assert response["resourceId"] == ca_id
    assert response["resourceArn"] == CA_ARN.format(ca_id)
    assert mock.backend().snapshot() == before


def test_at_most_ten_cas_with_the_same_subject(iot: Any, mock: MockIotJobs) -> None:
    for _ in range(10):
        register_ca(iot, cn="Same Subject")
    key, ca = make_ca("Same Subject")
    code = iot.get_registration_code()["registrationCode"]
    refused(
        mock, iot.register_ca_certificate, "LimitExceededException", 410,
        caCertificate=pem(ca), verificationCertificate=pem(sign(key, ca, code)),
    )
    register_ca(iot, cn="Another Subject")


# --- Update / Delete -----------------------------------------------------------------------
def test_update_status_and_auto_registration(iot: Any, mock: MockIotJobs) -> None:
    _, _, ca_id = register_ca(iot)
    mock.advance_time(seconds=5)
    iot.update_ca_certificate(certificateId=ca_id, newStatus="INACTIVE", newAutoRegistrationStatus="ENABLE")
    described = iot.describe_ca_certificate(certificateId=ca_id)["certificateDescription"]
    assert (described["status"], described["autoRegistrationStatus"]) == ("INACTIVE", "ENABLE")
    assert described["customerVersion"] == 2
    assert described["lastModifiedDate"] > described["creationDate"]


def test_update_and_remove_the_registration_config(iot: Any, mock: MockIotJobs) -> None:
    _, _, ca_id = register_ca(iot)
    iot.update_ca_certificate(certificateId=ca_id, registrationConfig={"templateName": "fleet-template"})
    assert iot.describe_ca_certificate(certificateId=ca_id)["registrationConfig"] == {"templateName": "fleet-template"}
    refused(
        mock, iot.update_ca_certificate, "InvalidRequestException", 400,
        certificateId=ca_id, registrationConfig={"templateName": "x"}, removeAutoRegistration=True,
    )
    iot.update_ca_certificate(certificateId=ca_id, removeAutoRegistration=True)
    assert "registrationConfig" not in iot.describe_ca_certificate(certificateId=ca_id)


def test_update_missing_ca(iot: Any, mock: MockIotJobs) -> None:
    missing = "d" * 64
    update = iot.update_ca_certificate
    refused(mock, update, "ResourceNotFoundException", 404, certificateId=missing, newStatus="ACTIVE")


def test_delete_refused_while_active(iot: Any, mock: MockIotJobs) -> None:
    _, _, ca_id = register_ca(iot)
    refused(mock, iot.delete_ca_certificate, "CertificateStateException", 406, certificateId=ca_id)
    iot.update_ca_certificate(certificateId=ca_id, newStatus="INACTIVE")
    iot.delete_ca_certificate(certificateId=ca_id)
    code, status, _ = error_of(iot.describe_ca_certificate, certificateId=ca_id)
    assert (code, status) == ("ResourceNotFoundException", 404)
    assert iot.list_ca_certificates()["certificates"] == []


def test_delete_missing_ca(iot: Any, mock: MockIotJobs) -> None:
    refused(mock, iot.delete_ca_certificate, "ResourceNotFoundException", 404, certificateId="e" * 64)


def test_describe_missing_ca(iot: Any) -> None:
    code, status, _ = error_of(iot.describe_ca_certificate, certificateId="f" * 64)
    assert (code, status) == ("ResourceNotFoundException", 404)


# --- ListCACertificates -------------------------------------------------------------------
def test_list_cas_order_paging_and_template_filter(iot: Any, mock: MockIotJobs) -> None:
    ids: List[str] = []
    for n in range(3):
        config: Dict[str, Any] = {"registrationConfig": {"templateName": "tpl"}} if n == 1 else {}
        ids.append(register_ca(iot, cn=f"CA {n}", **config)[2])
        mock.advance_time(seconds=1)
    listed = iot.list_ca_certificates()["certificates"]
    assert [c["certificateId"] for c in listed] == ids[::-1]
    assert set(listed[0]) == {"certificateArn", "certificateId", "status", "creationDate"}
    first = iot.list_ca_certificates(pageSize=2, ascendingOrder=True)
    assert [c["certificateId"] for c in first["certificates"]] == ids[:2]
    rest = iot.list_ca_certificates(pageSize=2, ascendingOrder=True, marker=first["nextMarker"])
    assert [c["certificateId"] for c in rest["certificates"]] == ids[2:]
    assert "nextMarker" not in rest
    assert [c["certificateId"] for c in iot.list_ca_certificates(templateName="tpl")["certificates"]] == [ids[1]]


def test_ca_tags_go_with_the_ca(iot: Any, mock: MockIotJobs) -> None:
    _, _, ca_id = register_ca(iot, setAsActive=False, tags=[{"Key": "a", "Value": "1"}])
    arn = CA_ARN.format(ca_id)
    iot.tag_resource(resourceArn=arn, tags=[{"Key": "b", "Value": "2"}])
    assert {t["Key"] for t in iot.list_tags_for_resource(resourceArn=arn)["tags"]} == {"a", "b"}
    iot.delete_ca_certificate(certificateId=ca_id)
    assert error_of(iot.list_tags_for_resource, resourceArn=arn)[:2] == ("ResourceNotFoundException", 404)


def test_too_many_tags_at_registration(iot: Any, mock: MockIotJobs) -> None:
    key, ca = make_ca()
    code = iot.get_registration_code()["registrationCode"]
    tags = [{"Key": f"k{n}", "Value": "v"} for n in range(51)]
    refused(
        mock, iot.register_ca_certificate, "LimitExceededException", 410,
        caCertificate=pem(ca), verificationCertificate=pem(sign(key, ca, code)), tags=tags,
    )
