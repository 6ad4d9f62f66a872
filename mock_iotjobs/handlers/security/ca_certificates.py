"""CA certificates and the registration code that proves possession of a CA's key."""

from __future__ import annotations

from ...protocol.models import IOT
from ..base import Context, Params, Result, compact, operation
from .marker_listing import certificate_page


@operation(IOT, "GetRegistrationCode")
def get_registration_code(ctx: Context, p: Params) -> Result:
    return {"registrationCode": ctx.backend.ca_certificates.registration_code()}


@operation(IOT, "DeleteRegistrationCode")
def delete_registration_code(ctx: Context, p: Params) -> Result:
    ctx.backend.ca_certificates.delete_registration_code()
    return {}


@operation(IOT, "RegisterCACertificate")
def register_ca_certificate(ctx: Context, p: Params) -> Result:
    backend = ctx.backend
    tags = p.get("tags") or []
    backend.tags.check("", tags)  # a new CA has no tags yet: only the request's count
    ca = backend.ca_certificates.register(
        p["caCertificate"],
        p.get("verificationCertificate"),
        bool(p.get("setAsActive")),
        bool(p.get("allowAutoRegistration")),
        p.get("registrationConfig"),
        p.get("certificateMode"),
    )
    if tags:
        backend.tags.set(ca.arn, tags)
    return {"certificateArn": ca.arn, "certificateId": ca.cert_id}


@operation(IOT, "DescribeCACertificate")
def describe_ca_certificate(ctx: Context, p: Params) -> Result:
    ca = ctx.backend.ca_certificates.get(p["certificateId"])
    return compact(
        certificateDescription=ca.describe(), registrationConfig=dict(ca.registration_config) or None
    )


@operation(IOT, "UpdateCACertificate")
def update_ca_certificate(ctx: Context, p: Params) -> Result:
    ctx.backend.ca_certificates.update(
        p["certificateId"],
        p.get("newStatus"),
        p.get("newAutoRegistrationStatus"),
        p.get("registrationConfig"),
        bool(p.get("removeAutoRegistration")),
    )
    return {}


@operation(IOT, "DeleteCACertificate")
def delete_ca_certificate(ctx: Context, p: Params) -> Result:
    ctx.backend.ca_certificates.delete(p["certificateId"])
    return {}


@operation(IOT, "ListCACertificates")
def list_ca_certificates(ctx: Context, p: Params) -> Result:
    template = p.get("templateName")
    certs = ctx.backend.ca_certificates.listing(template)
    return certificate_page(p, certs, f"ListCACertificates:{template or ''}")
