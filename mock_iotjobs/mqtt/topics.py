"""Topic names and filters: wildcard matching, the jobs topics, and who may use which.

Authorization stands in for the AWS IoT policy every fleet uses
(``${iot:Connection.Thing.ThingName}`` in the resources): a client whose client
id is a thing name is that thing, and only that thing's reserved topics
``$aws/things/<its name>/...`` are open to it.  Filters that could match
another thing's reserved topics (``$aws/things/+/jobs/notify``, ``$aws/#``)
are refused too, as a policy on literal ``topicfilter/`` resources refuses
them.  Ordinary topics are open to everyone.

A client id that cannot be a thing name (AWS thing names are
``[a-zA-Z0-9:_-]{1,128}``) is no thing: ``+``, ``#`` or ``a/b`` as a client id
must never stand for "any thing" in a filter, so such a client gets no
``$aws/things/...`` topic at all, as a thing policy would give it none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import List, Optional

THINGS_PREFIX = "$aws/things/"
JOBS_LEVEL = "jobs"
NEXT = "$next"

_THING_NAME = re.compile(r"[a-zA-Z0-9:_-]{1,128}")

GET_PENDING = "GetPendingJobExecutions"
START_NEXT = "StartNextPendingJobExecution"
DESCRIBE = "DescribeJobExecution"
UPDATE = "UpdateJobExecution"


@dataclass(frozen=True)
class JobsTopic:
    """A publish on ``$aws/things/<thing>/jobs/...``: which API it calls (None: no API)."""

    thing_name: str
    operation: Optional[str]
    job_id: Optional[str] = None


def thing_of(topic: str) -> Optional[str]:
    """The thing named by a ``$aws/things/<thing>/...`` topic, else None."""
    if not topic.startswith(THINGS_PREFIX):
        return None
    return topic[len(THINGS_PREFIX) :].split("/", 1)[0]


def jobs_topic(topic: str) -> Optional[JobsTopic]:
    """Parse a topic of the jobs namespace; None when it is outside that namespace."""
    levels = topic.split("/")
    if len(levels) < 4 or levels[0] != "$aws" or levels[1] != "things" or levels[3] != JOBS_LEVEL:
        return None
    thing, rest = levels[2], levels[4:]
    if rest == ["get"]:
        return JobsTopic(thing, GET_PENDING)
    if rest == ["start-next"]:
        return JobsTopic(thing, START_NEXT)
    if len(rest) == 2 and rest[0] and rest[1] == "get":
        return JobsTopic(thing, DESCRIBE, rest[0])
    if len(rest) == 2 and rest[0] and rest[1] == "update":
        return JobsTopic(thing, UPDATE, rest[0])
    return JobsTopic(thing, None)


# --- names and filters ------------------------------------------------------------
def valid_topic_name(topic: str) -> bool:
    return bool(topic) and "+" not in topic and "#" not in topic


def valid_filter(topic_filter: str) -> bool:
    if not topic_filter:
        return False
    levels = topic_filter.split("/")
    for i, level in enumerate(levels):
        if "#" in level and (level != "#" or i != len(levels) - 1):
            return False
        if "+" in level and level != "+":
            return False
    return True


def within_limits(topic: str, max_bytes: int, max_slashes: int) -> bool:
    """AWS IoT's topic quotas: at most ``max_bytes`` of UTF-8 and ``max_slashes``
    slashes (the reserved ``$aws/`` topics are exempt from the slash count: the
    service's own topics, such as namespaced jobs answers, go deeper)."""
    if len(topic.encode("utf-8")) > max_bytes:
        return False
    return topic.startswith("$aws/") or topic.count("/") <= max_slashes


def matches(topic_filter: str, topic: str) -> bool:
    """MQTT matching; a filter starting with a wildcard never matches a ``$`` topic."""
    if topic.startswith("$") and topic_filter[:1] in ("+", "#"):
        return False
    filter_levels = topic_filter.split("/")
    topic_levels = topic.split("/")
    for i, level in enumerate(filter_levels):
        if level == "#":
            return True
        if i >= len(topic_levels):
            return False
        if level != "+" and level != topic_levels[i]:
            return False
    return len(filter_levels) == len(topic_levels)


# --- authorization -------------------------------------------------------------------
def is_thing_name(client_id: str) -> bool:
    """Whether ``client_id`` can name a thing (and so stand for one)."""
    return _THING_NAME.fullmatch(client_id) is not None


def may_publish(client_id: str, topic: str) -> bool:
    """Any ordinary topic, and the reserved topics of the client's own thing."""
    if not topic.startswith("$"):
        return True
    return is_thing_name(client_id) and thing_of(topic) == client_id


def may_subscribe(client_id: str, topic_filter: str) -> bool:
    """Whether every topic ``topic_filter`` can match is one the client may read: no
    filter that could match another thing's ``$aws/things/...`` topics."""
    levels: List[str] = topic_filter.split("/")
    if levels[0] != "$aws":
        return True  # ordinary filters; '+'/'#' first never match '$' topics
    if len(levels) < 2 or levels[1] in ("+", "#"):
        return False  # could match $aws/things/<anyone>/...
    if levels[1] == "commands":  # only the client's own device: its thing, or itself as a client
        if len(levels) < 4 or levels[3] != client_id:
            return False
        if levels[2] == "things":
            return is_thing_name(client_id)
        # A client id '+' or '#' would be a wildcard here: any client's commands.
        return levels[2] == "clients" and not any(c in client_id for c in "+#/")
    if levels[1] != "things":
        return True  # e.g. the Jobs events under $aws/events/
    # levels[2] must be the client's own thing, literally: a thing name has no
    # wildcard, so the filter then matches that thing's topics only.
    return len(levels) >= 3 and is_thing_name(client_id) and levels[2] == client_id
