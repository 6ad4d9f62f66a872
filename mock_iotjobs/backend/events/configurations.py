"""Event configurations: which registry and Jobs events AWS IoT publishes on ``$aws/events/...``.

Every event type starts disabled, as in a new AWS account; UpdateEventConfigurations
(or the test handle's ``enable_events``) turns them on.  Of the types, the mock
publishes ``JOB`` (``$aws/events/job/...``) and ``JOB_EXECUTION``
(``$aws/events/jobExecution/...``); the others are stored and echoed.
"""

from __future__ import annotations

from typing import Dict, Iterable, Optional

# The iot model's EventType enum.
EVENT_TYPES = (
    "THING",
    "THING_GROUP",
    "THING_TYPE",
    "THING_GROUP_MEMBERSHIP",
    "THING_GROUP_HIERARCHY",
    "THING_TYPE_ASSOCIATION",
    "JOB",
    "JOB_EXECUTION",
    "POLICY",
    "CERTIFICATE",
    "CA_CERTIFICATE",
)


class EventConfigurations:
    """The account's event configuration (one per account and region)."""

    def __init__(self, now: float) -> None:
        self.enabled: Dict[str, bool] = {event_type: False for event_type in EVENT_TYPES}
        self.created_at = now
        self.last_modified_at = now

    def is_enabled(self, event_type: str) -> bool:
        return self.enabled.get(event_type, False)

    def update(self, configurations: Dict[str, Dict[str, Optional[bool]]], now: float) -> None:
        """UpdateEventConfigurations: the types given take their ``Enabled``; the others stay."""
        for event_type, configuration in configurations.items():
            enabled = (configuration or {}).get("Enabled")
            if enabled is not None:
                self.enabled[event_type] = bool(enabled)
        self.last_modified_at = now

    def set(self, event_types: Iterable[str], enabled: bool, now: float) -> None:
        self.update({event_type: {"Enabled": enabled} for event_type in event_types}, now)

    def describe(self) -> Dict[str, Dict[str, bool]]:
        return {event_type: {"Enabled": enabled} for event_type, enabled in self.enabled.items()}


def check_event_types(event_types: Iterable[str]) -> None:
    """ValueError naming any name that is not an event type of the model."""
    unknown = [t for t in event_types if t not in EVENT_TYPES]
    if unknown:
        raise ValueError(f"not event types: {', '.join(unknown)}; the types are {', '.join(EVENT_TYPES)}")
