"""IoT policy decisions for one mutual-TLS connection, cached.

The principal is the certificate's ARN; each decision is
``Authorizer(backend).decide(principal, client_id, action, resource)``, the same
call TestAuthorization answers with, so the two never disagree.  Routing a
message asks ``RECEIVE`` for every subscriber, so decisions are cached per
connection, keyed by (action, resource), and the cache is dropped whenever the
backend's ``auth_epoch`` moves (a policy, attachment, thing principal, thing or
thing group membership changed): a change made through the API applies to the
next packet, including on connections already open.
"""

from __future__ import annotations

import logging
from typing import Dict, Optional, Tuple

from ..backend.security.authorization import Authorizer
from .service import JobsService

log = logging.getLogger("mock_iotjobs.mqtt")

CONNECT = "CONNECT"
PUBLISH = "PUBLISH"
RECEIVE = "RECEIVE"
SUBSCRIBE = "SUBSCRIBE"

# A connection that touches very many distinct topics starts its cache again.
_MAX_CACHED = 4096


class ConnectionPolicy:
    """What the IoT policies in force let one connection do."""

    def __init__(self, service: JobsService, principal: str) -> None:
        self.service = service
        self.principal = principal
        self.client_id: Optional[str] = None
        self._epoch: Optional[Tuple[int, int]] = None
        self._cache: Dict[Tuple[str, str], bool] = {}

    def allows(self, action: str, resource: str) -> bool:
        backend = self.service.backend()
        epoch = (id(backend), backend.auth_epoch)
        if epoch != self._epoch:
            self._cache.clear()
            self._epoch = epoch
        key = (action, resource)
        allowed = self._cache.get(key)
        if allowed is None:
            with backend.lock:
                decision = Authorizer(backend).decide(self.principal, self.client_id, action, resource)
            allowed = decision.allowed
            if not allowed:
                log.info(
                    "%s (%s): %s on %s is %s", self.client_id, self.principal, action, resource, decision.outcome
                )
            if len(self._cache) >= _MAX_CACHED:
                self._cache.clear()
            self._cache[key] = allowed
        return allowed
