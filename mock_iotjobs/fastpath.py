"""The zero-copy fast path: answer at botocore's ``before-call`` event.

botocore emits ``before-call`` after serialising a request and before
building the user agent, signing and sending it (the Stubber answers here
too).  We feed the serialised request through the same pipeline as the wire
path, run botocore's own response parser on our bytes and hand back
``(http_response, parsed)``, skipping the costliest client-side work.

The wire path (``before-send``) stays the reference: a differential test
holds both paths to identical parsed results and exceptions, and calls that
need botocore's retry loop (an injected fault is pending) go the wire way.
"""

from __future__ import annotations

import functools
from typing import Any, Dict, Optional, Tuple

import botocore.handlers
from botocore.awsrequest import AWSResponse
from botocore.model import OperationModel
from botocore.parsers import ResponseParser, create_parser
from botocore.response import StreamingBody

from .dispatch import serve
from .interception import current_store, to_aws_response
from .protocol.wire import HttpRequest

# botocore names events by the hyphenized service id: "iot-jobs-data-plane", not "iot-jobs-data".
_EVENT_SERVICES = ("iot", "iot-jobs-data-plane", "iot-data-plane")
_OUR_EVENTS = tuple(f"before-call.{name}." for name in _EVENT_SERVICES)


@functools.lru_cache(maxsize=None)
def _parser() -> ResponseParser:
    return create_parser("rest-json")


def _pseudo_authorization(request_signer: Any, service: str, context: Dict[str, Any]) -> str:
    """The SigV4 credential scope the wire path would have seen (account and region)."""
    access_key = "ANONYMOUS"
    credentials = getattr(request_signer, "_credentials", None)
    if credentials is not None:
        access_key = credentials.access_key or access_key
    region = getattr(request_signer, "region_name", None) or context.get("client_region") or ""
    return f"AWS4-HMAC-SHA256 Credential={access_key}/19700101/{region}/{service}/aws4_request"


def _parse(http: AWSResponse, model: OperationModel, events: Any) -> Dict[str, Any]:
    response = {
        "headers": http.headers,
        "status_code": http.status_code,
        "body": http.content,
        "context": {"operation_name": model.name},
    }
    if model.has_streaming_output and http.status_code < 300:
        # A streaming payload (iot-data's shadow documents) reaches the caller as a
        # StreamingBody, exactly as botocore's endpoint hands it over on the wire.
        response["body"] = StreamingBody(http.raw, http.headers.get("content-length"))
    # Hooks on before-parse (e.g. to read the raw body) still see every answer.
    customized: Dict[str, Any] = {}
    if events is not None:
        events.emit(
            f"before-parse.{model.service_model.service_id.hyphenize()}.{model.name}",
            operation_model=model,
            response_dict=response,
            customized_response_dict=customized,
        )
    parser = _parser()
    parsed = parser.parse(response, model.output_shape)
    parsed.update(customized)
    if http.status_code >= 300:
        code = parsed.get("Error", {}).get("Code")
        error_shape = model.service_model.shape_for_error_code(code) if code else None
        if error_shape is not None:
            parsed.update(parser.parse(response, error_shape))
    parsed.setdefault("ResponseMetadata", {})["RetryAttempts"] = 0
    return parsed


def _before_call(
    model: OperationModel,
    params: Dict[str, Any],
    request_signer: Any = None,
    context: Optional[Dict[str, Any]] = None,
    event_name: str = "",
    **_: Any,
) -> Optional[Tuple[AWSResponse, Dict[str, Any]]]:
    store = current_store()
    if store is None or not store.fast_path or not event_name.startswith(_OUR_EVENTS):
        return None
    if store.has_fault(model.name):
        return None  # let botocore's retry loop see the injected error
    service = model.service_model.service_name
    headers = {k: v.decode("latin-1") if isinstance(v, bytes) else str(v) for k, v in params["headers"].items()}
    headers["Authorization"] = _pseudo_authorization(request_signer, service, context or {})
    body = params.get("body") or b""
    if isinstance(body, str):
        body = body.encode("utf-8")
    request = HttpRequest.from_url(params["method"], params["url"], headers, body)
    http = to_aws_response(params["url"], serve(store, request))
    return http, _parse(http, model, getattr(request_signer, "_event_emitter", None))


# Registered last: a Stubber a user activates on a client still answers first.
for _service in _EVENT_SERVICES:
    botocore.handlers.BUILTIN_HANDLERS.append(
        (f"before-call.{_service}", _before_call, botocore.handlers.REGISTER_LAST)
    )
