"""Frozen views of commands and command executions, for assertions in tests.

The handle's ``commands()``, ``command_executions()`` and friends return these;
like the other views they are copies taken under the backend's lock.
Timestamps are epoch seconds on the mock's clock; parameter, result and
payload values keep their wire form (``{"S": "..."}``, ``{"B": True}``, ``{"BIN": b"..."}``).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Dict, Optional, Tuple

from .backend.commands.executions import CommandRequest
from .backend.commands.reports import CommandRejection

if TYPE_CHECKING:
    from .backend.commands.commands import Command
    from .backend.commands.executions import CommandExecution

__all__ = ["CommandExecutionView", "CommandRejection", "CommandRequest", "CommandView"]


@dataclass(frozen=True)
class CommandView:
    command_id: str
    arn: str
    namespace: str
    display_name: Optional[str]
    description: Optional[str]
    payload: Optional[bytes]
    content_type: Optional[str]
    payload_template: Optional[str]
    preprocessor: Optional[Dict[str, Any]]
    mandatory_parameters: Tuple[Dict[str, Any], ...]
    deprecated: bool
    pending_deletion: bool
    created_at: float
    last_updated_at: float

    @classmethod
    def of(cls, command: "Command") -> "CommandView":
        payload = command.payload or {}
        return cls(
            command_id=command.command_id,
            arn=command.arn,
            namespace=command.namespace,
            display_name=command.display_name,
            description=command.description,
            payload=payload.get("content"),
            content_type=payload.get("contentType"),
            payload_template=command.payload_template,
            preprocessor=copy.deepcopy(command.preprocessor),
            mandatory_parameters=tuple(copy.deepcopy(command.mandatory_parameters)),
            deprecated=command.deprecated,
            pending_deletion=command.pending_deletion,
            created_at=command.created_at,
            last_updated_at=command.last_updated_at,
        )


@dataclass(frozen=True)
class CommandExecutionView:
    execution_id: str
    command_id: str
    command_arn: str
    target_arn: str
    status: str
    status_reason: Optional[Dict[str, str]]
    result: Dict[str, Dict[str, Any]]
    parameters: Dict[str, Dict[str, Any]]
    timeout_seconds: int
    created_at: float
    started_at: Optional[float]
    completed_at: Optional[float]
    last_updated_at: float

    @classmethod
    def of(cls, execution: "CommandExecution") -> "CommandExecutionView":
        return cls(
            execution_id=execution.execution_id,
            command_id=execution.command.command_id,
            command_arn=execution.command_arn,
            target_arn=execution.target_arn,
            status=execution.status,
            status_reason=dict(execution.status_reason) if execution.status_reason else None,
            result=copy.deepcopy(execution.result),
            parameters=copy.deepcopy(execution.parameters),
            timeout_seconds=execution.timeout_seconds,
            created_at=execution.created_at,
            started_at=execution.started_at,
            completed_at=execution.completed_at,
            last_updated_at=execution.last_updated_at,
        )
