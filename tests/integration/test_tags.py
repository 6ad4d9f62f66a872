"""TagResource, UntagResource and ListTagsForResource end to end through boto3."""

from __future__ import annotations

from typing import Any, Dict, Iterator, List

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from mock_iotjobs import MockIotJobs, mock_iotjobs
from mock_iotjobs.handlers.base import HANDLERS

ACCOUNT = "123456789012"
REGION = "us-east-1"
NO_RETRY = Config(retries={"max_attempts": 1})
DOC = '{"operation": "noop"}'


@pytest.fixture
def mock() -> Iterator[MockIotJobs]:
    with mock_iotjobs() as handle:
        yield handle


@pytest.fixture
def iot(mock: MockIotJobs) -> Any:
    return boto3.client("iot", region_name=REGION, config=NO_RETRY)


def arn(resource: str, account: str = ACCOUNT, region: str = REGION) -> str:
    return f"arn:aws:iot:{region}:{account}:{resource}"


def error_of(excinfo: pytest.ExceptionInfo) -> str:
    return excinfo.value.response["Error"]["Code"]


def tags(n: int, prefix: str = "k") -> List[Dict[str, str]]:
    return [{"Key": f"{prefix}{i}", "Value": f"v{i}"} for i in range(n)]


def listed(iot: Any, resource_arn: str) -> Dict[str, str]:
    return {t["Key"]: t["Value"] for t in iot.list_tags_for_resource(resourceArn=resource_arn)["tags"]}


def test_tags_given_at_group_creation(iot: Any) -> None:
    created = iot.create_thing_group(thingGroupName="g", tags=[{"Key": "env", "Value": "prod"}])
    assert iot.list_tags_for_resource(resourceArn=created["thingGroupArn"])["tags"] == [{"Key": "env", "Value": "prod"}]


def test_tag_overwrite_and_untag(iot: Any) -> None:
    group_arn = iot.create_thing_group(thingGroupName="g")["thingGroupArn"]
    assert iot.list_tags_for_resource(resourceArn=group_arn)["tags"] == []
    iot.tag_resource(resourceArn=group_arn, tags=[{"Key": "a", "Value": "1"}, {"Key": "b"}])
    assert listed(iot, group_arn) == {"a": "1", "b": ""}
    iot.tag_resource(resourceArn=group_arn, tags=[{"Key": "a", "Value": "2"}])
    assert listed(iot, group_arn) == {"a": "2", "b": ""}
    iot.untag_resource(resourceArn=group_arn, tagKeys=["a", "not-there"])
    assert listed(iot, group_arn) == {"b": ""}


def test_tag_a_thing(iot: Any) -> None:
    thing_arn = iot.create_thing(thingName="t")["thingArn"]
    iot.tag_resource(resourceArn=thing_arn, tags=[{"Key": "owner", "Value": "me"}])
    assert listed(iot, thing_arn) == {"owner": "me"}


def test_tag_a_job_template(iot: Any) -> None:
    template = iot.create_job_template(
        jobTemplateId="tpl", description="d", document=DOC, tags=[{"Key": "a", "Value": "1"}]
    )
    iot.tag_resource(resourceArn=template["jobTemplateArn"], tags=[{"Key": "b", "Value": "2"}])
    assert listed(iot, template["jobTemplateArn"]) == {"a": "1", "b": "2"}


@pytest.mark.skipif(("iot", "CreateJob") not in HANDLERS, reason="CreateJob not implemented yet")
def test_tag_a_job(iot: Any) -> None:
    thing_arn = iot.create_thing(thingName="t")["thingArn"]
    job = iot.create_job(jobId="job1", targets=[thing_arn], document=DOC, tags=[{"Key": "a", "Value": "1"}])
    assert job["jobArn"] == arn("job/job1")
    iot.tag_resource(resourceArn=job["jobArn"], tags=[{"Key": "b", "Value": "2"}])
    assert listed(iot, job["jobArn"]) == {"a": "1", "b": "2"}
    iot.untag_resource(resourceArn=job["jobArn"], tagKeys=["a"])
    assert listed(iot, job["jobArn"]) == {"b": "2"}


@pytest.mark.parametrize(
    "resource",
    [
        arn("thinggroup/ghost"),
        arn("thing/ghost"),
        arn("job/ghost"),
        arn("jobtemplate/ghost"),
        arn("thinggroup/g", account="999999999999"),
        arn("thinggroup/g", region="eu-west-1"),
    ],
)
def test_missing_or_foreign_resource_is_not_found(iot: Any, resource: str) -> None:
    iot.create_thing_group(thingGroupName="g")
    for call in (
        lambda: iot.tag_resource(resourceArn=resource, tags=[{"Key": "a", "Value": "1"}]),
        lambda: iot.untag_resource(resourceArn=resource, tagKeys=["a"]),
        lambda: iot.list_tags_for_resource(resourceArn=resource),
    ):
        with pytest.raises(ClientError) as err:
            call()
        assert error_of(err) == "ResourceNotFoundException"
        assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


@pytest.mark.parametrize(
    "resource",
    [
        "not-an-arn",
        "arn:aws:s3:::bucket/key",
        arn("client/c"),
        "arn:aws:iot:us-east-1::jobtemplate/AWS-Reboot:1.0",
    ],
)
def test_malformed_or_untaggable_arn_is_invalid(iot: Any, resource: str) -> None:
    with pytest.raises(ClientError) as err:
        iot.tag_resource(resourceArn=resource, tags=[{"Key": "a", "Value": "1"}])
    assert error_of(err) == "InvalidRequestException"


def test_at_most_fifty_tags(iot: Any) -> None:
    group_arn = iot.create_thing_group(thingGroupName="g")["thingGroupArn"]
    iot.tag_resource(resourceArn=group_arn, tags=tags(50))
    # Re-tagging existing keys does not count against the limit.
    iot.tag_resource(resourceArn=group_arn, tags=[{"Key": "k0", "Value": "new"}])
    with pytest.raises(ClientError) as err:
        iot.tag_resource(resourceArn=group_arn, tags=[{"Key": "one-more", "Value": "x"}])
    assert error_of(err) == "LimitExceededException"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 410
    current = listed(iot, group_arn)
    assert len(current) == 50 and current["k0"] == "new" and "one-more" not in current


def test_too_many_tags_at_creation_creates_nothing(iot: Any) -> None:
    with pytest.raises(ClientError) as err:
        iot.create_thing_group(thingGroupName="g", tags=tags(51))
    # CreateThingGroup models no LimitExceededException.
    assert error_of(err) == "InvalidRequestException"
    assert iot.list_thing_groups()["thingGroups"] == []
    with pytest.raises(ClientError) as err:
        iot.create_job_template(jobTemplateId="t", description="d", document=DOC, tags=tags(51))
    assert error_of(err) == "LimitExceededException"
    assert iot.list_job_templates()["jobTemplates"] == []


def test_tag_key_is_validated_against_the_model(iot: Any) -> None:
    group_arn = iot.create_thing_group(thingGroupName="g")["thingGroupArn"]
    with pytest.raises(ClientError) as err:
        iot.tag_resource(resourceArn=group_arn, tags=[{"Key": "bad#key", "Value": "x"}])
    assert error_of(err) == "InvalidRequestException"
    assert "Key" in err.value.response["Error"]["Message"]
    assert listed(iot, group_arn) == {}


def test_tags_go_with_a_deleted_resource(iot: Any) -> None:
    group_arn = iot.create_thing_group(thingGroupName="g", tags=[{"Key": "a", "Value": "1"}])["thingGroupArn"]
    iot.delete_thing_group(thingGroupName="g")
    with pytest.raises(ClientError):
        iot.list_tags_for_resource(resourceArn=group_arn)
    iot.create_thing_group(thingGroupName="g")
    assert listed(iot, group_arn) == {}

    template_arn = iot.create_job_template(
        jobTemplateId="t", description="d", document=DOC, tags=[{"Key": "a", "Value": "1"}]
    )["jobTemplateArn"]
    iot.delete_job_template(jobTemplateId="t")
    iot.create_job_template(jobTemplateId="t", description="d", document=DOC)
    assert listed(iot, template_arn) == {}

    thing_arn = iot.create_thing(thingName="t")["thingArn"]
    iot.tag_resource(resourceArn=thing_arn, tags=[{"Key": "a", "Value": "1"}])
    iot.delete_thing(thingName="t")
    iot.create_thing(thingName="t")
    assert listed(iot, thing_arn) == {}


def test_list_tags_paginator_and_forged_token(iot: Any) -> None:
    group_arn = iot.create_thing_group(thingGroupName="g", tags=tags(12))["thingGroupArn"]
    pages = iot.get_paginator("list_tags_for_resource").paginate(resourceArn=group_arn)
    assert [t["Key"] for page in pages for t in page["tags"]] == [f"k{i}" for i in range(12)]
    with pytest.raises(ClientError) as err:
        iot.list_tags_for_resource(resourceArn=group_arn, nextToken="forged")
    assert error_of(err) == "InvalidRequestException"


def test_tags_are_per_account(mock: MockIotJobs) -> None:
    mine = boto3.client("iot", region_name=REGION, config=NO_RETRY)
    theirs = boto3.client(
        "iot",
        region_name=REGION,
        config=NO_RETRY,
        aws_access_key_id="999999999999",
        aws_secret_access_key="secret",
    )
    mine.create_thing_group(thingGroupName="g", tags=[{"Key": "a", "Value": "1"}])
    theirs.create_thing_group(thingGroupName="g")
    assert listed(theirs, arn("thinggroup/g", account="999999999999")) == {}
    with pytest.raises(ClientError) as err:
        theirs.list_tags_for_resource(resourceArn=arn("thinggroup/g"))
    assert error_of(err) == "ResourceNotFoundException"
