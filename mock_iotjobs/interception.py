"""Where requests are caught: botocore's ``before-send`` event, a guard on
botocore's HTTP session, and a ``responses`` mock for ``requests`` callers.

The ``before-send`` handler is registered first in botocore's built-in
handlers at import time, so every client created afterwards (even before a
mock is activated) routes IoT calls to the active store.  The session guard
serves clients whose botocore session predates this import and refuses every
other request that would reach the network.
"""

from __future__ import annotations

import io
import re
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterator, List, Optional, Tuple

import botocore.handlers

if TYPE_CHECKING:
    import requests
    import responses

from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.exceptions import BotoCoreError
from botocore.httpsession import URLLib3Session

from .backend.state import BackendStore
from .dispatch import serve
from .protocol.wire import HttpRequest, HttpResponse

if TYPE_CHECKING:
    import requests
    import responses

_STORES: List[BackendStore] = []

_IOT_URL = re.compile(r"^https?://(?:[a-z0-9-]+\.)*iot\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?(?::\d+)?/")
# botocore names events by the hyphenized service id ("IoT Jobs Data Plane"),
# not by the service name.
_OUR_EVENTS = ("before-send.iot.", "before-send.iot-jobs-data-plane.", "before-send.iot-data-plane.")


class NetworkAccessBlocked(BotoCoreError):
    fmt = (
        "mock_iotjobs is active and refused a request to {url}: only AWS IoT "
        "(iot, iot-jobs-data, iot-data) is mocked, and nothing may reach the network. "
        "Activate a mock for that service too (e.g. moto's mock_aws)."
    )


def current_store() -> Optional[BackendStore]:
    return _STORES[-1] if _STORES else None


class RawBody(io.BytesIO):
    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.getvalue()


# Whether the call being made comes from an async client (aiobotocore): set by
# the fast path's before-call handler, which every call of ours passes first,
# and read at before-send (same thread, or same asyncio task).
ASYNC_CALL: ContextVar[bool] = ContextVar("mock_iotjobs_async_call", default=False)


class _AsyncRawBody:
    """What aiobotocore's response reads its body from (``await raw.read()``)."""

    def __init__(self, raw: RawBody) -> None:
        self._raw = raw

    async def read(self, *_: Any) -> bytes:
        return self._raw.getvalue()

    def getvalue(self) -> bytes:
        return self._raw.getvalue()


def async_response(url: str, status: int, headers: Dict[str, str], raw: RawBody) -> AWSResponse:
    """aiobotocore's response type, whose ``content`` is awaited (only used for its clients)."""
    from aiobotocore.awsrequest import AioAWSResponse

    return AioAWSResponse(url, status, headers, _AsyncRawBody(raw))  # type: ignore[no-any-return]


def _body_bytes(body: Any) -> bytes:
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    if hasattr(body, "read"):
        data = body.read()
        if hasattr(body, "seek"):
            body.seek(0)
        return data if isinstance(data, bytes) else str(data).encode("utf-8")
    return bytes(body)


def _text_headers(headers: Any) -> Dict[str, str]:
    return {
        key: value.decode("latin-1") if isinstance(value, bytes) else str(value)
        for key, value in headers.items()
    }


def to_aws_response(url: str, answer: HttpResponse) -> AWSResponse:
    if ASYNC_CALL.get():
        return async_response(url, answer.status, answer.headers, RawBody(answer.body))
    return AWSResponse(url, answer.status, answer.headers, RawBody(answer.body))


def serve_prepared(store: BackendStore, request: AWSPreparedRequest) -> AWSResponse:
    wire = HttpRequest.from_url(
        request.method, request.url, _text_headers(request.headers), _body_bytes(request.body)
    )
    return to_aws_response(request.url, serve(store, wire))


def _before_send(request: AWSPreparedRequest, event_name: str = "", **_: Any) -> Optional[AWSResponse]:
    store = current_store()
    if store is None or not event_name.startswith(_OUR_EVENTS):
        return None
    return serve_prepared(store, request)


botocore.handlers.BUILTIN_HANDLERS.append(
    ("before-send", _before_send, botocore.handlers.REGISTER_FIRST)
)


def _is_iot_url(url: str) -> bool:
    return _IOT_URL.match(url) is not None


class _Patches:
    """Process-wide patches, installed while at least one mock is active."""

    def __init__(self) -> None:
        self._original_send: Optional[Callable[..., Any]] = None
        self._requests_mock: Optional["responses.RequestsMock"] = None

    def install(self) -> None:
        original = URLLib3Session.send
        self._original_send = original

        def guarded_send(session: URLLib3Session, request: AWSPreparedRequest) -> AWSResponse:
            store = current_store()
            if store is not None and _is_iot_url(request.url):
                return serve_prepared(store, request)
            raise NetworkAccessBlocked(url=request.url)

        URLLib3Session.send = guarded_send  # type: ignore[method-assign]
        self._requests_mock = self._start_responses()

    def _start_responses(self) -> "responses.RequestsMock":
        # Imported on first activation: requests/responses (and yaml) cost ~170 ms at import.
        import requests
        import responses

        current_send = requests.adapters.HTTPAdapter.send
        patched_elsewhere = current_send is not responses._real_send
        mock = responses.RequestsMock(
            assert_all_requests_are_fired=False, real_adapter_send=current_send
        )
        for method in ("GET", "PUT", "POST", "PATCH", "DELETE", "HEAD"):
            mock.add_callback(method, _IOT_URL, callback=_requests_callback)
        if patched_elsewhere:
            # Another mock (e.g. moto) already owns ``requests``: hand it the rest.
            mock.add_passthru(re.compile(r"^(?!" + _IOT_URL.pattern[1:] + ")"))
        mock.start()
        return mock

    def remove(self) -> None:
        if self._requests_mock is not None:
            self._requests_mock.stop(allow_assert=False)
            self._requests_mock.reset()
            self._requests_mock = None
        if self._original_send is not None:
            URLLib3Session.send = self._original_send  # type: ignore[method-assign]
            self._original_send = None


def _requests_callback(prepared: "requests.PreparedRequest") -> Tuple[int, dict, bytes]:
    store = current_store()
    if store is None:  # pragma: no cover - the mock is only registered while active
        raise NetworkAccessBlocked(url=prepared.url)
    wire = HttpRequest.from_url(
        prepared.method or "GET",
        prepared.url or "",
        _text_headers(prepared.headers),
        _body_bytes(prepared.body),
    )
    answer = serve(store, wire)
    return answer.status, answer.headers, answer.body


_PATCHES = _Patches()


def push_store(store: BackendStore) -> None:
    if not _STORES:
        _PATCHES.install()
    _STORES.append(store)


def pop_store(store: BackendStore) -> None:
    if store in _STORES:
        _STORES.remove(store)
    if not _STORES:
        _PATCHES.remove()
