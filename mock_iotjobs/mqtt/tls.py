"""Mutual TLS for the MQTT listener, as AWS IoT Core's Data-ATS endpoint does it.

The server presents a certificate for the account's ``iot:Data-ATS`` host name
(DescribeEndpoint's address) plus ``localhost`` and ``127.0.0.1``, signed by the
account's mock CA: a test trusts ``handle.ca_certificate_pem()`` (or
``listener.ca_pem()``) and connects to ``localhost``.

A client must present a certificate that chains to one of the trust anchors:

- the mock CA (what CreateKeysAndCertificate / CreateCertificateFromCsr issue);
- every ACTIVE CA registered with RegisterCACertificate;
- every certificate registered without a CA (RegisterCertificateWithoutCA), itself
  a trust anchor (OpenSSL's partial-chain mode), so it verifies alone.

The trust store is rebuilt when that set changes (checked at each handshake).  After
the handshake the certificate is looked up by its SHA-256 fingerprint (AWS's
certificate id): unknown, INACTIVE, REVOKED (or any other status but ACTIVE) and the
connection is closed before any MQTT packet is read, as AWS IoT closes it.  The
certificate's ARN is then the connection's principal for IoT policy decisions;
a certificate that later leaves ACTIVE has its connections closed (the listener
watches, ``Broker.drop_inactive_certificates``).
"""

from __future__ import annotations

import hashlib
import logging
import os
import ssl
import tempfile
from typing import Any, List, Optional, Tuple

from ..handlers.endpoint import endpoint_address
from .service import JobsService

log = logging.getLogger("mock_iotjobs.mqtt")


def server_names(account_id: str, region: str, host: str) -> Tuple[str, ...]:
    """The names the server certificate is valid for: the Data-ATS address first."""
    names = [endpoint_address("iot:Data-ATS", account_id, region), "localhost", "127.0.0.1", "::1"]
    if host not in names and host not in ("0.0.0.0", "::", ""):
        names.append(host)
    return tuple(names)


class TlsAuthenticator:
    """Builds the server's SSL context and turns a verified peer certificate into a principal."""

    def __init__(self, service: JobsService, names: Tuple[str, ...]) -> None:
        self.service = service
        self.names = names
        self._key: Optional[Tuple[Any, ...]] = None
        self._context: Optional[ssl.SSLContext] = None
        self._anchors: List[str] = []

    def ca_pem(self) -> str:
        """The PEM of the CA that signed the server certificate (the mock CA)."""
        backend = self.service.backend()
        with backend.lock:
            return backend.certificates.mock_ca.pem

    def context(self) -> ssl.SSLContext:
        """The server context for a new connection (rebuilt when the trust anchors change)."""
        backend = self.service.backend()
        with backend.lock:
            ca = backend.certificates.mock_ca
            certificates = backend.certificates.by_id
            # Cheap to compute for every handshake, even with many thousand certificates:
            # any certificate added or deleted changes the count or the newest id.
            signature = (
                id(ca),
                len(certificates),
                next(reversed(certificates), None),
                tuple((c.cert_id, c.status) for c in backend.ca_certificates.by_id.values()),
            )
            if self._context is not None and signature == self._key:
                return self._context
            identity = ca.server_identity(self.names, backend.now())
            anchors = [ca.pem]
            anchors += [c.pem for c in backend.ca_certificates.by_id.values() if c.status == "ACTIVE"]
            anchors += [c.pem for c in certificates.values() if c.ca_id is None and c.mode == "SNI_ONLY"]
        if self._context is not None and anchors == self._anchors:
            self._key = signature  # e.g. a certificate the mock CA issued: no new anchor
            return self._context
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2  # AWS IoT: TLS 1.2 and 1.3
        _load_identity(context, *identity)
        context.verify_mode = ssl.CERT_REQUIRED
        context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
        context.load_verify_locations(cadata="\n".join(anchors))
        self._key, self._anchors, self._context = signature, anchors, context
        return context

    def principal(self, ssl_object: Any) -> Optional[str]:
        """The ARN of the ACTIVE certificate the peer presented; None: refuse the connection."""
        der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
        if not der:
            return None
        cert_id = hashlib.sha256(der).hexdigest()
        backend = self.service.backend()
        with backend.lock:
            cert = backend.certificates.by_id.get(cert_id)
            if cert is None:
                log.info("refused a TLS client: certificate %s is not registered", cert_id)
                return None
            if cert.status != "ACTIVE":
                log.info("refused a TLS client: certificate %s is %s", cert_id, cert.status)
                return None
            return cert.arn


def _load_identity(context: ssl.SSLContext, cert_pem: str, key_pem: str) -> None:
    """``load_cert_chain`` reads files only: a private temporary file, removed at once."""
    handle, path = tempfile.mkstemp(prefix="mock_iotjobs-mqtt-", suffix=".pem")
    try:
        with os.fdopen(handle, "w") as file:
            file.write(cert_pem + key_pem)
        context.load_cert_chain(path)
    finally:
        os.unlink(path)
