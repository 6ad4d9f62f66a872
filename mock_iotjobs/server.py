"""Server mode: the same backend over HTTP for the AWS CLI, other SDKs and devices.

A small WSGI app turns each HTTP request into the transport-neutral
:class:`HttpRequest` and hands it to :func:`dispatch.serve` -- the one pipeline
the in-process mock uses too -- so routing, parsing, validation and error
shapes are identical in both modes.  Both services share one port: the SigV4
credential scope (or a ``Host`` beginning with ``data.jobs.iot``) picks
``iot`` or ``iot-jobs-data``, and a 12-digit access key id picks the account.

The transport (``transport.py``) is waitress: keep-alive, a bounded worker
pool, idle timeouts and a body limit, every refusal an AWS-shaped JSON error.
Admin endpoints and their protections are in ``admin.py``; ``--state-dir``
in ``persistence.py``.  Nothing here activates the in-process botocore patches.

``--mqtt-port`` is served by ``mock_iotjobs.mqtt``: ``start_listener(store,
host, port, account_id=..., region=...)`` returning an object with ``stop()``
and the bound ``port``.
"""

from __future__ import annotations

import contextlib
import http
import importlib
import json
import signal
import sys
import threading
import time
from typing import IO, Any, Callable, Dict, Iterable, Iterator, List, Optional, Tuple
from urllib.parse import quote, urlsplit

from .admin import ADMIN_PREFIX, Admin, AdminRequest, dump_state, is_admin_path, jsonable
from .backend.state import DEFAULT_REGION, BackendStore, default_account_id
from .dispatch import serve
from .handle import MockIotJobs
from .persistence import StateDir, StateError
from .protocol.routing import service_for
from .protocol.wire import HttpRequest, HttpResponse
from .transport import Limits, WaitressServer

__all__ = [
    "ADMIN_PREFIX",
    "Limits",
    "MockIotJobsApp",
    "ServerThread",
    "dump_state",
    "jsonable",
    "make_app",
    "run_server",
    "running_server",
]

_URI_SAFE = "/%:@!$&'()*+,;=-._~"
# Methods that read: every other request may have changed state (and is saved with --state-dir).
_READS = frozenset({"GET", "HEAD", "OPTIONS"})

StartResponse = Callable[..., Any]


class MockIotJobsApp:
    """The WSGI application: AWS requests go to ``dispatch.serve``, admin ones to ``Admin``."""

    def __init__(
        self,
        store: Optional[BackendStore] = None,
        log: Optional[IO[str]] = None,
        *,
        hosts: Iterable[str] = (),
        admin_token: Optional[str] = None,
        state: Optional[StateDir] = None,
        limits: Optional[Limits] = None,
    ) -> None:
        self.store = store if store is not None else BackendStore()
        self.handle = MockIotJobs(self.store)
        self.state = state
        self.limits = limits or Limits()
        self.store.max_body_bytes = self.limits.max_body_bytes
        self.admin = Admin(self.store, self.handle, hosts, admin_token, on_change=self.save)
        self._log = log
        self._log_lock = threading.Lock()

    def save(self) -> None:
        if self.state is not None:
            self.state.save(self.store)

    def __call__(self, environ: Dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()
        label, path = "-", "-"
        try:
            label, path, reply = self._answer(environ)
        except Exception as error:  # a bug in the mock: an AWS-shaped 500, never a traceback
            reply = _error(500, "InternalFailureException", f"mock_iotjobs internal error: {type(error).__name__}")
        if self._log is not None:
            self._write_log(environ, label, path, reply, time.perf_counter() - started)
        phrase = _PHRASES.get(reply.status, "Unknown")
        headers = [(k, v) for k, v in reply.headers.items()]
        headers.append(("Content-Length", str(len(reply.body))))
        start_response(f"{reply.status} {phrase}", headers)
        return [reply.body]

    def _answer(self, environ: Dict[str, Any]) -> Tuple[str, str, HttpResponse]:
        method = str(environ.get("REQUEST_METHOD", ""))
        path = _raw_path(environ)
        if not method.isalpha() or method != method.upper():
            return "-", path, _error(400, "SerializationException", "The HTTP method must be upper case")
        headers = _headers(environ)
        body_or_reply = self._body(environ)
        if isinstance(body_or_reply, HttpResponse):
            return "-", path, body_or_reply
        body = body_or_reply
        if is_admin_path(path):
            lowered = {k.lower(): v for k, v in headers.items()}
            query = str(environ.get("QUERY_STRING", ""))
            return "admin", path, self.admin.answer(AdminRequest(method, path, query, lowered, body))
        wire = HttpRequest(method, _host(environ), path, str(environ.get("QUERY_STRING", "")), headers, body)
        label = service_for(wire.header("Authorization"), wire.host)
        reply = serve(self.store, wire)
        # A refused call changed nothing (timers it let fall due are kept and fire again
        # at their due time after a restart), so only accepted changes pay for a save.
        if self.state is not None and method not in _READS and reply.status < 400:
            self.save()
        return label, path, reply

    def _body(self, environ: Dict[str, Any]) -> "bytes | HttpResponse":
        limit = self.limits.max_body_bytes
        stream = environ.get("wsgi.input")
        length_text = environ.get("CONTENT_LENGTH") or ""
        if length_text:
            try:
                length = int(length_text)
            except ValueError:
                return _error(400, "SerializationException", "The Content-Length header is not a number")
            if length > limit:
                return _too_large(limit)
            return stream.read(length) if (stream is not None and length > 0) else b""
        if stream is None or not environ.get("wsgi.input_terminated"):
            return b""
        data = stream.read(limit + 1)  # a chunked body: read at most one byte past the limit
        return _too_large(limit) if len(data) > limit else data

    def _write_log(self, environ: Dict[str, Any], label: str, path: str, reply: HttpResponse, elapsed: float) -> None:
        error = reply.headers.get("x-amzn-ErrorType")
        line = (
            f"{environ.get('REMOTE_ADDR', '-')} {label} {environ.get('REQUEST_METHOD', '-')} "
            f"{path} {reply.status}{' ' + error if error else ''} {elapsed * 1000:.1f}ms\n"
        )
        assert self._log is not None
        with self._log_lock:
            self._log.write(line)
            self._log.flush()


def make_app(store: Optional[BackendStore] = None, log: Optional[IO[str]] = None, **options: Any) -> MockIotJobsApp:
    """The WSGI app serving ``store`` (a fresh one by default); ``log`` gets one line a request."""
    return MockIotJobsApp(store, log, **options)


# --- helpers --------------------------------------------------------------------
_PHRASES = {status.value: status.phrase for status in http.HTTPStatus}


def _error(status: int, code: str, message: str) -> HttpResponse:
    body = json.dumps({"message": message}).encode()
    return HttpResponse(status, {"Content-Type": "application/json", "x-amzn-ErrorType": code}, body)


def _too_large(limit: int) -> HttpResponse:
    message = f"The request body is larger than the limit of {limit} bytes."
    reply = _error(413, "RequestEntityTooLargeException", message)
    reply.headers["Connection"] = "close"  # the rest of the body is not read
    return reply


def _headers(environ: Dict[str, Any]) -> Dict[str, str]:
    headers: Dict[str, str] = {}
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            headers[key[5:].replace("_", "-").title()] = value
    if environ.get("CONTENT_TYPE"):
        headers["Content-Type"] = environ["CONTENT_TYPE"]
    if environ.get("CONTENT_LENGTH"):
        headers["Content-Length"] = environ["CONTENT_LENGTH"]
    return headers


def _raw_path(environ: Dict[str, Any]) -> str:
    """The request path exactly as sent (percent-encoding kept)."""
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw:
        if "://" in raw.split("?", 1)[0]:
            raw = urlsplit(raw).path or "/"
        path = raw.split("?", 1)[0]
        if not path.isascii():
            # WSGI strings carry bytes as latin-1; re-encode anything unescaped.
            path = quote(path.encode("latin-1"), safe=_URI_SAFE)
        return path or "/"
    path_info = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
    return quote(path_info.encode("latin-1"), safe="/") or "/"


def _host(environ: Dict[str, Any]) -> str:
    host = environ.get("HTTP_HOST")
    if host:
        return str(host)
    return f"{environ.get('SERVER_NAME', 'localhost')}:{environ.get('SERVER_PORT', '')}"


# --- running a server -----------------------------------------------------------
class ServerThread:
    """A server listening at once (port 0 picks a free port), served from a thread.

    ``with ServerThread() as server: boto3.client("iot", endpoint_url=server.url)``
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        store: Optional[BackendStore] = None,
        log: Optional[IO[str]] = None,
        *,
        limits: Optional[Limits] = None,
        admin_token: Optional[str] = None,
        state: Optional[StateDir] = None,
        allowed_hosts: Iterable[str] = (),
    ) -> None:
        self.host = host
        # The admin endpoints answer loopback names, the address listened on, and allowed_hosts
        # (e.g. a docker-compose service name): never any Host (DNS rebinding).
        hosts: List[str] = [host] if host not in ("0.0.0.0", "::", "") else []
        hosts.extend(allowed_hosts)
        self.app = make_app(store, log, hosts=hosts, admin_token=admin_token, state=state, limits=limits)
        self.store = self.app.store
        self._server = WaitressServer(self.app, host, port, self.app.limits)
        self.port = self._server.port
        self._started = False

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> ServerThread:
        if not self._started:
            self._started = True
            self._server.start(name=f"mock_iotjobs-server-{self.port}")
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop accepting requests, close every connection and the listening socket."""
        self._started = False
        self._server.stop(timeout)

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


@contextlib.contextmanager
def running_server(
    port: int = 0,
    host: str = "127.0.0.1",
    store: Optional[BackendStore] = None,
    log: Optional[IO[str]] = None,
    **options: Any,
) -> Iterator[str]:
    """``with running_server() as url:`` a server in a background thread, stopped on exit."""
    with ServerThread(host, port, store, log, **options) as server:
        yield server.url


def _mqtt_starter() -> Tuple[Optional[Callable[..., Any]], str]:
    try:
        module = importlib.import_module("mock_iotjobs.mqtt")
    except ModuleNotFoundError as error:
        if error.name == "mock_iotjobs.mqtt":
            return None, "this version of mock_iotjobs has no MQTT support (no mock_iotjobs.mqtt)"
        return None, f"MQTT needs a package that is not installed: {error.name}"
    start = getattr(module, "start_listener", None)
    if not callable(start):
        return None, "mock_iotjobs.mqtt has no start_listener(store, host, port)"
    return start, ""


def _save_after_mqtt_requests(mqtt: Any, state: StateDir, store: BackendStore) -> None:
    """Device requests over MQTT change state too: save after each (start-up wiring)."""
    service = getattr(mqtt, "service", None)
    handle = getattr(service, "handle", None)
    if service is None or not callable(handle):
        return

    def handle_and_save(*args: Any, **kwargs: Any) -> Any:
        try:
            return handle(*args, **kwargs)
        finally:
            state.save(store)

    service.handle = handle_and_save


def limits_from(args: Any) -> Limits:
    defaults = Limits()
    return Limits(
        max_body_bytes=int(getattr(args, "max_body_bytes", defaults.max_body_bytes)),
        idle_timeout=int(getattr(args, "idle_timeout", defaults.idle_timeout)),
        threads=int(getattr(args, "threads", defaults.threads)),
        max_connections=int(getattr(args, "max_connections", defaults.max_connections)),
    )


def run_server(args: Any) -> int:
    """``mock-iotjobs serve``: listen until SIGINT/SIGTERM; 0 on a clean stop."""
    host = getattr(args, "host", "127.0.0.1")
    port = int(getattr(args, "port", 5123))
    mqtt_port = getattr(args, "mqtt_port", None)
    mqtt_ws_port = getattr(args, "mqtt_ws_port", None)
    mqtt_tls_port = getattr(args, "mqtt_tls_port", None)
    if mqtt_ws_port is not None and mqtt_port is None:
        mqtt_port = 0  # MQTT over WebSocket comes with the MQTT listener (on a free port)
    region = getattr(args, "region", None) or DEFAULT_REGION
    account = getattr(args, "account", None) or default_account_id()
    log = sys.stdout if getattr(args, "log", False) else None
    start_mqtt: Optional[Callable[..., Any]] = None
    if mqtt_port is not None or mqtt_tls_port is not None:
        start_mqtt, reason = _mqtt_starter()
        if start_mqtt is None:
            print(f"mock_iotjobs: cannot serve MQTT: {reason}", file=sys.stderr)
            return 2
    mqtt_options: Dict[str, Any] = {}
    if getattr(args, "mqtt_limit", None):
        from .mqtt.limits import MqttLimits

        try:
            mqtt_options["limits"] = MqttLimits().with_overrides(args.mqtt_limit)
        except ValueError as error:
            print(f"mock_iotjobs: --mqtt-limit: {error}", file=sys.stderr)
            return 2
    if mqtt_ws_port is not None:
        mqtt_options["ws_port"] = mqtt_ws_port
    state: Optional[StateDir] = None
    store: Optional[BackendStore] = None
    state_dir = getattr(args, "state_dir", None)
    if state_dir:
        state = StateDir(state_dir)
        try:
            store = state.open()
        except StateError as error:
            print(f"mock_iotjobs: {error}", file=sys.stderr)
            state.close()
            return 2
    store = store if store is not None else BackendStore()
    store.default_account_id, store.default_region = account, region
    try:
        token = getattr(args, "admin_token", None)
        allowed = getattr(args, "allow_host", None) or ()
        server = ServerThread(
            host, port, store, log, limits=limits_from(args), admin_token=token, state=state, allowed_hosts=allowed
        )
    except OSError as error:
        print(f"mock_iotjobs: cannot listen on {host}:{port}: {error}", file=sys.stderr)
        return 1
    stop = threading.Event()
    previous = _install_signal_handlers(lambda *_: stop.set())
    mqtt = mqtt_tls = None
    try:
        server.start()
        if start_mqtt is not None and mqtt_port is not None:
            mqtt = start_mqtt(server.store, host, mqtt_port, account_id=account, region=region, **mqtt_options)
            if state is not None:
                _save_after_mqtt_requests(mqtt, state, server.store)
        if start_mqtt is not None and mqtt_tls_port is not None:
            # WebSocket stays on --mqtt-port's listener; this one is mutual TLS with policies.
            tls_options = {k: v for k, v in mqtt_options.items() if k != "ws_port"}
            mqtt_tls = start_mqtt(
                server.store, host, mqtt_tls_port, account_id=account, region=region, tls=True, **tls_options
            )
            if state is not None:
                _save_after_mqtt_requests(mqtt_tls, state, server.store)
        _print_banner(server, mqtt, mqtt_port, account, region, state, getattr(args, "admin_token", None), mqtt_tls)
        while not stop.wait(0.5):
            pass
    finally:
        _restore_signal_handlers(previous)
        for listener in (mqtt_tls, mqtt):
            if listener is not None:
                listener.stop()
        server.stop()
        if state is not None:
            state.save(server.store)
            state.close()
    print("mock_iotjobs stopped", flush=True)
    return 0


def _print_banner(
    server: ServerThread,
    mqtt: Any,
    mqtt_port: Optional[int],
    account: str,
    region: str,
    state: Optional[StateDir],
    token: Optional[str],
    mqtt_tls: Any = None,
) -> None:
    lines = [f"mock_iotjobs listening on {server.url}"]
    if mqtt is not None:  # first, as before: scripts read the MQTT port from the first line
        host = f"[{server.host}]" if ":" in server.host else server.host
        lines.insert(0, f"mock_iotjobs MQTT listening on mqtt://{host}:{getattr(mqtt, 'port', mqtt_port)}")
        if getattr(mqtt, "ws_url", None):
            lines.insert(1, f"mock_iotjobs MQTT over WebSocket listening on {mqtt.ws_url}")
    else:
        lines.append("  MQTT: off (--mqtt-port N serves the jobs topics)")
    if mqtt_tls is not None:
        tls_host = f"[{server.host}]" if ":" in server.host else server.host
        line = f"mock_iotjobs MQTT (mutual TLS) listening on mqtts://{tls_host}:{mqtt_tls.port}"
        lines.insert(1 if mqtt is not None else 0, line)
    lines.append(f"  account {account}, region {region} (MQTT's scope; unsigned HTTP calls)")
    lines.append(
        f"  admin: POST {server.url}{ADMIN_PREFIX}reset, GET {server.url}{ADMIN_PREFIX}state, "
        f"POST {server.url}{ADMIN_PREFIX}advance-time, GET {server.url}{ADMIN_PREFIX}health, "
        f"GET {server.url}{ADMIN_PREFIX}ca-certificate"
        + (" (token required)" if token else "")
    )
    kept = f"saved in {state.path} after each change" if state is not None else "in memory only (--state-dir DIR)"
    lines.append(f"  state: {kept}")
    print("\n".join(lines), flush=True)


def _install_signal_handlers(handler: Callable[..., None]) -> Dict[int, Any]:
    previous: Dict[int, Any] = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            previous[sig] = signal.signal(sig, handler)
        except ValueError:  # not the main thread: the caller handles stopping
            pass
    return previous


def _restore_signal_handlers(previous: Dict[int, Any]) -> None:
    for sig, handler in previous.items():
        signal.signal(sig, handler)
