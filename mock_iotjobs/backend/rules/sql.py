"""The checks AWS IoT makes on a topic rule's SQL when the rule is created or replaced.

A rule statement is ``SELECT <expression> FROM '<topic filter>' [WHERE <condition>]``.
The mock does not evaluate rules; it refuses what AWS refuses at creation (a
statement that does not have that shape, or a FROM topic filter that is not a
valid MQTT topic filter) and extracts the topic filter ListTopicRules shows as
``topicPattern``.
"""

from __future__ import annotations

import re

from ...protocol.errors import ServiceError

_STATEMENT = re.compile(
    r"\s*SELECT\s+(?P<select>.+?)\s+FROM\s+(?P<quote>['\"])(?P<topic>.*?)(?P=quote)"
    r"(?P<rest>.*?)\s*;?\s*",
    re.IGNORECASE | re.DOTALL,
)
_WHERE = re.compile(r"\s+WHERE\s+\S.*", re.IGNORECASE | re.DOTALL)


def sql_error(message: str) -> ServiceError:
    return ServiceError("SqlParseException", message)


def topic_pattern(sql: str) -> str:
    """The FROM topic filter of ``sql``; SqlParseException if AWS would refuse the statement."""
    if not sql.strip():
        raise sql_error("The SQL statement is empty.")
    first = sql.split(None, 1)[0]
    if first.upper() != "SELECT":
        raise sql_error(f"Line 1:0 mismatched input '{first}' expecting SELECT")
    match = _STATEMENT.fullmatch(sql)
    if match is None:
        raise sql_error(
            "Expected a statement of the form SELECT <expression> FROM '<topic filter>' [WHERE <condition>]"
        )
    rest = match.group("rest")
    if rest and not _WHERE.fullmatch(rest):
        raise sql_error(f"Unexpected input after the FROM clause: '{rest.strip()}'")
    topic = match.group("topic")
    _check_topic_filter(topic)
    return topic


def _check_topic_filter(topic: str) -> None:
    if not topic:
        raise sql_error("The FROM clause must name a topic filter.")
    levels = topic.split("/")
    for index, level in enumerate(levels):
        if "#" in level and (level != "#" or index != len(levels) - 1):
            raise sql_error(f"Invalid topic filter '{topic}': '#' must be the last level on its own.")
        if "+" in level and level != "+":
            raise sql_error(f"Invalid topic filter '{topic}': '+' must be a whole level.")
