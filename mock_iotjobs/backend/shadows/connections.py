"""MQTT clients as the ``iot-data`` connection APIs see them.

The MQTT listener reports each client when it connects and disconnects;
``GetConnection``, ``ListSubscriptions``, ``SendDirectMessage`` and
``DeleteConnection`` read this record and act on the live connection through
the callables the listener gives (they run on the listener's loop).  A
disconnected client's record is kept for 30 minutes of the mock clock, as
``GetConnection`` documents for ``disconnectedSince``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Tuple

DISCONNECTED_MEMORY_SECONDS = 30 * 60


@dataclass
class ClientRecord:
    client_id: str
    connected_since_ms: int
    clean_session: bool = True
    keep_alive: int = 0
    source: Tuple[str, int] = ("127.0.0.1", 0)
    target: Tuple[str, int] = ("127.0.0.1", 0)
    session_expiry: Optional[int] = None
    disconnected_ms: Optional[int] = None
    disconnect_reason: Optional[str] = None
    # Set by the listener while the client is connected.
    disconnect: Optional[Callable[[bool, bool], None]] = None
    subscriptions: Optional[Callable[[], List[Tuple[str, int]]]] = None
    send: Optional[Callable[[str, bytes, int], None]] = None

    @property
    def connected(self) -> bool:
        return self.disconnected_ms is None

    def __getstate__(self) -> Dict[str, Any]:
        # Saved state (server mode's --state-dir): the callables are the live connection,
        # which a restart ends, so the record is kept as a server-side disconnect.
        state = dict(self.__dict__)
        state.update(disconnect=None, subscriptions=None, send=None)
        if state["disconnected_ms"] is None:
            state["disconnected_ms"] = state["connected_since_ms"]
            state["disconnect_reason"] = "SERVER_INITIATED_DISCONNECT"
        return state


class Connections:
    def __init__(self) -> None:
        self.by_client: Dict[str, ClientRecord] = {}

    def connected(self, record: ClientRecord) -> None:
        self.by_client[record.client_id] = record

    def disconnected(self, client_id: str, now_ms: int, reason: str) -> None:
        record = self.by_client.get(client_id)
        if record is not None:
            record.disconnected_ms, record.disconnect_reason = now_ms, reason
            record.disconnect = record.send = None

    def get(self, client_id: str, now_ms: int) -> Optional[ClientRecord]:
        record = self.by_client.get(client_id)
        if record is not None and record.disconnected_ms is not None:
            if now_ms - record.disconnected_ms > DISCONNECTED_MEMORY_SECONDS * 1000:
                del self.by_client[client_id]
                return None
        return record

    def live(self, client_id: str, now_ms: int) -> Optional[ClientRecord]:
        record = self.get(client_id, now_ms)
        return record if record is not None and record.connected else None
