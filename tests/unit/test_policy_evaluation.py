"""IoT policy evaluation on plain policy documents: effects, wildcards, variables, conditions."""

from __future__ import annotations

from typing import Any, Dict, List

import pytest

from mock_iotjobs.backend.security.evaluation import (
    ALLOWED,
    EXPLICIT_DENY,
    IMPLICIT_DENY,
    AuthContext,
    evaluate,
)

ARN = "arn:aws:iot:us-east-1:123456789012"


def policy(*statements: Dict[str, Any]) -> Dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: Any, resource: Any, **extra: Any) -> Dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: Any, resource: Any) -> Dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource}


DEVICE = AuthContext(client_id="sensor-1", thing_name="sensor-1", thing_type="sensor",
                     thing_attributes={"site": "berlin"}, is_attached=True,
                     certificate={"Subject.CommonName": "sensor-1", "Id": "abc"})


def outcome(documents: List[Dict[str, Any]], action: str, resource: str, ctx: AuthContext = DEVICE) -> str:
    return evaluate([(f"p{i}", d) for i, d in enumerate(documents)], action, resource, ctx).outcome


def test_allow_deny_and_default() -> None:
    p = policy(allow("iot:Publish", f"{ARN}:topic/a"))
    assert outcome([p], "iot:Publish", f"{ARN}:topic/a") == ALLOWED
    assert outcome([p], "iot:Publish", f"{ARN}:topic/b") == IMPLICIT_DENY
    assert outcome([p], "iot:Subscribe", f"{ARN}:topic/a") == IMPLICIT_DENY
    assert outcome([p, policy(deny("iot:*", "*"))], "iot:Publish", f"{ARN}:topic/a") == EXPLICIT_DENY


def test_wildcards_are_iam_style_and_mqtt_characters_are_literal() -> None:
    p = policy(allow("iot:Get*", f"{ARN}:topic/dev/*/status"), allow("iot:Subscribe", f"{ARN}:topicfilter/a/+"),
               allow("iot:Receive", f"{ARN}:topic/x?z"))
    assert outcome([p], "iot:GetThingShadow", f"{ARN}:topic/dev/1/status") == ALLOWED
    assert outcome([p], "iot:Subscribe", f"{ARN}:topicfilter/a/+") == ALLOWED
    assert outcome([p], "iot:Subscribe", f"{ARN}:topicfilter/a/b") == IMPLICIT_DENY  # '+' is literal
    assert outcome([p], "iot:Receive", f"{ARN}:topic/xyz") == ALLOWED
    assert outcome([p], "iot:Receive", f"{ARN}:topic/xyyz") == IMPLICIT_DENY
    assert outcome([p], "IOT:getthingshadow", f"{ARN}:topic/dev/1/status") == ALLOWED  # actions ignore case


def test_policy_variables() -> None:
    p = policy(
        allow("iot:Connect", f"{ARN}:client/${{iot:Connection.Thing.ThingName}}"),
        allow("iot:Subscribe", f"{ARN}:topicfilter/$aws/things/${{iot:ClientId}}/jobs/*"),
        allow("iot:Publish", f"{ARN}:topic/site/${{iot:Connection.Thing.Attributes[site]}}/*"),
        allow("iot:Publish", f"{ARN}:topic/cn/${{iot:Certificate.Subject.CommonName}}"),
    )
    assert outcome([p], "iot:Connect", f"{ARN}:client/sensor-1") == ALLOWED
    assert outcome([p], "iot:Connect", f"{ARN}:client/sensor-2") == IMPLICIT_DENY
    assert outcome([p], "iot:Subscribe", f"{ARN}:topicfilter/$aws/things/sensor-1/jobs/notify") == ALLOWED
    assert outcome([p], "iot:Subscribe", f"{ARN}:topicfilter/$aws/things/sensor-2/jobs/notify") == IMPLICIT_DENY
    assert outcome([p], "iot:Publish", f"{ARN}:topic/site/berlin/temp") == ALLOWED
    assert outcome([p], "iot:Publish", f"{ARN}:topic/cn/sensor-1") == ALLOWED


def test_an_unresolved_variable_matches_nothing() -> None:
    p = policy(allow("iot:Connect", f"{ARN}:client/${{iot:Connection.Thing.ThingName}}"))
    anonymous = AuthContext(client_id="x")
    decision = evaluate([("p", p)], "iot:Connect", f"{ARN}:client/", anonymous)
    assert decision.outcome == IMPLICIT_DENY
    assert decision.missing_context == ["iot:Connection.Thing.ThingName"]


def test_a_variable_value_is_matched_literally() -> None:
    p = policy(allow("iot:Publish", f"{ARN}:topic/${{iot:ClientId}}"))
    sneaky = AuthContext(client_id="*")
    assert outcome([p], "iot:Publish", f"{ARN}:topic/anything", sneaky) == IMPLICIT_DENY
    assert outcome([p], "iot:Publish", f"{ARN}:topic/*", sneaky) == ALLOWED


def test_special_character_variables() -> None:
    p = policy(allow("iot:Publish", f"{ARN}:topic/literal$(*)"))
    assert outcome([p], "iot:Publish", f"{ARN}:topic/literal*") == ALLOWED
    assert outcome([p], "iot:Publish", f"{ARN}:topic/literalX") == IMPLICIT_DENY


@pytest.mark.parametrize(
    "condition, expected",
    [
        ({"Bool": {"iot:Connection.Thing.IsAttached": "true"}}, ALLOWED),
        ({"Bool": {"iot:Connection.Thing.IsAttached": "false"}}, IMPLICIT_DENY),
        ({"StringEquals": {"iot:Connection.Thing.ThingTypeName": "sensor"}}, ALLOWED),
        ({"StringLike": {"iot:ClientId": "sensor-*"}}, ALLOWED),
        ({"StringNotEquals": {"iot:ClientId": "sensor-1"}}, IMPLICIT_DENY),
        ({"Null": {"iot:Connection.Thing.Attributes[missing]": "true"}}, ALLOWED),
        ({"SomeUnknownOperator": {"iot:ClientId": "x"}}, IMPLICIT_DENY),
    ],
)
def test_conditions(condition: Dict[str, Any], expected: str) -> None:
    p = policy(allow("iot:Connect", "*", Condition=condition))
    assert outcome([p], "iot:Connect", f"{ARN}:client/sensor-1") == expected


def test_not_action_and_not_resource() -> None:
    p = policy({"Effect": "Allow", "NotAction": "iot:Publish", "Resource": "*"},
               {"Effect": "Deny", "Action": "iot:*", "NotResource": f"{ARN}:*"})
    assert outcome([p], "iot:Subscribe", f"{ARN}:topicfilter/a") == ALLOWED
    assert outcome([p], "iot:Publish", f"{ARN}:topic/a") == IMPLICIT_DENY
    assert outcome([p], "iot:Subscribe", "arn:aws:iot:eu-west-1:999:topicfilter/a") == EXPLICIT_DENY


def test_decision_names_the_policies() -> None:
    decision = evaluate([("open", policy(allow("iot:*", "*"))), ("closed", policy(deny("iot:Publish", "*")))],
                        "iot:Publish", f"{ARN}:topic/a", DEVICE)
    assert (decision.outcome, decision.allowed_by, decision.denied_by) == (EXPLICIT_DENY, ["open"], ["closed"])
