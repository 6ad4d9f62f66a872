"""Topic rules: stored and echoed as given, their SQL checked; the mock never runs them.

AWS answers a request about a rule that does not exist with
UnauthorizedException ("Access to topic rule ... was denied"): GetTopicRule
and the other rule operations model no ResourceNotFoundException.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Dict, List, Optional

from ...protocol.errors import ServiceError, already_exists, invalid_request
from ..arns import iot_arn
from .sql import topic_pattern

if TYPE_CHECKING:
    from ..state import Backend

SQL_VERSIONS = ("2015-10-08", "2016-03-23", "beta")
# AWS stores 2015-10-08 for a rule created without awsIotSqlVersion.
DEFAULT_SQL_VERSION = "2015-10-08"


@dataclass
class TopicRule:
    name: str
    arn: str
    seq: int
    created_at: float
    sql: str
    topic_pattern: str
    sql_version: str
    disabled: bool
    description: str = ""
    actions: List[Dict[str, Any]] = field(default_factory=list)
    error_action: Optional[Dict[str, Any]] = None

    def describe(self) -> Dict[str, Any]:
        rule: Dict[str, Any] = {
            "ruleName": self.name,
            "sql": self.sql,
            "description": self.description,
            "createdAt": self.created_at,
            "actions": copy.deepcopy(self.actions),
            "ruleDisabled": self.disabled,
            "awsIotSqlVersion": self.sql_version,
        }
        if self.error_action is not None:
            rule["errorAction"] = copy.deepcopy(self.error_action)
        return rule

    def summary(self) -> Dict[str, Any]:
        return {
            "ruleArn": self.arn,
            "ruleName": self.name,
            "topicPattern": self.topic_pattern,
            "createdAt": self.created_at,
            "ruleDisabled": self.disabled,
        }


def _denied(name: str) -> ServiceError:
    return ServiceError("UnauthorizedException", f"Access to topic rule '{name}' was denied")


def _check_action(action: Dict[str, Any], what: str) -> None:
    # Each Action names exactly one destination (lambda, s3, republish, ...).
    chosen = [key for key, value in action.items() if value is not None]
    if len(chosen) != 1:
        raise invalid_request(f"Each {what} must specify exactly one action type; got {len(chosen)}.")


class TopicRules:
    def __init__(self, backend: "Backend") -> None:
        self._backend = backend
        self.by_name: Dict[str, TopicRule] = {}

    def arn_for(self, name: str) -> str:
        return iot_arn(self._backend.region, self._backend.account_id, f"rule/{name}")

    def get(self, name: str) -> TopicRule:
        rule = self.by_name.get(name)
        if rule is None:
            raise _denied(name)
        return rule

    def listing(self, topic: Optional[str], disabled: Optional[bool]) -> List[TopicRule]:
        rules = sorted(self.by_name.values(), key=lambda r: r.seq)
        if topic is not None:
            rules = [r for r in rules if r.topic_pattern == topic]
        if disabled is not None:
            rules = [r for r in rules if r.disabled == disabled]
        return rules

    def create(self, name: str, payload: Dict[str, Any]) -> TopicRule:
        if name in self.by_name:
            raise already_exists(f"Rule {name} already exists.", resource_id=name, resource_arn=self.arn_for(name))
        fields = self._checked(payload)
        rule = TopicRule(
            name=name, arn=self.arn_for(name), seq=self._backend.next_seq(), created_at=self._backend.now(), **fields
        )
        self.by_name[name] = rule
        return rule

    def replace(self, name: str, payload: Dict[str, Any]) -> TopicRule:
        rule = self.get(name)
        for key, value in self._checked(payload).items():
            setattr(rule, key, value)
        return rule

    def set_disabled(self, name: str, disabled: bool) -> None:
        self.get(name).disabled = disabled

    def delete(self, name: str) -> None:
        rule = self.get(name)
        del self.by_name[name]
        self._backend.tags.drop(rule.arn)

    def _checked(self, payload: Dict[str, Any]) -> Dict[str, Any]:
        """The rule's stored fields from a TopicRulePayload, or the error AWS answers."""
        pattern = topic_pattern(payload["sql"])
        version = payload.get("awsIotSqlVersion") or DEFAULT_SQL_VERSION
        if version not in SQL_VERSIONS:
            raise invalid_request(
                f"awsIotSqlVersion {version} is not supported; valid versions: {', '.join(SQL_VERSIONS)}."
            )
        for action in payload["actions"]:
            _check_action(action, "action")
        if payload.get("errorAction") is not None:
            _check_action(payload["errorAction"], "errorAction")
        return {
            "sql": payload["sql"],
            "topic_pattern": pattern,
            "sql_version": version,
            "disabled": bool(payload.get("ruleDisabled")),
            "description": payload.get("description") or "",
            "actions": copy.deepcopy(payload["actions"]),
            "error_action": copy.deepcopy(payload.get("errorAction")),
        }
