"""The MQTT listener: a broker on its own event loop thread, wired to one backend.

Why a broker of our own rather than a library: the candidates on PyPI do not
fit the job.  ``amqtt`` (the maintained hbmqtt fork) speaks MQTT 3.1.1 only
and closes the connection of any client that publishes to a ``$`` topic, which
is every jobs request (``$aws/things/...``); ``iotcore`` runs rumqttd in a child
process with no hook to see who published or to answer one client alone;
``moat-lib-mqtt`` and ``mqttools`` speak MQTT 5 only, which the Device SDK's
``awscrt.mqtt.Connection`` (3.1.1) cannot talk to.  AWS IoT's broker also does
things no general broker does: responses go only to the requesting client,
whether or not it subscribed, and policies tie a client id to a thing.  So
this is a small MQTT 3.1.1 + 5 server (``codec``, ``connection``, ``broker``)
with the Jobs service behind the reserved topics (``service``).

The listener serves one backend of the store: one account (the default
account unless told) and one region, chosen when it starts.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import logging
import os
import socket
import ssl
import threading
import weakref
from typing import Any, Dict, Iterator, List, Optional, Union, cast

from ..backend.events.notifications import Notification
from ..backend.state import DEFAULT_REGION, Backend, BackendStore, default_account_id
from ..handle import MockIotJobs
from . import websocket
from .broker import Broker
from .connection import CONNECT_TIMEOUT, Connection
from .limits import MqttLimits
from .service import JobsService
from .tls import TlsAuthenticator, server_names

log = logging.getLogger("mock_iotjobs.mqtt")

_START_TIMEOUT = 10.0
# How soon a TLS client whose certificate was deactivated or revoked is disconnected
# (AWS: "within a few minutes").
_CERTIFICATE_WATCH_SECONDS = 0.25


class MqttListener:
    """An MQTT listener on ``host:port`` (port 0: a free port, see ``.port``) serving
    the jobs topics of one backend of ``store``.  ``start()`` / ``stop()``, or use it
    as a context manager.  ``limits``: the bounds (AWS IoT's quotas by default).

    ``tls=True``: mutual TLS as AWS IoT's Data-ATS endpoint (see ``tls.py``): clients
    present a certificate of the registry, trust ``ca_pem()``, connect to ``localhost``
    (or ``endpoint`` resolved to this host), and IoT policies decide what they may do."""

    def __init__(
        self,
        store: BackendStore,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        account_id: Optional[str] = None,
        region: Optional[str] = None,
        limits: Optional[MqttLimits] = None,
        ws_port: Optional[int] = None,
        ws_ssl: Optional[ssl.SSLContext] = None,
        tls: bool = False,
    ) -> None:
        self.store = store
        self.limits = limits or MqttLimits()
        self.host = host
        self.account_id = account_id or default_account_id()
        self.region = region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION
        self.service = JobsService(store, self.account_id, self.region)
        self._broker = Broker(self.service, self.limits)
        self.tls = tls
        self._tls = TlsAuthenticator(self.service, server_names(self.account_id, self.region, host)) if tls else None
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._socket = socket.create_server((host, port), family=family)
        self.port: int = self._socket.getsockname()[1]
        # MQTT over WebSocket (websocket.py): another port, the same broker.
        self._ws_socket = None if ws_port is None else socket.create_server((host, ws_port), family=family)
        self.ws_port: Optional[int] = None if self._ws_socket is None else self._ws_socket.getsockname()[1]
        self._ws_ssl = ws_ssl
        self._ws_server: Optional[asyncio.AbstractServer] = None
        self._loop = asyncio.new_event_loop()
        self._thread: Optional[threading.Thread] = None
        self._hook = _NotificationHook(store, (self.account_id, self.region), self._on_notification)
        self._tasks: "set[asyncio.Task[None]]" = set()
        self._server: Optional[asyncio.AbstractServer] = None

    # --- life cycle ------------------------------------------------------------------
    def start(self) -> "MqttListener":
        if self._thread is not None:
            return self
        ready = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(ready,), name=f"mock_iotjobs-mqtt-{self.port}", daemon=True
        )
        self._thread.start()
        if not ready.wait(_START_TIMEOUT) or self._server is None:
            self.stop()
            raise RuntimeError(f"the MQTT listener on {self.host}:{self.port} did not start")
        self._hook.install()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Disconnect every client, stop listening and join the thread."""
        self._hook.remove()
        thread, self._thread = self._thread, None
        if thread is not None and self._loop.is_running():
            self._loop.call_soon_threadsafe(self._shutdown)
            thread.join(timeout)
        if not self._loop.is_running() and not self._loop.is_closed():
            self._loop.close()
        self._socket.close()
        if self._ws_socket is not None:
            self._ws_socket.close()

    def __enter__(self) -> "MqttListener":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'mqtts' if self.tls else 'mqtt'}://{host}:{self.port}"

    @property
    def endpoint(self) -> str:
        """The account's ``iot:Data-ATS`` address (DescribeEndpoint's answer), one of the
        names the TLS server certificate holds."""
        return server_names(self.account_id, self.region, self.host)[0]

    def ca_pem(self) -> str:
        """The PEM of the CA a TLS client must trust (the account's mock CA, which also
        signs CreateKeysAndCertificate's certificates)."""
        backend = self.backend()
        with backend.lock:
            return backend.certificates.mock_ca.pem

    @property
    def ws_url(self) -> Optional[str]:
        """``ws://host:port/mqtt`` (``wss://`` with ``ws_ssl``), when ``ws_port`` was given."""
        if self.ws_port is None:
            return None
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'wss' if self._ws_ssl else 'ws'}://{host}:{self.ws_port}{websocket.PATH}"

    # --- for tests ----------------------------------------------------------------------
    def backend(self) -> Backend:
        """The backend whose jobs this listener serves."""
        return self.service.backend()

    def clients(self, timeout: float = 5.0) -> List[str]:
        """Client ids of the connected clients (asked on the loop, after what is queued there)."""
        if self._thread is None or not self._loop.is_running():
            return []
        answer: "concurrent.futures.Future[List[str]]" = concurrent.futures.Future()
        self._loop.call_soon_threadsafe(lambda: answer.set_result(list(self._broker.connections)))
        return answer.result(timeout)

    def client_stats(self, timeout: float = 5.0) -> Dict[str, Dict[str, int]]:
        """Per connected client: ``subscriptions``, ``inflight`` and ``queued_bytes`` (what
        the server holds for it now) and ``dropped`` (QoS 0 messages dropped as it did
        not keep up); plus ``retained`` / ``retained_bytes`` under the key ``""``."""

        def collect() -> Dict[str, Dict[str, int]]:
            broker = self._broker
            stats = {
                connection.client_id: {
                    "subscriptions": len(connection.subscriptions),
                    "inflight": connection.inflight,
                    "queued_bytes": connection.queued_bytes(),
                    "dropped": connection.dropped,
                }
                for connection in broker.connections.values()
            }
            stats[""] = {"retained": len(broker.retained), "retained_bytes": broker.retained_bytes}
            return stats

        return self._on_loop(collect, timeout)

    def sessions(self, timeout: float = 5.0) -> List[Dict[str, Any]]:
        """The stored sessions of offline clients (``client_id``, ``subscriptions``,
        ``messages`` stored, ``dropped``, ``expires_at`` on the mock clock); expired
        ones are discarded first."""

        def collect() -> List[Dict[str, Any]]:
            self._broker.sessions.sweep()
            return self._broker.sessions.stats()

        return list(self._on_loop(collect, timeout))

    def _on_loop(self, function: Any, timeout: float) -> Any:
        answer: "concurrent.futures.Future[Any]" = concurrent.futures.Future()

        def run() -> None:
            try:
                answer.set_result(function())
            except BaseException as error:  # handed to the caller
                answer.set_exception(error)

        self._loop.call_soon_threadsafe(run)
        return answer.result(timeout)

    def publish(self, topic: str, payload: Union[bytes, str, dict], qos: int = 0) -> None:
        """Publish a message to the subscribers of ``topic``, as another client would."""
        if isinstance(payload, dict):
            payload = json.dumps(payload)
        data = payload.encode() if isinstance(payload, str) else payload
        self._loop.call_soon_threadsafe(self._broker.route, topic, data, min(qos, 1))

    # --- the loop thread -------------------------------------------------------------------
    def _run(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._server = self._loop.run_until_complete(asyncio.start_server(self._client, sock=self._socket))
            if self._ws_socket is not None:
                self._ws_server = self._loop.run_until_complete(
                    asyncio.start_server(self._ws_client, sock=self._ws_socket, ssl=self._ws_ssl)
                )
        except Exception:
            log.exception("the MQTT listener could not start")
            ready.set()
            return
        ready.set()
        if self._tls is not None:
            self._loop.call_soon(self._watch_certificates, None)
        try:
            self._loop.run_forever()
        finally:
            pending = [task for task in asyncio.all_tasks(self._loop) if not task.done()]
            for task in pending:
                task.cancel()
            if pending:
                self._loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            # A few more turns of the loop: closing transports flush what they hold (DISCONNECTs).
            for _ in range(3):
                self._loop.run_until_complete(asyncio.sleep(0))
            self._loop.close()

    async def _ws_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await self._client(reader, writer, over_websocket=True)

    async def _client(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, over_websocket: bool = False
    ) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        sock = writer.get_extra_info("socket")
        if sock is not None:
            # asyncio sets this only for sockets made with proto=IPPROTO_TCP; without it a
            # PUBACK followed by the answer meets delayed ACKs: 40 ms per request.
            with contextlib.suppress(OSError):  # a client already gone: its run() ends at once
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            if over_websocket:
                streams = await websocket.accept(reader, writer, self.region)
                if streams is None:
                    return
                # The framed streams offer the StreamReader/StreamWriter calls Connection makes.
                reader, writer = cast(asyncio.StreamReader, streams[0]), cast(asyncio.StreamWriter, streams[1])
            principal = None
            if self._tls is not None and not over_websocket:
                writer, principal = await self._handshake(reader, writer)
                if principal is None:
                    return
            connection = Connection(self._broker, reader, writer)
            if principal is not None:
                self._broker.authenticate(connection, principal)
            await connection.run()
        except asyncio.CancelledError:
            pass  # stopping; asyncio's stream callback would report a cancelled task as an error
        finally:
            if task is not None:
                self._tasks.discard(task)

    async def _handshake(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> "tuple[asyncio.StreamWriter, Optional[str]]":
        """Mutual TLS on the accepted socket: the writer over TLS and the certificate's
        ARN, or None (the connection is closed)."""
        assert self._tls is not None
        context = self._tls.context()
        try:
            if hasattr(writer, "start_tls"):  # Python 3.11+
                await writer.start_tls(context, ssl_handshake_timeout=CONNECT_TIMEOUT)
            else:
                loop = asyncio.get_running_loop()
                protocol = writer.transport.get_protocol()
                transport = await loop.start_tls(
                    writer.transport, protocol, context, server_side=True, ssl_handshake_timeout=CONNECT_TIMEOUT
                )
                writer = asyncio.StreamWriter(transport, protocol, reader, loop)  # type: ignore[arg-type]
        except (ssl.SSLError, ConnectionError, OSError, asyncio.TimeoutError) as error:
            log.info("TLS handshake failed: %s", error)
            writer.transport.abort()
            return writer, None
        principal = self._tls.principal(writer.get_extra_info("ssl_object"))
        if principal is None:
            writer.close()
        return writer, principal

    def _watch_certificates(self, seen: Optional["tuple[int, int]"]) -> None:
        """Every quarter second (on the loop): when anything the authorization depends on
        changed, drop the connections whose certificate left ACTIVE."""
        backend = self.service.backend()
        epoch = (id(backend), backend.auth_epoch)
        if epoch != seen:
            self._broker.drop_inactive_certificates()
        self._loop.call_later(_CERTIFICATE_WATCH_SECONDS, self._watch_certificates, epoch)

    def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        if self._ws_server is not None:
            self._ws_server.close()
        self._broker.close_all()
        for task in list(self._tasks):
            task.cancel()
        self._loop.stop()

    def _on_notification(self, thing_name: Optional[str], message: Notification) -> None:
        """Called by the engine (any thread, under the backend's lock) for each message.

        A CreateJob on a 50,000-thing group records 100,000 messages: only those
        somebody subscribed to are encoded and handed to the loop."""
        payload = message.payload
        if message.retain:  # an iot-data Publish with retain: new subscribers get it too
            data = payload if isinstance(payload, bytes) else json.dumps(payload, separators=(",", ":")).encode()
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._broker.retain_from_service, message.topic, data, message.qos)
        if not self._broker.has_subscribers(message.topic):
            return
        data = payload if isinstance(payload, bytes) else json.dumps(payload, separators=(",", ":")).encode()
        try:
            self._loop.call_soon_threadsafe(self._broker.route, message.topic, data, message.qos)
        except RuntimeError:  # the loop has closed: the listener is stopping
            pass


class _NotificationHook:
    """Keeps a listener on the NotificationLog of the backend ``key`` of ``store``.

    ``BackendStore.reset()`` drops every backend and the next ``store.get()``
    makes a new one (with a new log), so the store's ``get`` is wrapped, on this
    store instance only and while the hook is installed, to attach the listener
    to whichever backend is current.
    """

    _by_store: "weakref.WeakKeyDictionary[BackendStore, List[_NotificationHook]]" = weakref.WeakKeyDictionary()

    def __init__(self, store: BackendStore, key: "tuple[str, str]", callback: Any) -> None:
        self.store = store
        self.key = key
        self.callback = callback
        self._backend: Optional[Backend] = None
        # store.get() runs on every server thread: attach to a new backend once.
        self._lock = threading.Lock()

    def install(self) -> None:
        hooks = self._by_store.setdefault(self.store, [])
        if not hooks:
            _wrap_get(self.store, hooks)
        hooks.append(self)
        self.seen(self.key, self.store.get(*self.key))

    def remove(self) -> None:
        hooks = self._by_store.get(self.store)
        if hooks is not None and self in hooks:
            hooks.remove(self)
            if not hooks:
                vars(self.store).pop("get", None)
                del self._by_store[self.store]
        self._detach()

    def seen(self, key: "tuple[str, str]", backend: Backend) -> None:
        if key != self.key or backend is self._backend:
            return
        with self._lock:
            if backend is not self._backend:
                self._detach_locked()
                backend.notifications.listeners.append(self.callback)
                self._backend = backend

    def _detach(self) -> None:
        with self._lock:
            self._detach_locked()

    def _detach_locked(self) -> None:
        backend, self._backend = self._backend, None
        if backend is not None and self.callback in backend.notifications.listeners:
            backend.notifications.listeners.remove(self.callback)


def _wrap_get(store: BackendStore, hooks: List[_NotificationHook]) -> None:
    original = type(store).get

    def get(account_id: str, region: str) -> Backend:
        backend = original(store, account_id, region)
        for hook in list(hooks):
            hook.seen((account_id, region), backend)
        return backend

    setattr(store, "get", get)  # noqa: B010 - an instance attribute, on purpose


# --- entry points ----------------------------------------------------------------------------
def start_listener(
    store: BackendStore,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    account_id: Optional[str] = None,
    region: Optional[str] = None,
    limits: Optional[MqttLimits] = None,
    ws_port: Optional[int] = None,
    tls: bool = False,
) -> MqttListener:
    """Start serving the jobs MQTT topics of ``store`` on ``host:port`` (server mode's hook),
    and over WebSocket on ``ws_port`` if given (``tls=True``: mutual TLS with IoT
    policies on ``port``, ``serve --mqtt-tls-port``)."""
    return MqttListener(
        store, host, port, account_id=account_id, region=region, limits=limits, ws_port=ws_port, tls=tls
    ).start()


@contextlib.contextmanager
def mqtt_listener(
    target: Union[MockIotJobs, BackendStore],
    port: int = 0,
    host: str = "127.0.0.1",
    *,
    account_id: Optional[str] = None,
    region: Optional[str] = None,
    limits: Optional[MqttLimits] = None,
    ws_port: Optional[int] = None,
    ws_ssl: Optional[ssl.SSLContext] = None,
    tls: bool = False,
) -> Iterator[MqttListener]:
    """``with mqtt_listener(m) as mqtt:`` the jobs MQTT topics of the mock ``m`` (the handle
    of ``with mock_iotjobs() as m``, or a ``BackendStore``) on ``127.0.0.1:mqtt.port``,
    in the handle's default account and region, until the block ends.  ``ws_port``: also
    MQTT over WebSocket on that port (0: a free one, see ``.ws_port``), TLS with ``ws_ssl``.
    ``tls=True``: ``port`` speaks mutual TLS, IoT policies enforced."""
    if isinstance(target, MockIotJobs):
        store: BackendStore = target._store
        account_id = account_id or target.default_account_id
        region = region or target.default_region
    else:
        store = target
    with MqttListener(
        store, host, port, account_id=account_id, region=region, limits=limits, ws_port=ws_port, ws_ssl=ws_ssl,
        tls=tls,
    ) as listener:
        yield listener
