"""The listener's bounds: AWS IoT Core's published message-broker quotas, plus the
mock's own bounds on memory (what one slow client may make the server hold).

Every bound is a field of :class:`MqttLimits`, so a test that needs more (say 5,000
subscriptions on one connection) passes ``limits=MqttLimits(max_subscriptions=5000)``
to ``mqtt_listener`` / ``start_listener`` / ``MqttListener``; ``serve`` takes
``--mqtt-limit NAME=VALUE`` (repeatable).  See docs/mqtt.md, "Limits".
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Dict, Iterable

KIB = 1024
MIB = 1024 * KIB
#: AWS IoT's upper bound on the persistent session expiry period: 7 days.
MAX_SESSION_EXPIRY_SECONDS = 7 * 24 * 3600


@dataclass(frozen=True)
class MqttLimits:
    # --- AWS IoT Core message broker quotas (AWS General Reference, "AWS IoT Core
    # endpoints and quotas", message broker and protocol limits) ----------------------
    #: PUBLISH payload: AWS rejects messages over 128 KB.
    max_payload_bytes: int = 128 * KIB
    #: Topic names and filters: at most 256 bytes of UTF-8.
    max_topic_bytes: int = 256
    #: Forward slashes in a topic or filter (reserved ``$aws/`` topics are exempt here:
    #: the service's own topics, e.g. namespaced jobs answers, go deeper).
    max_topic_slashes: int = 7
    #: Client id: at most 128 bytes of UTF-8; a longer one is refused at CONNECT.
    max_client_id_bytes: int = 128
    #: Subscriptions per connection (adjustable at AWS, 50 by default).
    max_subscriptions: int = 50
    #: Topic filters in one SUBSCRIBE packet.
    max_filters_per_subscribe: int = 8
    #: Retained messages per account (the listener serves one account).
    max_retained_messages: int = 500_000
    #: Unacknowledged outbound QoS 1 messages per client; more wait in its queue.
    max_inflight: int = 100
    # --- the mock's own memory bounds ---------------------------------------------------
    #: Retained payload bytes in all (AWS counts messages only; 500,000 x 128 KB would
    #: be 64 GB of RAM here).
    max_retained_bytes: int = 64 * MIB
    #: Bytes queued for one client (unsent socket buffer + QoS 1 messages waiting
    #: for an in-flight slot).  Beyond it QoS 0 messages are dropped and a QoS 1
    #: message disconnects the client.
    max_queued_bytes: int = 8 * MIB
    #: QoS 1 messages waiting for an in-flight slot, per client.
    max_queued_messages: int = 1000
    #: Seconds a client's queue may stay full (dropping its QoS 0 messages) before
    #: it is disconnected as a consumer that does not read.
    slow_consumer_seconds: float = 30.0
    # --- persistent sessions (AWS IoT developer guide, "MQTT persistent sessions") -------
    #: How long an offline persistent session is kept, on the mock clock: AWS's
    #: default is 1 hour, an account setting of up to 7 days; an MQTT 5 client's
    #: Session Expiry Interval is capped by it.
    session_expiry_seconds: float = 3600.0
    #: QoS 1 messages stored per offline session (mock bound: AWS documents rates,
    #: not a count); beyond it the oldest stored message is dropped.
    max_session_messages: int = 100
    #: Bytes stored for all offline sessions together (mock bound; each session also
    #: holds at most ``max_queued_bytes``); beyond it a session's oldest messages go.
    max_session_bytes: int = 64 * MIB

    def __post_init__(self) -> None:
        if self.session_expiry_seconds > MAX_SESSION_EXPIRY_SECONDS:
            raise ValueError("session_expiry_seconds may be at most 7 days (604800), as AWS IoT allows")

    @property
    def max_packet_bytes(self) -> int:
        """The largest packet read from a client (and the Maximum Packet Size told to MQTT 5
        clients): a full payload plus its topic, packet id and properties."""
        return self.max_payload_bytes + self.max_topic_bytes + 16 * KIB

    def with_overrides(self, items: Iterable[str]) -> "MqttLimits":
        """A copy with ``NAME=VALUE`` overrides (``serve --mqtt-limit``); ValueError on a bad one."""
        fields = {f.name: f for f in dataclasses.fields(self)}
        changes: Dict[str, Any] = {}
        for item in items:
            name, sep, raw = item.partition("=")
            name = name.strip().replace("-", "_")
            if not sep or name not in fields:
                raise ValueError(f"unknown MQTT limit {item!r}; known: {', '.join(sorted(fields))}")
            kind = float if fields[name].type in (float, "float") else int
            value = kind(raw.strip())
            if value < 0:
                raise ValueError(f"MQTT limit {name} must not be negative")
            changes[name] = value
        return dataclasses.replace(self, **changes)
