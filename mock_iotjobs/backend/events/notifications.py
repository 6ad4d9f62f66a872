"""What a device subscribed to its jobs topics, and a Jobs-events subscriber, would receive."""

from __future__ import annotations

import itertools
import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Callable, DefaultDict, Dict, List, Optional


@dataclass(frozen=True)
class Notification:
    """One MQTT message: its topic, payload and publication time (epoch seconds).

    The payload is a JSON object for the messages the services publish, and the
    raw bytes of a message published through ``iot-data`` Publish."""

    topic: str
    payload: Any
    timestamp: float
    qos: int = 1
    retain: bool = False


Listener = Callable[[Optional[str], Notification], None]
# Whether an event type (the payload's ``eventType``: "JOB", "JOB_EXECUTION") is published.
EventFilter = Callable[[str], bool]


class NotificationLog:
    """Records every message, per thing, plus the Jobs events; listeners (e.g. an
    MQTT broker) are told as each one is published.

    AWS publishes an event only when its type is enabled in the account's event
    configurations (see ``configurations.py``): ``publishes`` says which are.  The
    device notifications on ``$aws/things/...`` are not events and always go out.
    """

    def __init__(self, publishes: Optional[EventFilter] = None) -> None:
        self.publishes: EventFilter = publishes or (lambda event_type: True)
        self.by_thing: DefaultDict[str, List[Notification]] = defaultdict(list)
        self.events: List[Notification] = []
        # Everything else published: shadow topics and iot-data Publish.
        self.messages: List[Notification] = []
        self.listeners: List[Listener] = []
        self._ids = itertools.count(1)

    def to_thing(self, thing_name: str, suffix: str, payload: Dict[str, Any], now: float) -> None:
        message = Notification(f"$aws/things/{thing_name}/jobs/{suffix}", payload, now)
        self.by_thing[thing_name].append(message)
        for listener in self.listeners:
            listener(thing_name, message)

    def event(self, topic: str, payload: Dict[str, Any], now: float) -> None:
        if not self.publishes(str(payload.get("eventType"))):
            return
        body = {"eventId": str(uuid.uuid4()), "timestamp": int(now), **payload}
        message = Notification(topic, body, now)
        self.events.append(message)
        for listener in self.listeners:
            listener(None, message)

    def message(
        self, topic: str, payload: Any, now: float, thing_name: Optional[str] = None, qos: int = 1, retain: bool = False
    ) -> None:
        """Any other message (device shadow topics, ``iot-data`` Publish)."""
        message = Notification(topic, payload, now, qos, retain)
        self.messages.append(message)
        for listener in self.listeners:
            listener(thing_name, message)

    # Saved state (server mode's --state-dir) keeps the messages, not who listens now:
    # listeners are live connections, attached again when they start.
    def __getstate__(self) -> Dict[str, Any]:
        state = dict(self.__dict__)
        state["listeners"] = []
        return state
