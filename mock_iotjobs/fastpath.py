"""The zero-copy fast path: answer at botocore's ``before-call`` event.

botocore emits ``before-call`` after serialising a request and before
building the user agent, signing and sending it (the Stubber answers here
too).  We feed the serialised request through the same pipeline as the wire
path and hand back ``(http_response, parsed)``: a successful result is
converted straight into what botocore's parser would have produced
(:mod:`mock_iotjobs.protocol.parsed`); errors and the few outputs with header
members go through our bytes and botocore's own parser.

The wire path (``before-send``) stays the reference: a differential test
holds both paths to identical parsed results and exceptions.  A call takes
the wire way when it needs what only the wire has:

- an injected fault is pending (botocore's retry loop must see it);
- the client has handlers of the user's own on an event between
  ``before-call`` and the HTTP send (``request-created``, ``before-sign``,
  ``before-send``, ...), which would otherwise never fire.

Async clients (aiobotocore, aioboto3) are answered here too: their emitter
awaits what a handler returns, so the answer is a coroutine that awaits the
``before-parse`` event, and the HTTP response's body is awaitable.
"""

from __future__ import annotations

import functools
import inspect
import io
import os
import re
from typing import Any, Awaitable, Dict, Optional, Tuple, Union
from urllib.parse import unquote

import botocore.handlers
from botocore.awsrequest import AWSResponse
from botocore.model import OperationModel
from botocore.parsers import ResponseParser, create_parser
from botocore.response import StreamingBody

from .backend.state import DEFAULT_REGION, default_account_id
from .dispatch import Known, Outcome, execute, log_served, respond
from .interception import ASYNC_CALL, RawBody, async_response, current_store
from .protocol.parsed import direct_plan
from .protocol.response import failure, new_request_id
from .protocol.text import surrogate_error, surrogate_path
from .protocol.validation import error_code
from .protocol.wire import HttpRequest

_SURROGATES = re.compile("[\ud800-\udfff]")

# botocore names events by the hyphenized service id: "iot-jobs-data-plane", not "iot-jobs-data".
_EVENT_SERVICES = ("iot", "iot-jobs-data-plane", "iot-data-plane")
_OUR_EVENTS = tuple(f"before-call.{name}." for name in _EVENT_SERVICES)
# Events botocore emits between before-call and the HTTP send (or right after
# it): a user's handler on one of them forces the wire path.
WIRE_EVENTS = ("request-created", "choose-signer", "before-sign", "before-send", "response-received", "needs-retry")
# Handlers from these packages are machinery, not the user's instrumentation.
_MACHINERY = ("botocore.", "boto3.", "aiobotocore.", "aioboto3.", "mock_iotjobs.", "moto.")

Answer = Tuple[AWSResponse, Dict[str, Any]]


@functools.lru_cache(maxsize=None)
def _parser() -> ResponseParser:
    return create_parser("rest-json")


# Compare every direct answer with botocore's parser (tests set it; costs a parse per call).
CHECK_PARSED = os.environ.get("MOCK_IOTJOBS_CHECK_PARSED", "") == "1"
_ACCOUNT_KEY = re.compile(r"\d{12}")
_LABEL = re.compile(r"\{([A-Za-z0-9_]+)(\+?)\}")


@functools.lru_cache(maxsize=None)
def _uri_pattern(model: OperationModel) -> "re.Pattern[str]":
    """The operation's requestUri as a regex capturing its labels (botocore already
    told us the operation: only the labels are left to read)."""
    template = model.http["requestUri"].split("?", 1)[0]
    pattern, last = [], 0
    for match in _LABEL.finditer(template):
        pattern.append(re.escape(template[last : match.start()]))
        pattern.append(f"(?P<{match.group(1)}>{'.+' if match.group(2) else '[^/]+'})")
        last = match.end()
    pattern.append(re.escape(template[last:]))
    return re.compile("".join(pattern) + "/?")


def _known(model: OperationModel, path: str, request_signer: Any, context: Dict[str, Any]) -> Optional[Known]:
    """Service, operation, labels, account and region, as the wire path would find them."""
    # An encoded slash belongs to its label (iot-data's /topics/{topic}), as in routing.route.
    slash = "%2F" in path or "%2f" in path
    decoded = unquote(path.replace("%2F", "\0").replace("%2f", "\0")) if slash else unquote(path)
    match = _uri_pattern(model).fullmatch(decoded)
    if match is None:
        return None  # the full router answers (and explains)
    labels = match.groupdict()
    if slash:
        labels = {key: value.replace("\0", "/") for key, value in labels.items()}
    access_key = getattr(getattr(request_signer, "_credentials", None), "access_key", None) or ""
    account = access_key if _ACCOUNT_KEY.fullmatch(access_key) else default_account_id()
    region = getattr(request_signer, "region_name", None) or context.get("client_region") or DEFAULT_REGION
    return Known(model.service_model.service_name, model.name, labels, account, region)


def _is_machinery(handler: Any) -> bool:
    module = getattr(handler, "__module__", None) or ""
    return module.startswith(_MACHINERY)


def user_handlers(events: Any, service_id: str, operation: str, names: Tuple[str, ...] = WIRE_EVENTS) -> bool:
    """Whether the client's emitter has a user's handler on one of ``names`` for this operation.

    The verdict is cached in the emitter's own lookup cache, which botocore
    replaces whenever a handler is registered or unregistered, so it is never
    stale and costs one dict look-up per call.
    """
    inner = getattr(events, "_emitter", events)
    trie = getattr(inner, "_handlers", None)
    cache = getattr(inner, "_lookup_cache", None)
    if trie is None or cache is None:
        return False
    key = ("mock_iotjobs", id(trie), operation, names)
    verdict = cache.get(key)
    if verdict is None:
        verdict = any(
            not _is_machinery(handler)
            for name in names
            for handler in trie.prefix_search(f"{name}.{service_id}.{operation}")
        )
        cache[key] = verdict
    return bool(verdict)


@functools.lru_cache(maxsize=None)
def _is_async_emitter(kind: type) -> bool:
    # aiobotocore keeps botocore's EventAliaser around its AioHierarchicalEmitter,
    # whose _emit is a coroutine function (emit returns what _emit does).
    return inspect.iscoroutinefunction(getattr(kind, "_emit", None))


def _response_dict(http: AWSResponse, body: bytes, model: OperationModel) -> Dict[str, Any]:
    response: Dict[str, Any] = {
        "headers": http.headers,
        "status_code": http.status_code,
        "body": body,
        "context": {"operation_name": model.name},
    }
    if model.has_streaming_output and http.status_code < 300:
        # A streaming payload (iot-data's shadow documents) reaches the caller (and
        # before-parse hooks) as a StreamingBody, as botocore's endpoint hands it over.
        response["body"] = StreamingBody(io.BytesIO(body), http.headers.get("content-length"))
    return response


def _before_parse_args(model: OperationModel, response: Dict[str, Any]) -> Tuple[str, Dict[str, Any]]:
    event = f"before-parse.{model.service_model.service_id.hyphenize()}.{model.name}"
    return event, {"operation_model": model, "response_dict": response, "customized_response_dict": {}}


def _parse_bytes(response: Dict[str, Any], model: OperationModel, customized: Dict[str, Any]) -> Dict[str, Any]:
    parser = _parser()
    parsed = parser.parse(response, model.output_shape)
    parsed.update(customized)
    if response["status_code"] >= 300:
        code = parsed.get("Error", {}).get("Code")
        error_shape = model.service_model.shape_for_error_code(code) if code else None
        if error_shape is not None:
            parsed.update(parser.parse(response, error_shape))
    parsed.setdefault("ResponseMetadata", {})["RetryAttempts"] = 0
    return parsed


class _LazyBody(RawBody):
    """The JSON body of a directly parsed answer, written only if someone reads it."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__()
        self._outcome: Optional[Outcome] = outcome

    def _fill(self) -> None:
        if self._outcome is not None:
            body = respond(self._outcome, log_it=False).body
            self._outcome = None
            self.write(body)
            self.seek(0)

    def getvalue(self) -> bytes:
        self._fill()
        return super().getvalue()

    def read(self, *args: Any) -> bytes:
        self._fill()
        return super().read(*args)


def _direct(outcome: Outcome, url: str, is_async: bool) -> Optional[Answer]:
    """The parsed answer built straight from the handler's result, or None."""
    if outcome.error is not None:
        return None
    found = direct_plan(outcome.service, outcome.operation)
    if found is None:
        return None
    plan, convert = found
    headers = {"Content-Type": "application/json", "x-amzn-RequestId": outcome.request_id}
    http = _http_response(url, plan.status, headers, _LazyBody(outcome), is_async)
    parsed: Dict[str, Any] = {"ResponseMetadata": {"RequestId": outcome.request_id}}
    parsed.update(convert(outcome.result or {}))
    parsed["ResponseMetadata"] = {
        "RequestId": outcome.request_id,
        "HTTPStatusCode": plan.status,
        "HTTPHeaders": {"content-type": "application/json", "x-amzn-requestid": outcome.request_id},
        "RetryAttempts": 0,
    }
    log_served(outcome, plan.status)
    return http, parsed


def _http_response(url: str, status: int, headers: Dict[str, str], raw: Any, is_async: bool) -> AWSResponse:
    if is_async:
        return async_response(url, status, headers, raw)
    return AWSResponse(url, status, headers, raw)


def _before_call(
    model: OperationModel,
    params: Dict[str, Any],
    request_signer: Any = None,
    context: Optional[Dict[str, Any]] = None,
    event_name: str = "",
    **_: Any,
) -> Union[None, Answer, Awaitable[Answer]]:
    if not event_name.startswith(_OUR_EVENTS):
        return None
    events = getattr(request_signer, "_event_emitter", None)
    is_async = events is not None and _is_async_emitter(getattr(events, "_emitter", events).__class__)
    ASYNC_CALL.set(is_async)
    store = current_store()
    if store is None:
        return None
    refused = (context or {}).get(_REFUSED)
    if refused is not None:  # see _before_parameter_build: answered here on either path
        service = model.service_model.service_name
        refusal = surrogate_error(refused)
        refusal.code = error_code(service, model.name)  # ValidationException for the commands API
        wire = failure(service, refusal, new_request_id())
        http = _http_response(params["url"], wire.status, wire.headers, RawBody(wire.body), is_async)
        return http, _parse_bytes(_response_dict(http, wire.body, model), model, {})
    if not store.fast_path:
        return None
    if store.has_fault(model.name):
        return None  # let botocore's retry loop see the injected error
    if is_async and model.has_streaming_output:
        return None  # aiobotocore wraps streaming bodies itself, on the wire path
    service_id = model.service_model.service_id.hyphenize()
    if events is not None and user_handlers(events, service_id, model.name):
        return None  # the user's request instrumentation must fire, as under AWS
    headers = {k: v.decode("latin-1") if isinstance(v, bytes) else str(v) for k, v in params["headers"].items()}
    body = params.get("body") or b""
    if isinstance(body, str):
        body = body.encode("utf-8")
    request = HttpRequest.from_url(params["method"], params["url"], headers, body)
    known = _known(model, request.path, request_signer, context or {})
    if known is None:
        return None
    outcome = execute(store, request, known)
    parse_hooks = events is not None and user_handlers(events, service_id, model.name, ("before-parse",))
    if not parse_hooks:
        answer = _direct(outcome, params["url"], is_async)
        if answer is not None:
            if CHECK_PARSED:
                _compare_with_parser(answer, model)
            return answer
    wire = respond(outcome)
    http = _http_response(params["url"], wire.status, wire.headers, RawBody(wire.body), is_async)
    response = _response_dict(http, wire.body, model)
    event, kwargs = _before_parse_args(model, response)
    if events is None or not parse_hooks:
        return http, _parse_bytes(response, model, {})
    if is_async:

        async def answer_async() -> Answer:
            # Hooks on before-parse (e.g. to read the raw body) see every answer.
            await events.emit(event, **kwargs)
            return http, _parse_bytes(response, model, kwargs["customized_response_dict"])

        return answer_async()
    events.emit(event, **kwargs)
    return http, _parse_bytes(response, model, kwargs["customized_response_dict"])


def _compare_with_parser(answer: Answer, model: OperationModel) -> None:
    http, parsed = answer
    body = http.raw.getvalue()
    expected = _parse_bytes(_response_dict(http, body, model), model, {})
    if parsed != expected or repr(parsed) != repr(expected):
        raise AssertionError(f"direct parse of {model.name} differs:\n{parsed!r}\n!=\n{expected!r}")


# --- lone surrogates in URI, query and header members ------------------------------
# botocore percent-encodes those as UTF-8 itself and would raise a raw UnicodeEncodeError
# before any hook sees the request.  Body members arrive as JSON escapes and are refused by
# the parser; these are found here, swapped for a harmless stand-in so serialising works,
# and answered at before-call with the same AWS-shaped validation error.
_REFUSED = "mock_iotjobs_refused_member"


@functools.lru_cache(maxsize=None)
def _outside_body(model: OperationModel) -> Tuple[str, ...]:
    shape = model.input_shape
    if shape is None:
        return ()
    return tuple(
        name
        for name, member in shape.members.items()
        if member.serialization.get("location") in ("uri", "querystring", "header", "headers")
    )


def _before_parameter_build(
    params: Dict[str, Any], model: OperationModel, context: Optional[Dict[str, Any]] = None, **_: Any
) -> None:
    if current_store() is None or context is None:
        return
    for name in _outside_body(model):
        value = params.get(name)
        if value is not None and not isinstance(value, (int, float)) and surrogate_path(value) is not None:
            context[_REFUSED] = name
            params[name] = _stand_in(value)
            return


def _stand_in(value: Any) -> Any:
    if isinstance(value, str):
        return _SURROGATES.sub("\ufffd", value)
    if isinstance(value, list):
        return [_stand_in(item) for item in value]
    if isinstance(value, dict):
        return {_stand_in(k): _stand_in(v) for k, v in value.items()}
    return value


for _service in _EVENT_SERVICES:
    botocore.handlers.BUILTIN_HANDLERS.append((f"before-parameter-build.{_service}", _before_parameter_build))

# Registered last: a Stubber a user activates on a client still answers first.
for _service in _EVENT_SERVICES:
    botocore.handlers.BUILTIN_HANDLERS.append(
        (f"before-call.{_service}", _before_call, botocore.handlers.REGISTER_LAST)
    )

