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
from .limits import MqttLimits

if TYPE_CHECKING:
    from .connection import Connection, Subscription
    from .index import SubscriptionIndex

log = logging.getLogger("mock_iotjobs.mqtt")

# What one stored message costs besides its topic and payload.
_OVERHEAD = 128

# (topic, payload, retain, properties) of a stored QoS 1 message.
Stored = Tuple[str, bytes, bool, Optional[codec.Properties]]


@dataclass(eq=False)  # compared by identity: it is a key of the subscription index
class StoredSession:
    client_id: str
    subscriptions: Dict[str, "Subscription"]
    expiry_seconds: float
    disconnected_at: float
    max_messages: int
    max_bytes: int
    owner: Optional["SessionStore"] = None
    messages: Deque[Stored] = field(default_factory=collections.deque)
    size: int = 0  # bytes accounted for the stored messages
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
        """Keep a message; the oldest ones go while the session (or every session together,
        ``max_session_bytes``) would hold too much; a message that cannot fit is dropped."""
        size = _size(topic, payload)
        room = self.owner.room if self.owner is not None else lambda extra: True
        while self.messages and (
            len(self.messages) >= self.max_messages or self.size + size > self.max_bytes or not room(size)
        ):
            old = self.messages.popleft()
            self._account(-_size(old[0], old[1]))
            self._dropped()
        if len(self.messages) >= self.max_messages or self.size + size > self.max_bytes or not room(size):
            self._dropped()
            return
        self.messages.append((topic, payload, retain, props))
        self._account(size)

    def take_messages(self) -> List[Stored]:
        messages = list(self.messages)
        self.messages.clear()
        self._account(-self.size)
        return messages

    def _account(self, delta: int) -> None:
        self.size += delta
        if self.owner is not None:
            self.owner.stored_bytes += delta

    def _dropped(self) -> None:
        self.dropped += 1
        if self.dropped == 1:
            log.warning("%s: its stored session is full, dropping the oldest messages", self.client_id)


def _size(topic: str, payload: bytes) -> int:
    return len(topic) + len(payload) + _OVERHEAD


class SessionStore:
    """The broker's offline sessions, by client id; ``now`` reads the mock clock."""

    def __init__(
        self, index: "SubscriptionIndex[Any, Subscription]", now: Callable[[], float], limits: MqttLimits
    ) -> None:
        self._index = index
        self._now = now
        self.limits = limits
        self.sessions: Dict[str, StoredSession] = {}
        #: Bytes of the messages stored in every session (bounded by ``max_session_bytes``).
        self.stored_bytes = 0

    def room(self, size: int) -> bool:
        return self.stored_bytes + size <= self.limits.max_session_bytes

    def park(self, connection: "Connection", expiry_seconds: float, unsent: List[Stored]) -> None:
        """A persistent session's connection ended: its subscriptions stay in the index
        under the stored session, which keeps ``unsent`` (unacknowledged, then waiting)
        QoS 1 messages and those published to it from now on."""
        self.sweep()
        subscriptions = dict(connection.subscriptions)
        session = StoredSession(
            connection.client_id,
            subscriptions,
            expiry_seconds,
            self._now(),
            self.limits.max_session_messages,
            self.limits.max_queued_bytes,
            owner=self,
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

    def resume(self, connection: "Connection") -> Optional[List[Stored]]:
        """The client's stored session, if any and alive, handed over to ``connection``
        (its subscriptions, back in the index under it): its stored messages, for the
        caller to deliver; None if there was no session."""
        session = self.take(connection.client_id)
        if session is None:
            return None
        for topic_filter, subscription in session.subscriptions.items():
            self._index.remove(topic_filter, session)
            self._index.add(topic_filter, connection, subscription)
        connection.subscriptions = session.subscriptions
        session.expired = True  # nothing more is stored in it
        return session.take_messages()

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
        session.take_messages()
        for topic_filter in session.subscriptions:
            self._index.remove(topic_filter, session)

    def stats(self) -> List[Dict[str, object]]:
        return [
            {
                "client_id": s.client_id,
                "subscriptions": sorted(s.subscriptions),
                "messages": len(s.messages),
                "bytes": s.size,
                "dropped": s.dropped,
                "expires_at": s.expires_at,
            }
            for s in self.sessions.values()
        ]
