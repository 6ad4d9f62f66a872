"""UpdateCertificate (the status transitions AWS allows), DeleteCertificate (refused
while ACTIVE or attached), ListCertificates (marker paging, order)."""

from __future__ import annotations

from typing import Any, Dict, List

import pytest
from botocore.exceptions import ClientError
from certs_support import csr, error_of
from refusal_support import refused

from mock_iotjobs import MockIotJobs


def new_cert(iot: Any, active: bool = False) -> Dict[str, Any]:
    """A certificate from a CSR with an EC key: as real as CreateKeysAndCertificate's, but instant."""
    return dict(iot.create_certificate_from_csr(certificateSigningRequest=csr(), setAsActive=active))


def status_of(iot: Any, cert_id: str) -> str:
    return str(iot.describe_certificate(certificateId=cert_id)["certificateDescription"]["status"])


# --- UpdateCertificate ---------------------------------------------------------------
def test_update_moves_between_active_inactive_and_revoked(iot: Any) -> None:
    cert_id = new_cert(iot)["certificateId"]
    for status in ("ACTIVE", "INACTIVE", "ACTIVE", "REVOKED"):
        iot.update_certificate(certificateId=cert_id, newStatus=status)
        assert status_of(iot, cert_id) == status


def test_update_bumps_version_and_modified_date(iot: Any, mock: MockIotJobs) -> None:
    cert_id = new_cert(iot)["certificateId"]
    before = iot.describe_certificate(certificateId=cert_id)["certificateDescription"]
    mock.advance_time(seconds=30)
    iot.update_certificate(certificateId=cert_id, newStatus="ACTIVE")
    after = iot.describe_certificate(certificateId=cert_id)["certificateDescription"]
    assert after["customerVersion"] == before["customerVersion"] + 1
    assert after["generationId"] != before["generationId"]
    assert (after["lastModifiedDate"] - before["lastModifiedDate"]).total_seconds() == pytest.approx(30, abs=1)
    assert after["creationDate"] == before["creationDate"]


def test_update_to_the_same_status_is_idempotent(iot: Any) -> None:
    cert_id = new_cert(iot, active=True)["certificateId"]
    iot.update_certificate(certificateId=cert_id, newStatus="ACTIVE")
    described = iot.describe_certificate(certificateId=cert_id)["certificateDescription"]
    assert (described["status"], described["customerVersion"]) == ("ACTIVE", 1)


def test_a_revoked_certificate_stays_revoked(iot: Any, mock: MockIotJobs) -> None:
    cert_id = new_cert(iot)["certificateId"]
    iot.update_certificate(certificateId=cert_id, newStatus="REVOKED")
    for status in ("ACTIVE", "INACTIVE"):
        refused(mock, iot.update_certificate, "CertificateStateException", 406, certificateId=cert_id, newStatus=status)
    iot.update_certificate(certificateId=cert_id, newStatus="REVOKED")  # again: fine
    assert status_of(iot, cert_id) == "REVOKED"


@pytest.mark.parametrize("status", ["PENDING_TRANSFER", "PENDING_ACTIVATION"])
def test_internal_statuses_cannot_be_set(iot: Any, mock: MockIotJobs, status: str) -> None:
    cert_id = new_cert(iot, active=True)["certificateId"]
    refused(mock, iot.update_certificate, "CertificateStateException", 406, certificateId=cert_id, newStatus=status)


def test_update_missing_certificate(iot: Any, mock: MockIotJobs) -> None:
    refused(mock, iot.update_certificate, "ResourceNotFoundException", 404, certificateId="b" * 64, newStatus="ACTIVE")


# --- DeleteCertificate ---------------------------------------------------------------------
def test_delete_an_inactive_certificate(iot: Any, mock: MockIotJobs) -> None:
    cert_id = new_cert(iot)["certificateId"]
    iot.delete_certificate(certificateId=cert_id)
    assert error_of(iot.describe_certificate, certificateId=cert_id)[0] == "ResourceNotFoundException"
    assert mock.certificates() == []


def test_delete_a_revoked_certificate(iot: Any) -> None:
    cert_id = new_cert(iot, active=True)["certificateId"]
    iot.update_certificate(certificateId=cert_id, newStatus="REVOKED")
    iot.delete_certificate(certificateId=cert_id)
    assert iot.list_certificates()["certificates"] == []


def test_delete_refused_while_active(iot: Any, mock: MockIotJobs) -> None:
    cert_id = new_cert(iot, active=True)["certificateId"]
    for force in (False, True):
        message = refused(
            mock, iot.delete_certificate, "CertificateStateException", 406, certificateId=cert_id, forceDelete=force
        )
        assert "ACTIVE" in message


def test_delete_refused_while_attached_to_a_thing_even_with_force(iot: Any, mock: MockIotJobs) -> None:
    cert = new_cert(iot)
    iot.create_thing(thingName="t1")
    iot.attach_thing_principal(thingName="t1", principal=cert["certificateArn"])
    for force in (False, True):
        message = refused(
            mock, iot.delete_certificate, "DeleteConflictException", 409, certificateId=cert["certificateId"],
            forceDelete=force,
        )
        assert cert["certificateArn"] in message
    iot.detach_thing_principal(thingName="t1", principal=cert["certificateArn"])
    iot.delete_certificate(certificateId=cert["certificateId"])


def test_delete_refused_while_a_policy_is_attached_unless_forced(iot: Any, mock: MockIotJobs) -> None:
    """Through the policies' interface (attached_to / forget_target), whatever implements it."""
    cert = new_cert(iot)
    policies = mock.backend().policies
    attached: Dict[str, List[str]] = {cert["certificateArn"]: ["device-policy"]}
    policies.attached_to = lambda target: list(attached.get(target, []))  # type: ignore[method-assign]
    policies.forget_target = lambda target: attached.pop(target, None)  # type: ignore[method-assign,assignment,return-value]
    message = refused(mock, iot.delete_certificate, "DeleteConflictException", 409, certificateId=cert["certificateId"])
    assert "polic" in message
    assert attached  # nothing was detached by the refused call
    iot.delete_certificate(certificateId=cert["certificateId"], forceDelete=True)
    assert attached == {}  # forceDelete detached the policies
    assert mock.certificates() == []


def test_delete_refused_while_a_policy_is_attached_end_to_end(iot: Any, mock: MockIotJobs) -> None:
    try:
        iot.create_policy(
            policyName="p1",
            policyDocument='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:*","Resource":"*"}]}',
        )
    except ClientError as error:
        if error.response["Error"]["Code"] == "NotImplementedException":
            pytest.skip("IoT policies are not implemented on this branch")
        raise
    cert = new_cert(iot)
    iot.attach_policy(policyName="p1", target=cert["certificateArn"])
    refused(mock, iot.delete_certificate, "DeleteConflictException", 409, certificateId=cert["certificateId"])
    iot.delete_certificate(certificateId=cert["certificateId"], forceDelete=True)
    assert iot.list_targets_for_policy(policyName="p1")["targets"] == []


def test_delete_missing_certificate(iot: Any, mock: MockIotJobs) -> None:
    refused(mock, iot.delete_certificate, "ResourceNotFoundException", 404, certificateId="c" * 64)


# --- ListCertificates ----------------------------------------------------------------------
def test_list_is_newest_first_by_default(iot: Any, mock: MockIotJobs) -> None:
    ids = []
    for _ in range(3):
        ids.append(new_cert(iot)["certificateId"])
        mock.advance_time(seconds=1)
    listed = iot.list_certificates()
    assert [c["certificateId"] for c in listed["certificates"]] == ids[::-1]
    assert "nextMarker" not in listed
    ascending = iot.list_certificates(ascendingOrder=True)["certificates"]
    assert [c["certificateId"] for c in ascending] == ids
    summary = ascending[0]
    assert set(summary) == {"certificateArn", "certificateId", "status", "certificateMode", "creationDate"}
    assert (summary["status"], summary["certificateMode"]) == ("INACTIVE", "DEFAULT")


@pytest.mark.parametrize("ascending", [False, True])
def test_list_pages_with_markers(iot: Any, ascending: bool) -> None:
    ids = [new_cert(iot)["certificateId"] for _ in range(5)]
    seen: List[str] = []
    marker = None
    pages = 0
    while True:
        params: Dict[str, Any] = {"pageSize": 2, "ascendingOrder": ascending}
        if marker:
            params["marker"] = marker
        page = iot.list_certificates(**params)
        seen += [c["certificateId"] for c in page["certificates"]]
        pages += 1
        marker = page.get("nextMarker")
        if not marker:
            break
    assert pages == 3
    assert seen == (ids if ascending else ids[::-1])


def test_list_default_page_size_is_25(iot: Any) -> None:
    for _ in range(26):
        new_cert(iot)
    first = iot.list_certificates()
    assert len(first["certificates"]) == 25
    rest = iot.list_certificates(marker=first["nextMarker"])
    assert len(rest["certificates"]) == 1 and "nextMarker" not in rest


def test_list_marker_from_elsewhere_is_refused(iot: Any) -> None:
    new_cert(iot)
    code, status, _ = error_of(iot.list_certificates, marker="Zm9vOmJhcg==")
    assert (code, status) == ("InvalidRequestException", 400)


def test_list_with_the_paginator(iot: Any) -> None:
    ids = {new_cert(iot)["certificateId"] for _ in range(4)}
    pages = iot.get_paginator("list_certificates").paginate(PaginationConfig={"PageSize": 3})
    assert {c["certificateId"] for page in pages for c in page["certificates"]} == ids
