"""The message broker: who is connected, who subscribed to what, and where a PUBLISH goes.

Like AWS IoT's broker, it does three things with a client's PUBLISH:

- on the reserved jobs topics of the client's own thing, the Jobs service
  answers, on ``.../accepted`` or ``.../rejected``, to that client alone
  (subscribed or not; nobody else sees requests or responses);
- on another thing's reserved topics it refuses, as a thing policy would
  (MQTT 3.1.1: the connection is closed, which is what AWS IoT does on an
  unauthorized publish; MQTT 5: PUBACK ``0x87 Not authorized``, or nothing for QoS 0);
- on ordinary topics it routes to subscribers (QoS 0 and 1, retained messages).

Subscriptions live in a :class:`SubscriptionIndex` (a trie over topic levels), so
routing a message costs what matches it.  The bounds (subscriptions per
connection, topic size, retained messages) are the listener's
:class:`MqttLimits`.

Messages the engine publishes (``notify``, ``notify-next``, Jobs events) come in
through :meth:`Broker.route` from the notification hook.  Everything here
runs on the listener's event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import weakref
from typing import Any, Dict, List, Optional, Tuple

from ..backend.shadows import requests as shadow_requests
from ..backend.shadows.connections import ClientRecord
from ..backend.shadows.requests import shadow_request
from ..backend.state import Backend
from ..protocol.errors import ServiceError
from . import codec, commands
from .authorization import CONNECT, PUBLISH, RECEIVE, SUBSCRIBE, ConnectionPolicy
from .codec import MQTT_5
from .connection import Connection, Subscription
from .index import SubscriptionIndex
from .limits import MqttLimits
from .service import JobsService
from .sessions import SessionStore
from .topics import jobs_topic, matches, may_publish, may_subscribe, valid_filter, valid_topic_name, within_limits

log = logging.getLogger("mock_iotjobs.mqtt")

_SUBACK_FAILURE_311 = 0x80
# Retain handling 2: "do not send retained messages at the time of the subscribe".
_NO_RETAINED = 2


class Broker:
    def __init__(self, service: JobsService, limits: Optional[MqttLimits] = None) -> None:
        self.service = service
        self.limits = limits or MqttLimits()
        self.connections: Dict[str, Connection] = {}
        # Keys: connections, and the stored sessions of offline clients (sessions.py).
        self.index: SubscriptionIndex[Any, Subscription] = SubscriptionIndex()
        self.sessions = SessionStore(self.index, lambda: self.service.backend().now(), self.limits)
        self.retained: Dict[str, Tuple[bytes, int]] = {}
        self.retained_bytes = 0
        # Connections of the mutual-TLS listener: their IoT policy decisions.  Others
        # follow the plain listener's rule (topics.may_publish / may_subscribe).
        self.policies: "weakref.WeakKeyDictionary[Connection, ConnectionPolicy]" = weakref.WeakKeyDictionary()

    # --- connections -------------------------------------------------------------
    def register(self, connection: Connection) -> None:
        """A newer connection with the same client id takes over (AWS IoT closes the older one)."""
        previous = self.connections.get(connection.client_id)
        if previous is not None and previous is not connection:
            previous.close(codec.SESSION_TAKEN_OVER)
        self.connections[connection.client_id] = connection
        self._presence(connection, True)

    def unregister(self, connection: Connection) -> None:
        for topic_filter in connection.subscriptions:
            self.index.remove(topic_filter, connection)
        connection.subscriptions.clear()
        if self.connections.get(connection.client_id) is connection:
            del self.connections[connection.client_id]
            self._presence(connection, False)

    def _presence(self, connection: Connection, connected: bool) -> None:
        """Tell the backend a client came or went: fleet indexing's connectivity, and
        the record iot-data's connection APIs (GetConnection, DeleteConnection, ...) read."""
        client_id = connection.client_id
        loop = asyncio.get_running_loop()
        backend = self.service.backend()
        with backend.lock:
            now_ms = int(backend.now() * 1000)
            if connected:

                def disconnect(clean_session: bool, prevent_will: bool) -> None:
                    loop.call_soon_threadsafe(connection.drop, clean_session, prevent_will)

                def subscriptions() -> List[Tuple[str, int]]:
                    return [(s.topic_filter, s.qos) for s in list(connection.subscriptions.values())]

                def send(topic: str, payload: bytes, qos: int) -> None:
                    loop.call_soon_threadsafe(connection.deliver, topic, payload, qos)

                backend.connections.connected(
                    ClientRecord(
                        client_id,
                        now_ms,
                        keep_alive=getattr(connection, "_keep_alive", 0),
                        source=_address(connection, "peername"),
                        target=_address(connection, "sockname"),
                        disconnect=disconnect,
                        subscriptions=subscriptions,
                        send=send,
                    )
                )
            else:
                backend.connections.disconnected(client_id, now_ms, "CLIENT_INITIATED_DISCONNECT")
            if client_id in backend.things.by_name:
                reason = None if connected else "CLIENT_INITIATED_DISCONNECT"
                backend.indexing.set_connectivity(client_id, connected, reason, client_id)

    # --- IoT policies (mutual TLS) -------------------------------------------------------
    def authenticate(self, connection: Connection, principal: str) -> None:
        """``connection`` came in over mutual TLS with the certificate ``principal`` (its ARN):
        from now on IoT policies decide what it may do."""
        self.policies[connection] = ConnectionPolicy(self.service, principal)

    def may_connect(self, connection: Connection) -> bool:
        """``iot:Connect`` on ``client/<client id>`` (always true on the plain listener)."""
        policy = self.policies.get(connection)
        if policy is None:
            return True
        policy.client_id = connection.client_id
        return policy.allows(CONNECT, connection.client_id)

    def may_publish(self, connection: Connection, topic: str) -> bool:
        policy = self.policies.get(connection)
        if policy is None:
            return may_publish(connection.client_id, topic)
        return policy.allows(PUBLISH, topic)

    def may_subscribe(self, connection: Connection, topic_filter: str) -> bool:
        policy = self.policies.get(connection)
        if policy is None:
            return may_subscribe(connection.client_id, topic_filter)
        return policy.allows(SUBSCRIBE, topic_filter)

    def may_receive(self, connection: Any, topic: str) -> bool:
        """``iot:Receive`` on ``topic/<topic>``, checked for every message delivered (a stored
        session of an offline client keeps its messages; they are checked at its resume)."""
        policy = self.policies.get(connection) if isinstance(connection, Connection) else None
        return policy is None or policy.allows(RECEIVE, topic)

    def drop_inactive_certificates(self) -> None:
        """Close the TLS connections whose certificate is no longer ACTIVE (UpdateCertificate:
        "AWS IoT disconnects all devices that used that certificate to connect")."""
        if not self.policies:
            return
        backend = self.service.backend()
        with backend.lock:
            gone = [
                connection
                for connection, policy in list(self.policies.items())
                if not connection.closed and not _active(backend, policy.principal)
            ]
        for connection in gone:
            log.info("disconnecting %s: its certificate is no longer ACTIVE", connection.client_id)
            connection.close(codec.NOT_AUTHORIZED)

    def close_all(self) -> None:
        for connection in list(self.connections.values()):
            connection.close(codec.SERVER_SHUTTING_DOWN)

    def valid_topic(self, topic: str) -> bool:
        limits = self.limits
        return valid_topic_name(topic) and within_limits(topic, limits.max_topic_bytes, limits.max_topic_slashes)

    def valid_will(self, will: codec.Will) -> bool:
        return self.valid_topic(will.topic) and len(will.payload) <= self.limits.max_payload_bytes

    # --- subscriptions -------------------------------------------------------------
    def subscribe(self, connection: Connection, packet: codec.Subscribe) -> List[int]:
        """Record the subscriptions; the SUBACK return/reason code of each filter."""
        v5 = connection.version == MQTT_5
        limits = self.limits
        codes = []
        for position, (topic_filter, qos, no_local, retain_as_published, _) in enumerate(packet.filters):
            known = topic_filter in connection.subscriptions
            if not valid_filter(topic_filter) or not within_limits(
                topic_filter, limits.max_topic_bytes, limits.max_topic_slashes
            ):
                code = codec.TOPIC_FILTER_INVALID if v5 else _SUBACK_FAILURE_311
            elif topic_filter.startswith("$share/"):
                code = codec.SHARED_NOT_SUPPORTED if v5 else _SUBACK_FAILURE_311
            elif not self.may_subscribe(connection, topic_filter):
                log.info("%s may not subscribe to %s", connection.client_id, topic_filter)
                code = codec.NOT_AUTHORIZED if v5 else _SUBACK_FAILURE_311
            elif position >= limits.max_filters_per_subscribe or (
                not known and len(connection.subscriptions) >= limits.max_subscriptions
            ):
                log.info("%s: subscription quota reached, %s refused", connection.client_id, topic_filter)
                code = codec.QUOTA_EXCEEDED if v5 else _SUBACK_FAILURE_311
            else:
                code = min(qos, 1)  # QoS 2 is granted as QoS 1, as AWS IoT does
                subscription = Subscription(topic_filter, code, no_local, retain_as_published)
                connection.subscriptions[topic_filter] = subscription
                self.index.add(topic_filter, connection, subscription)
            codes.append(code)
        return codes

    def unsubscribe(self, connection: Connection, packet: codec.Unsubscribe) -> List[int]:
        codes = []
        for topic_filter in packet.filters:
            if connection.subscriptions.pop(topic_filter, None) is None:
                codes.append(codec.NO_SUBSCRIPTION_EXISTED)
            else:
                self.index.remove(topic_filter, connection)
                codes.append(codec.SUCCESS)
        return codes

    def send_retained(self, connection: Connection, packet: codec.Subscribe, codes: List[int]) -> None:
        for (topic_filter, _, _, _, retain_handling), code in zip(packet.filters, codes):
            if code > 1 or retain_handling == _NO_RETAINED:
                continue
            if "+" in topic_filter or "#" in topic_filter:
                found = [(t, m) for t, m in self.retained.items() if matches(topic_filter, t)]
            else:
                message = self.retained.get(topic_filter)
                found = [] if message is None else [(topic_filter, message)]
            for topic, (payload, qos) in found:
                if not self.may_receive(connection, topic):
                    continue
                connection.deliver(topic, payload, min(qos, code), retain=True)

    # --- publishing ----------------------------------------------------------------
    def publish(self, connection: Connection, packet: codec.Publish) -> None:
        """A PUBLISH from a client (topic already checked to be a valid name)."""
        topic = packet.topic
        if connection in self.policies and not self.may_publish(connection, topic):
            # The policy decides, on every topic: jobs, shadow and commands answer only
            # a publish it allows.
            self._refuse(connection, packet, codec.NOT_AUTHORIZED)
            return
        if commands.is_commands_topic(topic):
            commands.publish(self, connection, packet)
            return
        if not self.may_publish(connection, topic):
            log.info("%s may not publish to %s", connection.client_id, topic)
            self._refuse(connection, packet, codec.NOT_AUTHORIZED)
            return
        if packet.retain and not self._may_retain(topic, packet.payload):
            log.info("%s: retained message quota reached, %s refused", connection.client_id, topic)
            self._refuse(connection, packet, codec.QUOTA_EXCEEDED)
            return
        if packet.packet_id is not None:
            connection.send(codec.ack(codec.PUBACK, connection.version, packet.packet_id))
        shadow = shadow_request(topic)
        if shadow is not None:
            # Answered on <method>/accepted|rejected (and /documents, /delta) through the
            # backend's message log, like a change made over HTTPS.
            backend = self.service.backend()
            with backend.lock:
                backend.apply_due()
                shadow_requests.handle(backend, shadow, packet.payload)
            return
        request = jobs_topic(topic)
        if request is not None:
            response_topic, body = self.service.handle(topic, request, packet.payload)
            props = None
            if codec.CORRELATION_DATA in packet.properties:
                props = {codec.CORRELATION_DATA: packet.properties[codec.CORRELATION_DATA]}
            payload = json.dumps(body, separators=(",", ":")).encode()
            if not self.may_receive(connection, response_topic):
                return
            connection.deliver(response_topic, payload, packet.qos, props=props)
            return
        if topic.startswith("$"):
            log.info("no service behind %s (only the jobs topics are served); dropped", topic)
            return
        if packet.retain:
            self._retain(topic, packet.payload, packet.qos)
        self.route(topic, packet.payload, packet.qos, sender=connection, retain=packet.retain)

    @staticmethod
    def _refuse(connection: Connection, packet: codec.Publish, reason: int) -> None:
        """MQTT 5: PUBACK with ``reason`` (nothing for QoS 0); MQTT 3.1.1 has no way to say
        no but closing the connection, which is what AWS IoT does."""
        if connection.version == MQTT_5:
            if packet.packet_id is not None:
                connection.send(codec.ack(codec.PUBACK, MQTT_5, packet.packet_id, reason))
        else:
            connection.close()

    def publish_will(self, connection: Connection, will: codec.Will) -> None:
        if will.topic.startswith("$") or not self.may_publish(connection, will.topic):
            return
        if will.retain and self._may_retain(will.topic, will.payload):
            self._retain(will.topic, will.payload, will.qos)
        self.route(will.topic, will.payload, min(will.qos, 1), retain=will.retain)

    def route(self, topic: str, payload: bytes, qos: int, sender: object = None, retain: bool = False) -> None:
        """Deliver to every client with a matching subscription, once each, at the best
        QoS its matching subscriptions allow."""
        found = self.index.match(topic, skip=lambda c, s: s.no_local and c is sender)
        for connection, subscriptions in found.items():
            if not self.may_receive(connection, topic):
                continue
            best = max(subscriptions, key=lambda s: s.qos)
            connection.deliver(topic, payload, min(qos, best.qos), retain=retain and best.retain_as_published)

    def has_subscribers(self, topic: str) -> bool:
        """Whether a message on ``topic`` would reach anybody (any thread may ask)."""
        return self.index.has_subscribers(topic)

    # --- retained messages ----------------------------------------------------------------
    def retain_from_service(self, topic: str, payload: bytes, qos: int) -> None:
        """A retained message published through iot-data (already in the backend's store)."""
        if self._may_retain(topic, payload):
            self._retain(topic, payload, qos, mirror=False)

    def _may_retain(self, topic: str, payload: bytes) -> bool:
        """Within the quotas once ``payload`` replaces what ``topic`` holds (clearing one
        and replacing one are always allowed in number)."""
        if not payload:
            return True
        old = self.retained.get(topic)
        count = len(self.retained) + (0 if old is not None else 1)
        size = self.retained_bytes - (len(old[0]) if old is not None else 0) + len(payload)
        return count <= self.limits.max_retained_messages and size <= self.limits.max_retained_bytes

    def _retain(self, topic: str, payload: bytes, qos: int, mirror: bool = True) -> None:
        if mirror:  # iot-data's GetRetainedMessage / ListRetainedMessages see MQTT's retained messages
            backend = self.service.backend()
            with backend.lock, contextlib.suppress(ServiceError):
                backend.retained.put(topic, payload, qos, backend.now())
        old = self.retained.pop(topic, None)
        if old is not None:
            self.retained_bytes -= len(old[0])
        if payload:
            self.retained[topic] = (payload, min(qos, 1))
            self.retained_bytes += len(payload)


def _address(connection: Connection, which: str) -> Tuple[str, int]:
    writer = getattr(connection, "writer", None)
    info = writer.get_extra_info(which) if writer is not None else None
    return (str(info[0]), int(info[1])) if info else ("127.0.0.1", 0)


def _active(backend: "Backend", principal: str) -> bool:
    cert = backend.certificates.find_by_arn(principal)
    return cert is not None and cert.status == "ACTIVE"
