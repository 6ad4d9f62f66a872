"""Command executions: one command run on one device (a thing or an MQTT client).

StartCommandExecution creates the execution in ``CREATED`` and publishes its
payload on the device's request topic.  The device reports on the response
topic (``UpdateCommandExecution`` over MQTT): ``IN_PROGRESS`` any number of
times, then a terminal ``SUCCEEDED``, ``FAILED``, ``REJECTED`` or ``TIMED_OUT``.
When ``executionTimeoutSeconds`` pass first, the service sets ``TIMED_OUT``
with reason ``$NO_RESPONSE_FROM_DEVICE``; as the developer guide says, that
cloud-initiated ``TIMED_OUT`` is not final: the device may still report a
terminal status (but not ``IN_PROGRESS``).  Each status change is published as a
command execution event on ``$aws/events/commandExecution/<commandId>/<status>``.
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, DefaultDict, Dict, List, Optional, Tuple

from ...protocol.errors import ServiceError, not_found
from ..events.notifications import Notification
from . import payloads
from .commands import IOT_NAMESPACE, MAX_TIMEOUT_SECONDS, Command
from .payloads import validation
from .reports import (
    INVALID_REQUEST,
    INVALID_STATE_TRANSITION,
    RESOURCE_NOT_FOUND,
    TERMINAL_STATE_REACHED,
    CommandRejection,
    results_of,
    status_reason_of,
)

if TYPE_CHECKING:
    from ..state import Backend

CREATED = "CREATED"
IN_PROGRESS = "IN_PROGRESS"
SUCCEEDED = "SUCCEEDED"
FAILED = "FAILED"
REJECTED = "REJECTED"
TIMED_OUT = "TIMED_OUT"
TERMINAL = (SUCCEEDED, FAILED, REJECTED, TIMED_OUT)
DEVICE_REPORTABLE = (IN_PROGRESS, SUCCEEDED, FAILED, REJECTED, TIMED_OUT)

DEFAULT_TIMEOUT_SECONDS = 10
NO_RESPONSE = "$NO_RESPONSE_FROM_DEVICE"
TIME_TO_LIVE_SECONDS = 183 * 24 * 3600  # "six months"

THINGS = "things"
CLIENTS = "clients"
_TARGET = re.compile(r"arn:aws(?:-cn|-us-gov)?:iot:([a-z0-9-]+):(\d{12}):(thing|client)/(.+)")

@dataclass(frozen=True)
class CommandRequest:
    """What the device received on its request topic."""

    topic: str
    execution_id: str
    payload: bytes
    content_type: Optional[str]
    timeout_seconds: int
    timestamp: float

    def json(self) -> Any:
        """The payload parsed as JSON."""
        return json.loads(self.payload.decode("utf-8"))


@dataclass
class CommandExecution:
    execution_id: str
    command: Command
    target_arn: str
    device_type: str  # THINGS or CLIENTS
    device_id: str
    parameters: Dict[str, Dict[str, Any]]
    timeout_seconds: int
    created_at: float
    seq: int
    status: str = CREATED
    status_reason: Optional[Dict[str, str]] = None
    result: Dict[str, Dict[str, Any]] = field(default_factory=dict)
    started_at: Optional[float] = None
    completed_at: Optional[float] = None
    last_updated_at: float = 0.0
    timed_out_by_service: bool = False

    @property
    def command_arn(self) -> str:
        return self.command.arn

    @property
    def final(self) -> bool:
        """No further update is accepted (a service-side TIMED_OUT still takes one)."""
        return self.status in TERMINAL and not (self.status == TIMED_OUT and self.timed_out_by_service)

    def describe(self, include_result: bool = True) -> Dict[str, Any]:
        return {
            "executionId": self.execution_id,
            "commandArn": self.command_arn,
            "targetArn": self.target_arn,
            "status": self.status,
            "statusReason": dict(self.status_reason) if self.status_reason else None,
            "result": {k: dict(v) for k, v in self.result.items()} if include_result and self.result else None,
            "parameters": {k: dict(v) for k, v in self.parameters.items()} or None,
            "executionTimeoutSeconds": self.timeout_seconds,
            "createdAt": self.created_at,
            "lastUpdatedAt": self.last_updated_at,
            "startedAt": self.started_at,
            "completedAt": self.completed_at,
            "timeToLive": self.created_at + TIME_TO_LIVE_SECONDS,
        }

    def summary(self) -> Dict[str, Any]:
        return {
            "commandArn": self.command_arn,
            "executionId": self.execution_id,
            "targetArn": self.target_arn,
            "status": self.status,
            "createdAt": self.created_at,
            "startedAt": self.started_at,
            "completedAt": self.completed_at,
        }


def device_topic(device_type: str, device_id: str, execution_id: str) -> str:
    return f"$aws/commands/{device_type}/{device_id}/executions/{execution_id}"


class CommandExecutions:
    """The command executions of one account and region."""

    def __init__(self, backend: "Backend") -> None:
        self.backend = backend
        self.by_id: Dict[str, CommandExecution] = {}
        self.requests: DefaultDict[Tuple[str, str], List[CommandRequest]] = defaultdict(list)
        self._tokens: Dict[str, Tuple[str, str]] = {}

    # --- start ------------------------------------------------------------------------
    def target(self, target_arn: str) -> Tuple[str, str]:
        """(device type, device id) of a thing or client ARN of this account and region."""
        match = _TARGET.fullmatch(target_arn)
        if match is None or match.group(1) != self.backend.region or match.group(2) != self.backend.account_id:
            raise validation(f"{target_arn} is not the ARN of a thing or an MQTT client of this account and region.")
        kind, name = match.group(3), match.group(4)
        if kind == "thing":
            thing = self.backend.things.by_name.get(name)
            if thing is None or thing.arn != target_arn:
                raise not_found(f"Thing {name} does not exist.")
            return THINGS, name
        return CLIENTS, name

    def start(self, p: Dict[str, Any]) -> CommandExecution:
        """StartCommandExecution: every check first, then the execution and its request."""
        commands = self.backend.commands
        command = commands.by_arn(p["commandArn"])
        if command is None:
            raise not_found(f"Command {p['commandArn']} does not exist.")
        token = p.get("clientToken")
        fingerprint = _fingerprint(p)
        if token is not None and token in self._tokens:
            seen, execution_id = self._tokens[token]
            if seen != fingerprint:
                raise ServiceError(
                    "ConflictException", "The clientToken was already used with different parameters."
                )
            existing = self.by_id.get(execution_id)
            if existing is not None:
                return existing
        if command.pending_deletion or command.deprecated:
            state = "pending deletion" if command.pending_deletion else "deprecated"
            raise ServiceError(
                "ConflictException", f"Command {command.command_id} is {state}; it cannot be executed.",
                resourceId=command.command_id,
            )
        device_type, device_id = self.target(p["targetArn"])
        timeout = p.get("executionTimeoutSeconds", DEFAULT_TIMEOUT_SECONDS)
        if not 1 <= timeout <= MAX_TIMEOUT_SECONDS:
            raise validation(f"executionTimeoutSeconds must be between 1 and {MAX_TIMEOUT_SECONDS}; got {timeout}.")
        parameters = resolve_parameters(command, p.get("parameters") or {})
        payload, content_type, payload_format = _payload(command, parameters)

        now = self.backend.now()
        execution = CommandExecution(
            execution_id=str(uuid.uuid4()),
            command=command,
            target_arn=p["targetArn"],
            device_type=device_type,
            device_id=device_id,
            parameters=parameters,
            timeout_seconds=timeout,
            created_at=now,
            seq=self.backend.next_seq(),
            started_at=now,
            last_updated_at=now,
        )
        self.by_id[execution.execution_id] = execution
        if token is not None:
            self._tokens[token] = (fingerprint, execution.execution_id)
        self._event(execution, now)
        if payload is not None:
            self._publish_request(execution, payload, content_type, payload_format, now)
        self.backend.scheduler.at(now + timeout, lambda when: self._time_out(execution, when))
        return execution

    def _publish_request(
        self, execution: CommandExecution, payload: bytes, content_type: Optional[str], fmt: Optional[str], now: float
    ) -> None:
        topic = device_topic(execution.device_type, execution.device_id, execution.execution_id) + "/request"
        if fmt is not None:
            topic += f"/{fmt}"
        request = CommandRequest(topic, execution.execution_id, payload, content_type, execution.timeout_seconds, now)
        self.requests[(execution.device_type, execution.device_id)].append(request)
        # The payload goes out as it is: bytes, whatever the content type.
        message = Notification(topic, payload, now)
        for listener in list(self.backend.notifications.listeners):
            listener(execution.device_id if execution.device_type == THINGS else None, message)

    def _event(self, execution: CommandExecution, now: float) -> None:
        body: Dict[str, Any] = {
            "executionId": execution.execution_id,
            "status": execution.status,
            "eventType": "COMMAND_EXECUTION",
            "commandArn": execution.command_arn,
            "targetArn": execution.target_arn,
            "timestamp": int(now * 1000),
        }
        if execution.status_reason:
            body["statusReason"] = dict(execution.status_reason)
        topic = f"$aws/events/commandExecution/{execution.command.command_id}/{execution.status}"
        log = self.backend.notifications
        message = Notification(topic, body, now)
        log.events.append(message)
        for listener in list(log.listeners):
            listener(None, message)

    def _time_out(self, execution: CommandExecution, when: float) -> None:
        if self.by_id.get(execution.execution_id) is not execution or execution.status not in (CREATED, IN_PROGRESS):
            return
        execution.status = TIMED_OUT
        execution.timed_out_by_service = True
        execution.status_reason = {"reasonCode": NO_RESPONSE}
        execution.completed_at = when
        execution.last_updated_at = when
        self._event(execution, when)

    # --- the device's report --------------------------------------------------------------
    def report(
        self,
        execution_id: str,
        status: Any,
        result: Any = None,
        status_reason: Any = None,
        device: Optional[Tuple[str, str]] = None,
    ) -> CommandExecution:
        """UpdateCommandExecution from the device; CommandRejection when refused."""
        execution = self.by_id.get(execution_id)
        if execution is None or (device is not None and device != (execution.device_type, execution.device_id)):
            raise CommandRejection(RESOURCE_NOT_FOUND, f"Command execution {execution_id} does not exist.")
        if status not in DEVICE_REPORTABLE:
            raise CommandRejection(
                INVALID_REQUEST, f"status must be one of {', '.join(DEVICE_REPORTABLE)}; got {json.dumps(status)}."
            )
        reason = status_reason_of(status_reason)
        results = results_of(result)
        if execution.final:
            raise CommandRejection(
                TERMINAL_STATE_REACHED,
                f"Command Execution status cannot be updated to {status} since execution has already "
                f"completed with status {execution.status}.",
            )
        if execution.status == TIMED_OUT and status == IN_PROGRESS:
            raise CommandRejection(
                INVALID_STATE_TRANSITION,
                "Command Execution status cannot be updated to IN_PROGRESS since execution has timed out.",
            )
        now = self.backend.now()
        changed = status != execution.status
        execution.status = status
        execution.timed_out_by_service = False
        execution.status_reason = reason
        if results is not None:
            execution.result = results
        if status in TERMINAL:
            execution.completed_at = now
        execution.last_updated_at = now
        if changed:
            self._event(execution, now)
        return execution

    # --- read and delete -----------------------------------------------------------------
    def get(self, execution_id: str, target_arn: str) -> CommandExecution:
        execution = self.by_id.get(execution_id)
        if execution is None or execution.target_arn != target_arn:
            raise not_found(f"Command execution {execution_id} does not exist for target {target_arn}.")
        return execution

    def delete(self, execution_id: str, target_arn: str) -> None:
        execution = self.by_id.get(execution_id)
        if execution is None or execution.target_arn != target_arn:
            return  # deleting what is not there changes nothing
        if execution.status not in TERMINAL:
            raise ServiceError(
                "ConflictException",
                f"Command execution {execution_id} is {execution.status}; only executions in a terminal status "
                "can be deleted.",
                resourceId=execution_id,
            )
        del self.by_id[execution_id]

    def running(self, command: Command) -> int:
        return sum(1 for e in self.by_id.values() if e.command is command and e.status not in TERMINAL)


# --- parameters and payloads --------------------------------------------------------------
def resolve_parameters(command: Command, given: Dict[str, Dict[str, Any]]) -> Dict[str, Dict[str, Any]]:
    """The execution's parameters: those given, else each mandatory parameter's value or
    default, each of the declared type and satisfying its value conditions."""
    declared = {p["name"]: p for p in command.mandatory_parameters}
    unknown = sorted(set(given) - set(declared))
    if unknown:
        raise validation(f"Command {command.command_id} has no parameters named {', '.join(unknown)}.")
    resolved: Dict[str, Dict[str, Any]] = {}
    for name, parameter in declared.items():
        value = given.get(name) or parameter.get("value") or parameter.get("defaultValue")
        if value is None:
            raise validation(f"Mandatory parameter {name} of command {command.command_id} has no value.")
        member = payloads.value_member(value, f"parameters.{name}")
        expected = payloads.TYPE_MEMBERS.get(parameter.get("type") or "")
        if expected is None:
            for key in ("value", "defaultValue"):
                if parameter.get(key) is not None:
                    expected = payloads.value_member(parameter[key], name)
        if expected is not None and member != expected:
            raise validation(f"Parameter {name} must be given as {expected}, not {member}.")
        payloads.check_conditions(name, value, parameter.get("valueConditions") or [])
        resolved[name] = {member: value[member]}
    return resolved


Payload = Tuple[Optional[bytes], Optional[str], Optional[str]]


def _payload(command: Command, parameters: Dict[str, Dict[str, Any]]) -> Payload:
    """(payload, content type, topic format) of an execution; no payload outside AWS-IoT."""
    if command.namespace != IOT_NAMESPACE:
        return None, None, None
    if command.payload is not None:
        content_type = command.payload.get("contentType")
        return bytes(command.payload.get("content") or b""), content_type, payloads.static_format(content_type)
    template = command.payload_template or "{}"
    output = ((command.preprocessor or {}).get("awsJsonSubstitution") or {}).get("outputFormat", "JSON")
    body = payloads.render(template, output, parameters)
    if output == "CBOR":
        return body, "application/cbor", payloads.CBOR_FORMAT
    return body, "application/json", payloads.JSON_FORMAT


def _fingerprint(p: Dict[str, Any]) -> str:
    def plain(value: Any) -> Any:
        return base64.b64encode(value).decode() if isinstance(value, bytes) else str(value)

    members = {k: p.get(k) for k in ("commandArn", "targetArn", "parameters", "executionTimeoutSeconds")}
    return json.dumps(members, sort_keys=True, default=plain)
