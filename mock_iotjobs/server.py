"""Server mode: the same backend over HTTP for the AWS CLI, other SDKs and devices.

A small WSGI app turns each HTTP request into the transport-neutral
:class:`HttpRequest` and hands it to :func:`dispatch.serve` -- the one pipeline
the in-process mock uses too -- so routing, parsing, validation and error
shapes are identical in both modes.  Both services share one port: the SigV4
credential scope (or a ``Host`` beginning with ``data.jobs.iot``) picks
``iot`` or ``iot-jobs-data``, and a 12-digit access key id picks the account.

Nothing here activates the in-process botocore patches.

Admin endpoints (JSON in, JSON out) live under ``/_mock_iotjobs/``:

- ``POST /_mock_iotjobs/reset``        forget every account, region and fault;
- ``GET  /_mock_iotjobs/state``        a JSON dump of all state;
- ``POST /_mock_iotjobs/advance-time`` ``{"seconds": .., "minutes": .., "hours": ..}``
  moves the clock and applies everything that falls due;
- ``GET  /_mock_iotjobs/health``       ``{"status": "ok"}`` once listening;
- ``POST /_mock_iotjobs/s3-objects``   ``{"bucket": .., "key": .., "body": ".."}`` (or
  ``"bodyBase64"``) puts an object a job's ``documentSource`` can name (see
  ``MockIotJobs.put_s3_object``); answers ``{"url": ..}``;
- ``GET  /_mock_iotjobs/ca-certificate[?accountId=..&region=..]`` answers
  ``{"certificatePem": ..}``: the mock CA a client of ``--mqtt-tls-port`` trusts.

``--mqtt-port`` is served by ``mock_iotjobs.mqtt`` when that module exists; it
must provide ``start_listener(store, host, port)`` returning an object with
``stop()`` (and, if it can, the bound ``port``).
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import datetime as dt
import enum
import importlib
import json
import signal
import sys
import threading
import time
from typing import IO, Any, Callable, Dict, Iterable, Iterator, Mapping, Optional, Tuple
from urllib.parse import quote, urlsplit

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from .backend.state import Backend, BackendStore
from .dispatch import serve
from .handle import MockIotJobs
from .protocol.routing import service_for
from .protocol.wire import HttpRequest, HttpResponse

ADMIN_PREFIX = "/_mock_iotjobs/"
_URI_SAFE = "/%:@!$&'()*+,;=-._~"
_TIME_UNITS = {"seconds": 1.0, "minutes": 60.0, "hours": 3600.0}

StartResponse = Callable[..., Any]


class MockIotJobsApp:
    """The WSGI application: AWS requests go to ``dispatch.serve``, admin ones here."""

    def __init__(self, store: Optional[BackendStore] = None, log: Optional[IO[str]] = None) -> None:
        self.store = store if store is not None else BackendStore()
        self.handle = MockIotJobs(self.store)
        self._log = log
        self._log_lock = threading.Lock()

    def __call__(self, environ: Dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()
        request = Request(environ)
        path = _raw_path(environ)
        if environ.get("PATH_INFO", "").startswith(ADMIN_PREFIX):
            label = "admin"
            reply = self._admin(request, environ["PATH_INFO"][len(ADMIN_PREFIX) :])
        else:
            wire = HttpRequest(
                method=request.method.upper(),
                host=_host(environ),
                path=path,
                query=environ.get("QUERY_STRING", ""),
                headers=dict(request.headers.items()),
                body=request.get_data(),
            )
            label = service_for(wire.header("Authorization"), wire.host)
            reply = serve(self.store, wire)
        if self._log is not None:
            self._write_log(environ, label, path, reply, time.perf_counter() - started)
        response = Response(reply.body, status=reply.status, headers=list(reply.headers.items()))
        return response(environ, start_response)

    # --- admin -------------------------------------------------------------
    def _admin(self, request: Request, name: str) -> HttpResponse:
        routes: Dict[str, Tuple[str, Callable[[Request], HttpResponse]]] = {
            "reset": ("POST", self._reset),
            "state": ("GET", self._state),
            "advance-time": ("POST", self._advance_time),
            "health": ("GET", self._health),
            "s3-objects": ("POST", lambda request: put_s3_object(self.handle, request)),
            "ca-certificate": ("GET", self._ca_certificate),
        }
        entry = routes.get(name.strip("/"))
        if entry is None:
            return _admin_error(404, "NotFound", f"No admin endpoint {ADMIN_PREFIX}{name}")
        method, action = entry
        if request.method.upper() != method:
            reply = _admin_error(405, "MethodNotAllowed", f"Use {method} {ADMIN_PREFIX}{name}")
            reply.headers["Allow"] = method
            return reply
        try:
            return action(request)
        except Exception as error:  # a bug in the mock: answer it, keep serving
            return _admin_error(500, "InternalFailure", f"mock_iotjobs admin error: {error!r}")

    def _reset(self, request: Request) -> HttpResponse:
        self.handle.reset()
        return _json_reply(200, {"reset": True})

    def _state(self, request: Request) -> HttpResponse:
        return _json_reply(200, dump_state(self.store))

    def _ca_certificate(self, request: Request) -> HttpResponse:
        pem = self.handle.ca_certificate_pem(
            account_id=request.args.get("accountId") or None, region=request.args.get("region") or None
        )
        return _json_reply(200, {"certificatePem": pem})

    def _health(self, request: Request) -> HttpResponse:
        return _json_reply(200, {"status": "ok"})

    def _advance_time(self, request: Request) -> HttpResponse:
        raw = request.get_data()
        try:
            body = json.loads(raw) if raw.strip() else {}
        except ValueError:
            return _admin_error(400, "InvalidRequest", "The body must be a JSON object")
        if not isinstance(body, dict):
            return _admin_error(400, "InvalidRequest", "The body must be a JSON object")
        unknown = sorted(set(body) - set(_TIME_UNITS))
        if unknown:
            return _admin_error(400, "InvalidRequest", f"Unknown member(s) {unknown}; use seconds, minutes, hours")
        amounts = {}
        for unit, value in body.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                return _admin_error(400, "InvalidRequest", f"{unit} must be a non-negative number, got {value!r}")
            amounts[unit] = float(value)
        delta = sum(amount * _TIME_UNITS[unit] for unit, amount in amounts.items())
        previous = self.store.clock.now()
        now = self.handle.advance_time(**amounts)
        return _json_reply(
            200,
            {"previous": previous, "now": now, "advancedSeconds": delta, "nowIso": _iso(now)},
        )

    # --- log ---------------------------------------------------------------
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


def make_app(store: Optional[BackendStore] = None, log: Optional[IO[str]] = None) -> MockIotJobsApp:
    """The WSGI app serving ``store`` (a fresh one by default); ``log`` gets one line a request."""
    return MockIotJobsApp(store, log)


# --- state dump ---------------------------------------------------------------
_COMPONENTS = ("groups", "jobs", "executions", "templates", "tags", "notifications")


def dump_state(store: BackendStore) -> Dict[str, Any]:
    """Every backend's state as JSON-ready data.

    A backend's own ``snapshot()`` wins; otherwise things are listed and every
    known component that offers ``snapshot()`` is added.
    """
    backends = []
    for (account_id, region), backend in sorted(store.all().items()):
        with backend.lock:
            try:
                data = _backend_snapshot(backend)
            except Exception as error:  # never let a dump break the server
                data = {"error": repr(error)}
        backends.append({"accountId": account_id, "region": region, **data})
    now = store.clock.now()
    return {"now": now, "nowIso": _iso(now), "backends": backends}


def _backend_snapshot(backend: Backend) -> Dict[str, Any]:
    own = getattr(backend, "snapshot", None)
    if callable(own):
        data = jsonable(own())
        return dict(data) if isinstance(data, dict) else {"snapshot": data}
    things = []
    for thing in list(backend.things.by_name.values()):
        describe = getattr(thing, "describe", None)
        things.append(jsonable(describe() if callable(describe) else thing))
    out: Dict[str, Any] = {"things": things}
    for name in _COMPONENTS:
        snapshot = getattr(getattr(backend, name, None), "snapshot", None)
        if callable(snapshot):
            try:
                out[name] = jsonable(snapshot())
            except Exception as error:
                out[name] = {"error": repr(error)}
    return out


def jsonable(value: Any, depth: int = 0) -> Any:
    """``value`` as JSON-ready data; unknown objects become their ``repr``."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if depth > 12:
        return repr(value)
    if isinstance(value, enum.Enum):
        return jsonable(value.value, depth + 1)
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [jsonable(v, depth + 1) for v in value]
        return sorted(items, key=repr) if isinstance(value, (set, frozenset)) else items
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: jsonable(getattr(value, f.name), depth + 1)
            for f in dataclasses.fields(value)
            if not f.name.startswith("_")
        }
    return repr(value)


# --- helpers --------------------------------------------------------------------
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


def _json_reply(status: int, document: Any) -> HttpResponse:
    body = json.dumps(document, separators=(",", ":"), default=repr).encode()
    return HttpResponse(status, {"Content-Type": "application/json"}, body)


def _admin_error(status: int, code: str, message: str) -> HttpResponse:
    reply = _json_reply(status, {"code": code, "message": message})
    reply.headers["x-amzn-ErrorType"] = code
    return reply


def _iso(epoch: float) -> str:
    moment = dt.datetime.fromtimestamp(epoch, tz=dt.timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class _QuietHandler(WSGIRequestHandler):
    """werkzeug's handler without its own per-request log (ours is optional)."""

    def log_request(self, code: Any = "-", size: Any = "-") -> None:
        pass


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
    ) -> None:
        self.app = make_app(store, log)
        self.store = self.app.store
        try:
            self._server: BaseWSGIServer = make_server(
                host, port, self.app, threaded=True, request_handler=_QuietHandler
            )
        except SystemExit:
            # werkzeug reports a failed bind on stderr and exits; a library must not.
            raise OSError(f"cannot bind {host}:{port} (in use or not available)") from None
        self.host = host
        self.port = int(self._server.server_port)
        self._thread: Optional[threading.Thread] = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> ServerThread:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.1},
                name=f"mock_iotjobs-server-{self.port}",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop accepting requests and close the listening socket."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout)
            self._thread = None
        self._server.server_close()

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
) -> Iterator[str]:
    """``with running_server() as url:`` a server in a background thread, stopped on exit."""
    with ServerThread(host, port, store, log) as server:
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


def run_server(args: Any) -> int:
    """``mock-iotjobs serve``: listen until SIGINT/SIGTERM; 0 on a clean stop."""
    host = getattr(args, "host", "127.0.0.1")
    port = int(getattr(args, "port", 5123))
    mqtt_port = getattr(args, "mqtt_port", None)
    mqtt_ws_port = getattr(args, "mqtt_ws_port", None)
    if mqtt_ws_port is not None and mqtt_port is None:
        mqtt_port = 0  # MQTT over WebSocket comes with the MQTT listener (on a free port)
    mqtt_tls_port = getattr(args, "mqtt_tls_port", None)
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
    try:
        server = ServerThread(host, port, log=log)
    except OSError as error:
        print(f"mock_iotjobs: cannot listen on {host}:{port}: {error}", file=sys.stderr)
        return 1
    stop = threading.Event()
    previous = _install_signal_handlers(lambda *_: stop.set())
    mqtt = None
    mqtt_tls = None
    try:
        server.start()
        if start_mqtt is not None and mqtt_port is not None:
            mqtt = start_mqtt(server.store, host, mqtt_port, **mqtt_options)
            mqtt_bound = getattr(mqtt, "port", mqtt_port)
            print(f"mock_iotjobs MQTT listening on mqtt://{host}:{mqtt_bound}", flush=True)
            if getattr(mqtt, "ws_url", None):
                print(f"mock_iotjobs MQTT over WebSocket listening on {mqtt.ws_url}", flush=True)
        if start_mqtt is not None and mqtt_tls_port is not None:
            tls_options = {k: v for k, v in mqtt_options.items() if k != "ws_port"}  # WebSocket stays on --mqtt-port's
            mqtt_tls = start_mqtt(server.store, host, mqtt_tls_port, tls=True, **tls_options)
            tls_bound = getattr(mqtt_tls, "port", mqtt_tls_port)
            print(f"mock_iotjobs MQTT (mutual TLS) listening on mqtts://{host}:{tls_bound}", flush=True)
        print(f"mock_iotjobs listening on {server.url}", flush=True)
        while not stop.wait(0.5):
            pass
    finally:
        _restore_signal_handlers(previous)
        if mqtt is not None:
            mqtt.stop()
        if mqtt_tls is not None:
            mqtt_tls.stop()
        server.stop()
    print("mock_iotjobs stopped", flush=True)
    return 0


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


def put_s3_object(handle: Any, request: Request) -> HttpResponse:
    """``POST /_mock_iotjobs/s3-objects``: the server-mode ``MockIotJobs.put_s3_object``."""
    try:
        body = json.loads(request.get_data() or b"{}")
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return _admin_error(400, "InvalidRequest", "The body must be a JSON object")
    bucket, key = body.get("bucket"), body.get("key")
    if not isinstance(bucket, str) or not bucket or not isinstance(key, str) or not key:
        return _admin_error(400, "InvalidRequest", "bucket and key must be non-empty strings")
    if isinstance(body.get("body"), str):
        data = body["body"].encode("utf-8")
    elif isinstance(body.get("bodyBase64"), str):
        try:
            data = base64.b64decode(body["bodyBase64"], validate=True)
        except ValueError:
            return _admin_error(400, "InvalidRequest", "bodyBase64 is not valid base64")
    else:
        return _admin_error(400, "InvalidRequest", "Give the object as body (text) or bodyBase64")
    return _json_reply(200, {"url": handle.put_s3_object(bucket, key, data)})
