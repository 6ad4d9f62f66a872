"""Topic rules end to end through boto3: stored, echoed, listed and checked; never run."""

from __future__ import annotations

import datetime as dt
from typing import Any, Dict, List

import pytest
from refusal_support import ACCOUNT, REGION, ROLE_ARN, refused

from mock_iotjobs import MockIotJobs

REPUBLISH = {"republish": {"roleArn": ROLE_ARN, "topic": "out/telemetry", "qos": 1}}
LAMBDA = {"lambda": {"functionArn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:handler"}}


def rule_arn(name: str) -> str:
    return f"arn:aws:iot:{REGION}:{ACCOUNT}:rule/{name}"


def payload(sql: str = "SELECT * FROM 'devices/+/telemetry'", **extra: Any) -> Dict[str, Any]:
    return {"sql": sql, "actions": [REPUBLISH], **extra}


def names(rules: List[dict]) -> List[str]:
    return [r["ruleName"] for r in rules]


def test_create_and_get(iot: Any) -> None:
    iot.create_topic_rule(
        ruleName="telemetry",
        topicRulePayload=payload(
            description="forward telemetry",
            awsIotSqlVersion="2016-03-23",
            errorAction=LAMBDA,
        ),
    )
    got = iot.get_topic_rule(ruleName="telemetry")
    assert got["ruleArn"] == rule_arn("telemetry")
    rule = got["rule"]
    assert rule["ruleName"] == "telemetry"
    assert rule["sql"] == "SELECT * FROM 'devices/+/telemetry'"
    assert rule["description"] == "forward telemetry"
    assert rule["actions"] == [REPUBLISH]
    assert rule["errorAction"] == LAMBDA
    assert rule["ruleDisabled"] is False
    assert rule["awsIotSqlVersion"] == "2016-03-23"
    assert isinstance(rule["createdAt"], dt.datetime)


def test_defaults(iot: Any) -> None:
    iot.create_topic_rule(ruleName="plain", topicRulePayload={"sql": "select temp from 't'", "actions": []})
    rule = iot.get_topic_rule(ruleName="plain")["rule"]
    # AWS's default SQL version for a rule that names none.
    assert rule["awsIotSqlVersion"] == "2015-10-08"
    assert rule["ruleDisabled"] is False
    assert rule["actions"] == []
    assert "errorAction" not in rule


def test_create_disabled_and_with_a_where_clause(iot: Any) -> None:
    sql = "SELECT temperature, topic(2) AS device FROM 'devices/#' WHERE temperature > 50"
    iot.create_topic_rule(ruleName="hot", topicRulePayload=payload(sql, ruleDisabled=True))
    assert iot.get_topic_rule(ruleName="hot")["rule"]["ruleDisabled"] is True
    assert iot.list_topic_rules()["rules"][0]["topicPattern"] == "devices/#"


def test_tags_travel_in_the_tagging_header(iot: Any) -> None:
    iot.create_topic_rule(ruleName="tagged", topicRulePayload=payload(), tags="team=fleet&env=")
    assert iot.list_tags_for_resource(resourceArn=rule_arn("tagged"))["tags"] == [
        {"Key": "team", "Value": "fleet"},
        {"Key": "env", "Value": ""},
    ]


def test_create_twice_is_refused(iot: Any, mock: MockIotJobs) -> None:
    iot.create_topic_rule(ruleName="twice", topicRulePayload=payload())
    create = iot.create_topic_rule
    refused(mock, create, "ResourceAlreadyExistsException", 409, ruleName="twice", topicRulePayload=payload())


BAD_SQL = [
    pytest.param("", id="empty"),
    pytest.param("   ", id="blank"),
    pytest.param("SELEC * FROM 'a'", id="misspelt-select"),
    pytest.param("UPDATE things SET x = 1", id="not-a-select"),
    pytest.param("SELECT *", id="no-from"),
    pytest.param("SELECT * FROM a/b", id="unquoted-topic"),
    pytest.param("SELECT * FROM ''", id="empty-topic"),
    pytest.param("SELECT * FROM 'a/#/b'", id="hash-not-last"),
    pytest.param("SELECT * FROM 'a/b+'", id="plus-inside-a-level"),
    pytest.param("SELECT * FROM 'a' ORDER BY x", id="trailing-garbage"),
    pytest.param("SELECT * FROM 'a' WHERE", id="empty-where"),
]


@pytest.mark.parametrize("sql", BAD_SQL)
def test_sql_refused_at_creation(iot: Any, mock: MockIotJobs, sql: str) -> None:
    refused(mock, iot.create_topic_rule, "SqlParseException", 400, ruleName="bad", topicRulePayload=payload(sql))
    assert iot.list_topic_rules()["rules"] == []


def test_other_creation_refusals(iot: Any, mock: MockIotJobs) -> None:
    refused(
        mock,
        iot.create_topic_rule,
        "InvalidRequestException",
        400,
        ruleName="r",
        topicRulePayload=payload(awsIotSqlVersion="2099-01-01"),
    )
    refused(
        mock,
        iot.create_topic_rule,
        "InvalidRequestException",
        400,
        ruleName="r",
        topicRulePayload={"sql": "SELECT * FROM 't'", "actions": [{**REPUBLISH, **LAMBDA}]},
    )
    refused(
        mock,
        iot.create_topic_rule,
        "InvalidRequestException",
        400,
        ruleName="r",
        topicRulePayload={"sql": "SELECT * FROM 't'", "actions": [{}]},
    )


def test_a_missing_rule_is_access_denied(iot: Any, mock: MockIotJobs) -> None:
    # GetTopicRule models no ResourceNotFoundException: AWS answers UnauthorizedException.
    message = refused(mock, iot.get_topic_rule, "UnauthorizedException", 401, ruleName="ghost")
    assert "ghost" in message
    for call in (iot.delete_topic_rule, iot.enable_topic_rule, iot.disable_topic_rule):
        refused(mock, call, "UnauthorizedException", 401, ruleName="ghost")
    refused(mock, iot.replace_topic_rule, "UnauthorizedException", 401, ruleName="ghost", topicRulePayload=payload())


def test_replace(iot: Any, mock: MockIotJobs) -> None:
    iot.create_topic_rule(ruleName="r", topicRulePayload=payload(description="old", errorAction=LAMBDA))
    created_at = iot.get_topic_rule(ruleName="r")["rule"]["createdAt"]
    iot.replace_topic_rule(ruleName="r", topicRulePayload={"sql": "SELECT a FROM 'new/topic'", "actions": [LAMBDA]})
    rule = iot.get_topic_rule(ruleName="r")["rule"]
    assert rule["sql"] == "SELECT a FROM 'new/topic'"
    assert rule["actions"] == [LAMBDA]
    assert rule["description"] == ""
    assert "errorAction" not in rule
    assert rule["createdAt"] == created_at
    assert iot.list_topic_rules()["rules"][0]["topicPattern"] == "new/topic"
    refused(mock, iot.replace_topic_rule, "SqlParseException", 400, ruleName="r", topicRulePayload=payload("SELECT"))
    assert iot.get_topic_rule(ruleName="r")["rule"]["sql"] == "SELECT a FROM 'new/topic'"


def test_enable_and_disable(iot: Any) -> None:
    iot.create_topic_rule(ruleName="r", topicRulePayload=payload())
    iot.disable_topic_rule(ruleName="r")
    assert iot.get_topic_rule(ruleName="r")["rule"]["ruleDisabled"] is True
    assert iot.list_topic_rules()["rules"][0]["ruleDisabled"] is True
    iot.enable_topic_rule(ruleName="r")
    assert iot.get_topic_rule(ruleName="r")["rule"]["ruleDisabled"] is False


def test_delete(iot: Any, mock: MockIotJobs) -> None:
    iot.create_topic_rule(ruleName="r", topicRulePayload=payload(), tags="k=v")
    iot.delete_topic_rule(ruleName="r")
    refused(mock, iot.get_topic_rule, "UnauthorizedException", 401, ruleName="r")
    assert iot.list_topic_rules()["rules"] == []
    assert mock.backend().tags.list(rule_arn("r")) == []


def test_list_filters_and_pages(iot: Any) -> None:
    iot.create_topic_rule(ruleName="a", topicRulePayload=payload("SELECT * FROM 'x/1'"))
    iot.create_topic_rule(ruleName="b", topicRulePayload=payload("SELECT * FROM 'x/2'", ruleDisabled=True))
    iot.create_topic_rule(ruleName="c", topicRulePayload=payload("SELECT * FROM 'x/1'"))
    rules = iot.list_topic_rules()["rules"]
    assert names(rules) == ["a", "b", "c"]
    assert rules[0] == {
        "ruleArn": rule_arn("a"),
        "ruleName": "a",
        "topicPattern": "x/1",
        "createdAt": rules[0]["createdAt"],
        "ruleDisabled": False,
    }
    assert names(iot.list_topic_rules(topic="x/1")["rules"]) == ["a", "c"]
    assert names(iot.list_topic_rules(ruleDisabled=True)["rules"]) == ["b"]
    assert names(iot.list_topic_rules(ruleDisabled=False)["rules"]) == ["a", "c"]
    first = iot.list_topic_rules(maxResults=2)
    rest = iot.list_topic_rules(maxResults=2, nextToken=first["nextToken"])
    assert names(first["rules"] + rest["rules"]) == ["a", "b", "c"]
    assert "nextToken" not in rest


def test_a_malformed_tagging_header_is_refused(iot: Any, mock: MockIotJobs) -> None:
    create = iot.create_topic_rule
    refused(mock, create, "InvalidRequestException", 400, ruleName="r", topicRulePayload=payload(), tags="no-equals")
    many = "&".join(f"k{i}=v" for i in range(51))
    refused(mock, create, "InvalidRequestException", 400, ruleName="r", topicRulePayload=payload(), tags=many)
