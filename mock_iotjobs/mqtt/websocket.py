"""MQTT over WebSocket, as AWS IoT serves it on ``wss://<endpoint>/mqtt``.

The handshake is an HTTP/1.1 ``GET /mqtt`` upgrade (RFC 6455) offering the
``mqtt`` subprotocol, authenticated with AWS Signature Version 4 in the query
string (``X-Amz-Algorithm``, ``X-Amz-Credential``, ``X-Amz-Date``,
``X-Amz-SignedHeaders``, ``X-Amz-Signature``; ``X-Amz-Security-Token`` for
temporary credentials, not signed, as AWS IoT does it).  The mock checks the
signature's **shape** and its credential scope (``<key>/<date>/<region>/
iotdevicegateway/aws4_request``, the listener's region), not the secret: it
accepts any key, as the rest of the mock does.  Anything unsigned or malformed
is refused with ``HTTP 403``; a request that is no WebSocket upgrade to
``/mqtt`` with ``mqtt`` gets ``400`` / ``404``.

After the handshake the MQTT byte stream rides in binary frames (one packet may
span frames, one frame may hold several packets).  :class:`WebSocketReader` and
:class:`WebSocketWriter` give :class:`~.connection.Connection` the stream API it
uses on TCP (``readexactly``, ``write``, ``close``, ``transport``), so the
broker does not know which transport a client came on.

Why our own framing rather than ``wsproto`` / ``websockets``: the server side
of RFC 6455 that MQTT needs (binary frames, ping/pong, close, masking) is about
a hundred lines, the listener has no dependency today, and the SigV4 checks need
the raw request target anyway.
"""

from __future__ import annotations

import asyncio
import base64
import datetime
import hashlib
import logging
import re
import struct
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import parse_qs, urlsplit

log = logging.getLogger("mock_iotjobs.mqtt")

PATH = "/mqtt"
SERVICE = "iotdevicegateway"
ALGORITHM = "AWS4-HMAC-SHA256"
_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_MAX_HEAD = 16 * 1024
_HANDSHAKE_TIMEOUT = 10.0
_REQUIRED = ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-SignedHeaders", "X-Amz-Signature")
_KEY_ID = re.compile(r"^[A-Za-z0-9_+=,.@-]{1,128}$")
_SIGNATURE = re.compile(r"^[0-9a-f]{64}$")
_HEADER_NAME = re.compile(r"^[a-z0-9-]+$")
_MAX_EXPIRES = 7 * 24 * 3600

OP_CONTINUATION, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
CLOSE_NORMAL, CLOSE_PROTOCOL_ERROR, CLOSE_UNSUPPORTED, CLOSE_TOO_BIG = 1000, 1002, 1003, 1009


class Refused(Exception):
    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason


# --- SigV4 ------------------------------------------------------------------------------
def check_sigv4(query: Dict[str, List[str]], region: str) -> None:
    """Raise :class:`Refused` (403) unless ``query`` holds a well-formed SigV4 query-string
    signature for ``iotdevicegateway`` in ``region`` (any secret: see the module doc)."""

    def forbidden(message: str) -> Refused:
        return Refused(403, "Forbidden", message)

    for name in _REQUIRED:
        values = query.get(name)
        if not values:
            raise forbidden(f"the request is not signed: {name} is missing")
        if len(values) != 1:
            raise forbidden(f"{name} is given more than once")
    value = {name: query[name][0] for name in _REQUIRED}
    if value["X-Amz-Algorithm"] != ALGORITHM:
        raise forbidden(f"X-Amz-Algorithm must be {ALGORITHM}")
    parts = value["X-Amz-Credential"].split("/")
    if len(parts) != 5:
        raise forbidden("X-Amz-Credential must be <access key>/<date>/<region>/<service>/aws4_request")
    key_id, scope_date, scope_region, service, terminator = parts
    if not _KEY_ID.match(key_id):
        raise forbidden("the credential's access key id is malformed")
    amz_date = value["X-Amz-Date"]
    try:
        datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ")
    except ValueError:
        raise forbidden("X-Amz-Date must be an ISO 8601 basic timestamp such as 20261201T120000Z") from None
    if scope_date != amz_date[:8]:
        raise forbidden("the credential scope's date is not the date of X-Amz-Date")
    if scope_region != region:
        raise forbidden(f"the credential scope's region {scope_region!r} is not this endpoint's region {region!r}")
    if service != SERVICE:
        raise forbidden(f"the credential scope's service must be {SERVICE!r}, not {service!r}")
    if terminator != "aws4_request":
        raise forbidden("the credential scope must end with aws4_request")
    signed = value["X-Amz-SignedHeaders"].split(";")
    if "host" not in signed or signed != sorted(signed) or not all(_HEADER_NAME.match(h) for h in signed):
        raise forbidden("X-Amz-SignedHeaders must be lowercase header names, sorted, including host")
    if not _SIGNATURE.match(value["X-Amz-Signature"]):
        raise forbidden("X-Amz-Signature must be 64 lowercase hexadecimal digits")
    expires = query.get("X-Amz-Expires")
    if expires is not None and not (expires[0].isdigit() and 1 <= int(expires[0]) <= _MAX_EXPIRES):
        raise forbidden("X-Amz-Expires must be between 1 and 604800 seconds")
    token = query.get("X-Amz-Security-Token")
    if token is not None and not token[0]:
        raise forbidden("X-Amz-Security-Token is empty")


# --- the handshake ------------------------------------------------------------------------
async def accept(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, region: str
) -> Optional[Tuple["WebSocketReader", "WebSocketWriter"]]:
    """Answer the upgrade request: the framed streams, or None (refused and closed)."""
    try:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), _HANDSHAKE_TIMEOUT)
        if len(head) > _MAX_HEAD:
            raise Refused(431, "Request Header Fields Too Large", "the request head is too large")
        key = _check_upgrade(head, region)
    except Refused as refused:
        log.info("refused a WebSocket handshake: %s", refused)
        _respond(writer, refused.status, refused.reason, [], str(refused).encode())
        writer.close()
        return None
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, asyncio.TimeoutError, ConnectionError):
        writer.close()
        return None
    accept_key = base64.b64encode(hashlib.sha1((key + _GUID).encode()).digest()).decode()
    headers = [
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Accept", accept_key),
        ("Sec-WebSocket-Protocol", "mqtt"),
    ]
    _respond(writer, 101, "Switching Protocols", headers, b"")
    ws_writer = WebSocketWriter(writer)
    return WebSocketReader(reader, ws_writer), ws_writer


def _check_upgrade(head: bytes, region: str) -> str:
    lines = head.decode("latin-1").split("\r\n")
    request = lines[0].split(" ")
    if len(request) != 3 or not request[2].startswith("HTTP/1."):
        raise Refused(400, "Bad Request", "not an HTTP/1.1 request")
    method, target, _ = request
    headers: Dict[str, str] = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            headers[name] = f"{headers[name]}, {value.strip()}" if name in headers else value.strip()
    url = urlsplit(target)
    if url.path != PATH:
        raise Refused(404, "Not Found", f"MQTT over WebSocket is served on {PATH}")
    if method != "GET":
        raise Refused(400, "Bad Request", "the WebSocket handshake is a GET")
    tokens = {t.strip().lower() for t in headers.get("connection", "").split(",")}
    if headers.get("upgrade", "").lower() != "websocket" or "upgrade" not in tokens:
        raise Refused(400, "Bad Request", "not a WebSocket upgrade request")
    if headers.get("sec-websocket-version") != "13":
        raise Refused(400, "Bad Request", "Sec-WebSocket-Version must be 13")
    key = headers.get("sec-websocket-key", "")
    try:
        if len(base64.b64decode(key, validate=True)) != 16:
            raise ValueError(key)
    except ValueError:
        raise Refused(400, "Bad Request", "Sec-WebSocket-Key must be 16 bytes in base64") from None
    protocols = {p.strip() for p in headers.get("sec-websocket-protocol", "").split(",")}
    if "mqtt" not in protocols:
        raise Refused(400, "Bad Request", "Sec-WebSocket-Protocol must offer mqtt")
    check_sigv4(parse_qs(url.query, keep_blank_values=True), region)
    return key


def _respond(
    writer: asyncio.StreamWriter, status: int, reason: str, headers: List[Tuple[str, str]], body: bytes
) -> None:
    lines = [f"HTTP/1.1 {status} {reason}"] + [f"{name}: {value}" for name, value in headers]
    if status != 101:
        lines += ["Content-Type: text/plain", f"Content-Length: {len(body)}", "Connection: close"]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)


# --- frames -------------------------------------------------------------------------------
def frame(opcode: int, payload: bytes) -> bytes:
    """A server frame (final, unmasked)."""
    length = len(payload)
    if length < 126:
        head = struct.pack("!BB", 0x80 | opcode, length)
    elif length < 1 << 16:
        head = struct.pack("!BBH", 0x80 | opcode, 126, length)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 127, length)
    return head + payload


def _unmask(payload: bytes, mask: bytes) -> bytes:
    if not payload:
        return payload
    repeated = (mask * (len(payload) // 4 + 1))[: len(payload)]
    value = int.from_bytes(payload, "big") ^ int.from_bytes(repeated, "big")
    return value.to_bytes(len(payload), "big")


class WebSocketWriter:
    """The stream writer of a WebSocket connection: each write is one binary frame."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self._writer = writer
        self.transport = writer.transport

    def write(self, data: bytes) -> None:
        self._writer.write(frame(OP_BINARY, data))

    def control(self, opcode: int, payload: bytes = b"") -> None:
        if not self._writer.is_closing():
            self._writer.write(frame(opcode, payload))

    def is_closing(self) -> bool:
        return self._writer.is_closing()

    def close(self, code: int = CLOSE_NORMAL) -> None:
        self.control(OP_CLOSE, struct.pack("!H", code))
        self._writer.close()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._writer.get_extra_info(name, default)


class WebSocketReader:
    """The stream reader of a WebSocket connection: the bytes of its data frames, in
    order, whatever the frame boundaries; pings are answered, a close frame ends it."""

    def __init__(self, reader: asyncio.StreamReader, writer: WebSocketWriter, max_frame: int = 1 << 20) -> None:
        self._reader = reader
        self._writer = writer
        self._max_frame = max_frame
        self._buffer = bytearray()

    async def readexactly(self, n: int) -> bytes:
        while len(self._buffer) < n:
            await self._frame()
        data = bytes(self._buffer[:n])
        del self._buffer[:n]
        return data

    async def _frame(self) -> None:
        first, second = await self._reader.readexactly(2)
        opcode = first & 0x0F
        if first & 0x70 or not second & 0x80:
            self._fail(CLOSE_PROTOCOL_ERROR, "reserved bits set, or an unmasked client frame")
        length = second & 0x7F
        if length == 126:
            (length,) = struct.unpack("!H", await self._reader.readexactly(2))
        elif length == 127:
            (length,) = struct.unpack("!Q", await self._reader.readexactly(8))
        if opcode >= OP_CLOSE and (length > 125 or not first & 0x80):
            self._fail(CLOSE_PROTOCOL_ERROR, "a fragmented or long control frame")
        if length > self._max_frame:
            self._fail(CLOSE_TOO_BIG, f"a {length}-byte frame")
        mask = await self._reader.readexactly(4)
        payload = _unmask(await self._reader.readexactly(length), mask)
        if opcode in (OP_BINARY, OP_CONTINUATION):
            self._buffer += payload
        elif opcode == OP_PING:
            self._writer.control(OP_PONG, payload)
        elif opcode == OP_CLOSE:
            self._writer.close()
            raise ConnectionResetError("the client closed the WebSocket")
        elif opcode != OP_PONG:
            self._fail(CLOSE_UNSUPPORTED, "MQTT rides in binary frames only")

    def _fail(self, code: int, why: str) -> None:
        log.info("closing a WebSocket: %s", why)
        self._writer.close(code)
        raise ConnectionResetError(why)
