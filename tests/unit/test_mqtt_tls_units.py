"""Units of the mutual-TLS listener: the trust store cache, the per-connection
decision cache and its invalidation, and certificate validity against the wall clock."""

from __future__ import annotations

import json
import time
from typing import Any, List

from cryptography import x509

from mock_iotjobs import mock_iotjobs
from mock_iotjobs.backend.security import crypto
from mock_iotjobs.backend.state import BackendStore
from mock_iotjobs.mqtt import authorization
from mock_iotjobs.mqtt.authorization import PUBLISH, ConnectionPolicy
from mock_iotjobs.mqtt.service import JobsService
from mock_iotjobs.mqtt.tls import TlsAuthenticator, server_names

ACCOUNT, REGION = "123456789012", "us-east-1"


def _service() -> "tuple[BackendStore, JobsService]":
    store = BackendStore()
    return store, JobsService(store, ACCOUNT, REGION)


def test_the_trust_store_is_rebuilt_only_when_the_anchors_change() -> None:
    store, service = _service()
    tls = TlsAuthenticator(service, server_names(ACCOUNT, REGION, "127.0.0.1"))
    first = tls.context()
    assert tls.context() is first
    backend = store.get(ACCOUNT, REGION)
    with backend.lock:
        backend.certificates.create_keys_and_certificate(True)  # issued by the mock CA: no new anchor
    assert tls.context() is first
    key, ca = _self_signed()
    with backend.lock:
        backend.certificates.register_without_ca(crypto.to_pem(ca), "ACTIVE")
    assert tls.context() is not first


def _self_signed() -> Any:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "self")])
    now = time.time()
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(crypto._utc(now - 60)).not_valid_after(crypto.NOT_AFTER)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def test_decisions_are_cached_until_the_auth_epoch_moves(monkeypatch: Any) -> None:
    store, service = _service()
    backend = store.get(ACCOUNT, REGION)
    calls: List[str] = []
    real = authorization.Authorizer

    class Counting(real):  # type: ignore[misc,valid-type]
        def decide(self, principal: str, client_id: Any, action: str, resource: str, *a: Any, **k: Any) -> Any:
            calls.append(resource)
            return super().decide(principal, client_id, action, resource, *a, **k)

    monkeypatch.setattr(authorization, "Authorizer", Counting)
    with backend.lock:
        cert, _, _ = backend.certificates.create_keys_and_certificate(True)
        backend.policies.create("p", json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "iot:Publish", "Resource": "*"}]}))
    policy = ConnectionPolicy(service, cert.arn)
    policy.client_id = "c"
    assert not policy.allows(PUBLISH, "a/b")
    assert not policy.allows(PUBLISH, "a/b")
    assert calls == ["a/b"]
    with backend.lock:
        backend.policies.attach("p", cert.arn)
    assert policy.allows(PUBLISH, "a/b")
    assert calls == ["a/b", "a/b"]


def test_certificates_are_valid_for_a_tls_peer_after_the_mock_clock_moved() -> None:
    with mock_iotjobs() as m:
        m.advance_time(hours=24 * 365)
        backend = m.backend()
        with backend.lock:
            cert, _, _ = backend.certificates.create_keys_and_certificate(True)
            ca = backend.certificates.mock_ca
        for pem in (cert.pem, ca.pem):
            loaded = x509.load_pem_x509_certificate(pem.encode())
            assert loaded.not_valid_before_utc.timestamp() <= time.time() - 3600
