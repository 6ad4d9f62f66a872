"""Domain configurations (configurable endpoints) end to end through boto3."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from refusal_support import ACCOUNT, REGION, refused

from mock_iotjobs import MockIotJobs

SERVER_CERT = f"arn:aws:acm:{REGION}:{ACCOUNT}:certificate/11111111-2222-3333-4444-555555555555"
ARN = re.compile(rf"arn:aws:iot:{REGION}:{ACCOUNT}:domainconfiguration/(?P<name>[\w.-]+)/[a-z0-9]{{5}}")


def test_create_an_aws_managed_domain(iot: Any) -> None:
    created = iot.create_domain_configuration(domainConfigurationName="managed")
    assert created["domainConfigurationName"] == "managed"
    match = ARN.fullmatch(created["domainConfigurationArn"])
    assert match is not None and match.group("name") == "managed"

    described = iot.describe_domain_configuration(domainConfigurationName="managed")
    assert described["domainConfigurationArn"] == created["domainConfigurationArn"]
    assert described["domainType"] == "AWS_MANAGED"
    assert described["serviceType"] == "DATA"
    assert described["domainConfigurationStatus"] == "ENABLED"
    assert re.fullmatch(rf"[a-z0-9]{{14}}-ats\.iot\.{REGION}\.amazonaws\.com", described["domainName"])
    assert described["serverCertificates"] == []
    assert isinstance(described["lastStatusChangeDate"], dt.datetime)
    assert described["tlsConfig"] == {"securityPolicy": "IoTSecurityPolicy_TLS13_1_2_2022_10"}
    assert (described["authenticationType"], described["applicationProtocol"]) == ("DEFAULT", "DEFAULT")


def test_create_a_customer_managed_domain(iot: Any) -> None:
    iot.create_domain_configuration(
        domainConfigurationName="custom",
        domainName="iot.example.com",
        serverCertificateArns=[SERVER_CERT],
        serviceType="DATA",
        authorizerConfig={"defaultAuthorizerName": "my-authorizer", "allowAuthorizerOverride": True},
        tlsConfig={"securityPolicy": "IoTSecurityPolicy_TLS13_1_3_2022_10"},
        authenticationType="CUSTOM_AUTH",
        applicationProtocol="HTTPS",
    )
    described = iot.describe_domain_configuration(domainConfigurationName="custom")
    assert described["domainName"] == "iot.example.com"
    assert described["domainType"] == "CUSTOMER_MANAGED"
    assert described["serverCertificates"] == [
        {"serverCertificateArn": SERVER_CERT, "serverCertificateStatus": "VALID"}
    ]
    assert described["authorizerConfig"] == {"defaultAuthorizerName": "my-authorizer", "allowAuthorizerOverride": True}
    assert described["tlsConfig"] == {"securityPolicy": "IoTSecurityPolicy_TLS13_1_3_2022_10"}
    assert (described["authenticationType"], described["applicationProtocol"]) == ("CUSTOM_AUTH", "HTTPS")


def test_create_with_tags(iot: Any) -> None:
    arn = iot.create_domain_configuration(domainConfigurationName="tagged", tags=[{"Key": "k", "Value": "v"}])[
        "domainConfigurationArn"
    ]
    assert iot.list_tags_for_resource(resourceArn=arn)["tags"] == [{"Key": "k", "Value": "v"}]


def test_create_refusals(iot: Any, mock: MockIotJobs) -> None:
    iot.create_domain_configuration(domainConfigurationName="taken")
    create = iot.create_domain_configuration
    refused(mock, create, "ResourceAlreadyExistsException", 409, domainConfigurationName="taken")
    refused(
        mock,
        iot.create_domain_configuration,
        "InvalidRequestException",
        400,
        domainConfigurationName="custom",
        domainName="iot.example.com",
    )
    refused(
        mock,
        iot.create_domain_configuration,
        "InvalidRequestException",
        400,
        domainConfigurationName="managed",
        validationCertificateArn=SERVER_CERT,
    )


def test_update_status_and_settings(iot: Any, mock: MockIotJobs) -> None:
    created = iot.create_domain_configuration(
        domainConfigurationName="dc", authorizerConfig={"defaultAuthorizerName": "auth"}
    )
    first = iot.describe_domain_configuration(domainConfigurationName="dc")["lastStatusChangeDate"]
    mock.advance_time(seconds=60)
    updated = iot.update_domain_configuration(domainConfigurationName="dc", domainConfigurationStatus="DISABLED")
    assert updated["domainConfigurationArn"] == created["domainConfigurationArn"]
    described = iot.describe_domain_configuration(domainConfigurationName="dc")
    assert described["domainConfigurationStatus"] == "DISABLED"
    assert described["lastStatusChangeDate"] > first
    assert described["authorizerConfig"] == {"defaultAuthorizerName": "auth"}

    iot.update_domain_configuration(
        domainConfigurationName="dc", removeAuthorizerConfig=True, tlsConfig={"securityPolicy": "p2"}
    )
    described = iot.describe_domain_configuration(domainConfigurationName="dc")
    assert "authorizerConfig" not in described
    assert described["tlsConfig"] == {"securityPolicy": "p2"}
    assert described["domainConfigurationStatus"] == "DISABLED"


def test_update_refusals(iot: Any, mock: MockIotJobs) -> None:
    refused(
        mock,
        iot.update_domain_configuration,
        "ResourceNotFoundException",
        404,
        domainConfigurationName="ghost",
        domainConfigurationStatus="DISABLED",
    )
    iot.create_domain_configuration(domainConfigurationName="dc")
    refused(
        mock,
        iot.update_domain_configuration,
        "InvalidRequestException",
        400,
        domainConfigurationName="dc",
        authorizerConfig={"defaultAuthorizerName": "auth"},
        removeAuthorizerConfig=True,
    )


def test_delete_only_once_disabled(iot: Any, mock: MockIotJobs) -> None:
    arn = iot.create_domain_configuration(domainConfigurationName="dc", tags=[{"Key": "k", "Value": "v"}])[
        "domainConfigurationArn"
    ]
    delete = iot.delete_domain_configuration
    message = refused(mock, delete, "InvalidRequestException", 400, domainConfigurationName="dc")
    assert "DISABLED" in message
    iot.update_domain_configuration(domainConfigurationName="dc", domainConfigurationStatus="DISABLED")
    iot.delete_domain_configuration(domainConfigurationName="dc")
    refused(mock, iot.describe_domain_configuration, "ResourceNotFoundException", 404, domainConfigurationName="dc")
    refused(mock, iot.delete_domain_configuration, "ResourceNotFoundException", 404, domainConfigurationName="dc")
    assert mock.backend().tags.list(arn) == []


def test_list_sorted_by_name_filtered_by_service_type_and_paged(iot: Any) -> None:
    iot.create_domain_configuration(domainConfigurationName="zeta")
    iot.create_domain_configuration(domainConfigurationName="alpha", serviceType="CREDENTIAL_PROVIDER")
    iot.create_domain_configuration(domainConfigurationName="mid")
    listed = iot.list_domain_configurations()["domainConfigurations"]
    assert [c["domainConfigurationName"] for c in listed] == ["alpha", "mid", "zeta"]
    assert listed[0]["serviceType"] == "CREDENTIAL_PROVIDER"
    assert ARN.fullmatch(listed[0]["domainConfigurationArn"])
    data = iot.list_domain_configurations(serviceType="DATA")["domainConfigurations"]
    assert [c["domainConfigurationName"] for c in data] == ["mid", "zeta"]

    first = iot.list_domain_configurations(pageSize=2)
    rest = iot.list_domain_configurations(pageSize=2, marker=first["nextMarker"])
    assert [c["domainConfigurationName"] for c in first["domainConfigurations"] + rest["domainConfigurations"]] == [
        "alpha",
        "mid",
        "zeta",
    ]
    assert "nextMarker" not in rest


def test_default_endpoints_have_configurations_to_describe_and_update(iot: Any, mock: MockIotJobs) -> None:
    address = iot.describe_endpoint(endpointType="iot:Data-ATS")["endpointAddress"]
    before = mock.backend().snapshot()
    described = iot.describe_domain_configuration(domainConfigurationName="iot:Data-ATS")
    assert mock.backend().snapshot() == before
    assert described["domainConfigurationName"] == "iot:Data-ATS"
    assert described["domainName"] == address
    assert (described["domainType"], described["serviceType"]) == ("ENDPOINT", "DATA")
    assert described["domainConfigurationStatus"] == "ENABLED"
    jobs = iot.describe_domain_configuration(domainConfigurationName="iot:Jobs")
    jobs_address = iot.describe_endpoint(endpointType="iot:Jobs")["endpointAddress"]
    assert (jobs["domainName"], jobs["serviceType"]) == (jobs_address, "JOBS")

    iot.update_domain_configuration(
        domainConfigurationName="iot:Data-ATS", tlsConfig={"securityPolicy": "IoTSecurityPolicy_TLS13_1_3_2022_10"}
    )
    described = iot.describe_domain_configuration(domainConfigurationName="iot:Data-ATS")
    assert described["tlsConfig"] == {"securityPolicy": "IoTSecurityPolicy_TLS13_1_3_2022_10"}
    assert described["domainName"] == address
    refused(mock, iot.describe_domain_configuration, "ResourceNotFoundException", 404, domainConfigurationName="iot:X")
