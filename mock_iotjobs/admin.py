"""Server mode's admin endpoints under ``/_mock_iotjobs/``, and who may call them.

- ``POST /_mock_iotjobs/reset``        forget every account, region and fault;
- ``GET  /_mock_iotjobs/state``        a JSON dump of all state (``?accountId=..&region=..`` for one backend);
- ``POST /_mock_iotjobs/advance-time`` ``{"seconds": .., "minutes": .., "hours": ..}``;
- ``GET  /_mock_iotjobs/health``       ``{"status": "ok"}`` once listening;
- ``POST /_mock_iotjobs/s3-objects``   ``{"bucket": .., "key": .., "body": ".."}`` (or ``"bodyBase64"``)
  puts an object a job's ``documentSource`` can name; answers ``{"url": ..}``.

They reset and dump everything, so they are guarded against the two ways a web
page could reach a server on loopback (issue 14): DNS rebinding (a ``Host``
that is neither loopback nor the server's own name is refused) and cross-site
requests (a POST must say ``Content-Type: application/json``, which a page can
only send after a CORS preflight we never grant, and a foreign ``Origin`` or
``Sec-Fetch-Site: cross-site`` is refused).  Only the exact paths reach them:
``//_mock_iotjobs/state`` and ``/%5fmock_iotjobs/state`` do not.  With
``--admin-token``, every endpoint but ``health`` needs
``Authorization: Bearer <token>`` (or ``X-Mock-Iotjobs-Token``).
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import enum
import hmac
import ipaddress
import json
import marshal
import pickle
from typing import Any, Callable, Dict, FrozenSet, Iterable, Mapping, Optional, Tuple
from urllib.parse import parse_qs, unquote, urlsplit

from .backend.state import Backend, BackendStore
from .handle import MockIotJobs
from .protocol.wire import HttpResponse

ADMIN_PREFIX = "/_mock_iotjobs/"
_TIME_UNITS = {"seconds": 1.0, "minutes": 60.0, "hours": 3600.0}
_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


def is_admin_path(raw_path: str) -> bool:
    """Whether a raw (still percent-encoded) path means an admin endpoint, in any spelling
    (``//_mock_iotjobs``, ``/%5fMOCK_iotjobs``): its first segment, decoded.  Only the exact
    spelling is then served; the others are refused rather than routed as AWS calls."""
    first = unquote(raw_path).lstrip("/").split("/", 1)[0]
    return first.lower() == "_mock_iotjobs"


@dataclasses.dataclass
class AdminRequest:
    method: str
    raw_path: str
    query: str
    headers: Mapping[str, str]  # lower-case names
    body: bytes


class Admin:
    """Answers admin requests for ``store``; ``hosts`` are the server's own names."""

    def __init__(
        self,
        store: BackendStore,
        handle: MockIotJobs,
        hosts: Iterable[str] = (),
        token: Optional[str] = None,
        on_change: Optional[Callable[[], None]] = None,
    ) -> None:
        self.store = store
        self.handle = handle
        self.hosts: FrozenSet[str] = frozenset(h.lower().strip("[]") for h in hosts if h)
        self.token = token
        self.on_change = on_change
        self._routes: Dict[str, Tuple[str, Callable[[AdminRequest], HttpResponse]]] = {
            "reset": ("POST", self._reset),
            "state": ("GET", self._state),
            "advance-time": ("POST", self._advance_time),
            "health": ("GET", self._health),
            "s3-objects": ("POST", self._put_s3_object),
            "ca-certificate": ("GET", self._ca_certificate),
        }

    def answer(self, request: AdminRequest) -> HttpResponse:
        name = request.raw_path[len(ADMIN_PREFIX) :] if request.raw_path.startswith(ADMIN_PREFIX) else None
        entry = self._routes.get(name) if name is not None else None
        if entry is None:
            return admin_error(404, "NotFound", "No such admin endpoint (paths are exact: /_mock_iotjobs/state)")
        refusal = self._refusal(request, name or "")
        if refusal is not None:
            return refusal
        method, action = entry
        if request.method != method:
            reply = admin_error(405, "MethodNotAllowed", f"Use {method} {ADMIN_PREFIX}{name}")
            reply.headers["Allow"] = method
            return reply
        try:
            return action(request)
        except Exception as error:  # a bug in the mock: answer it, keep serving
            return admin_error(500, "InternalFailure", f"mock_iotjobs admin error: {type(error).__name__}")

    # --- protections -----------------------------------------------------------------
    def _refusal(self, request: AdminRequest, name: str) -> Optional[HttpResponse]:
        host = request.headers.get("host", "")
        if not self._allowed_host(_host_name(host)):
            return admin_error(403, "ForbiddenHost", "Admin endpoints answer only a loopback or the server's own Host")
        origin = request.headers.get("origin")
        if origin is not None and not self._allowed_origin(origin):
            return admin_error(403, "CrossSiteRequest", "Admin endpoints refuse requests from another origin")
        if request.headers.get("sec-fetch-site", "").lower() == "cross-site":
            return admin_error(403, "CrossSiteRequest", "Admin endpoints refuse cross-site requests")
        if self.token is not None and name != "health" and not self._has_token(request.headers):
            return admin_error(401, "Unauthorized", "This server needs its admin token (Authorization: Bearer ...)")
        if request.method == "POST":
            content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
            if content_type != "application/json":
                return admin_error(415, "UnsupportedMediaType", "Admin POSTs need Content-Type: application/json")
        return None

    def _allowed_host(self, name: str) -> bool:
        if not name:
            return False
        if name in _LOOPBACK_NAMES or name in self.hosts:
            return True
        try:
            return ipaddress.ip_address(name).is_loopback
        except ValueError:
            return False

    def _allowed_origin(self, origin: str) -> bool:
        if origin == "null":
            return False
        parts = urlsplit(origin)
        return parts.scheme in ("http", "https") and self._allowed_host((parts.hostname or "").lower())

    def _has_token(self, headers: Mapping[str, str]) -> bool:
        assert self.token is not None
        given = headers.get("x-mock-iotjobs-token")
        if given is None:
            auth = headers.get("authorization", "")
            given = auth[7:] if auth[:7].lower() == "bearer " else ""
        return hmac.compare_digest(given.encode(), self.token.encode())

    # --- endpoints -------------------------------------------------------------------
    def _reset(self, request: AdminRequest) -> HttpResponse:
        self.handle.reset()
        self._changed()
        return json_reply(200, {"reset": True})

    def _health(self, request: AdminRequest) -> HttpResponse:
        return json_reply(200, {"status": "ok"})

    def _ca_certificate(self, request: AdminRequest) -> HttpResponse:
        """The mock CA a client of ``--mqtt-tls-port`` trusts (one per account and region)."""
        query = {k: v[0] for k, v in parse_qs(request.query).items()}
        pem = self.handle.ca_certificate_pem(account_id=query.get("accountId"), region=query.get("region"))
        return json_reply(200, {"certificatePem": pem})

    def _state(self, request: AdminRequest) -> HttpResponse:
        query = {k: v[0] for k, v in parse_qs(request.query).items()}
        unknown = sorted(set(query) - {"accountId", "region"})
        if unknown:
            return admin_error(400, "InvalidRequest", f"Unknown query parameter(s) {unknown}; use accountId, region")
        return json_reply(200, dump_state(self.store, query.get("accountId"), query.get("region")))

    def _advance_time(self, request: AdminRequest) -> HttpResponse:
        try:
            body = json.loads(request.body) if request.body.strip() else {}
        except (ValueError, RecursionError):
            return admin_error(400, "InvalidRequest", "The body must be a JSON object")
        if not isinstance(body, dict):
            return admin_error(400, "InvalidRequest", "The body must be a JSON object")
        unknown = sorted(set(body) - set(_TIME_UNITS))
        if unknown:
            return admin_error(400, "InvalidRequest", f"Unknown member(s) {unknown}; use seconds, minutes, hours")
        previous = self.store.clock.now()
        try:
            now = self.handle.advance_time(**body)
            delta = sum(float(value) * _TIME_UNITS[unit] for unit, value in body.items())
        except ValueError as error:  # NaN, infinities, negative, too large: nothing moved
            return admin_error(400, "InvalidRequest", str(error))
        self._changed()
        return json_reply(
            200,
            {"previous": previous, "now": now, "advancedSeconds": delta, "nowIso": _iso(now)},
        )

    def _put_s3_object(self, request: AdminRequest) -> HttpResponse:
        """``{"bucket": .., "key": .., "body": ".."}`` (or ``"bodyBase64"``): an object a job's
        ``documentSource`` can name (``MockIotJobs.put_s3_object``); answers ``{"url": ..}``."""
        try:
            body = json.loads(request.body or b"{}")
        except (ValueError, RecursionError):
            body = None
        if not isinstance(body, dict):
            return admin_error(400, "InvalidRequest", "The body must be a JSON object")
        bucket, key = body.get("bucket"), body.get("key")
        if not isinstance(bucket, str) or not bucket or not isinstance(key, str) or not key:
            return admin_error(400, "InvalidRequest", "bucket and key must be non-empty strings")
        if isinstance(body.get("body"), str):
            try:
                data = body["body"].encode("utf-8")
            except UnicodeEncodeError:
                return admin_error(400, "InvalidRequest", "body is not valid Unicode text")
        elif isinstance(body.get("bodyBase64"), str):
            try:
                data = base64.b64decode(body["bodyBase64"], validate=True)
            except ValueError:
                return admin_error(400, "InvalidRequest", "bodyBase64 is not valid base64")
        else:
            return admin_error(400, "InvalidRequest", "Give the object as body (text) or bodyBase64")
        url = self.handle.put_s3_object(bucket, key, data)  # type: ignore[attr-defined]
        self._changed()
        return json_reply(200, {"url": url})

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()


# --- state dump -----------------------------------------------------------------------
def dump_state(store: BackendStore, account_id: Optional[str] = None, region: Optional[str] = None) -> Dict[str, Any]:
    """Every backend's state (or those of one account and/or region) as JSON-ready data.

    Each backend is copied under its lock (its ``snapshot()``, detached by a
    marshal or pickle round trip at C speed) and turned into JSON outside it, so a
    dump of a large fleet holds up other requests as briefly as it can.
    """
    backends = []
    for (account, name), backend in sorted(store.all().items()):
        if (account_id and account != account_id) or (region and name != region):
            continue
        with backend.lock:
            try:
                frozen: Any = _frozen_snapshot(backend)
            except Exception as error:  # never let a dump break the server
                frozen = {"error": repr(error)}
        if isinstance(frozen, tuple):
            loader, payload = frozen
            data = jsonable(loader(payload))
            data = dict(data) if isinstance(data, dict) else {"snapshot": data}
        else:
            data = frozen
        backends.append({"accountId": account, "region": name, **data})
    now = store.clock.now()
    return {"now": now, "nowIso": _iso(now), "backends": backends}


def _frozen_snapshot(backend: Backend) -> Any:
    own = getattr(backend, "snapshot", None)
    if callable(own):
        data = own()
    else:
        data = {"things": [t.describe() for t in list(backend.things.by_name.values())]}
    try:  # marshal is the fastest deep copy of plain data; pickle takes anything else
        return marshal.loads, marshal.dumps(data)
    except ValueError:
        pass
    try:
        return pickle.loads, pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # something unpicklable inside: convert it here, under the lock
        converted = jsonable(data)
        return dict(converted) if isinstance(converted, dict) else {"snapshot": converted}


def jsonable(value: Any, depth: int = 0) -> Any:
    """``value`` as JSON-ready data; unknown objects become their ``repr``."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else repr(value)
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


# --- replies --------------------------------------------------------------------------
def json_reply(status: int, document: Any) -> HttpResponse:
    body = json.dumps(document, separators=(",", ":"), default=repr).encode()
    return HttpResponse(status, {"Content-Type": "application/json"}, body)


def admin_error(status: int, code: str, message: str) -> HttpResponse:
    reply = json_reply(status, {"code": code, "message": message})
    reply.headers["x-amzn-ErrorType"] = code
    return reply


def _host_name(host: str) -> str:
    """The name part of a ``Host`` header (no port, no IPv6 brackets), lower-cased."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else ""
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _iso(epoch: float) -> str:
    moment = dt.datetime.fromtimestamp(epoch, tz=dt.timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
