"""Policies over real HTTP (server mode): a thing group ARN travels percent-encoded in
ListAttachedPolicies' path, and the principal-policy calls carry their principal in a header."""

from __future__ import annotations

from typing import Any, Iterator

import boto3
import pytest
from botocore.config import Config
from refusal_support import COGNITO_ID, document

from mock_iotjobs.server import ServerThread

CONFIG = Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=20)


@pytest.fixture(scope="module")
def iot() -> Iterator[Any]:
    with ServerThread(port=0) as running:
        yield boto3.session.Session().client(
            "iot",
            endpoint_url=running.url,
            region_name="us-east-1",
            aws_access_key_id="AKIDPOLICIESSERVER",
            aws_secret_access_key="mock-secret",
            config=CONFIG,
        )


def test_policy_attachments_over_http(iot: Any) -> None:
    iot.create_policy(policyName="device", policyDocument=document())
    iot.create_thing_group(thingGroupName="root")
    leaf = iot.create_thing_group(thingGroupName="leaf", parentGroupName="root")["thingGroupArn"]
    root = iot.describe_thing_group(thingGroupName="root")["thingGroupArn"]
    iot.attach_policy(policyName="device", target=root)
    attached = iot.list_attached_policies(target=leaf, recursive=True)["policies"]
    assert [p["policyName"] for p in attached] == ["device"]

    iot.attach_principal_policy(policyName="device", principal=COGNITO_ID)
    assert [p["policyName"] for p in iot.list_principal_policies(principal=COGNITO_ID)["policies"]] == ["device"]
    assert iot.list_policy_principals(policyName="device")["principals"] == [COGNITO_ID]
    iot.detach_principal_policy(policyName="device", principal=COGNITO_ID)
    assert iot.list_policy_principals(policyName="device")["principals"] == []

    iot.create_topic_rule(
        ruleName="r", topicRulePayload={"sql": "SELECT * FROM 'a/b'", "actions": []}, tags="team=fleet"
    )
    rule_arn = iot.get_topic_rule(ruleName="r")["ruleArn"]
    assert iot.list_tags_for_resource(resourceArn=rule_arn)["tags"] == [{"Key": "team", "Value": "fleet"}]
