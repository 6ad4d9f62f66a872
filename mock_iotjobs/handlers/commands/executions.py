"""Command executions: started on the device plane (``iot-jobs-data``), read and
deleted on the control plane (``iot``)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Dict, Optional

from ...backend.commands.executions import CommandExecution
from ...backend.commands.payloads import validation
from ...protocol.errors import not_found
from ...protocol.models import IOT, JOBS_DATA
from ..base import Context, Params, Result, compact, operation
from . import page_of


@operation(JOBS_DATA, "StartCommandExecution")
def start_command_execution(ctx: Context, p: Params) -> Result:
    return {"executionId": ctx.backend.command_executions.start(p).execution_id}


@operation(IOT, "GetCommandExecution")
def get_command_execution(ctx: Context, p: Params) -> Result:
    execution = ctx.backend.command_executions.get(p["executionId"], p["targetArn"])
    return compact(**execution.describe(include_result=p.get("includeResult", True)))


@operation(IOT, "DeleteCommandExecution")
def delete_command_execution(ctx: Context, p: Params) -> Result:
    ctx.backend.command_executions.delete(p["executionId"], p["targetArn"])
    return {}


def _minute(text: str, where: str) -> float:
    """``yyyy-MM-dd'T'HH:mm`` (seconds and a zone are tolerated), as UTC epoch seconds."""
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise validation(f"{where} must be a date and time in the format yyyy-MM-dd'T'HH:mm; got {text}.") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    return parsed.timestamp()


def _within(value: Optional[float], bounds: Optional[Dict[str, str]], where: str) -> bool:
    if bounds is None:
        return True
    if value is None:
        return False
    after, before = bounds.get("after"), bounds.get("before")
    if after is not None and value < _minute(after, f"{where}.after"):
        return False
    return before is None or value <= _minute(before, f"{where}.before")


@operation(IOT, "ListCommandExecutions")
def list_command_executions(ctx: Context, p: Params) -> Result:
    backend = ctx.backend
    command_arn, target_arn = p.get("commandArn"), p.get("targetArn")
    started, completed = p.get("startedTimeFilter"), p.get("completedTimeFilter")
    if command_arn is not None and target_arn is not None:
        raise validation("Specify either commandArn or targetArn, not both.")
    if started is not None and completed is not None:
        raise validation("Specify either startedTimeFilter or completedTimeFilter, not both.")
    for name, bounds in (("startedTimeFilter", started), ("completedTimeFilter", completed)):
        for key, text in (bounds or {}).items():
            _minute(text, f"{name}.{key}")
    if command_arn is not None and backend.commands.by_arn(command_arn) is None:
        raise not_found(f"Command {command_arn} does not exist.")
    namespace, status = p.get("namespace"), p.get("status")

    def chosen(e: CommandExecution) -> bool:
        return (
            (command_arn is None or e.command_arn == command_arn)
            and (target_arn is None or e.target_arn == target_arn)
            and (namespace is None or e.command.namespace == namespace)
            and (status is None or e.status == status)
            and _within(e.started_at, started, "startedTimeFilter")
            and _within(e.completed_at, completed, "completedTimeFilter")
        )

    def when(e: CommandExecution) -> Any:
        stamp = e.completed_at if completed is not None else e.started_at
        return (stamp or 0.0, e.seq)

    descending = p.get("sortOrder", "DESCENDING") == "DESCENDING"
    executions = sorted(filter(chosen, backend.command_executions.by_id.values()), key=when, reverse=descending)
    scope = f"ListCommandExecutions:{command_arn}:{target_arn}:{namespace}:{status}:{started}:{completed}:{descending}"
    page, token = page_of(
        list(enumerate(executions)), lambda item: item[0], p.get("maxResults"), p.get("nextToken"), scope
    )
    return compact(commandExecutions=[compact(**e.summary()) for _, e in page], nextToken=token)
