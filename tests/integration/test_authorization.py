"""TestAuthorization through boto3: the policies attached to a certificate and to its
thing's groups, evaluated with the connection's policy variables."""

from __future__ import annotations

import json
from typing import Any, Dict, List

import pytest
from botocore.exceptions import ClientError

ARN = "arn:aws:iot:us-east-1:123456789012"

# The usual least-privilege jobs policy: each device its own client id and jobs topics.
JOBS_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": "iot:Connect",
         "Resource": f"{ARN}:client/${{iot:Connection.Thing.ThingName}}"},
        {"Effect": "Allow", "Action": "iot:Subscribe",
         "Resource": f"{ARN}:topicfilter/$aws/things/${{iot:Connection.Thing.ThingName}}/jobs/*"},
        {"Effect": "Allow", "Action": ["iot:Publish", "iot:Receive"],
         "Resource": f"{ARN}:topic/$aws/things/${{iot:Connection.Thing.ThingName}}/jobs/*"},
    ],
}


def provision(iot: Any, thing: str, policy: str = "jobs", exclusive: bool = False) -> str:
    iot.create_thing(thingName=thing)
    cert = iot.create_keys_and_certificate(setAsActive=True)["certificateArn"]
    iot.attach_policy(policyName=policy, target=cert)
    kind = "EXCLUSIVE_THING" if exclusive else "NON_EXCLUSIVE_THING"
    iot.attach_thing_principal(thingName=thing, principal=cert, thingPrincipalType=kind)
    return cert


def decide(iot: Any, cert: str, client_id: str, *infos: Dict[str, Any], **extra: Any) -> List[Dict[str, Any]]:
    return iot.test_authorization(principal=cert, clientId=client_id, authInfos=list(infos), **extra)["authResults"]


def decision(iot: Any, cert: str, client_id: str, action: str, resource: str, **extra: Any) -> str:
    (result,) = decide(iot, cert, client_id, {"actionType": action, "resources": [resource]}, **extra)
    return str(result["authDecision"])


@pytest.fixture
def fleet(iot: Any) -> Any:
    iot.create_policy(policyName="jobs", policyDocument=json.dumps(JOBS_POLICY))
    return iot


def test_a_device_may_use_its_own_jobs_topics_only(fleet: Any) -> None:
    cert = provision(fleet, "dev-1")
    provision(fleet, "dev-2")
    own = "$aws/things/dev-1/jobs/notify-next"
    other = "$aws/things/dev-2/jobs/notify-next"
    assert decision(fleet, cert, "dev-1", "CONNECT", f"{ARN}:client/dev-1") == "ALLOWED"
    assert decision(fleet, cert, "dev-1", "CONNECT", f"{ARN}:client/dev-2") == "IMPLICIT_DENY"
    assert decision(fleet, cert, "dev-1", "SUBSCRIBE", f"{ARN}:topicfilter/{own}") == "ALLOWED"
    assert decision(fleet, cert, "dev-1", "SUBSCRIBE", f"{ARN}:topicfilter/{other}") == "IMPLICIT_DENY"
    assert decision(fleet, cert, "dev-1", "RECEIVE", f"{ARN}:topic/{own}") == "ALLOWED"
    assert decision(fleet, cert, "dev-1", "PUBLISH", f"{ARN}:topic/{other}") == "IMPLICIT_DENY"
    # '+' is literal in a policy: a wildcard filter over every thing is not the device's own.
    everyone = f"{ARN}:topicfilter/$aws/things/+/jobs/notify-next"
    assert decision(fleet, cert, "dev-1", "SUBSCRIBE", everyone) == "IMPLICIT_DENY"


def test_result_shape_names_the_policies(fleet: Any) -> None:
    cert = provision(fleet, "dev-1")
    (result,) = decide(fleet, cert, "dev-1", {"actionType": "CONNECT", "resources": [f"{ARN}:client/dev-1"]})
    assert result["authInfo"] == {"actionType": "CONNECT", "resources": [f"{ARN}:client/dev-1"]}
    assert result["allowed"]["policies"] == [{"policyName": "jobs", "policyArn": f"{ARN}:policy/jobs"}]
    assert result["denied"]["explicitDeny"]["policies"] == []
    results = decide(fleet, cert, "dev-1", {"actionType": "PUBLISH", "resources": ["$aws/things/dev-1/jobs/get",
                                                                                  "elsewhere"]})
    assert [r["authDecision"] for r in results] == ["ALLOWED", "IMPLICIT_DENY"]


def test_a_policy_missing_a_jobs_topic_is_found_without_a_device(fleet: Any) -> None:
    broken = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iot:Connect", "Resource": f"{ARN}:client/${{iot:ClientId}}"},
        {"Effect": "Allow", "Action": "iot:Subscribe",
         "Resource": f"{ARN}:topicfilter/$aws/things/${{iot:ClientId}}/jobs/notify-next"}]}
    fleet.create_policy(policyName="broken", policyDocument=json.dumps(broken))
    cert = provision(fleet, "dev-1", policy="broken")
    assert decision(fleet, cert, "dev-1", "SUBSCRIBE", "$aws/things/dev-1/jobs/notify-next") == "ALLOWED"
    assert decision(fleet, cert, "dev-1", "RECEIVE", "$aws/things/dev-1/jobs/notify-next") == "IMPLICIT_DENY"


def test_explicit_deny_and_policies_to_add_or_skip(fleet: Any) -> None:
    fleet.create_policy(policyName="no-publish", policyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Action": "iot:Publish", "Resource": "*"}]}))
    cert = provision(fleet, "dev-1")
    topic = "$aws/things/dev-1/jobs/get"
    assert decision(fleet, cert, "dev-1", "PUBLISH", topic, policyNamesToAdd=["no-publish"]) == "EXPLICIT_DENY"
    (result,) = decide(fleet, cert, "dev-1", {"actionType": "PUBLISH", "resources": [topic]},
                       policyNamesToAdd=["no-publish"])
    assert result["denied"]["explicitDeny"]["policies"][0]["policyName"] == "no-publish"
    assert decision(fleet, cert, "dev-1", "PUBLISH", topic, policyNamesToSkip=["jobs"]) == "IMPLICIT_DENY"


def test_thing_group_policies_apply_to_attached_things(fleet: Any) -> None:
    fleet.create_policy(policyName="telemetry", policyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iot:Publish", "Resource": f"{ARN}:topic/telemetry/*"}]}))
    fleet.create_thing_group(thingGroupName="root")
    fleet.create_thing_group(thingGroupName="sensors", parentGroupName="root")
    root = fleet.describe_thing_group(thingGroupName="root")["thingGroupArn"]
    fleet.attach_policy(policyName="telemetry", target=root)
    cert = provision(fleet, "dev-1")
    assert decision(fleet, cert, "dev-1", "PUBLISH", "telemetry/dev-1") == "IMPLICIT_DENY"
    fleet.add_thing_to_thing_group(thingGroupName="sensors", thingName="dev-1")
    assert decision(fleet, cert, "dev-1", "PUBLISH", "telemetry/dev-1") == "ALLOWED"


def test_exclusive_thing_resolves_without_a_matching_client_id(fleet: Any) -> None:
    cert = provision(fleet, "dev-1", exclusive=True)
    assert decision(fleet, cert, "some-client", "CONNECT", f"{ARN}:client/dev-1") == "ALLOWED"


def test_thing_attributes_and_certificate_variables(fleet: Any) -> None:
    fleet.create_policy(policyName="site", policyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iot:Publish",
         "Resource": f"{ARN}:topic/site/${{iot:Connection.Thing.Attributes[site]}}/*"},
        {"Effect": "Allow", "Action": "iot:Publish",
         "Resource": f"{ARN}:topic/cn/${{iot:Certificate.Subject.CommonName}}"},
        {"Effect": "Allow", "Action": "iot:Connect", "Resource": "*",
         "Condition": {"Bool": {"iot:Connection.Thing.IsAttached": "true"}}}]}))
    fleet.create_thing(thingName="dev-1", attributePayload={"attributes": {"site": "berlin"}})
    cert = fleet.create_keys_and_certificate(setAsActive=True)["certificateArn"]
    fleet.attach_policy(policyName="site", target=cert)
    assert decision(fleet, cert, "dev-1", "CONNECT", f"{ARN}:client/dev-1") == "IMPLICIT_DENY"
    fleet.attach_thing_principal(thingName="dev-1", principal=cert)
    assert decision(fleet, cert, "dev-1", "CONNECT", f"{ARN}:client/dev-1") == "ALLOWED"
    assert decision(fleet, cert, "dev-1", "PUBLISH", "site/berlin/temp") == "ALLOWED"
    assert decision(fleet, cert, "dev-1", "PUBLISH", "site/paris/temp") == "IMPLICIT_DENY"
    assert decision(fleet, cert, "dev-1", "PUBLISH", "cn/AWS IoT Certificate") == "ALLOWED"


def test_errors(fleet: Any) -> None:
    cert = provision(fleet, "dev-1")
    info = [{"actionType": "CONNECT", "resources": ["dev-1"]}]
    for params, code in (
        ({"principal": f"{ARN}:cert/" + "0" * 64}, "ResourceNotFoundException"),
        ({"principal": "not-a-principal"}, "InvalidRequestException"),
        ({"principal": cert, "policyNamesToAdd": ["missing"]}, "ResourceNotFoundException"),
    ):
        with pytest.raises(ClientError) as caught:
            fleet.test_authorization(authInfos=info, **params)
        assert caught.value.response["Error"]["Code"] == code


def test_thing_variables_resolve_only_for_a_thing_attached_to_the_principal(fleet: Any) -> None:
    """A client id naming a thing the certificate is not attached to gets no thing variables
    (IsAttached is false), so a ``client/${iot:Connection.Thing.ThingName}`` policy does not
    let a certificate connect as any thing it likes."""
    fleet.create_policy(policyName="own", policyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iot:Connect",
         "Resource": f"{ARN}:client/${{iot:Connection.Thing.ThingName}}"}]}))
    cert = provision(fleet, "dev-1", policy="own")
    fleet.create_thing(thingName="dev-2")
    assert decision(fleet, cert, "dev-1", "CONNECT", f"{ARN}:client/dev-1") == "ALLOWED"
    assert decision(fleet, cert, "dev-2", "CONNECT", f"{ARN}:client/dev-2") == "IMPLICIT_DENY"
