"""The handle's commands methods: frozen views, and the device's side of a command.

In-process a device has no MQTT connection, so ``command_requests`` shows what
a thing (or an MQTT client) received on its request topics, and
``report_command_result`` reports on an execution exactly as the device's
publish on ``.../response/json`` would (same rules, same status changes and
events).  ``MockIotJobs`` inherits these methods.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, List, Optional, Union

from .backend.commands.executions import CLIENTS, THINGS, CommandRequest
from .commands_views import CommandExecutionView, CommandView

if TYPE_CHECKING:
    from .backend.state import Backend

ResultValue = Union[str, bool, bytes, Dict[str, Any]]


class CommandsHandle:
    def backend(self, account_id: Optional[str] = None, region: Optional[str] = None) -> "Backend":
        raise NotImplementedError  # MockIotJobs provides it

    def commands(self, *, account_id: Optional[str] = None, region: Optional[str] = None) -> List[CommandView]:
        """Every command (pending deletion included), in creation order."""
        backend = self.backend(account_id, region)
        with backend.lock:
            backend.apply_due()
            return [CommandView.of(c) for c in sorted(backend.commands.by_id.values(), key=lambda c: c.seq)]

    def command(
        self, command_id: str, *, account_id: Optional[str] = None, region: Optional[str] = None
    ) -> CommandView:
        """One command; ``KeyError`` if there is no such command."""
        backend = self.backend(account_id, region)
        with backend.lock:
            backend.apply_due()
            command = backend.commands.by_id.get(command_id)
            if command is None:
                raise KeyError(f"no command {command_id!r} in {backend.account_id}/{backend.region}")
            return CommandView.of(command)

    def command_executions(
        self,
        command_id: Optional[str] = None,
        *,
        target_arn: Optional[str] = None,
        account_id: Optional[str] = None,
        region: Optional[str] = None,
    ) -> List[CommandExecutionView]:
        """Command executions in start order, of one command and/or one target if given."""
        backend = self.backend(account_id, region)
        with backend.lock:
            backend.apply_due()
            return [
                CommandExecutionView.of(e)
                for e in sorted(backend.command_executions.by_id.values(), key=lambda e: e.seq)
                if (command_id is None or e.command.command_id == command_id)
                and (target_arn is None or e.target_arn == target_arn)
            ]

    def command_execution(
        self, execution_id: str, *, account_id: Optional[str] = None, region: Optional[str] = None
    ) -> CommandExecutionView:
        """One command execution; ``KeyError`` if there is no such execution."""
        backend = self.backend(account_id, region)
        with backend.lock:
            backend.apply_due()
            execution = backend.command_executions.by_id.get(execution_id)
            if execution is None:
                raise KeyError(f"no command execution {execution_id!r} in {backend.account_id}/{backend.region}")
            return CommandExecutionView.of(execution)

    def command_requests(
        self,
        thing_name: Optional[str] = None,
        *,
        client_id: Optional[str] = None,
        account_id: Optional[str] = None,
        region: Optional[str] = None,
    ) -> List[CommandRequest]:
        """What the thing ``thing_name`` (or the MQTT client ``client_id``) received on its
        command request topics, oldest first: ``topic``, ``execution_id``, ``payload``
        (bytes; ``.json()`` parses it), ``content_type``, ``timeout_seconds``, ``timestamp``."""
        if (thing_name is None) == (client_id is None):
            raise ValueError("give either a thing name or client_id=...")
        key = (THINGS, thing_name) if thing_name is not None else (CLIENTS, client_id)
        backend = self.backend(account_id, region)
        with backend.lock:
            backend.apply_due()
            return list(backend.command_executions.requests.get(key, ()))  # type: ignore[arg-type]

    def report_command_result(
        self,
        execution_id: str,
        status: str,
        result: Optional[Dict[str, ResultValue]] = None,
        status_reason: Union[None, str, Dict[str, str]] = None,
        *,
        account_id: Optional[str] = None,
        region: Optional[str] = None,
    ) -> CommandExecutionView:
        """Report on an execution as its device would (``UpdateCommandExecution``).

        ``result`` maps names to ``str``, ``bool`` or ``bytes`` (or the wire form
        ``{"S": ...}``); ``status_reason`` is a reason code or
        ``{"reasonCode": ..., "reasonDescription": ...}``.  A refused report raises
        :class:`~mock_iotjobs.commands_views.CommandRejection` (``.code`` is the MQTT
        API's: ``TerminalStateReached``, ``InvalidStateTransition``, ...) and changes nothing.
        """
        reason = {"reasonCode": status_reason} if isinstance(status_reason, str) else status_reason
        results = None if result is None else {name: _wire(value) for name, value in result.items()}
        backend = self.backend(account_id, region)
        with backend.lock:
            backend.apply_due()
            execution = backend.command_executions.report(execution_id, status, results, reason)
            return CommandExecutionView.of(execution)


def _wire(value: ResultValue) -> Any:
    if isinstance(value, dict):
        return value
    if isinstance(value, bool):
        return {"B": value}
    if isinstance(value, (bytes, bytearray)):
        return {"BIN": bytes(value)}
    return {"S": value}
