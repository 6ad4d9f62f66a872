"""Device certificates: create (keys, CSR), register, describe, update, delete, list."""

from __future__ import annotations

from ...protocol.models import IOT
from ..base import Context, Params, Result, compact, operation
from .marker_listing import certificate_page


@operation(IOT, "CreateKeysAndCertificate")
def create_keys_and_certificate(ctx: Context, p: Params) -> Result:
    cert, public_pem, private_pem = ctx.backend.certificates.create_keys_and_certificate(bool(p.get("setAsActive")))
    return {
        "certificateArn": cert.arn,
        "certificateId": cert.cert_id,
        "certificatePem": cert.pem,
        "keyPair": {"PublicKey": public_pem, "PrivateKey": private_pem},
    }


@operation(IOT, "CreateCertificateFromCsr")
def create_certificate_from_csr(ctx: Context, p: Params) -> Result:
    cert = ctx.backend.certificates.create_from_csr(p["certificateSigningRequest"], bool(p.get("setAsActive")))
    return {"certificateArn": cert.arn, "certificateId": cert.cert_id, "certificatePem": cert.pem}


@operation(IOT, "RegisterCertificate")
def register_certificate(ctx: Context, p: Params) -> Result:
    cert = ctx.backend.certificates.register(
        p["certificatePem"], p.get("caCertificatePem"), p.get("status"), p.get("setAsActive")
    )
    return {"certificateArn": cert.arn, "certificateId": cert.cert_id}


@operation(IOT, "RegisterCertificateWithoutCA")
def register_certificate_without_ca(ctx: Context, p: Params) -> Result:
    cert = ctx.backend.certificates.register_without_ca(p["certificatePem"], p.get("status"))
    return {"certificateArn": cert.arn, "certificateId": cert.cert_id}


@operation(IOT, "DescribeCertificate")
def describe_certificate(ctx: Context, p: Params) -> Result:
    return {"certificateDescription": compact(**ctx.backend.certificates.get(p["certificateId"]).describe())}


@operation(IOT, "UpdateCertificate")
def update_certificate(ctx: Context, p: Params) -> Result:
    ctx.backend.certificates.update_status(p["certificateId"], p["newStatus"])
    return {}


@operation(IOT, "DeleteCertificate")
def delete_certificate(ctx: Context, p: Params) -> Result:
    ctx.backend.certificates.delete(p["certificateId"], bool(p.get("forceDelete")))
    return {}


@operation(IOT, "ListCertificates")
def list_certificates(ctx: Context, p: Params) -> Result:
    return certificate_page(p, ctx.backend.certificates.listing(), "ListCertificates")


@operation(IOT, "ListCertificatesByCA")
def list_certificates_by_ca(ctx: Context, p: Params) -> Result:
    ca_id = p["caCertificateId"].lower()
    return certificate_page(p, ctx.backend.certificates.listing(ca_id=ca_id), f"ListCertificatesByCA:{ca_id}")
