"""AttachThingPrincipal (EXCLUSIVE_THING / NON_EXCLUSIVE_THING), DetachThingPrincipal,
ListThingPrincipals(V2), ListPrincipalThings(V2), and what deleting a thing or a
certificate does while they are attached."""

from __future__ import annotations

from typing import Any, Dict, List

import boto3
import pytest
from certs_support import csr, error_of
from refusal_support import refused

from mock_iotjobs import MockIotJobs
from mock_iotjobs.server import running_server

COGNITO_ID = "us-east-1:12345678-1234-1234-1234-123456789012"


def new_cert_arn(iot: Any) -> str:
    return str(iot.create_certificate_from_csr(certificateSigningRequest=csr())["certificateArn"])


@pytest.fixture
def cert(iot: Any) -> str:
    return new_cert_arn(iot)


def principals(iot: Any, thing: str) -> List[str]:
    return list(iot.list_thing_principals(thingName=thing)["principals"])


def things(iot: Any, principal: str) -> List[str]:
    return list(iot.list_principal_things(principal=principal)["things"])


# --- attach / detach ----------------------------------------------------------------------
def test_attach_list_and_detach(iot: Any, mock: MockIotJobs, cert: str) -> None:
    iot.create_thing(thingName="t1")
    iot.attach_thing_principal(thingName="t1", principal=cert)
    assert principals(iot, "t1") == [cert]
    assert things(iot, cert) == ["t1"]
    assert iot.list_thing_principals_v2(thingName="t1")["thingPrincipalObjects"] == [
        {"principal": cert, "thingPrincipalType": "NON_EXCLUSIVE_THING"}
    ]
    assert iot.list_principal_things_v2(principal=cert)["principalThingObjects"] == [
        {"thingName": "t1", "thingPrincipalType": "NON_EXCLUSIVE_THING"}
    ]
    assert mock.certificates()[0].things == ("t1",)
    iot.detach_thing_principal(thingName="t1", principal=cert)
    assert principals(iot, "t1") == [] and things(iot, cert) == []
    assert mock.backend().snapshot()["thingPrincipals"] == {}


def test_attaching_twice_is_idempotent(iot: Any, cert: str) -> None:
    iot.create_thing(thingName="t1")
    iot.attach_thing_principal(thingName="t1", principal=cert)
    iot.attach_thing_principal(thingName="t1", principal=cert)
    assert principals(iot, "t1") == [cert]


def test_a_non_exclusive_principal_can_serve_many_things(iot: Any, cert: str) -> None:
    for name in ("a", "b", "c"):
        iot.create_thing(thingName=name)
        iot.attach_thing_principal(thingName=name, principal=cert, thingPrincipalType="NON_EXCLUSIVE_THING")
    assert things(iot, cert) == ["a", "b", "c"]


def test_a_thing_can_have_many_principals(iot: Any) -> None:
    iot.create_thing(thingName="t1")
    arns = [new_cert_arn(iot) for _ in range(3)] + [COGNITO_ID]
    for arn in arns:
        iot.attach_thing_principal(thingName="t1", principal=arn)
    assert principals(iot, "t1") == arns
    assert things(iot, COGNITO_ID) == ["t1"]


def test_an_exclusive_principal_belongs_to_one_thing(iot: Any, mock: MockIotJobs, cert: str) -> None:
    iot.create_thing(thingName="a")
    iot.create_thing(thingName="b")
    iot.attach_thing_principal(thingName="a", principal=cert, thingPrincipalType="EXCLUSIVE_THING")
    for kind in ("EXCLUSIVE_THING", "NON_EXCLUSIVE_THING"):
        refused(
            mock, iot.attach_thing_principal, "InvalidRequestException", 400,
            thingName="b", principal=cert, thingPrincipalType=kind,
        )
    refused(mock, iot.attach_thing_principal, "InvalidRequestException", 400, thingName="b", principal=cert)
    assert iot.list_principal_things_v2(principal=cert)["principalThingObjects"] == [
        {"thingName": "a", "thingPrincipalType": "EXCLUSIVE_THING"}
    ]
    iot.detach_thing_principal(thingName="a", principal=cert)
    iot.attach_thing_principal(thingName="b", principal=cert, thingPrincipalType="EXCLUSIVE_THING")
    assert things(iot, cert) == ["b"]


def test_exclusive_refused_while_attached_to_another_thing(iot: Any, mock: MockIotJobs, cert: str) -> None:
    iot.create_thing(thingName="a")
    iot.create_thing(thingName="b")
    iot.attach_thing_principal(thingName="a", principal=cert)
    refused(
        mock, iot.attach_thing_principal, "InvalidRequestException", 400,
        thingName="b", principal=cert, thingPrincipalType="EXCLUSIVE_THING",
    )
    # The one thing it is attached to can take it exclusively.
    iot.attach_thing_principal(thingName="a", principal=cert, thingPrincipalType="EXCLUSIVE_THING")
    assert iot.list_thing_principals_v2(thingName="a")["thingPrincipalObjects"] == [
        {"principal": cert, "thingPrincipalType": "EXCLUSIVE_THING"}
    ]


def test_attach_to_a_missing_thing(iot: Any, mock: MockIotJobs, cert: str) -> None:
    refused(mock, iot.attach_thing_principal, "ResourceNotFoundException", 404, thingName="ghost", principal=cert)


def test_attach_a_missing_certificate(iot: Any, mock: MockIotJobs) -> None:
    iot.create_thing(thingName="t1")
    missing = "arn:aws:iot:us-east-1:123456789012:cert/" + "a" * 64
    refused(mock, iot.attach_thing_principal, "ResourceNotFoundException", 404, thingName="t1", principal=missing)


def test_attach_something_that_is_no_principal(iot: Any, mock: MockIotJobs) -> None:
    iot.create_thing(thingName="t1")
    for bogus in ("hello", "arn:aws:iot:us-east-1:123456789012:thing/t1"):
        refused(mock, iot.attach_thing_principal, "InvalidRequestException", 400, thingName="t1", principal=bogus)


def test_a_certificate_of_another_region_is_not_here(make_client: Any, mock: MockIotJobs) -> None:
    iot = make_client("iot")
    elsewhere = make_client("iot", region="eu-west-1").create_certificate_from_csr(certificateSigningRequest=csr())
    iot.create_thing(thingName="t1")
    refused(
        mock, iot.attach_thing_principal, "ResourceNotFoundException", 404,
        thingName="t1", principal=elsewhere["certificateArn"],
    )


def test_detach_from_a_missing_thing(iot: Any, mock: MockIotJobs, cert: str) -> None:
    refused(mock, iot.detach_thing_principal, "ResourceNotFoundException", 404, thingName="ghost", principal=cert)


def test_detach_what_is_not_attached_changes_nothing(iot: Any, cert: str) -> None:
    iot.create_thing(thingName="t1")
    iot.detach_thing_principal(thingName="t1", principal=cert)
    assert principals(iot, "t1") == []


# --- listings -------------------------------------------------------------------------------
def test_v2_listings_filter_by_type(iot: Any) -> None:
    iot.create_thing(thingName="t1")
    exclusive, shared = new_cert_arn(iot), new_cert_arn(iot)
    iot.attach_thing_principal(thingName="t1", principal=exclusive, thingPrincipalType="EXCLUSIVE_THING")
    iot.attach_thing_principal(thingName="t1", principal=shared)
    only = iot.list_thing_principals_v2(thingName="t1", thingPrincipalType="EXCLUSIVE_THING")
    assert [o["principal"] for o in only["thingPrincipalObjects"]] == [exclusive]
    only = iot.list_thing_principals_v2(thingName="t1", thingPrincipalType="NON_EXCLUSIVE_THING")
    assert [o["principal"] for o in only["thingPrincipalObjects"]] == [shared]
    none = iot.list_principal_things_v2(principal=shared, thingPrincipalType="EXCLUSIVE_THING")
    assert none["principalThingObjects"] == []


def test_listings_page(iot: Any, cert: str) -> None:
    names = [f"t{n}" for n in range(5)]
    for name in names:
        iot.create_thing(thingName=name)
        iot.attach_thing_principal(thingName=name, principal=cert)
    seen: List[str] = []
    params: Dict[str, Any] = {"principal": cert, "maxResults": 2}
    while True:
        page = iot.list_principal_things(**params)
        seen += page["things"]
        if "nextToken" not in page:
            break
        params["nextToken"] = page["nextToken"]
    assert seen == names
    pages = iot.get_paginator("list_principal_things_v2").paginate(principal=cert, PaginationConfig={"PageSize": 3})
    assert [o["thingName"] for page in pages for o in page["principalThingObjects"]] == names
    arns = [new_cert_arn(iot) for _ in range(3)]
    for arn in arns:
        iot.attach_thing_principal(thingName="t0", principal=arn)
    pages = iot.get_paginator("list_thing_principals").paginate(thingName="t0", PaginationConfig={"PageSize": 2})
    assert [p for page in pages for p in page["principals"]] == [cert] + arns


def test_list_principals_of_a_missing_thing(iot: Any) -> None:
    for call in (iot.list_thing_principals, iot.list_thing_principals_v2):
        assert error_of(call, thingName="ghost")[:2] == ("ResourceNotFoundException", 404)


def test_list_things_of_a_missing_certificate(iot: Any) -> None:
    missing = "arn:aws:iot:us-east-1:123456789012:cert/" + "b" * 64
    for call in (iot.list_principal_things, iot.list_principal_things_v2):
        assert error_of(call, principal=missing)[:2] == ("ResourceNotFoundException", 404)
    assert things(iot, COGNITO_ID) == []


# --- deleting things and certificates ---------------------------------------------------------
def test_a_thing_with_principals_cannot_be_deleted(iot: Any, mock: MockIotJobs, cert: str) -> None:
    iot.create_thing(thingName="t1")
    iot.attach_thing_principal(thingName="t1", principal=cert)
    message = refused(mock, iot.delete_thing, "InvalidRequestException", 400, thingName="t1")
    assert message == "Cannot delete. Thing t1 is still attached to one or more principals"
    iot.detach_thing_principal(thingName="t1", principal=cert)
    iot.delete_thing(thingName="t1")
    assert error_of(iot.describe_thing, thingName="t1")[0] == "ResourceNotFoundException"
    assert things(iot, cert) == []


def test_a_certificate_attached_to_a_thing_cannot_be_deleted(iot: Any, mock: MockIotJobs, cert: str) -> None:
    iot.create_thing(thingName="t1")
    iot.attach_thing_principal(thingName="t1", principal=cert)
    cert_id = cert.rpartition("/")[2]
    refused(mock, iot.delete_certificate, "DeleteConflictException", 409, certificateId=cert_id, forceDelete=True)
    assert principals(iot, "t1") == [cert]


def test_the_principal_header_travels_over_http() -> None:
    """The principal goes in the x-amzn-principal header: server mode (real HTTP, no mock active)."""
    with running_server(port=0) as url:
        remote = boto3.client(
            "iot", region_name="us-east-1", endpoint_url=url, aws_access_key_id="x", aws_secret_access_key="y"
        )
        remote.create_thing(thingName="wire")
        arn = remote.create_certificate_from_csr(certificateSigningRequest=csr())["certificateArn"]
        remote.attach_thing_principal(thingName="wire", principal=arn, thingPrincipalType="EXCLUSIVE_THING")
        assert remote.list_principal_things(principal=arn)["things"] == ["wire"]
        assert remote.list_thing_principals(thingName="wire")["principals"] == [arn]
        assert remote.list_principal_things_v2(principal=arn)["principalThingObjects"] == [
            {"thingName": "wire", "thingPrincipalType": "EXCLUSIVE_THING"}
        ]
