"""DescribeEndpoint: stable per-account addresses for each endpoint type."""

from __future__ import annotations

import hashlib

from ..protocol.errors import invalid_request
from ..protocol.models import IOT
from .base import Context, Params, Result, operation

_TEMPLATES = {
    "iot:Data": "{prefix}.iot.{region}.amazonaws.com",
    "iot:Data-ATS": "{prefix}-ats.iot.{region}.amazonaws.com",
    "iot:CredentialProvider": "{prefix}.credentials.iot.{region}.amazonaws.com",
    "iot:Jobs": "{prefix}.jobs.iot.{region}.amazonaws.com",
}


def endpoint_prefix(account_id: str) -> str:
    """A 14-character prefix derived from the account, stable across runs."""
    digest = hashlib.sha256(f"mock_iotjobs:{account_id}".encode()).hexdigest()
    return "a" + digest[:13]


def endpoint_address(endpoint_type: str, account_id: str, region: str) -> str:
    template = _TEMPLATES.get(_canonical(endpoint_type))
    if template is None:
        raise invalid_request(f"Endpoint type {endpoint_type} is not valid.")
    return template.format(prefix=endpoint_prefix(account_id), region=region)


def _canonical(endpoint_type: str) -> str:
    for known in _TEMPLATES:
        if known.lower() == endpoint_type.lower():
            return known
    return endpoint_type


@operation(IOT, "DescribeEndpoint")
def describe_endpoint(ctx: Context, p: Params) -> Result:
    backend = ctx.backend
    address = endpoint_address(p.get("endpointType") or "iot:Data", backend.account_id, backend.region)
    return {"endpointAddress": address}
