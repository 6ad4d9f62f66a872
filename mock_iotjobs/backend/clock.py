"""The mock's clock: real time by default, moved forward by ``advance_time``."""

from __future__ import annotations

import math
import threading
import time
from typing import Any, Dict

# The furthest one call may move the clock (100 years), and the latest moment the
# clock may show: AWS timestamps (and Python's datetime) end in the year 9999.
MAX_ADVANCE_SECONDS = 100 * 365.25 * 86400
LATEST = 253402300799.0  # 9999-12-31T23:59:59Z


def check_advance(seconds: Any, what: str = "seconds") -> float:
    """``seconds`` as a float, or ``ValueError`` if it is not a finite, non-negative,
    sane amount of time (NaN, infinities, negative values and more than 100 years)."""
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise ValueError(f"{what} must be a number, got {seconds!r}")
    try:
        value = float(seconds)
    except OverflowError:  # an int too large for a float
        raise ValueError(f"{what} is too large: at most {MAX_ADVANCE_SECONDS:.0f} seconds per call") from None
    if math.isnan(value) or math.isinf(value):
        raise ValueError(f"{what} must be a finite number, got {seconds!r}")
    if value < 0:
        raise ValueError(f"time only moves forward: {what} must not be negative, got {seconds!r}")
    if value > MAX_ADVANCE_SECONDS:
        raise ValueError(f"{what} is too large: at most {MAX_ADVANCE_SECONDS:.0f} seconds (100 years) per call")
    return value


class Clock:
    """Epoch seconds as floats.  One clock serves every backend of an activation."""

    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        return time.time() + self._offset

    def advance(self, seconds: float) -> float:
        """Move forward by ``seconds``; a refused amount (see :func:`check_advance`)
        raises ``ValueError`` and leaves the clock as it was."""
        amount = check_advance(seconds)
        with self._lock:
            if time.time() + self._offset + amount > LATEST:
                raise ValueError("the clock cannot pass the end of the year 9999")
            self._offset += amount
        return self.now()

    # Picklable (server mode's --state-dir): the lock is not state.
    def __getstate__(self) -> Dict[str, Any]:
        return {"offset": self._offset}

    def __setstate__(self, state: Dict[str, Any]) -> None:
        self._offset = float(state["offset"])
        self._lock = threading.Lock()
