"""MQTT 3.1.1 and 5 control packets: decoding what clients send, encoding what we answer.

Only what a broker needs: CONNECT, PUBLISH, PUBACK/PUBREC/PUBREL/PUBCOMP,
SUBSCRIBE, UNSUBSCRIBE, PINGREQ, DISCONNECT and AUTH in; CONNACK, PUBLISH,
PUBACK, SUBACK, UNSUBACK, PINGRESP and DISCONNECT out.  Anything malformed
raises :class:`MalformedPacket`; the connection then closes (with a DISCONNECT
carrying the reason code first when the client speaks MQTT 5).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

CONNECT, CONNACK, PUBLISH, PUBACK, PUBREC, PUBREL, PUBCOMP = 1, 2, 3, 4, 5, 6, 7
SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK, PINGREQ, PINGRESP, DISCONNECT, AUTH = 8, 9, 10, 11, 12, 13, 14, 15

MQTT_311 = 4
MQTT_5 = 5

# MQTT 5 reason codes used here.
SUCCESS = 0x00
DISCONNECT_WITH_WILL = 0x04
NO_SUBSCRIPTION_EXISTED = 0x11
MALFORMED = 0x81
PROTOCOL_ERROR = 0x82
IMPLEMENTATION_ERROR = 0x83
UNSUPPORTED_VERSION = 0x84
CLIENT_ID_NOT_VALID = 0x85
NOT_AUTHORIZED = 0x87
SERVER_SHUTTING_DOWN = 0x8B
BAD_AUTH_METHOD = 0x8C
KEEP_ALIVE_TIMEOUT = 0x8D
SESSION_TAKEN_OVER = 0x8E
TOPIC_FILTER_INVALID = 0x8F
TOPIC_NAME_INVALID = 0x90
PACKET_TOO_LARGE = 0x95
QUOTA_EXCEEDED = 0x97
TOPIC_ALIAS_INVALID = 0x94
QOS_NOT_SUPPORTED = 0x9B
SHARED_NOT_SUPPORTED = 0x9E

# MQTT 3.1.1 CONNACK return codes.
CONNACK_311_BAD_VERSION = 0x01
CONNACK_311_BAD_CLIENT_ID = 0x02

# MQTT 5 property identifiers and their wire types.
CORRELATION_DATA = 0x09
SESSION_EXPIRY_INTERVAL = 0x11
SUBSCRIPTION_ID = 0x0B
ASSIGNED_CLIENT_ID = 0x12
AUTH_METHOD = 0x15
REQUEST_RESPONSE_INFORMATION = 0x19
REQUEST_PROBLEM_INFORMATION = 0x17
REASON_STRING = 0x1F
RECEIVE_MAXIMUM = 0x21
TOPIC_ALIAS = 0x23
MAXIMUM_QOS = 0x24
USER_PROPERTY = 0x26
MAXIMUM_PACKET_SIZE = 0x27
SUBSCRIPTION_IDS_AVAILABLE = 0x29
SHARED_AVAILABLE = 0x2A

_PROPERTY_TYPES: Dict[int, str] = {
    0x01: "byte", 0x02: "u32", 0x03: "utf8", 0x08: "utf8", 0x09: "binary", 0x0B: "varint",
    0x11: "u32", 0x12: "utf8", 0x13: "u16", 0x15: "utf8", 0x16: "binary", 0x17: "byte",
    0x18: "u32", 0x19: "byte", 0x1A: "utf8", 0x1C: "utf8", 0x1F: "utf8", 0x21: "u16",
    0x22: "u16", 0x23: "u16", 0x24: "byte", 0x25: "byte", 0x26: "pair", 0x27: "u32",
    0x28: "byte", 0x29: "byte", 0x2A: "byte",
}  # fmt: skip

Properties = Dict[int, Any]  # USER_PROPERTY maps to a list of (name, value) pairs


class MalformedPacket(Exception):
    """The bytes are not a valid packet; ``reason`` is the MQTT 5 reason code."""

    def __init__(self, message: str, reason: int = MALFORMED) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass
class Will:
    topic: str
    payload: bytes
    qos: int
    retain: bool


@dataclass
class Connect:
    version: int
    clean_start: bool
    keep_alive: int
    client_id: str
    username: Optional[str] = None
    will: Optional[Will] = None
    properties: Properties = field(default_factory=dict)


@dataclass
class Publish:
    topic: str
    payload: bytes
    qos: int = 0
    retain: bool = False
    dup: bool = False
    packet_id: Optional[int] = None
    properties: Properties = field(default_factory=dict)


@dataclass
class Subscribe:
    packet_id: int
    # (topic filter, requested QoS, no local, retain as published, retain handling)
    filters: List[Tuple[str, int, bool, bool, int]]
    properties: Properties = field(default_factory=dict)


@dataclass
class Unsubscribe:
    packet_id: int
    filters: List[str]


@dataclass
class Ack:
    """PUBACK, PUBREC, PUBREL or PUBCOMP."""

    kind: int
    packet_id: int


@dataclass
class Disconnect:
    reason: int = SUCCESS
    properties: Properties = field(default_factory=dict)


@dataclass
class Simple:
    """PINGREQ or AUTH (which this broker does not support)."""

    kind: int


Packet = Any  # one of the dataclasses above


# --- reading -------------------------------------------------------------------
class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise MalformedPacket("packet shorter than its contents say")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def byte(self) -> int:
        return self.take(1)[0]

    def u16(self) -> int:
        return int(struct.unpack("!H", self.take(2))[0])

    def u32(self) -> int:
        return int(struct.unpack("!I", self.take(4))[0])

    def varint(self) -> int:
        value, shift = 0, 0
        for _ in range(4):
            b = self.byte()
            value |= (b & 0x7F) << shift
            if not b & 0x80:
                return value
            shift += 7
        raise MalformedPacket("variable byte integer longer than 4 bytes")

    def binary(self) -> bytes:
        return self.take(self.u16())

    def utf8(self) -> str:
        raw = self.binary()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedPacket("string is not UTF-8") from None
        if "\x00" in text:
            raise MalformedPacket("string contains U+0000")
        return text

    def rest(self) -> bytes:
        chunk = self.data[self.pos :]
        self.pos = len(self.data)
        return chunk

    def at_end(self) -> bool:
        return self.pos >= len(self.data)

    def properties(self) -> Properties:
        length = self.varint()
        end = self.pos + length
        if end > len(self.data):
            raise MalformedPacket("properties longer than the packet")
        props: Properties = {}
        while self.pos < end:
            ident = self.varint()
            kind = _PROPERTY_TYPES.get(ident)
            if kind is None:
                raise MalformedPacket(f"unknown property 0x{ident:02x}")
            if kind == "pair":
                props.setdefault(ident, []).append((self.utf8(), self.utf8()))
                continue
            if ident in props and ident != SUBSCRIPTION_ID:
                raise MalformedPacket(f"property 0x{ident:02x} given twice", PROTOCOL_ERROR)
            value: Any = {
                "byte": self.byte, "u16": self.u16, "u32": self.u32,
                "varint": self.varint, "utf8": self.utf8, "binary": self.binary,
            }[kind]()  # fmt: skip
            props[ident] = value
        if self.pos != end:
            raise MalformedPacket("properties overrun their length")
        return props


def read_remaining_length(first: bytes) -> Optional[int]:
    """The remaining length from up to 4 bytes; None while more bytes are needed."""
    value, shift = 0, 0
    for i, b in enumerate(first):
        value |= (b & 0x7F) << shift
        if not b & 0x80:
            return value
        shift += 7
        if i == 3:
            raise MalformedPacket("remaining length longer than 4 bytes")
    return None


def decode_connect(body: bytes) -> Connect:
    r = _Reader(body)
    name = r.utf8()
    version = r.byte()
    if name != "MQTT" or version not in (MQTT_311, MQTT_5):
        raise MalformedPacket(f"protocol {name!r} level {version} is not MQTT 3.1.1 or 5", UNSUPPORTED_VERSION)
    flags = r.byte()
    if flags & 0x01:
        raise MalformedPacket("reserved CONNECT flag set")
    keep_alive = r.u16()
    props = r.properties() if version == MQTT_5 else {}
    _check_connect_properties(props)
    client_id = r.utf8()
    will = None
    if flags & 0x04:
        will_props = r.properties() if version == MQTT_5 else {}
        del will_props
        topic = r.utf8()
        payload = r.binary()
        will_qos = (flags >> 3) & 0x03
        if will_qos == 3:
            raise MalformedPacket("will QoS 3")
        will = Will(topic, payload, will_qos, bool(flags & 0x20))
    elif flags & 0x38:
        raise MalformedPacket("will flags set without a will")
    username = r.utf8() if flags & 0x80 else None
    if flags & 0x40:
        r.binary()  # the password: any is accepted, like the username
    return Connect(version, bool(flags & 0x02), keep_alive, client_id, username, will, props)


def _check_connect_properties(props: Properties) -> None:
    # MQTT 5, 3.1.2.11: a value of 0 is a Protocol Error for these two, and the
    # request flags may only be 0 or 1.
    for ident, name in ((MAXIMUM_PACKET_SIZE, "Maximum Packet Size"), (RECEIVE_MAXIMUM, "Receive Maximum")):
        if props.get(ident) == 0:
            raise MalformedPacket(f"{name} 0 in CONNECT", PROTOCOL_ERROR)
    for ident in (REQUEST_RESPONSE_INFORMATION, REQUEST_PROBLEM_INFORMATION):
        if props.get(ident, 0) not in (0, 1):
            raise MalformedPacket(f"property 0x{ident:02x} must be 0 or 1", PROTOCOL_ERROR)


def connect_version(body: bytes) -> Optional[int]:
    """The protocol level of a CONNECT body, if it names MQTT at all (to answer a
    malformed CONNECT in the client's own version)."""
    if body[:6] == b"\x00\x04MQTT" and len(body) > 6 and body[6] in (MQTT_311, MQTT_5):
        return body[6]
    return None


def decode(header: int, body: bytes, version: int) -> Packet:
    """One packet after CONNECT (``header`` is the fixed header's first byte)."""
    kind, flags = header >> 4, header & 0x0F
    r = _Reader(body)
    if kind == PUBLISH:
        qos = (flags >> 1) & 0x03
        if qos == 3:
            raise MalformedPacket("PUBLISH with QoS 3")
        topic = r.utf8()
        packet_id = r.u16() if qos else None
        if packet_id == 0:
            raise MalformedPacket("packet identifier 0")
        props = r.properties() if version == MQTT_5 else {}
        return Publish(topic, r.rest(), qos, bool(flags & 0x01), bool(flags & 0x08), packet_id, props)
    expected_flags = 0x02 if kind in (PUBREL, SUBSCRIBE, UNSUBSCRIBE) else 0x00
    if flags != expected_flags:
        raise MalformedPacket(f"packet type {kind} with flags {flags:#x}")
    if kind in (PUBACK, PUBREC, PUBREL, PUBCOMP):
        return Ack(kind, r.u16())  # any reason code and properties are of no interest
    if kind == SUBSCRIBE:
        packet_id = r.u16()
        props = r.properties() if version == MQTT_5 else {}
        filters = []
        while not r.at_end():
            topic_filter = r.utf8()
            options = r.byte()
            if options & (0xC0 if version == MQTT_5 else 0xFC) or options & 0x03 == 3:
                raise MalformedPacket("reserved subscription option bits set")
            filters.append((topic_filter, options & 0x03, bool(options & 0x04), bool(options & 0x08), options >> 4))
        if not filters:
            raise MalformedPacket("SUBSCRIBE without a topic filter", PROTOCOL_ERROR)
        return Subscribe(packet_id, filters, props)
    if kind == UNSUBSCRIBE:
        packet_id = r.u16()
        if version == MQTT_5:
            r.properties()
        names = []
        while not r.at_end():
            names.append(r.utf8())
        if not names:
            raise MalformedPacket("UNSUBSCRIBE without a topic filter", PROTOCOL_ERROR)
        return Unsubscribe(packet_id, names)
    if kind == DISCONNECT:
        if version != MQTT_5 or r.at_end():
            return Disconnect()
        reason = r.byte()
        return Disconnect(reason, {} if r.at_end() else r.properties())
    if kind in (PINGREQ, AUTH):
        return Simple(kind)
    raise MalformedPacket(f"a client may not send packet type {kind}", PROTOCOL_ERROR)


# --- writing -------------------------------------------------------------------
def varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _string(value: str) -> bytes:
    raw = value.encode("utf-8")
    return struct.pack("!H", len(raw)) + raw


def _binary(value: bytes) -> bytes:
    return struct.pack("!H", len(value)) + value


def encode_properties(props: Optional[Properties]) -> bytes:
    out = bytearray()
    for ident, value in (props or {}).items():
        kind = _PROPERTY_TYPES[ident]
        if kind == "pair":
            for name, text in value:
                out += varint(ident) + _string(name) + _string(text)
            continue
        out += varint(ident)
        if kind == "byte":
            out.append(value)
        elif kind == "u16":
            out += struct.pack("!H", value)
        elif kind == "u32":
            out += struct.pack("!I", value)
        elif kind == "varint":
            out += varint(value)
        elif kind == "utf8":
            out += _string(value)
        else:
            out += _binary(value)
    return varint(len(out)) + bytes(out)


def _packet(first: int, body: bytes) -> bytes:
    return bytes([first]) + varint(len(body)) + body


def connack(version: int, session_present: bool, code: int, props: Optional[Properties] = None) -> bytes:
    body = bytes([1 if session_present else 0, code])
    if version == MQTT_5:
        body += encode_properties(props)
    return _packet(CONNACK << 4, body)


def publish(
    version: int,
    topic: str,
    payload: bytes,
    qos: int = 0,
    packet_id: Optional[int] = None,
    retain: bool = False,
    props: Optional[Properties] = None,
) -> bytes:
    body = _string(topic)
    if qos:
        assert packet_id is not None
        body += struct.pack("!H", packet_id)
    if version == MQTT_5:
        body += encode_properties(props)
    return _packet((PUBLISH << 4) | (qos << 1) | (1 if retain else 0), body + payload)


def ack(kind: int, version: int, packet_id: int, code: int = SUCCESS) -> bytes:
    """PUBACK (or PUBREC/PUBCOMP); the reason code only when MQTT 5 and not success."""
    body = struct.pack("!H", packet_id)
    if version == MQTT_5 and code != SUCCESS:
        body += bytes([code])
    return _packet((kind << 4) | (0x02 if kind == PUBREL else 0), body)


def suback(version: int, packet_id: int, codes: List[int]) -> bytes:
    body = struct.pack("!H", packet_id)
    if version == MQTT_5:
        body += encode_properties(None)
    return _packet(SUBACK << 4, body + bytes(codes))


def unsuback(version: int, packet_id: int, codes: List[int]) -> bytes:
    body = struct.pack("!H", packet_id)
    if version == MQTT_5:
        body += encode_properties(None) + bytes(codes)
    return _packet(UNSUBACK << 4, body)


def pingresp() -> bytes:
    return _packet(PINGRESP << 4, b"")


def disconnect(code: int, reason: Optional[str] = None) -> bytes:
    """An MQTT 5 server DISCONNECT (MQTT 3.1.1 servers just close the connection)."""
    props = {REASON_STRING: reason} if reason else None
    return _packet(DISCONNECT << 4, bytes([code]) + encode_properties(props))
