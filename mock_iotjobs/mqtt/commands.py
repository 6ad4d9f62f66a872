"""The commands service behind ``$aws/commands/...``: a device reports on its executions.

A device (a thing, or an MQTT client that is no thing) receives each execution's
payload on ``$aws/commands/<things|clients>/<id>/executions/<executionId>/request[/json|/cbor]``
and reports on ``.../response[/json|/cbor]`` with ``{"status", "statusReason", "result"}``
(``UpdateCommandExecution``).  The answer goes to that client alone, subscribed
or not: ``.../response/accepted[/<format>]`` with ``{"executionId"}``, or
``.../response/rejected[/<format>]`` with ``{"error", "errorMessage", "executionId"}``,
``error`` being one of the commands MQTT API's codes (``InvalidRequest``,
``TerminalStateReached``, ...).  A client may use only its own device's topics:
the thing named like its client id, or the client itself.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Dict, Optional, Tuple

from ..backend.commands import payloads
from ..backend.commands.executions import CLIENTS, THINGS
from ..backend.commands.reports import CommandRejection
from . import codec
from .codec import MQTT_5

if TYPE_CHECKING:
    from .broker import Broker
    from .connection import Connection

log = logging.getLogger("mock_iotjobs.mqtt")

PREFIX = "$aws/commands/"
INVALID_JSON = "InvalidJson"
INTERNAL_ERROR = "InternalError"


@dataclass(frozen=True)
class CommandsTopic:
    device_type: str
    device_id: str
    execution_id: Optional[str]
    rest: Tuple[str, ...]

    @property
    def response_format(self) -> Optional[str]:
        """``""`` (no format level), ``json`` or ``cbor`` for a response topic; else None."""
        if self.execution_id is None or not self.rest or self.rest[0] != "response":
            return None
        if len(self.rest) == 1:
            return ""
        if len(self.rest) == 2 and self.rest[1] in (payloads.JSON_FORMAT, payloads.CBOR_FORMAT):
            return self.rest[1]
        return None


def is_commands_topic(topic: str) -> bool:
    return topic.startswith(PREFIX)


def parse(topic: str) -> Optional[CommandsTopic]:
    levels = topic.split("/")
    if len(levels) < 4 or levels[2] not in (THINGS, CLIENTS) or not levels[3]:
        return None
    if len(levels) >= 6 and levels[4] == "executions" and levels[5]:
        return CommandsTopic(levels[2], levels[3], levels[5], tuple(levels[6:]))
    return CommandsTopic(levels[2], levels[3], None, tuple(levels[4:]))


def publish(broker: "Broker", connection: "Connection", packet: codec.Publish) -> None:
    """A client's PUBLISH on a ``$aws/commands/`` topic."""
    topic = parse(packet.topic)
    if topic is None or topic.device_id != connection.client_id:  # its own device only, policy or not
        log.info("%s may not publish to %s", connection.client_id, packet.topic)
        if connection.version == MQTT_5:
            if packet.packet_id is not None:
                connection.send(codec.ack(codec.PUBACK, MQTT_5, packet.packet_id, codec.NOT_AUTHORIZED))
        else:
            connection.close()
        return
    if packet.packet_id is not None:
        connection.send(codec.ack(codec.PUBACK, connection.version, packet.packet_id))
    fmt = topic.response_format
    if fmt is None or topic.execution_id is None:
        log.info("no commands API behind %s; dropped", packet.topic)
        return
    accepted, body = _report(broker, topic, topic.execution_id, fmt, packet.payload)
    base = packet.topic[: packet.topic.rindex("/response") + len("/response")]
    reply = f"{base}/{'accepted' if accepted else 'rejected'}" + (f"/{fmt}" if fmt else "")
    if fmt == payloads.CBOR_FORMAT:
        data = payloads.cbor_encode(body)
    else:
        data = json.dumps(body, separators=(",", ":")).encode()
    props = None
    if codec.CORRELATION_DATA in packet.properties:
        props = {codec.CORRELATION_DATA: packet.properties[codec.CORRELATION_DATA]}
    if broker.may_receive(connection, reply):
        connection.deliver(reply, data, packet.qos, props=props)


def _report(
    broker: "Broker", topic: CommandsTopic, execution_id: str, fmt: str, payload: bytes
) -> Tuple[bool, Dict[str, Any]]:
    try:
        request = _decode(payload, fmt)
        backend = broker.service.backend()
        with backend.lock:
            backend.apply_due()
            backend.command_executions.report(
                execution_id,
                request.get("status"),
                request.get("result"),
                request.get("statusReason"),
                device=(topic.device_type, topic.device_id),
            )
        return True, {"executionId": execution_id}
    except CommandRejection as rejection:
        return False, {"error": rejection.code, "errorMessage": rejection.message, "executionId": execution_id}
    except Exception as error:  # a bug in the mock: answer it, keep serving
        log.exception("mock_iotjobs MQTT failed on a commands response")
        message = f"mock_iotjobs internal error: {error!r}"
        return False, {"error": INTERNAL_ERROR, "errorMessage": message, "executionId": execution_id}


def _decode(payload: bytes, fmt: str) -> Dict[str, Any]:
    try:
        if fmt == payloads.CBOR_FORMAT:
            body = payloads.cbor_decode(payload)
        else:
            body = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        kind = "CBOR" if fmt == payloads.CBOR_FORMAT else "UTF-8 encoded JSON"
        raise CommandRejection(INVALID_JSON, f"The request payload is not valid {kind}.") from None
    if not isinstance(body, dict):
        raise CommandRejection(INVALID_JSON, "The request payload must be an object.")
    return body
