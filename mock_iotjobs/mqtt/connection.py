"""One client connection: the MQTT session state machine over an asyncio stream.

Runs entirely on the listener's event loop.  What a packet means for other
clients (routing, subscriptions, the jobs topics) is the broker's business;
this class reads and writes packets, keeps the keep-alive and the packet
identifiers, and closes the connection the way the protocol version expects.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Dict, Optional, Set

from . import codec
from .codec import MQTT_5, MQTT_311, MalformedPacket

if TYPE_CHECKING:
    from .broker import Broker

log = logging.getLogger("mock_iotjobs.mqtt")

CONNECT_TIMEOUT = 10.0
# AWS IoT refuses messages over 128 KiB; leave room for topic and properties.
MAX_PACKET_SIZE = 128 * 1024 + 4096


@dataclass
class Subscription:
    topic_filter: str
    qos: int
    no_local: bool = False
    retain_as_published: bool = False


class Connection:
    """A connected client: its identity, version, subscriptions and outgoing stream."""

    def __init__(self, broker: "Broker", reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.broker = broker
        self.reader = reader
        self.writer = writer
        self.client_id = ""
        self.version = MQTT_311
        self.subscriptions: Dict[str, Subscription] = {}
        self.closed = False
        self._will: Optional[codec.Will] = None
        self._keep_alive = 0
        self._max_outgoing = 1 << 28
        self._packet_ids = 0
        self._inflight: Set[int] = set()

    # --- outgoing --------------------------------------------------------------
    def send(self, data: bytes) -> None:
        if not self.closed and not self.writer.is_closing():
            self.writer.write(data)

    def deliver(
        self,
        topic: str,
        payload: bytes,
        qos: int,
        retain: bool = False,
        props: Optional[codec.Properties] = None,
    ) -> None:
        """Send a PUBLISH (QoS 0 or 1) to this client."""
        if self.closed:
            return
        packet_id = None
        if qos:
            self._packet_ids = self._packet_ids % 0xFFFF + 1
            packet_id = self._packet_ids
            self._inflight.add(packet_id)
        data = codec.publish(self.version, topic, payload, qos, packet_id, retain, props)
        if len(data) > self._max_outgoing:
            log.warning("dropped a %d-byte message to %s: over its maximum packet size", len(data), self.client_id)
            return
        self.send(data)

    def close(self, reason: Optional[int] = None, message: Optional[str] = None) -> None:
        """Close the connection; an MQTT 5 client first gets a DISCONNECT with ``reason``."""
        if self.closed:
            return
        if reason is not None and self.version == MQTT_5:
            self.send(codec.disconnect(reason, message))
        self.closed = True
        self.writer.close()

    # --- the session -------------------------------------------------------------
    async def run(self) -> None:
        clean_end = False
        try:
            header, body = await asyncio.wait_for(self._read_packet(), CONNECT_TIMEOUT)
            if header >> 4 != codec.CONNECT:
                return
            if not self._connect(body):
                return
            while not self.closed:
                header, body = await self._read_with_keep_alive()
                packet = codec.decode(header, body, self.version)
                if isinstance(packet, codec.Disconnect):
                    clean_end = packet.reason != codec.DISCONNECT_WITH_WILL
                    break
                self._on_packet(packet)
        except MalformedPacket as error:
            log.info("closing %s: %s", self.client_id or "a client", error)
            self.close(error.reason, str(error))
        except (asyncio.IncompleteReadError, asyncio.TimeoutError, ConnectionError):
            pass
        except asyncio.CancelledError:
            clean_end = True  # the listener is stopping
            raise
        finally:
            self.broker.unregister(self)
            will, self._will = self._will, None
            if will is not None and not clean_end:
                self.broker.publish_will(self, will)
            if not self.closed:
                self.closed = True
                self.writer.close()

    async def _read_with_keep_alive(self) -> "tuple[int, bytes]":
        if not self._keep_alive:
            return await self._read_packet()
        try:
            return await asyncio.wait_for(self._read_packet(), self._keep_alive * 1.5)
        except asyncio.TimeoutError:
            self.close(codec.KEEP_ALIVE_TIMEOUT)
            raise

    async def _read_packet(self) -> "tuple[int, bytes]":
        header = (await self.reader.readexactly(1))[0]
        length_bytes = b""
        length = None
        while length is None:
            length_bytes += await self.reader.readexactly(1)
            length = codec.read_remaining_length(length_bytes)
        if length > MAX_PACKET_SIZE:
            raise MalformedPacket(f"packet of {length} bytes is too large", codec.PACKET_TOO_LARGE)
        return header, await self.reader.readexactly(length)

    def _connect(self, body: bytes) -> bool:
        try:
            connect = codec.decode_connect(body)
        except MalformedPacket as error:
            if error.reason == codec.UNSUPPORTED_VERSION:
                self.send(codec.connack(MQTT_311, False, codec.CONNACK_311_BAD_VERSION))
            raise
        self.version = connect.version
        self._keep_alive = connect.keep_alive
        props: codec.Properties = {codec.MAXIMUM_QOS: 1, codec.SHARED_AVAILABLE: 0, codec.SUBSCRIPTION_IDS_AVAILABLE: 0}
        if connect.properties.get(codec.AUTH_METHOD) is not None:
            self._refuse(codec.BAD_AUTH_METHOD, codec.BAD_AUTH_METHOD)
            return False
        client_id = connect.client_id
        if not client_id:
            if self.version == MQTT_311 and not connect.clean_start:
                self._refuse(codec.CONNACK_311_BAD_CLIENT_ID, codec.CLIENT_ID_NOT_VALID)
                return False
            client_id = f"mock-iotjobs-{uuid.uuid4().hex[:12]}"
            props[codec.ASSIGNED_CLIENT_ID] = client_id
        will = connect.will
        if will is not None and not self.broker.valid_will(will):
            raise MalformedPacket(f"will topic {will.topic!r} is not a valid topic name", codec.TOPIC_NAME_INVALID)
        self.client_id = client_id
        self._will = will
        self._max_outgoing = connect.properties.get(codec.MAXIMUM_PACKET_SIZE, self._max_outgoing)
        self.broker.register(self)
        # Sessions are not kept across connections: always a new session.
        self.send(codec.connack(self.version, False, codec.SUCCESS, props))
        return True

    def _refuse(self, code_311: int, code_5: int) -> None:
        self.send(codec.connack(self.version, False, code_311 if self.version == MQTT_311 else code_5))
        self.closed = True
        self.writer.close()

    def _on_packet(self, packet: codec.Packet) -> None:
        if isinstance(packet, codec.Publish):
            self._on_publish(packet)
        elif isinstance(packet, codec.Ack):
            if packet.kind == codec.PUBACK:
                self._inflight.discard(packet.packet_id)
        elif isinstance(packet, codec.Subscribe):
            codes = self.broker.subscribe(self, packet)
            self.send(codec.suback(self.version, packet.packet_id, codes))
            self.broker.send_retained(self, packet, codes)
        elif isinstance(packet, codec.Unsubscribe):
            codes = [
                codec.SUCCESS if self.subscriptions.pop(name, None) is not None else codec.NO_SUBSCRIPTION_EXISTED
                for name in packet.filters
            ]
            self.send(codec.unsuback(self.version, packet.packet_id, codes))
        elif isinstance(packet, codec.Simple) and packet.kind == codec.PINGREQ:
            self.send(codec.pingresp())
        else:
            raise MalformedPacket("AUTH is not supported", codec.PROTOCOL_ERROR)

    def _on_publish(self, packet: codec.Publish) -> None:
        if codec.TOPIC_ALIAS in packet.properties:
            raise MalformedPacket(
                "topic aliases are not supported (Topic Alias Maximum is 0)", codec.TOPIC_ALIAS_INVALID
            )
        if packet.qos == 2:
            # AWS IoT supports QoS 0 and 1 only (CONNACK says Maximum QoS 1).
            raise MalformedPacket("QoS 2 is not supported", codec.QOS_NOT_SUPPORTED)
        if not self.broker.valid_topic(packet.topic):
            raise MalformedPacket(f"{packet.topic!r} is not a valid topic name", codec.TOPIC_NAME_INVALID)
        self.broker.publish(self, packet)
