"""AWS IoT Core policy evaluation: may this principal do this action on this resource?

The rules of the AWS IoT developer guide ("AWS IoT Core policies", "policy
variables", "Using wildcard characters in MQTT and AWS IoT Core policies"):
- a request is allowed when some statement allows it and none denies it; an
  explicit Deny wins; nothing matching is an implicit deny;
- ``Action`` and ``Resource`` (or ``NotAction`` / ``NotResource``) match with
  IAM-style wildcards, ``*`` any characters and ``?`` one; in IoT policies
  ``+`` and ``#`` are literal characters, not MQTT wildcards; ``$(*)``,
  ``$(?)`` and ``$($)`` stand for the literal characters;
- policy variables (``${iot:ClientId}``, ``${iot:Connection.Thing.ThingName}``,
  ``${iot:Connection.Thing.Attributes[name]}``, ``${iot:Certificate...}``, ...)
  are replaced by the connection's values; a resource whose variable has no
  value matches nothing, as in IAM;
- ``Condition`` blocks support the string, ARN, Bool and Null operators (with
  ``IfExists`` and ``ForAnyValue:`` / ``ForAllValues:`` left out).

Used by TestAuthorization and by the MQTT listener, so both decide alike.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

ALLOWED = "ALLOWED"
EXPLICIT_DENY = "EXPLICIT_DENY"
IMPLICIT_DENY = "IMPLICIT_DENY"

_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_LITERALS = {"$(*)": "\0star", "$(?)": "\0q", "$($)": "\0dollar"}


@dataclass
class AuthContext:
    """What is known of the connection a request comes from."""

    client_id: Optional[str] = None
    thing_name: Optional[str] = None
    thing_type: Optional[str] = None
    thing_attributes: Dict[str, str] = field(default_factory=dict)
    # Whether the thing named by the client id is attached to the principal; None: no thing.
    is_attached: Optional[bool] = None
    # Certificate variables by their name after "iot:Certificate." (e.g. "Subject.CommonName").
    certificate: Dict[str, str] = field(default_factory=dict)
    source_ip: Optional[str] = None
    domain_name: Optional[str] = None

    def variable(self, name: str) -> Optional[str]:
        if name == "iot:ClientId":
            return self.client_id
        if name == "aws:SourceIp":
            return self.source_ip
        if name == "iot:DomainName":
            return self.domain_name
        if name.startswith("iot:Certificate."):
            return self.certificate.get(name[len("iot:Certificate.") :])
        if not name.startswith("iot:Connection.Thing.") or self.thing_name is None:
            return None
        key = name[len("iot:Connection.Thing.") :]
        if key == "IsAttached":
            return "true" if self.is_attached else "false"
        if not self.is_attached:
            # "If the device certificate is not associated with the thing, this variable
            # won't be resolved" (developer guide, thing policy examples): a client id that
            # merely names some thing must not stand for that thing.
            return None
        if key == "ThingName":
            return self.thing_name
        if key == "ThingTypeName":
            return self.thing_type
        if key.startswith("Attributes[") and key.endswith("]"):
            return self.thing_attributes.get(key[len("Attributes[") : -1])
        return None


@dataclass
class Decision:
    outcome: str
    allowed_by: List[str] = field(default_factory=list)
    denied_by: List[str] = field(default_factory=list)
    missing_context: List[str] = field(default_factory=list)

    @property
    def allowed(self) -> bool:
        return self.outcome == ALLOWED


def _substitute(text: str, ctx: AuthContext, missing: List[str]) -> Optional[str]:
    """``text`` with its variables replaced; None when one has no value."""
    for literal, marker in _LITERALS.items():
        text = text.replace(literal, marker)
    unresolved = False

    def replace(match: "re.Match[str]") -> str:
        nonlocal unresolved
        value = ctx.variable(match.group(1))
        if value is None:
            unresolved = True
            if match.group(1) not in missing:
                missing.append(match.group(1))
            return ""
        # A value is matched literally, even if it holds '*' or '?'.
        return value.replace("*", "\0star").replace("?", "\0q")

    text = _VARIABLE.sub(replace, text)
    return None if unresolved else text


@functools.lru_cache(maxsize=4096)
def _pattern(text: str, case_sensitive: bool) -> "re.Pattern[str]":
    parts = []
    for piece in re.split(r"(\*|\?)", text):
        if piece == "*":
            parts.append(".*")
        elif piece == "?":
            parts.append(".")
        else:
            literal = piece.replace("\0star", "*").replace("\0q", "?").replace("\0dollar", "$")
            parts.append(re.escape(literal))
    return re.compile("".join(parts) + r"\Z", re.DOTALL | (0 if case_sensitive else re.IGNORECASE))


def _matches_any(patterns: Iterable[str], value: str, ctx: AuthContext, missing: List[str], case: bool) -> bool:
    for raw in patterns:
        text = _substitute(raw, ctx, missing)
        if text is not None and _pattern(text, case).match(value):
            return True
    return False


def _as_list(value: Any) -> List[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else [str(v) for v in value]


def _statement_applies(statement: Dict[str, Any], action: str, resource: str, ctx: AuthContext,
                       missing: List[str]) -> bool:
    if "Action" in statement:
        if not _matches_any(_as_list(statement["Action"]), action, ctx, missing, case=False):
            return False
    elif "NotAction" in statement:
        if _matches_any(_as_list(statement["NotAction"]), action, ctx, missing, case=False):
            return False
    else:
        return False
    if "Resource" in statement:
        if not _matches_any(_as_list(statement["Resource"]), resource, ctx, missing, case=True):
            return False
    elif "NotResource" in statement:
        if _matches_any(_as_list(statement["NotResource"]), resource, ctx, missing, case=True):
            return False
    else:
        return False
    return _conditions_hold(statement.get("Condition") or {}, ctx, missing)


def _conditions_hold(conditions: Dict[str, Any], ctx: AuthContext, missing: List[str]) -> bool:
    for operator, entries in conditions.items():
        if not isinstance(entries, dict):
            return False
        for key, wanted in entries.items():
            if not _condition(operator, ctx.variable(key), _as_list(wanted), ctx, missing):
                return False
    return True


def _condition(operator: str, actual: Optional[str], wanted: List[str], ctx: AuthContext, missing: List[str]) -> bool:
    if operator == "Null":
        return (actual is None) == (wanted[:1] == ["true"])
    if actual is None:
        return operator.startswith(("StringNot", "ArnNot"))
    values = [v for v in (_substitute(w, ctx, missing) for w in wanted) if v is not None]
    plain = [v.replace("\0star", "*").replace("\0q", "?").replace("\0dollar", "$") for v in values]
    if operator in ("StringEquals", "ArnEquals"):
        return actual in plain
    if operator == "StringNotEquals" or operator == "ArnNotEquals":
        return actual not in plain
    if operator == "StringEqualsIgnoreCase":
        return actual.lower() in (v.lower() for v in plain)
    if operator == "StringNotEqualsIgnoreCase":
        return actual.lower() not in (v.lower() for v in plain)
    if operator in ("StringLike", "ArnLike"):
        return any(_pattern(v, True).match(actual) for v in values)
    if operator in ("StringNotLike", "ArnNotLike"):
        return not any(_pattern(v, True).match(actual) for v in values)
    if operator == "Bool":
        return actual.lower() in (v.lower() for v in plain)
    return False  # an operator the mock does not know never grants


def evaluate(
    policies: Sequence[Tuple[str, Dict[str, Any]]], action: str, resource: str, ctx: AuthContext
) -> Decision:
    """Decide ``action`` on ``resource`` under the named policy documents."""
    allowed_by: List[str] = []
    denied_by: List[str] = []
    missing: List[str] = []
    for name, document in policies:
        statements = document.get("Statement") or []
        if isinstance(statements, dict):
            statements = [statements]
        for statement in statements:
            if not isinstance(statement, dict) or not _statement_applies(statement, action, resource, ctx, missing):
                continue
            target = denied_by if statement.get("Effect") == "Deny" else allowed_by
            if name not in target:
                target.append(name)
    if denied_by:
        return Decision(EXPLICIT_DENY, allowed_by, denied_by, missing)
    if allowed_by:
        return Decision(ALLOWED, allowed_by, [], missing)
    return Decision(IMPLICIT_DENY, [], [], missing)
