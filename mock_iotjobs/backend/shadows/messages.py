"""Retained messages of one account and region, as ``iot-data`` lists them.

A retained publish (``Publish`` with ``retain=true``, or an MQTT PUBLISH with
the retain flag) replaces the topic's message; an empty payload deletes it, as
MQTT says.  AWS keeps at most 500,000 retained topics per account; the mock
keeps the same bound.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Optional

from ...protocol.errors import ServiceError

MAX_RETAINED = 500_000


@dataclass(frozen=True)
class Retained:
    topic: str
    payload: bytes
    qos: int
    last_modified_ms: int


class RetainedMessages:
    def __init__(self) -> None:
        self.by_topic: Dict[str, Retained] = {}

    def put(self, topic: str, payload: bytes, qos: int, now: float) -> None:
        if not payload:
            self.by_topic.pop(topic, None)
            return
        if topic not in self.by_topic and len(self.by_topic) >= MAX_RETAINED:
            raise ServiceError("ThrottlingException", "The account's retained-message quota is reached.")
        self.by_topic[topic] = Retained(topic, payload, qos, int(now * 1000))

    def get(self, topic: str) -> Optional[Retained]:
        return self.by_topic.get(topic)

    def listing(self) -> List[Retained]:
        return sorted(self.by_topic.values(), key=lambda r: r.topic)
