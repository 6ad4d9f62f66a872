"""DescribeEventConfigurations and UpdateEventConfigurations."""

from __future__ import annotations

from ...protocol.models import IOT
from ..base import Context, Params, Result, operation


@operation(IOT, "DescribeEventConfigurations")
def describe_event_configurations(ctx: Context, p: Params) -> Result:
    configurations = ctx.backend.event_configurations
    return {
        "eventConfigurations": configurations.describe(),
        "creationDate": configurations.created_at,
        "lastModifiedDate": configurations.last_modified_at,
    }


@operation(IOT, "UpdateEventConfigurations")
def update_event_configurations(ctx: Context, p: Params) -> Result:
    # The model has already refused any key outside the EventType enum.
    ctx.backend.event_configurations.update(p.get("eventConfigurations") or {}, ctx.backend.now())
    return {}
