"""IoT policies end to end through boto3: documents, listing, deletion and versions."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, List

import pytest
from refusal_support import ACCOUNT, REGION, document, refused

from mock_iotjobs import MockIotJobs

ALLOW_CONNECT = {"Effect": "Allow", "Action": ["iot:Connect"], "Resource": [f"arn:aws:iot:{REGION}:{ACCOUNT}:client/*"]}


def policy_arn(name: str) -> str:
    return f"arn:aws:iot:{REGION}:{ACCOUNT}:policy/{name}"


def names(policies: List[dict]) -> List[str]:
    return [p["policyName"] for p in policies]


# --- CreatePolicy / GetPolicy ----------------------------------------------------


def test_create_policy_answers_version_1_and_get_policy_shows_it(iot: Any, mock: MockIotJobs) -> None:
    doc = document(ALLOW_CONNECT)
    created = iot.create_policy(policyName="device", policyDocument=doc)
    assert created["policyName"] == "device"
    assert created["policyArn"] == policy_arn("device")
    assert created["policyDocument"] == doc
    assert created["policyVersionId"] == "1"

    got = iot.get_policy(policyName="device")
    assert got["policyArn"] == policy_arn("device")
    assert got["policyDocument"] == doc
    assert got["defaultVersionId"] == "1"
    assert isinstance(got["creationDate"], dt.datetime)
    assert got["lastModifiedDate"] == got["creationDate"]
    assert len(got["generationId"]) == 64


def test_create_policy_stores_the_parsed_statements(iot: Any, mock: MockIotJobs) -> None:
    iot.create_policy(
        policyName="parsed",
        policyDocument=document(
            ALLOW_CONNECT,
            {"Effect": "Deny", "NotAction": "iot:Publish", "Resource": "*", "Condition": {"Bool": {"k": True}}},
        ),
    )
    statements = mock.backend().policies.get("parsed").default.statements
    assert [s.effect for s in statements] == ["Allow", "Deny"]
    assert statements[0].actions == ("iot:Connect",)
    assert statements[1].not_actions == ("iot:Publish",)
    assert statements[1].conditions == {"Bool": {"k": ("true",)}}


def test_create_policy_with_tags(iot: Any) -> None:
    iot.create_policy(policyName="tagged", policyDocument=document(), tags=[{"Key": "team", "Value": "fleet"}])
    tags = iot.list_tags_for_resource(resourceArn=policy_arn("tagged"))["tags"]
    assert tags == [{"Key": "team", "Value": "fleet"}]
    iot.tag_resource(resourceArn=policy_arn("tagged"), tags=[{"Key": "env", "Value": "prod"}])
    assert len(iot.list_tags_for_resource(resourceArn=policy_arn("tagged"))["tags"]) == 2


def test_create_policy_twice_is_refused(iot: Any, mock: MockIotJobs) -> None:
    iot.create_policy(policyName="twice", policyDocument=document())
    refused(
        mock, iot.create_policy, "ResourceAlreadyExistsException", 409, policyName="twice", policyDocument=document()
    )


MALFORMED = [
    pytest.param("", id="empty"),
    pytest.param("   \n ", id="whitespace"),
    pytest.param("{not json", id="not-json"),
    pytest.param("[]", id="not-an-object"),
    pytest.param(json.dumps({"Version": "2012-10-17"}), id="no-statement"),
    pytest.param(json.dumps({"Version": "2012-10-17", "Statement": []}), id="empty-statement-list"),
    pytest.param(json.dumps({"Version": "2020-01-01", "Statement": [ALLOW_CONNECT]}), id="bad-version"),
    pytest.param(json.dumps({"Statement": [ALLOW_CONNECT], "Extra": 1}), id="unknown-top-element"),
    pytest.param(document({"Effect": "Permit", "Action": "iot:*", "Resource": "*"}), id="bad-effect"),
    pytest.param(document({"Action": "iot:*", "Resource": "*"}), id="no-effect"),
    pytest.param(document({"Effect": "Allow", "Resource": "*"}), id="no-action"),
    pytest.param(document({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}), id="non-iot-action"),
    pytest.param(document({"Effect": "Allow", "Action": [], "Resource": "*"}), id="empty-action-list"),
    pytest.param(document({"Effect": "Allow", "Action": "iot:*"}), id="no-resource"),
    pytest.param(document({"Effect": "Allow", "Action": "iot:*", "Resource": "topic/x"}), id="resource-not-arn"),
    pytest.param(
        document({"Effect": "Allow", "Action": "iot:*", "NotAction": "iot:Connect", "Resource": "*"}),
        id="action-and-notaction",
    ),
    pytest.param(document({"Effect": "Allow", "Action": "iot:*", "Resource": "*", "Colour": "red"}), id="extra-key"),
    pytest.param(document({"Effect": "Allow", "Action": "iot:*", "Resource": "*", "Condition": "x"}), id="bad-cond"),
]


@pytest.mark.parametrize("doc", MALFORMED)
def test_create_policy_refuses_a_malformed_document(iot: Any, mock: MockIotJobs, doc: str) -> None:
    refused(mock, iot.create_policy, "MalformedPolicyException", 400, policyName="bad", policyDocument=doc)
    assert iot.list_policies()["policies"] == []


def test_single_statement_object_and_missing_version_follow_the_iam_grammar(iot: Any) -> None:
    doc = json.dumps({"Statement": {"Effect": "Allow", "Action": "iot:Publish", "Resource": "*"}})
    assert iot.create_policy(policyName="lenient", policyDocument=doc)["policyVersionId"] == "1"


def test_document_limit_is_2048_characters_excluding_whitespace(iot: Any, mock: MockIotJobs) -> None:
    def sized(characters: int) -> str:
        """A document of exactly ``characters`` non-whitespace characters, pretty-printed."""
        statement = {"Effect": "Allow", "Action": "iot:Publish", "Resource": "arn:aws:iot:x"}
        compact = json.dumps({"Statement": [statement]}, separators=(",", ":"))
        statement["Resource"] += "a" * (characters - len(compact))
        return json.dumps({"Statement": [statement]}, indent=4)

    at_limit = sized(2048)
    assert len(at_limit) > 2048 and len("".join(at_limit.split())) == 2048
    iot.create_policy(policyName="at-limit", policyDocument=at_limit)
    message = refused(
        mock, iot.create_policy, "MalformedPolicyException", 400, policyName="over", policyDocument=sized(2049)
    )
    assert "2048" in message


def test_get_policy_of_a_missing_policy(iot: Any, mock: MockIotJobs) -> None:
    refused(mock, iot.get_policy, "ResourceNotFoundException", 404, policyName="ghost")


# --- ListPolicies --------------------------------------------------------------------


def test_list_policies_orders_by_creation_and_pages_with_markers(iot: Any) -> None:
    for name in ["a1", "c2", "b3", "d4", "e5"]:
        iot.create_policy(policyName=name, policyDocument=document())
    ascending = iot.list_policies(ascendingOrder=True)["policies"]
    assert names(ascending) == ["a1", "c2", "b3", "d4", "e5"]
    assert ascending[0]["policyArn"] == policy_arn("a1")
    assert names(iot.list_policies()["policies"]) == ["e5", "d4", "b3", "c2", "a1"]

    seen: List[str] = []
    page = iot.list_policies(pageSize=2, ascendingOrder=True)
    seen += names(page["policies"])
    while "nextMarker" in page:
        page = iot.list_policies(pageSize=2, ascendingOrder=True, marker=page["nextMarker"])
        seen += names(page["policies"])
    assert seen == ["a1", "c2", "b3", "d4", "e5"]


def test_list_policies_paginator(iot: Any) -> None:
    for index in range(5):
        iot.create_policy(policyName=f"p{index}", policyDocument=document())
    pages = list(iot.get_paginator("list_policies").paginate(PaginationConfig={"PageSize": 2}))
    assert len(pages) == 3
    assert sorted(n for page in pages for n in names(page["policies"])) == [f"p{i}" for i in range(5)]


def test_list_policies_refuses_a_forged_marker(iot: Any, mock: MockIotJobs) -> None:
    refused(mock, iot.list_policies, "InvalidRequestException", 400, marker="Zm9yZ2Vk")


# --- DeletePolicy ----------------------------------------------------------------------


def test_delete_policy(iot: Any, mock: MockIotJobs) -> None:
    iot.create_policy(policyName="gone", policyDocument=document(), tags=[{"Key": "k", "Value": "v"}])
    iot.delete_policy(policyName="gone")
    refused(mock, iot.get_policy, "ResourceNotFoundException", 404, policyName="gone")
    assert mock.backend().tags.list(policy_arn("gone")) == []
    # The name is free again, starting over at version 1.
    assert iot.create_policy(policyName="gone", policyDocument=document())["policyVersionId"] == "1"


def test_delete_policy_missing(iot: Any, mock: MockIotJobs) -> None:
    refused(mock, iot.delete_policy, "ResourceNotFoundException", 404, policyName="ghost")


def test_delete_policy_with_non_default_versions_is_refused(iot: Any, mock: MockIotJobs) -> None:
    iot.create_policy(policyName="versioned", policyDocument=document())
    iot.create_policy_version(policyName="versioned", policyDocument=document(ALLOW_CONNECT))
    refused(mock, iot.delete_policy, "DeleteConflictException", 409, policyName="versioned")
    iot.delete_policy_version(policyName="versioned", policyVersionId="2")
    iot.delete_policy(policyName="versioned")
    assert iot.list_policies()["policies"] == []


def test_delete_policy_while_attached_is_refused(iot: Any, mock: MockIotJobs) -> None:
    iot.create_policy(policyName="attached", policyDocument=document())
    group = iot.create_thing_group(thingGroupName="fleet")["thingGroupArn"]
    iot.attach_policy(policyName="attached", target=group)
    message = refused(mock, iot.delete_policy, "DeleteConflictException", 409, policyName="attached")
    assert "attached" in message
    iot.detach_policy(policyName="attached", target=group)
    iot.delete_policy(policyName="attached")


# --- versions ------------------------------------------------------------------------------


def test_create_policy_version_without_set_as_default(iot: Any) -> None:
    iot.create_policy(policyName="v", policyDocument=document())
    created = iot.create_policy_version(policyName="v", policyDocument=document(ALLOW_CONNECT))
    assert created["policyVersionId"] == "2"
    assert created["isDefaultVersion"] is False
    assert created["policyArn"] == policy_arn("v")
    assert iot.get_policy(policyName="v")["defaultVersionId"] == "1"
    assert iot.get_policy(policyName="v")["policyDocument"] == document()


def test_create_policy_version_set_as_default_changes_the_policy_in_force(iot: Any, mock: MockIotJobs) -> None:
    iot.create_policy(policyName="v", policyDocument=document())
    before = iot.get_policy(policyName="v")
    mock.advance_time(seconds=30)
    created = iot.create_policy_version(policyName="v", policyDocument=document(ALLOW_CONNECT), setAsDefault=True)
    assert created["isDefaultVersion"] is True
    after = iot.get_policy(policyName="v")
    assert after["defaultVersionId"] == "2"
    assert after["policyDocument"] == document(ALLOW_CONNECT)
    assert after["generationId"] != before["generationId"]
    assert after["lastModifiedDate"] > before["lastModifiedDate"]
    assert after["creationDate"] == before["creationDate"]
    versions = iot.list_policy_versions(policyName="v")["policyVersions"]
    assert [(v["versionId"], v["isDefaultVersion"]) for v in versions] == [("2", True), ("1", False)]
    assert all(isinstance(v["createDate"], dt.datetime) for v in versions)


def test_at_most_five_versions(iot: Any, mock: MockIotJobs) -> None:
    iot.create_policy(policyName="five", policyDocument=document())
    for _ in range(4):
        iot.create_policy_version(policyName="five", policyDocument=document())
    refused(
        mock,
        iot.create_policy_version,
        "VersionsLimitExceededException",
        409,
        policyName="five",
        policyDocument=document(),
        setAsDefault=True,
    )
    assert iot.get_policy(policyName="five")["defaultVersionId"] == "1"
    # Deleting one makes room; version ids are never reused.
    iot.delete_policy_version(policyName="five", policyVersionId="3")
    assert iot.create_policy_version(policyName="five", policyDocument=document())["policyVersionId"] == "6"
    listed = [v["versionId"] for v in iot.list_policy_versions(policyName="five")["policyVersions"]]
    assert listed == ["6", "5", "4", "2", "1"]


def test_create_policy_version_refusals(iot: Any, mock: MockIotJobs) -> None:
    refused(
        mock, iot.create_policy_version, "ResourceNotFoundException", 404, policyName="ghost", policyDocument=document()
    )
    iot.create_policy(policyName="v", policyDocument=document())
    refused(
        mock, iot.create_policy_version, "MalformedPolicyException", 400, policyName="v", policyDocument="{}"
    )


def test_get_policy_version(iot: Any, mock: MockIotJobs) -> None:
    iot.create_policy(policyName="v", policyDocument=document())
    iot.create_policy_version(policyName="v", policyDocument=document(ALLOW_CONNECT))
    got = iot.get_policy_version(policyName="v", policyVersionId="2")
    assert got["policyName"] == "v"
    assert got["policyArn"] == policy_arn("v")
    assert got["policyDocument"] == document(ALLOW_CONNECT)
    assert got["policyVersionId"] == "2"
    assert got["isDefaultVersion"] is False
    assert isinstance(got["creationDate"], dt.datetime)
    assert isinstance(got["lastModifiedDate"], dt.datetime)
    assert got["generationId"] == iot.get_policy(policyName="v")["generationId"]
    assert iot.get_policy_version(policyName="v", policyVersionId="1")["isDefaultVersion"] is True
    refused(mock, iot.get_policy_version, "ResourceNotFoundException", 404, policyName="v", policyVersionId="9")
    refused(mock, iot.get_policy_version, "ResourceNotFoundException", 404, policyName="nope", policyVersionId="1")


def test_set_default_policy_version(iot: Any, mock: MockIotJobs) -> None:
    iot.create_policy(policyName="v", policyDocument=document())
    iot.create_policy_version(policyName="v", policyDocument=document(ALLOW_CONNECT))
    iot.set_default_policy_version(policyName="v", policyVersionId="2")
    assert iot.get_policy(policyName="v")["defaultVersionId"] == "2"
    assert iot.get_policy_version(policyName="v", policyVersionId="1")["isDefaultVersion"] is False
    # Back to 1: the old default can now be deleted, the new one cannot.
    iot.set_default_policy_version(policyName="v", policyVersionId="1")
    iot.delete_policy_version(policyName="v", policyVersionId="2")
    refused(mock, iot.set_default_policy_version, "ResourceNotFoundException", 404, policyName="v", policyVersionId="2")
    refused(
        mock, iot.set_default_policy_version, "ResourceNotFoundException", 404, policyName="nope", policyVersionId="1"
    )


def test_the_default_version_is_never_deleted(iot: Any, mock: MockIotJobs) -> None:
    iot.create_policy(policyName="v", policyDocument=document())
    iot.create_policy_version(policyName="v", policyDocument=document(ALLOW_CONNECT), setAsDefault=True)
    message = refused(
        mock, iot.delete_policy_version, "DeleteConflictException", 409, policyName="v", policyVersionId="2"
    )
    assert "default" in message
    iot.delete_policy_version(policyName="v", policyVersionId="1")
    refused(mock, iot.delete_policy_version, "ResourceNotFoundException", 404, policyName="v", policyVersionId="1")
    assert [v["versionId"] for v in iot.list_policy_versions(policyName="v")["policyVersions"]] == ["2"]
    # With only its default version left, the policy can be deleted.
    iot.delete_policy(policyName="v")


def test_list_policy_versions_of_a_missing_policy(iot: Any, mock: MockIotJobs) -> None:
    refused(mock, iot.list_policy_versions, "ResourceNotFoundException", 404, policyName="ghost")


def test_create_policy_with_more_than_fifty_tags_is_refused(iot: Any, mock: MockIotJobs) -> None:
    tags = [{"Key": f"k{i}", "Value": "v"} for i in range(51)]
    create = iot.create_policy
    refused(mock, create, "InvalidRequestException", 400, policyName="t", policyDocument=document(), tags=tags)
