"""Server mode's HTTP transport: waitress, bounded and answering in AWS's shape.

Why waitress rather than werkzeug's development server (issue 14): werkzeug's
server answers ``Connection: close`` to every request and starts a thread per
connection, so each boto3 call paid a new TCP connection and thread; a
half-sent request held its thread forever; a 100 MB body was read whole.
waitress is pure Python (no build step), keeps HTTP/1.1 connections alive,
serves them from a fixed pool of worker threads on one asyncore loop, closes
idle channels (also those whose headers never finish), refuses bodies over a
size before reading them, and refuses lower-case methods and malformed chunked
bodies itself.  Its own refusals are plain text; here they become the JSON
error AWS services send (``x-amzn-ErrorType`` + ``{"message": ...}``).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any, Callable, List, Optional, Tuple

from waitress import wasyncore
from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer, create_server
from waitress.task import ErrorTask

from .protocol.wire import MAX_BODY_BYTES


@dataclass(frozen=True)
class Limits:
    """What one client may cost the server (``serve --help`` shows them)."""

    # AWS IoT's largest documented request member is a 32 KB job document; 1 MiB leaves room.
    max_body_bytes: int = MAX_BODY_BYTES
    max_header_bytes: int = 64 * 1024
    # A connection with no traffic (idle keep-alive, or headers never finished) is closed
    # after idle_timeout, checked every cleanup_interval: at most 40 s by default.
    idle_timeout: int = 30
    cleanup_interval: int = 10
    threads: int = 8
    max_connections: int = 200


# waitress's error classes by status, as the error codes AWS front ends send.
_ERROR_TYPES = {
    400: ("SerializationException", "The request could not be read: {detail}"),
    413: ("RequestEntityTooLargeException", "The request body is larger than the limit of {limit} bytes."),
    431: ("RequestHeaderFieldsTooLargeException", "The request headers are larger than the limit of {headers} bytes."),
    500: ("InternalFailureException", "mock_iotjobs could not answer the request."),
    501: ("NotImplementedException", "{detail}"),
}


def error_document(status: int, detail: str, limits: Limits) -> Tuple[str, List[Tuple[str, str]], bytes]:
    code, template = _ERROR_TYPES.get(status, ("SerializationException", "{detail}"))
    message = template.format(detail=detail[:200], limit=limits.max_body_bytes, headers=limits.max_header_bytes)
    body = json.dumps({"message": message}).encode()
    headers = [
        ("Content-Type", "application/json"),
        ("x-amzn-ErrorType", code),
        ("Connection", "close"),
    ]
    return str(status), headers, body


class _JsonErrorTask(ErrorTask):  # type: ignore[misc]
    """waitress's refusal (bad request line, chunking, size) as an AWS-shaped JSON error."""

    def execute(self) -> None:
        error = self.request.error
        limits: Limits = getattr(self.channel.server, "mock_limits", Limits())
        status, headers, body = error_document(int(error.code), str(error.body), limits)
        self.status = f"{status} {error.reason}"
        self.response_headers.extend(headers)
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


class _Channel(HTTPChannel):  # type: ignore[misc]
    error_task_class = _JsonErrorTask


class WaitressServer:
    """A waitress server on ``host:port`` (0: a free port) run from a daemon thread."""

    def __init__(self, app: Callable[..., Any], host: str, port: int, limits: Limits) -> None:
        self.limits = limits
        self._map: dict = {}
        self._server: BaseWSGIServer = create_server(
            app,
            map=self._map,
            host=host,
            port=port,
            threads=limits.threads,
            connection_limit=limits.max_connections,
            channel_timeout=limits.idle_timeout,
            cleanup_interval=limits.cleanup_interval,
            # waitress refuses a body of max_request_body_size bytes or more.
            max_request_body_size=limits.max_body_bytes + 1,
            max_request_header_size=limits.max_header_bytes,
            asyncore_use_poll=True,  # select() stops at 1024 descriptors
            expose_tracebacks=False,
            ident="mock_iotjobs",
            clear_untrusted_proxy_headers=True,
        )
        self._server.channel_class = _Channel
        self._server.mock_limits = limits
        self.port = int(self._server.effective_port)
        self._stopping = threading.Event()
        self._thread: Optional[threading.Thread] = None

    def start(self, name: str) -> None:
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            while not self._stopping.is_set():
                wasyncore.loop(timeout=0.5, use_poll=True, map=self._map, count=1)
        finally:
            self._server.task_dispatcher.shutdown(cancel_pending=True, timeout=2)
            wasyncore.close_all(self._map)

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            self._server.pull_trigger()
            thread.join(timeout)
        else:
            self._server.task_dispatcher.shutdown(cancel_pending=True, timeout=2)
            wasyncore.close_all(self._map)
