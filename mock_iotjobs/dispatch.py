"""The one request pipeline shared by every transport.

request → route → parse → validate → handler (under the backend's lock,
after due timed work is applied) → shaped response, or an AWS-shaped error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Dict, NamedTuple, Optional

from . import handlers, logs  # noqa: F401  (registers every operation)
from .backend.state import DEFAULT_REGION, BackendStore, default_account_id
from .handlers.base import HANDLERS, Context
from .protocol.errors import NotImplementedOperation, ServiceError
from .protocol.regions import check_region
from .protocol.request import parse_request
from .protocol.response import failure, new_request_id, success
from .protocol.routing import credential_scope, region_from_host, route, service_for
from .protocol.validation import validate
from .protocol.wire import HttpRequest, HttpResponse

log = logs.log

_ACCOUNT_KEY = re.compile(r"\d{12}")


@dataclass
class Outcome:
    """What the pipeline decided, before it is put on the wire: a handler's
    result (``error`` None) or the error to answer."""

    service: str
    operation: str  # "" when the request matched no operation
    request_id: str
    result: Optional[Dict[str, Any]] = None
    error: Optional[ServiceError] = None


def serve(store: BackendStore, request: HttpRequest) -> HttpResponse:
    """Answer one HTTP request for ``iot`` or ``iot-jobs-data``."""
    return respond(execute(store, request))


class Known(NamedTuple):
    """What the fast path already knows from botocore (the operation it called, the
    client's account and region), so the pipeline need not work it out again."""

    service: str
    operation: str
    labels: Dict[str, str]
    account_id: str
    region: str


def execute(store: BackendStore, request: HttpRequest, known: Optional[Known] = None) -> Outcome:
    """Route, parse, validate and run one request (everything but the response bytes)."""
    request_id = new_request_id()
    authorization = "" if known is not None else request.header("Authorization")
    service = known.service if known is not None else service_for(authorization, request.host)
    operation = ""
    try:
        # Authentication comes first at AWS: a scope naming no real region is refused as such.
        if known is None:
            account_id, region = _account_and_region(store, authorization, request.host)
        else:
            account_id, region = known.account_id, check_region(known.region)
        if len(request.body) > store.max_body_bytes:
            raise ServiceError(
                "RequestEntityTooLargeException",
                f"The request body is larger than the limit of {store.max_body_bytes} bytes.",
                status=413,
            )
        if known is None:
            operation, labels = route(service, request.method, request.path)
        else:
            operation, labels = known.operation, known.labels
        params = parse_request(service, operation, labels, request.query, request.headers, request.body)
        validate(service, operation, params)
        handler = HANDLERS.get((service, operation))
        if handler is None:
            logs.unimplemented(service, operation)
            raise NotImplementedOperation(service, operation)
        store.raise_injected_fault(operation)
        backend = store.get(account_id, region)
        context = Context(backend, store, service, operation, request_id, request.host)
        with backend.lock:
            backend.apply_due()
            result = handler(context, params)
        return Outcome(service, operation, request_id, result)
    except ServiceError as error:
        return Outcome(service, operation, request_id, error=error)
    except Exception as error:  # a bug in the mock: say so instead of crashing the caller
        log.exception("mock_iotjobs failed on %s %s", request.method, request.path)
        internal = ServiceError(
            "InternalFailureException", f"mock_iotjobs internal error: {error!r}", status=500
        )
        return Outcome(service, operation, request_id, error=internal)


def respond(outcome: Outcome, log_it: bool = True) -> HttpResponse:
    """The HTTP response for an outcome (and, unless told otherwise, its DEBUG log line)."""
    if outcome.error is None:
        answer = success(outcome.service, outcome.operation, outcome.result, outcome.request_id)
    else:
        answer = failure(outcome.service, outcome.error, outcome.request_id)
    if log_it:
        log_served(outcome, answer.status)
    return answer


def log_served(outcome: Outcome, status: int) -> None:
    if log.isEnabledFor(logs.DEBUG):
        code = None if outcome.error is None else outcome.error.code
        logs.request_served(outcome.service, outcome.operation, status, code)


def _account_and_region(store: BackendStore, authorization: str, host: str) -> "tuple[str, str]":
    scope = credential_scope(authorization) if authorization else None
    account = store.default_account_id or default_account_id()
    region = None
    if scope is not None:
        if _ACCOUNT_KEY.fullmatch(scope[0]):
            account = scope[0]
        region = scope[2]
    region = region or region_from_host(host) or store.default_region or DEFAULT_REGION
    return account, check_region(region)
