"""Topic rules (stored, echoed and listed; never executed)."""

from __future__ import annotations

from typing import Dict, List
from urllib.parse import parse_qsl

from ...backend.paging import paginate
from ...protocol.errors import invalid_request
from ...protocol.models import IOT
from ..base import Context, Params, Result, compact, operation
from ..tagged_create import create_tagged


def _tags_from_header(header: str) -> List[Dict[str, str]]:
    """CreateTopicRule's tags travel as ``key1=value1&key2=value2`` in ``x-amz-tagging``."""
    try:
        pairs = parse_qsl(header, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise invalid_request(f"Invalid tags {header!r}: expected key1=value1&key2=value2.") from None
    return [{"Key": key, "Value": value} for key, value in pairs]


@operation(IOT, "CreateTopicRule")
def create_topic_rule(ctx: Context, p: Params) -> Result:
    rules, name = ctx.backend.topic_rules, p["ruleName"]
    tags = _tags_from_header(p["tags"]) if p.get("tags") else []
    # CreateTopicRule refuses an existing name, so a rule it returns is always new.
    create_tagged(ctx.backend, rules, name, tags, lambda: (rules.create(name, p["topicRulePayload"]), True))
    return {}


@operation(IOT, "GetTopicRule")
def get_topic_rule(ctx: Context, p: Params) -> Result:
    rule = ctx.backend.topic_rules.get(p["ruleName"])
    return {"ruleArn": rule.arn, "rule": rule.describe()}


@operation(IOT, "ListTopicRules")
def list_topic_rules(ctx: Context, p: Params) -> Result:
    topic, disabled = p.get("topic"), p.get("ruleDisabled")
    rules = ctx.backend.topic_rules.listing(topic, disabled)
    page, token = paginate(
        rules,
        lambda r: r.seq,
        p.get("maxResults"),
        p.get("nextToken"),
        f"ListTopicRules:{topic or ''}:{disabled}",
        1000,
    )
    return compact(rules=[r.summary() for r in page], nextToken=token)


@operation(IOT, "ReplaceTopicRule")
def replace_topic_rule(ctx: Context, p: Params) -> Result:
    ctx.backend.topic_rules.replace(p["ruleName"], p["topicRulePayload"])
    return {}


@operation(IOT, "DeleteTopicRule")
def delete_topic_rule(ctx: Context, p: Params) -> Result:
    ctx.backend.topic_rules.delete(p["ruleName"])
    return {}


@operation(IOT, "EnableTopicRule")
def enable_topic_rule(ctx: Context, p: Params) -> Result:
    ctx.backend.topic_rules.set_disabled(p["ruleName"], False)
    return {}


@operation(IOT, "DisableTopicRule")
def disable_topic_rule(ctx: Context, p: Params) -> Result:
    ctx.backend.topic_rules.set_disabled(p["ruleName"], True)
    return {}
