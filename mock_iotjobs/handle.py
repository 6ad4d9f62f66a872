"""The handle a test gets from ``with mock_iotjobs() as m`` or the pytest fixture."""

from __future__ import annotations

from typing import Optional

from .backend.state import DEFAULT_REGION, Backend, BackendStore, default_account_id


class MockIotJobs:
    """Controls and inspects the state of one mock activation."""

    def __init__(self, store: BackendStore, region: Optional[str] = None) -> None:
        self._store = store
        self.default_region = region or DEFAULT_REGION

    def backend(self, account_id: Optional[str] = None, region: Optional[str] = None) -> Backend:
        """The backend of one account and region (created on first use)."""
        return self._store.get(account_id or default_account_id(), region or self.default_region)

    def advance_time(self, seconds: float = 0, minutes: float = 0, hours: float = 0) -> float:
        """Move the mock's clock forward and apply everything that falls due.

        Returns the new time as epoch seconds.
        """
        now = self._store.clock.advance(seconds + 60 * minutes + 3600 * hours)
        for backend in self._store.all().values():
            with backend.lock:
                backend.apply_due()
        return now

    def fail_next(self, operation: str, error_code: str = "ThrottlingException", times: int = 1) -> None:
        """Make the next ``times`` calls of ``operation`` answer ``error_code``."""
        self._store.inject_fault(operation, error_code, times)

    def reset(self) -> None:
        """Forget all state (every account and region) and pending faults."""
        self._store.reset()
