"""What a device subscribed to its jobs topics, and a Jobs-events subscriber, would receive."""

from __future__ import annotations

import itertools
import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Callable, DefaultDict, Dict, List, Optional


@dataclass(frozen=True)
class Notification:
    """One MQTT message: its topic, JSON payload and publication time (epoch seconds)."""

    topic: str
    payload: Dict[str, Any]
    timestamp: float


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
