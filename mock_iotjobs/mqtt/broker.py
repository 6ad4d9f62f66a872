"""The message broker: who is connected, who subscribed to what, and where a PUBLISH goes.

Like AWS IoT's broker, it does three things with a client's PUBLISH:

- on the reserved jobs topics of the client's own thing, the Jobs service
  answers, on ``.../accepted`` or ``.../rejected``, to that client alone
  (subscribed or not; nobody else sees requests or responses);
- on another thing's reserved topics it refuses, as a thing policy would
  (MQTT 3.1.1: the connection is closed, which is what AWS IoT does on an
  unauthorized publish; MQTT 5: PUBACK ``0x87 Not authorized``, or nothing for QoS 0);
- on ordinary topics it routes to subscribers (QoS 0 and 1, retained messages).

Messages the engine publishes (``notify``, ``notify-next``, Jobs events) come in
through :meth:`Broker.route` from the notification hook.  Everything here
runs on the listener's event loop.
"""

from __future__ import annotations

import json
import logging
from typing import Dict, List, Tuple

from . import codec, commands
from .codec import MQTT_5
from .connection import Connection, Subscription
from .service import JobsService
from .topics import jobs_topic, matches, may_publish, may_subscribe, valid_filter, valid_topic_name

log = logging.getLogger("mock_iotjobs.mqtt")

_SUBACK_FAILURE_311 = 0x80
# Retain handling 2: "do not send retained messages at the time of the subscribe".
_NO_RETAINED = 2


class Broker:
    def __init__(self, service: JobsService) -> None:
        self.service = service
        self.connections: Dict[str, Connection] = {}
        self.retained: Dict[str, Tuple[bytes, int]] = {}

    # --- connections -------------------------------------------------------------
    def register(self, connection: Connection) -> None:
        """A newer connection with the same client id takes over (AWS IoT closes the older one)."""
        previous = self.connections.get(connection.client_id)
        if previous is not None and previous is not connection:
            previous.close(codec.SESSION_TAKEN_OVER)
        self.connections[connection.client_id] = connection

    def unregister(self, connection: Connection) -> None:
        if self.connections.get(connection.client_id) is connection:
            del self.connections[connection.client_id]

    def close_all(self) -> None:
        for connection in list(self.connections.values()):
            connection.close(codec.SERVER_SHUTTING_DOWN)

    @staticmethod
    def valid_topic(topic: str) -> bool:
        return valid_topic_name(topic)

    @staticmethod
    def valid_will(will: codec.Will) -> bool:
        return valid_topic_name(will.topic)

    # --- subscriptions -------------------------------------------------------------
    def subscribe(self, connection: Connection, packet: codec.Subscribe) -> List[int]:
        """Record the subscriptions; the SUBACK return/reason code of each filter."""
        v5 = connection.version == MQTT_5
        codes = []
        for topic_filter, qos, no_local, retain_as_published, _ in packet.filters:
            if not valid_filter(topic_filter):
                code = codec.TOPIC_FILTER_INVALID if v5 else _SUBACK_FAILURE_311
            elif topic_filter.startswith("$share/"):
                code = codec.SHARED_NOT_SUPPORTED if v5 else _SUBACK_FAILURE_311
            elif not may_subscribe(connection.client_id, topic_filter):
                log.info("%s may not subscribe to %s", connection.client_id, topic_filter)
                code = codec.NOT_AUTHORIZED if v5 else _SUBACK_FAILURE_311
            else:
                code = min(qos, 1)  # QoS 2 is granted as QoS 1, as AWS IoT does
                connection.subscriptions[topic_filter] = Subscription(topic_filter, code, no_local, retain_as_published)
            codes.append(code)
        return codes

    def send_retained(self, connection: Connection, packet: codec.Subscribe, codes: List[int]) -> None:
        for (topic_filter, _, _, _, retain_handling), code in zip(packet.filters, codes):
            if code > 1 or retain_handling == _NO_RETAINED:
                continue
            for topic, (payload, qos) in list(self.retained.items()):
                if matches(topic_filter, topic):
                    connection.deliver(topic, payload, min(qos, code), retain=True)

    # --- publishing ----------------------------------------------------------------
    def publish(self, connection: Connection, packet: codec.Publish) -> None:
        """A PUBLISH from a client (topic already checked to be a valid name)."""
        topic = packet.topic
        if commands.is_commands_topic(topic):
            commands.publish(self, connection, packet)
            return
        if not may_publish(connection.client_id, topic):
            log.info("%s may not publish to %s", connection.client_id, topic)
            if connection.version == MQTT_5:
                if packet.packet_id is not None:
                    connection.send(codec.ack(codec.PUBACK, MQTT_5, packet.packet_id, codec.NOT_AUTHORIZED))
            else:
                connection.close()
            return
        if packet.packet_id is not None:
            connection.send(codec.ack(codec.PUBACK, connection.version, packet.packet_id))
        request = jobs_topic(topic)
        if request is not None:
            response_topic, body = self.service.handle(topic, request, packet.payload)
            props = None
            if codec.CORRELATION_DATA in packet.properties:
                props = {codec.CORRELATION_DATA: packet.properties[codec.CORRELATION_DATA]}
            payload = json.dumps(body, separators=(",", ":")).encode()
            connection.deliver(response_topic, payload, packet.qos, props=props)
            return
        if topic.startswith("$"):
            log.info("no service behind %s (only the jobs topics are served); dropped", topic)
            return
        if packet.retain:
            self._retain(topic, packet.payload, packet.qos)
        self.route(topic, packet.payload, packet.qos, sender=connection, retain=packet.retain)

    def publish_will(self, connection: Connection, will: codec.Will) -> None:
        if will.topic.startswith("$") or not may_publish(connection.client_id, will.topic):
            return
        if will.retain:
            self._retain(will.topic, will.payload, will.qos)
        self.route(will.topic, will.payload, min(will.qos, 1), retain=will.retain)

    def route(self, topic: str, payload: bytes, qos: int, sender: object = None, retain: bool = False) -> None:
        """Deliver to every client with a matching subscription, once each, at the best
        QoS its matching subscriptions allow."""
        for connection in list(self.connections.values()):
            best = None
            for subscription in connection.subscriptions.values():
                if subscription.no_local and connection is sender:
                    continue
                if matches(subscription.topic_filter, topic) and (best is None or subscription.qos > best.qos):
                    best = subscription
            if best is not None:
                connection.deliver(topic, payload, min(qos, best.qos), retain=retain and best.retain_as_published)

    def _retain(self, topic: str, payload: bytes, qos: int) -> None:
        if payload:
            self.retained[topic] = (payload, min(qos, 1))
        else:
            self.retained.pop(topic, None)
