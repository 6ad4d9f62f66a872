"""Domain configurations: configurable endpoints (AWS-managed or customer-managed domains).

A configuration with a ``domainName`` is a customer-managed domain and needs
a server certificate; one without gets an AWS-managed domain name.  The
account's default endpoints have configurations too (``iot:Data-ATS``, ...,
domain type ENDPOINT) that can be described and updated, not created or deleted.  AWS asks
that a configuration be DISABLED before it is deleted, to avoid deleting a live
endpoint by accident: the mock refuses to delete an ENABLED one.
"""

from __future__ import annotations

import copy
import random
import string
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Dict, List, Optional

from ...protocol.errors import already_exists, invalid_request, not_found
from ..arns import iot_arn

if TYPE_CHECKING:
    from ..state import Backend

ENABLED = "ENABLED"
DISABLED = "DISABLED"
# AWS's default TLS security policy for a new domain configuration.
DEFAULT_SECURITY_POLICY = "IoTSecurityPolicy_TLS13_1_2_2022_10"
# Members stored as given and echoed by DescribeDomainConfiguration.
SETTINGS = ("authorizerConfig", "serverCertificateConfig", "clientCertificateConfig", "tlsConfig")
_HOSTS = {"DATA": "{prefix}-ats.iot.{region}.amazonaws.com",
          "CREDENTIAL_PROVIDER": "{prefix}.credentials.iot.{region}.amazonaws.com",
          "JOBS": "{prefix}.jobs.iot.{region}.amazonaws.com"}
_LOWER_ALNUM = string.ascii_lowercase + string.digits


@dataclass
class DomainConfiguration:
    name: str
    arn: str
    seq: int
    domain_name: str
    domain_type: str
    service_type: str
    status: str
    # None for a default endpoint whose status never changed.
    last_status_change: Optional[float]
    server_certificate_arns: List[str] = field(default_factory=list)
    validation_certificate_arn: Optional[str] = None
    authentication_type: str = "DEFAULT"
    application_protocol: str = "DEFAULT"
    settings: Dict[str, Any] = field(default_factory=dict)

    def describe(self) -> Dict[str, Any]:
        result: Dict[str, Any] = {
            "domainConfigurationName": self.name,
            "domainConfigurationArn": self.arn,
            "domainName": self.domain_name,
            "serverCertificates": [
                {"serverCertificateArn": arn, "serverCertificateStatus": "VALID"}
                for arn in self.server_certificate_arns
            ],
            "domainConfigurationStatus": self.status,
            "serviceType": self.service_type,
            "domainType": self.domain_type,
            "lastStatusChangeDate": self.last_status_change,
            "authenticationType": self.authentication_type,
            "applicationProtocol": self.application_protocol,
        }
        result.update(copy.deepcopy(self.settings))
        return result

    def summary(self) -> Dict[str, Any]:
        return {
            "domainConfigurationName": self.name,
            "domainConfigurationArn": self.arn,
            "serviceType": self.service_type,
        }


class DomainConfigurations:
    def __init__(self, backend: "Backend") -> None:
        self._backend = backend
        self.by_name: Dict[str, DomainConfiguration] = {}
        # Random but repeatable per backend: ARN suffixes and AWS-managed host names.
        self._random = random.Random(f"{backend.account_id}:{backend.region}")

    def get(self, name: str) -> DomainConfiguration:
        config = self.by_name.get(name)
        if config is None:
            raise not_found(f"Domain configuration {name} does not exist.")
        return config

    def listing(self, service_type: Optional[str]) -> List[DomainConfiguration]:
        """Sorted by name, as AWS lists them."""
        configs = sorted(self.by_name.values(), key=lambda c: c.name)
        return [c for c in configs if service_type is None or c.service_type == service_type]

    def default_endpoint(self, name: str, address: str, service_type: str) -> DomainConfiguration:
        """The configuration of a default endpoint (``iot:Data-ATS``, ...): the stored one once
        it has been updated, else a fresh ENABLED one (not stored: reading changes nothing)."""
        stored = self.by_name.get(name)
        if stored is not None:
            return stored
        return DomainConfiguration(
            name=name,
            arn=iot_arn(self._backend.region, self._backend.account_id, f"domainconfiguration/{name}"),
            seq=0,
            domain_name=address,
            domain_type="ENDPOINT",
            service_type=service_type,
            status=ENABLED,
            last_status_change=None,
            settings={"tlsConfig": {"securityPolicy": DEFAULT_SECURITY_POLICY}},
        )

    def store(self, config: DomainConfiguration) -> None:
        """Keep a default endpoint's configuration once it is updated."""
        if config.name not in self.by_name:
            config.seq = self._backend.next_seq()
            self.by_name[config.name] = config

    def create(self, name: str, p: Dict[str, Any]) -> DomainConfiguration:
        existing = self.by_name.get(name)
        if existing is not None:
            raise already_exists(
                f"Domain configuration {name} already exists.", resource_id=name, resource_arn=existing.arn
            )
        domain_name = p.get("domainName")
        certificates = list(p.get("serverCertificateArns") or [])
        service_type = p.get("serviceType") or "DATA"
        if domain_name is not None:
            if not certificates:
                raise invalid_request("A customer-managed domain needs serverCertificateArns.")
            domain_type = "CUSTOMER_MANAGED"
        else:
            if p.get("validationCertificateArn"):
                raise invalid_request("validationCertificateArn applies only to a customer-managed domain.")
            domain_type = "AWS_MANAGED"
            domain_name = _HOSTS[service_type].format(prefix=self._token(14), region=self._backend.region)
        settings = {key: copy.deepcopy(p[key]) for key in SETTINGS if p.get(key) is not None}
        settings.setdefault("tlsConfig", {"securityPolicy": DEFAULT_SECURITY_POLICY})
        suffix = self._token(5)
        config = DomainConfiguration(
            name=name,
            arn=iot_arn(self._backend.region, self._backend.account_id, f"domainconfiguration/{name}/{suffix}"),
            seq=self._backend.next_seq(),
            domain_name=domain_name,
            domain_type=domain_type,
            service_type=service_type,
            status=ENABLED,
            last_status_change=self._backend.now(),
            server_certificate_arns=certificates,
            validation_certificate_arn=p.get("validationCertificateArn"),
            authentication_type=p.get("authenticationType") or "DEFAULT",
            application_protocol=p.get("applicationProtocol") or "DEFAULT",
            settings=settings,
        )
        self.by_name[name] = config
        return config

    def update(self, config: DomainConfiguration, p: Dict[str, Any]) -> DomainConfiguration:
        if p.get("removeAuthorizerConfig") and p.get("authorizerConfig") is not None:
            raise invalid_request("authorizerConfig and removeAuthorizerConfig cannot be given together.")
        status = p.get("domainConfigurationStatus")
        self.store(config)
        if status is not None and status != config.status:
            config.status = status
            config.last_status_change = self._backend.now()
        if p.get("removeAuthorizerConfig"):
            config.settings.pop("authorizerConfig", None)
        for key in SETTINGS:
            if p.get(key) is not None:
                config.settings[key] = copy.deepcopy(p[key])
        if p.get("authenticationType") is not None:
            config.authentication_type = p["authenticationType"]
        if p.get("applicationProtocol") is not None:
            config.application_protocol = p["applicationProtocol"]
        return config

    def delete(self, name: str) -> None:
        config = self.get(name)
        if config.status == ENABLED:
            raise invalid_request(
                f"Domain configuration {name} is ENABLED: set its status to DISABLED before deleting it."
            )
        del self.by_name[name]
        self._backend.tags.drop(config.arn)

    def _token(self, length: int) -> str:
        return "".join(self._random.choice(_LOWER_ALNUM) for _ in range(length))
