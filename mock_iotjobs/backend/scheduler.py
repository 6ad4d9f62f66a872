"""Timed work of one backend, applied lazily in time order.

Nothing runs in the background: before each request and on ``advance_time``
the backend calls :meth:`Scheduler.run_due`, which pops every entry whose
time has come (earliest first) and runs it with its own due time, so a
timeout that fell due five minutes ago is stamped five minutes ago.
Entries are never cancelled; each callback re-checks that it still applies.
"""

from __future__ import annotations

import heapq
import itertools
from typing import Callable, List, Tuple

Task = Callable[[float], None]


class Scheduler:
    def __init__(self) -> None:
        self._heap: List[Tuple[float, int, Task]] = []
        self._order = itertools.count()

    def at(self, when: float, task: Task) -> None:
        heapq.heappush(self._heap, (when, next(self._order), task))

    def pending(self) -> int:
        return len(self._heap)

    def next_due(self) -> float:
        return self._heap[0][0] if self._heap else float("inf")

    def run_due(self, now: float) -> None:
        heap = self._heap
        while heap and heap[0][0] <= now:
            when, _, task = heapq.heappop(heap)
            task(when)

    def clear(self) -> None:
        self._heap.clear()
