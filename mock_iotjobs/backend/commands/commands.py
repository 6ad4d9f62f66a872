"""Command resources: CreateCommand, GetCommand, ListCommands, UpdateCommand, DeleteCommand.

A command is a reusable instruction: a static ``payload`` (any content type) or
a dynamic ``payloadTemplate`` turned into each execution's payload by its
``preprocessor`` from the execution's parameters.  Deleting a command that is
not deprecated, or was deprecated less than the maximum execution timeout
(12 hours) ago, only marks it ``pendingDeletion`` (HTTP 202) and removes it when
that time has passed on the mock clock; one deprecated for longer goes at once
(HTTP 204).  A command with executions still running cannot be deleted.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Dict, List, Optional

from ...protocol.errors import ServiceError, not_found
from ..arns import iot_arn
from . import payloads
from .payloads import validation

if TYPE_CHECKING:
    from ..state import Backend

IOT_NAMESPACE = "AWS-IoT"
FLEETWISE_NAMESPACE = "AWS-IoT-FleetWise"
# The longest an execution may run; also how long a deprecated command waits before deletion.
MAX_TIMEOUT_SECONDS = 12 * 3600

SCHEDULED_DELETION = 202
DELETED = 204


@dataclass
class Command:
    command_id: str
    arn: str
    namespace: str
    created_at: float
    last_updated_at: float
    seq: int
    display_name: Optional[str] = None
    description: Optional[str] = None
    payload: Optional[Dict[str, Any]] = None
    payload_template: Optional[str] = None
    preprocessor: Optional[Dict[str, Any]] = None
    mandatory_parameters: List[Dict[str, Any]] = field(default_factory=list)
    role_arn: Optional[str] = None
    deprecated: bool = False
    deprecated_at: Optional[float] = None
    pending_deletion: bool = False

    def parameter(self, name: str) -> Optional[Dict[str, Any]]:
        return next((p for p in self.mandatory_parameters if p["name"] == name), None)

    def describe(self) -> Dict[str, Any]:
        """GetCommand's answer."""
        return {
            "commandId": self.command_id,
            "commandArn": self.arn,
            "namespace": self.namespace,
            "displayName": self.display_name,
            "description": self.description,
            "mandatoryParameters": copy.deepcopy(self.mandatory_parameters) or None,
            "payload": dict(self.payload) if self.payload is not None else None,
            "payloadTemplate": self.payload_template,
            "preprocessor": copy.deepcopy(self.preprocessor),
            "roleArn": self.role_arn,
            "createdAt": self.created_at,
            "lastUpdatedAt": self.last_updated_at,
            "deprecated": self.deprecated,
            "pendingDeletion": self.pending_deletion,
        }

    def summary(self) -> Dict[str, Any]:
        return {
            "commandArn": self.arn,
            "commandId": self.command_id,
            "displayName": self.display_name,
            "deprecated": self.deprecated,
            "createdAt": self.created_at,
            "lastUpdatedAt": self.last_updated_at,
            "pendingDeletion": self.pending_deletion,
        }


class Commands:
    """The commands of one account and region, by id."""

    def __init__(self, backend: "Backend") -> None:
        self.backend = backend
        self.by_id: Dict[str, Command] = {}

    def arn_for(self, command_id: str) -> str:
        return iot_arn(self.backend.region, self.backend.account_id, f"command/{command_id}")

    def get(self, command_id: str) -> Command:
        command = self.by_id.get(command_id)
        if command is None:
            raise not_found(f"Command {command_id} does not exist.")
        return command

    def by_arn(self, arn: str) -> Optional[Command]:
        command_id = arn.rsplit("/", 1)[-1] if ":command/" in arn else None
        command = self.by_id.get(command_id) if command_id else None
        return command if command is not None and command.arn == arn else None

    # --- create -------------------------------------------------------------------------
    def check_create(self, p: Dict[str, Any]) -> None:
        """Every CreateCommand rule, before anything is stored."""
        command_id = p["commandId"]
        if command_id in self.by_id:
            raise ServiceError(
                "ConflictException", f"Command {command_id} already exists.", resourceId=command_id
            )
        namespace = p.get("namespace") or IOT_NAMESPACE
        payload, template = p.get("payload"), p.get("payloadTemplate")
        if namespace == IOT_NAMESPACE:
            if p.get("roleArn") is not None:
                raise validation("roleArn is not supported for commands in the AWS-IoT namespace.")
            if (payload is None) == (template is None):
                raise validation("A command in the AWS-IoT namespace needs either a payload or a payloadTemplate.")
        else:
            if payload is not None or template is not None or p.get("preprocessor") is not None:
                raise validation(
                    "payload, payloadTemplate and preprocessor are not supported in the AWS-IoT-FleetWise namespace."
                )
            if p.get("roleArn") is None:
                raise validation("roleArn is required for commands in the AWS-IoT-FleetWise namespace.")
        if payload is not None and not payload.get("content"):
            raise validation("payload.content must not be empty.")
        if p.get("preprocessor") is not None and template is None:
            raise validation("preprocessor is only supported with a payloadTemplate.")
        if template is not None and (p.get("preprocessor") or {}).get("awsJsonSubstitution") is None:
            raise validation("A payloadTemplate needs a preprocessor with awsJsonSubstitution.")
        self._check_parameters(p.get("mandatoryParameters") or [], template)

    @staticmethod
    def _check_parameters(parameters: List[Dict[str, Any]], template: Optional[str]) -> None:
        names = set()
        for i, parameter in enumerate(parameters):
            name = parameter["name"]
            if name in names:
                raise validation(f"mandatoryParameters has more than one parameter named {name}.")
            names.add(name)
            members = set()
            for key in ("value", "defaultValue"):
                if parameter.get(key) is not None:
                    members.add(payloads.value_member(parameter[key], f"mandatoryParameters.{i + 1}.{key}"))
            declared = payloads.TYPE_MEMBERS.get(parameter.get("type") or "")
            if declared is not None:
                members.add(declared)
            if len(members) > 1:
                raise validation(f"The values of parameter {name} do not agree with its type.")
            member = next(iter(members), None)
            payloads.check_condition_shapes(name, member, parameter.get("valueConditions") or [])
            for key in ("value", "defaultValue"):
                if parameter.get(key) is not None:
                    payloads.check_conditions(name, parameter[key], parameter.get("valueConditions") or [])
        if template is not None:
            payloads.parse_template(template)
            missing = [n for n in payloads.template_placeholders(template) if n not in names]
            if missing:
                raise validation(
                    f"payloadTemplate uses parameters that mandatoryParameters does not declare: {', '.join(missing)}."
                )

    def create(self, p: Dict[str, Any]) -> Command:
        self.check_create(p)
        now = self.backend.now()
        command = Command(
            command_id=p["commandId"],
            arn=self.arn_for(p["commandId"]),
            namespace=p.get("namespace") or IOT_NAMESPACE,
            created_at=now,
            last_updated_at=now,
            seq=self.backend.next_seq(),
            display_name=p.get("displayName"),
            description=p.get("description"),
            payload=dict(p["payload"]) if p.get("payload") is not None else None,
            payload_template=p.get("payloadTemplate"),
            preprocessor=copy.deepcopy(p.get("preprocessor")),
            mandatory_parameters=copy.deepcopy(p.get("mandatoryParameters") or []),
            role_arn=p.get("roleArn"),
        )
        self.by_id[command.command_id] = command
        return command

    # --- list, update, delete ----------------------------------------------------------
    def listing(self, namespace: Optional[str], parameter_name: Optional[str], descending: bool) -> List[Command]:
        """Commands in creation order (newest first when ``descending``)."""
        chosen = [
            c
            for c in self.by_id.values()
            if (namespace is None or c.namespace == namespace)
            and (parameter_name is None or c.parameter(parameter_name) is not None)
        ]
        chosen.sort(key=lambda c: c.seq, reverse=descending)
        return chosen

    def update(self, command_id: str, p: Dict[str, Any]) -> Command:
        command = self.get(command_id)
        if command.pending_deletion:
            raise ServiceError(
                "ConflictException", f"Command {command_id} is pending deletion and cannot be updated.",
                resourceId=command_id,
            )
        now = self.backend.now()
        if p.get("displayName") is not None:
            command.display_name = p["displayName"]
        if p.get("description") is not None:
            command.description = p["description"]
        deprecated = p.get("deprecated")
        if deprecated is not None and deprecated != command.deprecated:
            command.deprecated = deprecated
            command.deprecated_at = now if deprecated else None
        command.last_updated_at = now
        return command

    def delete(self, command_id: str, running: int) -> int:
        """Delete (204) or schedule the deletion of (202) a command; ``running`` is the
        number of its executions that have not reached a terminal status."""
        command = self.by_id.get(command_id)
        if command is None:
            return DELETED  # deleting what is not there changes nothing
        if running:
            raise ServiceError(
                "ConflictException",
                f"Command {command_id} has {running} command executions that have not reached a terminal status.",
                resourceId=command_id,
            )
        now = self.backend.now()
        if command.deprecated_at is not None and now - command.deprecated_at >= MAX_TIMEOUT_SECONDS:
            self._remove(command)
            return DELETED
        if not command.pending_deletion:
            command.pending_deletion = True
            command.last_updated_at = now
            start = command.deprecated_at if command.deprecated_at is not None else now
            self.backend.scheduler.at(start + MAX_TIMEOUT_SECONDS, lambda _when: self._expire(command))
        return SCHEDULED_DELETION

    def _expire(self, command: Command) -> None:
        if self.by_id.get(command.command_id) is command and command.pending_deletion:
            self._remove(command)

    def _remove(self, command: Command) -> None:
        del self.by_id[command.command_id]
        self.backend.tags.drop(command.arn)
