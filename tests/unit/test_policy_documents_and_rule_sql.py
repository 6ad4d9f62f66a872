"""The pure checks behind CreatePolicy and CreateTopicRule: policy documents parse into
statements (kept for a policy evaluator), and rule SQL yields its topic filter."""

from __future__ import annotations

import json

import pytest

from mock_iotjobs.backend.rules.sql import topic_pattern
from mock_iotjobs.backend.security.policy_documents import Statement, parse_policy_document
from mock_iotjobs.protocol.errors import ServiceError


def test_statements_widen_single_values_and_keep_conditions() -> None:
    doc = json.dumps(
        {
            "Version": "2012-10-17",
            "Id": "device-policy",
            "Statement": [
                {"Sid": "connect", "Effect": "Allow", "Action": "iot:Connect", "Resource": "arn:aws:iot:r:1:client/c"},
                {
                    "Effect": "Deny",
                    "NotAction": ["iot:Publish", "greengrass:*"],
                    "NotResource": "*",
                    "Condition": {"NumericLessThan": {"k": [1, 2.5]}, "Bool": {"b": False}},
                },
            ],
        }
    )
    first, second = parse_policy_document(doc)
    assert first == Statement(
        effect="Allow", actions=("iot:Connect",), resources=("arn:aws:iot:r:1:client/c",), sid="connect"
    )
    assert second.not_actions == ("iot:Publish", "greengrass:*")
    assert second.not_resources == ("*",)
    assert second.conditions == {"NumericLessThan": {"k": ("1", "2.5")}, "Bool": {"b": ("false",)}}


@pytest.mark.parametrize("action", ["iot", "iot:", "IOT:Publish", "iot:Pub lish", "sts:AssumeRole"])
def test_actions_must_name_an_iot_action(action: str) -> None:
    doc = json.dumps({"Statement": {"Effect": "Allow", "Action": action, "Resource": "*"}})
    with pytest.raises(ServiceError) as caught:
        parse_policy_document(doc)
    assert caught.value.code == "MalformedPolicyException"


@pytest.mark.parametrize(
    "sql,topic",
    [
        ("SELECT * FROM 'a/b'", "a/b"),
        ("select temp FROM \"sensors/+/temp\" where temp > 3", "sensors/+/temp"),
        ("  SELECT *, topic() AS t FROM '$aws/things/+/shadow/update'  ", "$aws/things/+/shadow/update"),
        ("SELECT * FROM '#'", "#"),
        ("SELECT * FROM 'a/b';", "a/b"),
    ],
)
def test_topic_pattern(sql: str, topic: str) -> None:
    assert topic_pattern(sql) == topic


@pytest.mark.parametrize("sql", ["", "FROM 'a'", "SELECT * FROM", "SELECT * FROM 'a/#/b'", "SELECT * FROM 'a' LIMIT 3"])
def test_refused_sql(sql: str) -> None:
    with pytest.raises(ServiceError) as caught:
        topic_pattern(sql)
    assert caught.value.code == "SqlParseException"
