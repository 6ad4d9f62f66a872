"""Persistent sessions: what the broker keeps for a client id while it is offline.

AWS IoT developer guide, "MQTT persistent sessions": a client that connects
with clean session 0 (MQTT 3.1.1) or clean start 0 / a Session Expiry Interval
above 0 (MQTT 5) has its subscriptions kept when it disconnects, and the broker
stores its unacknowledged QoS 1 messages and new QoS 1 messages on its topics
until it resumes the session or the session expires.  The expiry period is 1
hour by default, an account setting of up to 7 days (``MqttLimits
.session_expiry_seconds``); an MQTT 5 client's Session Expiry Interval is capped
by it.  QoS 0 messages are not stored.

Time is the **mock clock** (``backend.now()``), so ``advance_time`` expires a
session.  Expiry is applied lazily: when the client id connects again, when a
message would be stored, and whenever the store is looked at
(:meth:`SessionStore.sweep`).

While offline, a session stands in the subscription index in its connection's
place (:class:`StoredSession` has the ``deliver`` the broker's routing calls), so
``notify`` / ``notify-next`` for an offline device are stored like any other
message it subscribed to with QoS 1.

At most ``MqttLimits.max_session_messages`` are stored per session; beyond it the
**oldest** stored message is dropped (counted in ``dropped``): for the jobs
topics the newest ``notify-next`` is the one a device acts on.
"""

from __future__ import annotations

import collections
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Deque, Dict, List, Optional, Tuple

from . import codec

if TYPE_CHECKING:
    from .connection import Connection, Subscription
    from .index import SubscriptionIndex

log = logging.getLogger("mock_iotjobs.mqtt")

# (topic, payload, retain, properties) of a stored QoS 1 message.
Stored = Tuple[str, bytes, bool, Optional[codec.Properties]]


@dataclass(eq=False)  # compared by identity: it is a key of the subscription index
class StoredSession:
    client_id: str
    subscriptions: Dict[str, "Subscription"]
    expiry_seconds: float
    disconnected_at: float
    max_messages: int
    owner: Optional["SessionStore"] = None
    messages: Deque[Stored] = field(default_factory=collections.deque)
    dropped: int = 0
    expired: bool = False

    @property
    def expires_at(self) -> float:
        return self.disconnected_at + self.expiry_seconds

    def deliver(
        self,
        topic: str,
        payload: bytes,
        qos: int,
        retain: bool = False,
        props: Optional[codec.Properties] = None,
    ) -> None:
        """Store a QoS 1 message for the offline client (QoS 0 is not stored)."""
        if not qos or self.expired:
            return
        if self.owner is not None and self.owner.expire_if_due(self):
            return
        self.store(topic, payload, retain, props)

    def store(self, topic: str, payload: bytes, retain: bool, props: Optional[codec.Properties]) -> None:
        if self.max_messages <= 0:
            self.dropped += 1
            return
        if len(self.messages) >= self.max_messages:
            self.messages.popleft()
            self.dropped += 1
            if self.dropped == 1:
                log.warning("%s: session full (%d messages), dropping the oldest", self.client_id, len(self.messages))
        self.messages.append((topic, payload, retain, props))


class SessionStore:
    """The broker's offline sessions, by client id; ``now`` reads the mock clock."""

    def __init__(self, index: "SubscriptionIndex[Any, Subscription]", now: Callable[[], float]) -> None:
        self._index = index
        self._now = now
        self.sessions: Dict[str, StoredSession] = {}

    def park(self, connection: "Connection", expiry_seconds: float, unsent: List[Stored], max_messages: int) -> None:
        """A persistent session's connection ended: its subscriptions stay in the index
        under the stored session, which keeps ``unsent`` (unacknowledged, then waiting)
        QoS 1 messages and those published to it from now on."""
        self.sweep()
        subscriptions = dict(connection.subscriptions)
        session = StoredSession(
            connection.client_id, subscriptions, expiry_seconds, self._now(), max_messages, owner=self
        )
        for topic_filter, subscription in subscriptions.items():
            self._index.remove(topic_filter, connection)
            self._index.add(topic_filter, session, subscription)
        connection.subscriptions.clear()
        for topic, payload, retain, props in unsent:
            session.store(topic, payload, retain, props)
        previous = self.sessions.pop(connection.client_id, None)
        if previous is not None:
            self._expire(previous)
        self.sessions[connection.client_id] = session

    def resume(self, connection: "Connection") -> Optional[StoredSession]:
        """The client's stored session, if any and alive, handed over to ``connection``
        (its subscriptions, back in the index under it); its stored messages are the
        caller's to deliver."""
        session = self.take(connection.client_id)
        if session is None:
            return None
        for topic_filter, subscription in session.subscriptions.items():
            self._index.remove(topic_filter, session)
            self._index.add(topic_filter, connection, subscription)
        connection.subscriptions = session.subscriptions
        session.expired = True  # nothing more is stored in it
        return session

    def expire_if_due(self, session: StoredSession) -> bool:
        if self._now() < session.expires_at:
            return False
        if self.sessions.get(session.client_id) is session:
            del self.sessions[session.client_id]
        self._expire(session)
        return True

    def take(self, client_id: str) -> Optional[StoredSession]:
        """The client's stored session, removed from the store, if it has not expired."""
        session = self.sessions.pop(client_id, None)
        if session is None:
            return None
        if self._now() >= session.expires_at:
            self._expire(session)
            return None
        return session

    def discard(self, client_id: str) -> None:
        """A clean session (or DeleteConnection with cleanSession): the stored one goes."""
        session = self.sessions.pop(client_id, None)
        if session is not None:
            self._expire(session)

    def sweep(self) -> None:
        """Expire every session whose lifetime has passed on the mock clock."""
        if not self.sessions:
            return
        now = self._now()
        for client_id, session in list(self.sessions.items()):
            if now >= session.expires_at:
                del self.sessions[client_id]
                self._expire(session)

    def _expire(self, session: StoredSession) -> None:
        session.expired = True
        session.messages.clear()
        for topic_filter in session.subscriptions:
            self._index.remove(topic_filter, session)

    def stats(self) -> List[Dict[str, object]]:
        return [
            {
                "client_id": s.client_id,
                "subscriptions": sorted(s.subscriptions),
                "messages": len(s.messages),
                "dropped": s.dropped,
                "expires_at": s.expires_at,
            }
            for s in self.sessions.values()
        ]
