"""The mock's clock: real time by default, moved forward by ``advance_time``."""

from __future__ import annotations

import threading
import time


class Clock:
    """Epoch seconds as floats.  One clock serves every backend of an activation."""

    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        return time.time() + self._offset

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("time only moves forward")
        with self._lock:
            self._offset += seconds
        return self.now()
