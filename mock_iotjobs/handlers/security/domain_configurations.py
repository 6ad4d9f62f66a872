"""Domain configurations (configurable endpoints)."""

from __future__ import annotations

from ...backend.security.domain_configurations import DomainConfiguration
from ...protocol.models import IOT
from ..base import Context, Params, Result, compact, operation
from ..endpoint import endpoint_address
from .marker_listing import page_by_marker


@operation(IOT, "CreateDomainConfiguration")
def create_domain_configuration(ctx: Context, p: Params) -> Result:
    backend = ctx.backend
    configs = backend.domain_configurations
    tags = p.get("tags") or []
    name = p["domainConfigurationName"]
    if tags and name not in configs.by_name:
        # The ARN is only known once created; the count check needs no ARN's earlier tags.
        backend.tags.check(f"pending:{name}", tags)
    config = configs.create(name, p)
    if tags:
        backend.tags.set(config.arn, tags)
    return {"domainConfigurationName": config.name, "domainConfigurationArn": config.arn}


# The default endpoints' reserved configuration names and their service types.
DEFAULT_ENDPOINTS = {
    "iot:Data-ATS": "DATA",
    "iot:Data": "DATA",
    "iot:CredentialProvider": "CREDENTIAL_PROVIDER",
    "iot:Jobs": "JOBS",
}


def _config(ctx: Context, name: str) -> DomainConfiguration:
    configs = ctx.backend.domain_configurations
    if name not in DEFAULT_ENDPOINTS:
        return configs.get(name)
    backend = ctx.backend
    address = endpoint_address(name, backend.account_id, backend.region)
    return configs.default_endpoint(name, address, DEFAULT_ENDPOINTS[name])


@operation(IOT, "DescribeDomainConfiguration")
def describe_domain_configuration(ctx: Context, p: Params) -> Result:
    return compact(**_config(ctx, p["domainConfigurationName"]).describe())


@operation(IOT, "UpdateDomainConfiguration")
def update_domain_configuration(ctx: Context, p: Params) -> Result:
    config = _config(ctx, p["domainConfigurationName"])
    ctx.backend.domain_configurations.update(config, p)
    return {"domainConfigurationName": config.name, "domainConfigurationArn": config.arn}


@operation(IOT, "DeleteDomainConfiguration")
def delete_domain_configuration(ctx: Context, p: Params) -> Result:
    ctx.backend.domain_configurations.delete(p["domainConfigurationName"])
    return {}


@operation(IOT, "ListDomainConfigurations")
def list_domain_configurations(ctx: Context, p: Params) -> Result:
    service_type = p.get("serviceType")
    items = list(enumerate(ctx.backend.domain_configurations.listing(service_type)))
    page, marker = page_by_marker(p, items, lambda i: i[0], f"ListDomainConfigurations:{service_type or ''}")
    return compact(domainConfigurations=[c.summary() for _, c in page], nextMarker=marker)
