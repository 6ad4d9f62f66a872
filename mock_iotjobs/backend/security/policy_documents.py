"""IoT policy documents: checked as AWS IoT checks them at CreatePolicy and
CreatePolicyVersion, and parsed into statements a policy evaluator can use.

AWS IoT policies follow the IAM policy grammar: an object with an optional
``Version`` and ``Id`` and a ``Statement`` (one statement or a list of them);
each statement has ``Effect`` (Allow or Deny), ``Action`` or ``NotAction``,
``Resource`` or ``NotResource``, and optionally ``Sid`` and ``Condition``.  The
API reference caps the document at 2048 characters, not counting whitespace.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from ...protocol.errors import ServiceError

MAX_DOCUMENT_CHARS = 2048
VERSIONS = ("2012-10-17", "2008-10-17")
EFFECTS = ("Allow", "Deny")
# Services whose actions an IoT policy may name (Greengrass v1 uses IoT policies too).
_ACTION = re.compile(r"(?:iot|greengrass):[A-Za-z0-9*?]+")
_TOP_KEYS = ("Version", "Id", "Statement")
_STATEMENT_KEYS = ("Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition")
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Statement:
    """One statement, with single values widened to lists."""

    effect: str
    actions: Tuple[str, ...] = ()
    not_actions: Tuple[str, ...] = ()
    resources: Tuple[str, ...] = ()
    not_resources: Tuple[str, ...] = ()
    # Condition operator → condition key → values.
    conditions: Dict[str, Dict[str, Tuple[str, ...]]] = field(default_factory=dict)
    sid: Optional[str] = None


def malformed(message: str) -> ServiceError:
    return ServiceError("MalformedPolicyException", message)


def parse_policy_document(document: str) -> List[Statement]:
    """The statements of ``document``; MalformedPolicyException if it is not a valid IoT policy."""
    compact_length = len(_WHITESPACE.sub("", document))
    if compact_length == 0:
        raise malformed("Policy document is empty.")
    if compact_length > MAX_DOCUMENT_CHARS:
        raise malformed(
            f"Policy document is too long: {compact_length} characters excluding whitespace; "
            f"the maximum is {MAX_DOCUMENT_CHARS}."
        )
    try:
        parsed = json.loads(document)
    except ValueError:
        raise malformed("Policy document is not valid JSON.") from None
    if not isinstance(parsed, dict):
        raise malformed("Policy document must be a JSON object.")
    for key in parsed:
        if key not in _TOP_KEYS:
            raise malformed(f"Policy document has an unsupported element: {key}.")
    version = parsed.get("Version")
    if version is not None and version not in VERSIONS:
        raise malformed(f"Policy document has an invalid Version: {version}. Valid versions: {', '.join(VERSIONS)}.")
    if "Id" in parsed and not isinstance(parsed["Id"], str):
        raise malformed("Policy document Id must be a string.")
    if "Statement" not in parsed:
        raise malformed("Policy document is missing the required Statement element.")
    raw = parsed["Statement"]
    statements = raw if isinstance(raw, list) else [raw]
    if not statements:
        raise malformed("Policy document must contain at least one statement.")
    return [_statement(item, index) for index, item in enumerate(statements)]


def _statement(item: Any, index: int) -> Statement:
    where = f"Statement {index + 1}"
    if not isinstance(item, dict):
        raise malformed(f"{where} must be a JSON object.")
    for key in item:
        if key not in _STATEMENT_KEYS:
            raise malformed(f"{where} has an unsupported element: {key}.")
    sid = item.get("Sid")
    if sid is not None and not isinstance(sid, str):
        raise malformed(f"{where}: Sid must be a string.")
    effect = item.get("Effect")
    if effect not in EFFECTS:
        raise malformed(f"{where}: Effect must be Allow or Deny.")
    actions, not_actions = _either(item, "Action", "NotAction", where)
    for action in actions + not_actions:
        if action != "*" and not _ACTION.fullmatch(action):
            raise malformed(f"{where}: invalid action {action!r}; actions look like iot:Publish or iot:*.")
    resources, not_resources = _either(item, "Resource", "NotResource", where)
    for resource in resources + not_resources:
        if resource != "*" and not resource.startswith("arn:"):
            raise malformed(f"{where}: invalid resource {resource!r}; resources are ARNs or *.")
    return Statement(
        effect=effect,
        actions=actions,
        not_actions=not_actions,
        resources=resources,
        not_resources=not_resources,
        conditions=_conditions(item.get("Condition"), where),
        sid=sid,
    )


def _either(item: Dict[str, Any], name: str, negated: str, where: str) -> Tuple[Tuple[str, ...], Tuple[str, ...]]:
    """The values of exactly one of ``name`` and ``negated``, as (values, negated values)."""
    if (name in item) == (negated in item):
        raise malformed(f"{where} must contain exactly one of {name} and {negated}.")
    key = name if name in item else negated
    values = _strings(item[key], f"{where}: {key}")
    return (values, ()) if key == name else ((), values)


def _strings(value: Any, what: str) -> Tuple[str, ...]:
    values = value if isinstance(value, list) else [value]
    if not values or not all(isinstance(v, str) and v for v in values):
        raise malformed(f"{what} must be a non-empty string or a non-empty list of strings.")
    return tuple(values)


def _conditions(value: Any, where: str) -> Dict[str, Dict[str, Tuple[str, ...]]]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise malformed(f"{where}: Condition must be a JSON object.")
    conditions: Dict[str, Dict[str, Tuple[str, ...]]] = {}
    for operator, clauses in value.items():
        if not isinstance(clauses, dict) or not clauses:
            raise malformed(f"{where}: Condition {operator} must map condition keys to values.")
        entry: Dict[str, Tuple[str, ...]] = {}
        for key, raw in clauses.items():
            # Condition values may be strings, numbers or booleans; compare them as strings.
            items = raw if isinstance(raw, list) else [raw]
            if not items or not all(isinstance(v, (str, int, float, bool)) for v in items):
                raise malformed(f"{where}: Condition {operator} {key} has an invalid value.")
            entry[key] = tuple(_as_text(v) for v in items)
        conditions[operator] = entry
    return conditions


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
