"""One client connection: the MQTT session state machine over an asyncio stream.

Runs entirely on the listener's event loop.  What a packet means for other
clients (routing, subscriptions, the jobs topics) is the broker's business;
this class reads and writes packets, keeps the keep-alive and the packet
identifiers, bounds what waits for a client, and closes the connection the way
the protocol version expects.

Slow consumers (docs/mqtt.md, "Limits"): at most ``max_inflight`` QoS 1 messages
(or the client's Receive Maximum, if lower) are unacknowledged at a time, as AWS
IoT does; later ones wait in the connection's queue.  The queue (those plus the
bytes the socket has not taken yet) is bounded by ``max_queued_bytes`` and
``max_queued_messages``: beyond it a QoS 0 message is dropped, and a QoS 1
message (which may not be dropped) disconnects the client, as does a queue that
stays full for ``slow_consumer_seconds``.  A disconnected slow consumer's
unsent bytes are discarded at once (the socket is aborted, not flushed).
"""

from __future__ import annotations

import asyncio
import collections
import logging
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Deque, Dict, Optional, Tuple

from . import codec
from .codec import MQTT_5, MQTT_311, MalformedPacket

if TYPE_CHECKING:
    from .broker import Broker

log = logging.getLogger("mock_iotjobs.mqtt")

CONNECT_TIMEOUT = 10.0
# MQTT 3.1.1 CONNACK return code 5: "Connection Refused, not authorized".
CONNACK_311_NOT_AUTHORIZED = 0x05
# Closing flushes what the socket has not taken yet; past this much, the client is
# not reading, so the connection is aborted instead (its buffer freed at once).
_FLUSH_ON_CLOSE = 256 * 1024
# What one waiting message costs besides its payload (topic, tuple, deque slot).
_WAITING_OVERHEAD = 128


@dataclass
class Subscription:
    topic_filter: str
    qos: int
    no_local: bool = False
    retain_as_published: bool = False


# (topic, payload, retain, properties, accounted size) of a QoS 1 message waiting for a slot.
_Waiting = Tuple[str, bytes, bool, Optional[codec.Properties], int]
# (topic, payload, retain, properties) of a QoS 1 message sent and not acknowledged yet.
_Sent = Tuple[str, bytes, bool, Optional[codec.Properties]]


class Connection:
    """A connected client: its identity, version, subscriptions and outgoing stream."""

    def __init__(self, broker: "Broker", reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.broker = broker
        self.limits = broker.limits
        self.reader = reader
        self.writer = writer
        self.client_id = ""
        self.version = MQTT_311
        self.subscriptions: Dict[str, Subscription] = {}
        self.closed = False
        #: Messages dropped because the client's queue was full (QoS 0 only).
        self.dropped = 0
        self._will: Optional[codec.Will] = None
        self._keep_alive = 0
        self._max_outgoing = 1 << 28
        self._packet_ids = 0
        self._inflight: Dict[int, _Sent] = {}
        #: Seconds the session outlives the connection (0: a clean session), mock clock.
        self.session_expiry: float = 0
        self._session_expiry_asked = 0
        self._parked = False
        self._inflight_limit = self.limits.max_inflight
        self._waiting: Deque[_Waiting] = collections.deque()
        self._waiting_bytes = 0
        self._full_since: Optional[float] = None

    # --- outgoing --------------------------------------------------------------
    def send(self, data: bytes) -> None:
        if not self.closed and not self.writer.is_closing():
            self.writer.write(data)

    @property
    def inflight(self) -> int:
        """QoS 1 messages sent to this client and not acknowledged yet."""
        return len(self._inflight)

    def queued_bytes(self) -> int:
        """Bytes held for this client: unsent socket buffer plus waiting QoS 1 messages."""
        return self.writer.transport.get_write_buffer_size() + self._waiting_bytes

    def deliver(
        self,
        topic: str,
        payload: bytes,
        qos: int,
        retain: bool = False,
        props: Optional[codec.Properties] = None,
    ) -> None:
        """Send a PUBLISH (QoS 0 or 1) to this client, within its bounds (see the module doc)."""
        if self.closed:
            return
        limits = self.limits
        if qos and (self._waiting or len(self._inflight) >= self._inflight_limit):
            size = len(payload) + len(topic) + _WAITING_OVERHEAD
            if len(self._waiting) >= limits.max_queued_messages or self.queued_bytes() + size > limits.max_queued_bytes:
                self._overflow("its queue of QoS 1 messages is full")
                return
            self._waiting.append((topic, payload, retain, props, size))
            self._waiting_bytes += size
            return
        data = self._packet(topic, payload, qos, retain, props)
        if data is None:
            return
        if self.queued_bytes() + len(data) > limits.max_queued_bytes:
            if qos:
                self._overflow("its queue is full and a QoS 1 message may not be dropped")
            else:
                self._drop()
            return
        self._full_since = None
        self.send(data)

    def _packet(
        self, topic: str, payload: bytes, qos: int, retain: bool, props: Optional[codec.Properties]
    ) -> Optional[bytes]:
        packet_id = None
        if qos:
            packet_id = self._packet_ids % 0xFFFF + 1
            while packet_id in self._inflight:
                packet_id = packet_id % 0xFFFF + 1
            self._packet_ids = packet_id
        data = codec.publish(self.version, topic, payload, qos, packet_id, retain, props)
        if len(data) > self._max_outgoing:
            log.warning("dropped a %d-byte message to %s: over its maximum packet size", len(data), self.client_id)
            return None
        if packet_id is not None:
            self._inflight[packet_id] = (topic, payload, retain, props)
        return data

    def _acknowledged(self, packet_id: int) -> None:
        """A PUBACK: a slot is free, the next waiting QoS 1 message takes it."""
        self._inflight.pop(packet_id, None)
        while self._waiting and len(self._inflight) < self._inflight_limit and not self.closed:
            topic, payload, retain, props, size = self._waiting.popleft()
            self._waiting_bytes -= size
            data = self._packet(topic, payload, 1, retain, props)
            if data is not None:
                self.send(data)

    def _drop(self) -> None:
        """A QoS 0 message found the queue full: dropped; a queue full for too long closes."""
        self.dropped += 1
        now = asyncio.get_running_loop().time()
        if self._full_since is None:
            self._full_since = now
            log.warning("%s does not keep up: dropping QoS 0 messages", self.client_id)
        if now - self._full_since >= self.limits.slow_consumer_seconds:
            self._overflow(f"its queue stayed full for {self.limits.slow_consumer_seconds:g} s")

    def _overflow(self, why: str) -> None:
        log.warning("disconnecting %s: %s (%d bytes queued)", self.client_id, why, self.queued_bytes())
        self.close(codec.QUOTA_EXCEEDED, abort=True)

    def close(self, reason: Optional[int] = None, message: Optional[str] = None, abort: bool = False) -> None:
        """Close the connection; an MQTT 5 client first gets a DISCONNECT with ``reason``
        (unless ``abort``: a client that does not read gets its socket reset)."""
        if self.closed:
            return
        transport = self.writer.transport
        abort = abort or transport.get_write_buffer_size() > _FLUSH_ON_CLOSE
        if reason is not None and self.version == MQTT_5 and not abort:
            self.send(codec.disconnect(reason, message))
        self.closed = True
        self._leave()  # out of routing at once, not when the reader notices
        self._waiting.clear()
        self._waiting_bytes = 0
        if abort:
            transport.abort()
        else:
            self.writer.close()

    # --- the session -------------------------------------------------------------
    def drop(self, clean_session: bool = False, prevent_will: bool = False) -> None:
        """iot-data DeleteConnection: close; ``clean_session`` also discards the session
        (subscriptions, stored messages), ``prevent_will`` the will message."""
        if clean_session:
            self.session_expiry = 0
        if prevent_will:
            self._will = None
        self.close()

    def _leave(self) -> None:
        """Out of the broker; a persistent session is kept (docs/mqtt.md, "Persistent sessions")."""
        if self.session_expiry > 0 and not self._parked and self.broker.connections.get(self.client_id) is self:
            self._parked = True
            unsent = list(self._inflight.values()) + [w[:4] for w in self._waiting]
            self.broker.sessions.park(self, self.session_expiry, unsent)
        self.broker.unregister(self)

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
                    self._session_expiry_at_disconnect(packet)
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
        except Exception:  # a bug in the mock: this client goes, the listener keeps serving
            log.exception("mock_iotjobs MQTT failed on a packet from %s", self.client_id or "a client")
            self.close(codec.IMPLEMENTATION_ERROR)
        finally:
            self._leave()
            will, self._will = self._will, None
            if will is not None and not clean_end:
                self.broker.publish_will(self, will)
            self.close()

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
        if length > self.limits.max_packet_bytes:
            raise MalformedPacket(f"packet of {length} bytes is too large", codec.PACKET_TOO_LARGE)
        return header, await self.reader.readexactly(length)

    def _connect(self, body: bytes) -> bool:
        try:
            connect = codec.decode_connect(body)
        except MalformedPacket as error:
            if error.reason == codec.UNSUPPORTED_VERSION:
                self.send(codec.connack(MQTT_311, False, codec.CONNACK_311_BAD_VERSION))
            elif codec.connect_version(body) == MQTT_5:
                # MQTT 5 (3.2.2.2): a CONNACK with the reason, then the connection closes.
                self.version = MQTT_5
                self._refuse(error.reason, error.reason)
                return False
            raise
        self.version = connect.version
        self._keep_alive = connect.keep_alive
        limits = self.limits
        props: codec.Properties = {
            codec.MAXIMUM_QOS: 1,
            codec.SHARED_AVAILABLE: 0,
            codec.SUBSCRIPTION_IDS_AVAILABLE: 0,
            codec.MAXIMUM_PACKET_SIZE: limits.max_packet_bytes,
            codec.RECEIVE_MAXIMUM: limits.max_inflight,
        }
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
        elif len(client_id.encode("utf-8")) > limits.max_client_id_bytes:
            log.info("refused a client id of more than %d bytes", limits.max_client_id_bytes)
            self._refuse(codec.CONNACK_311_BAD_CLIENT_ID, codec.CLIENT_ID_NOT_VALID)
            return False
        will = connect.will
        if will is not None and not self.broker.valid_will(will):
            raise MalformedPacket(
                f"the will on {will.topic!r}: invalid topic or payload too large", codec.TOPIC_NAME_INVALID
            )
        self.client_id = client_id
        self._will = will
        self._max_outgoing = connect.properties.get(codec.MAXIMUM_PACKET_SIZE, self._max_outgoing)
        self._inflight_limit = min(limits.max_inflight, connect.properties.get(codec.RECEIVE_MAXIMUM, 0xFFFF))
        self.session_expiry = self._session_expiry(connect, props)
        if not self.broker.may_connect(self):  # iot:Connect (mutual TLS only)
            self._will = None  # a refused connection has no will
            self._refuse(CONNACK_311_NOT_AUTHORIZED, codec.NOT_AUTHORIZED)
            return False
        self.broker.register(self)  # a connection taken over parks its session first
        stored = None
        if connect.clean_start:
            self.broker.sessions.discard(client_id)
        else:
            stored = self.broker.sessions.resume(self)
        self.send(codec.connack(self.version, stored is not None, codec.SUCCESS, props))
        if stored is not None:
            # AWS sends stored messages at up to 10 a second; the mock sends them at once.
            for topic, payload, retain, message_props in stored:
                if self.broker.may_receive(self, topic):  # iot:Receive (mutual TLS only)
                    self.deliver(topic, payload, 1, retain, message_props)
        return True

    def _session_expiry(self, connect: codec.Connect, props: codec.Properties) -> float:
        """MQTT 3.1.1: clean session 0 keeps the session for the account's expiry period;
        MQTT 5: the Session Expiry Interval asked for, capped by that period (the CONNACK
        then says the interval granted)."""
        cap = self.limits.session_expiry_seconds
        if self.version == MQTT_311:
            return 0 if connect.clean_start else cap
        asked = connect.properties.get(codec.SESSION_EXPIRY_INTERVAL, 0)
        self._session_expiry_asked = asked
        if asked > cap:
            props[codec.SESSION_EXPIRY_INTERVAL] = int(cap)
            return cap
        return float(asked)

    def _session_expiry_at_disconnect(self, packet: codec.Disconnect) -> None:
        """MQTT 5 (3.14.2.2.2): a DISCONNECT may change the Session Expiry Interval, within
        the cap, except from 0 (a Protocol Error)."""
        asked = packet.properties.get(codec.SESSION_EXPIRY_INTERVAL)
        if asked is None:
            return
        if asked and not self._session_expiry_asked:
            raise MalformedPacket("a Session Expiry Interval in DISCONNECT after 0 in CONNECT", codec.PROTOCOL_ERROR)
        self.session_expiry = min(float(asked), self.limits.session_expiry_seconds)

    def _refuse(self, code_311: int, code_5: int) -> None:
        self.send(codec.connack(self.version, False, code_311 if self.version == MQTT_311 else code_5))
        self.close()

    def _on_packet(self, packet: codec.Packet) -> None:
        if isinstance(packet, codec.Publish):
            self._on_publish(packet)
        elif isinstance(packet, codec.Ack):
            if packet.kind == codec.PUBACK:
                self._acknowledged(packet.packet_id)
        elif isinstance(packet, codec.Subscribe):
            codes = self.broker.subscribe(self, packet)
            self.send(codec.suback(self.version, packet.packet_id, codes))
            self.broker.send_retained(self, packet, codes)
        elif isinstance(packet, codec.Unsubscribe):
            codes = self.broker.unsubscribe(self, packet)
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
        if len(packet.payload) > self.limits.max_payload_bytes:
            raise MalformedPacket(
                f"a {len(packet.payload)}-byte payload is over the {self.limits.max_payload_bytes}-byte limit",
                codec.PACKET_TOO_LARGE,
            )
        if not self.broker.valid_topic(packet.topic):
            raise MalformedPacket(f"{packet.topic!r} is not a valid topic name", codec.TOPIC_NAME_INVALID)
        self.broker.publish(self, packet)
