"""Server-side validation of every constraint kind, end to end through boto3, for both services.

botocore's own parameter validation is turned off (``validate=False``) so that
what answers is the mock, exactly as AWS would answer a client that sent it.
"""

from __future__ import annotations

from typing import Any, Callable

import pytest
from botocore.exceptions import ClientError

from mock_iotjobs.handlers.base import HANDLERS

THING_ARN = "arn:aws:iot:us-east-1:123456789012:thing/t"
PREFIX = "1 validation error detected: "


@pytest.fixture
def iot(make_client: Any) -> Any:
    return make_client("iot", validate=False)


@pytest.fixture
def device(make_client: Any) -> Any:
    return make_client("iot-jobs-data", validate=False)


def refused(call: Callable[..., Any], code: str = "InvalidRequestException", **params: Any) -> str:
    """The message of the InvalidRequestException (or ``code``) the call must answer."""
    with pytest.raises(ClientError) as caught:
        call(**params)
    response = caught.value.response
    assert response["Error"]["Code"] == code, response["Error"]
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-errortype"] == code
    return str(response["Error"]["Message"])


def one(value: str, where: str, constraint: str) -> str:
    return f"{PREFIX}Value {value} at '{where}' failed to satisfy constraint: {constraint}"


# --- iot (control plane) ------------------------------------------------------
def test_iot_pattern_exact_message(iot: Any) -> None:
    assert refused(iot.describe_job, jobId="bad id!") == (
        "1 validation error detected: Value 'bad id!' at 'jobId' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [a-zA-Z0-9_-]+"
    )


def test_iot_required(iot: Any) -> None:
    assert refused(iot.create_job, jobId="job-1") == one("null", "targets", "Member must not be null")


def test_iot_string_min_length(iot: Any) -> None:
    message = refused(iot.create_thing, thingName="t", billingGroupName="")
    assert message.startswith("2 validation errors detected: ")
    assert (
        "Value '' at 'billingGroupName' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1" in message
    )


def test_iot_string_max_length(iot: Any) -> None:
    assert refused(iot.describe_job, jobId="j" * 65) == one(
        "'" + "j" * 65 + "'", "jobId", "Member must have length less than or equal to 64"
    )


def test_iot_list_length(iot: Any) -> None:
    assert refused(iot.create_job, jobId="job-1", targets=[]) == one(
        "'[]'", "targets", "Member must have length greater than or equal to 1"
    )


def test_iot_numeric_range(iot: Any) -> None:
    assert refused(iot.list_things, maxResults=0) == one(
        "'0'", "maxResults", "Member must have value greater than or equal to 1"
    )
    assert refused(iot.list_things, maxResults=251) == one(
        "'251'", "maxResults", "Member must have value less than or equal to 250"
    )


def test_iot_enum(iot: Any) -> None:
    assert refused(iot.list_jobs, targetSelection="SOMETIMES") == one(
        "'SOMETIMES'", "targetSelection", "Member must satisfy enum value set: [CONTINUOUS, SNAPSHOT]"
    )


def test_iot_java_unicode_category_pattern(iot: Any) -> None:
    assert refused(iot.create_job, jobId="job-1", targets=[THING_ARN], description="line\nbreak") == one(
        "'line\nbreak'", "description", "Member must satisfy regular expression pattern: [^\\p{C}]+"
    )
    # Non-ASCII text is fine: only the bad job id is reported.
    assert refused(iot.create_job, jobId="bad id", targets=[THING_ARN], description="Größe ✓ 更新") == one(
        "'bad id'", "jobId", "Member must satisfy regular expression pattern: [a-zA-Z0-9_-]+"
    )


def test_iot_map_keys_and_values(iot: Any) -> None:
    key = refused(iot.create_thing, thingName="t", attributePayload={"attributes": {"no spaces": "v"}})
    assert key == one(
        "'no spaces'",
        "attributePayload.attributes",
        "Map keys must satisfy constraint: [Member must satisfy regular expression pattern: [a-zA-Z0-9_.,@/:#-]+]",
    )
    value = refused(iot.create_thing, thingName="t", attributePayload={"attributes": {"k": "x" * 801}})
    assert value == one(
        "'" + "x" * 801 + "'",
        "attributePayload.attributes",
        "Map value must satisfy constraint: [Member must have length less than or equal to 800]",
    )


def test_iot_nested_member_path(iot: Any) -> None:
    assert refused(
        iot.create_job, jobId="job-1", targets=[THING_ARN], timeoutConfig={}, presignedUrlConfig={"expiresInSec": 5}
    ) == one("'5'", "presignedUrlConfig.expiresInSec", "Member must have value greater than or equal to 60")


def test_iot_several_errors(iot: Any) -> None:
    assert refused(iot.list_jobs, status="NOPE", maxResults=0) == (
        "2 validation errors detected: "
        "Value 'NOPE' at 'status' failed to satisfy constraint: Member must satisfy enum value set: "
        "[IN_PROGRESS, CANCELED, COMPLETED, DELETION_IN_PROGRESS, SCHEDULED]; "
        "Value '0' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1"
    )


def test_validation_comes_before_existence_checks(iot: Any) -> None:
    # The thing does not exist, but the bad request is reported first.
    message = refused(iot.update_thing, thingName="ghost", thingTypeName="bad type!")
    assert "at 'thingTypeName'" in message


def test_iot_unimplemented_operations_are_still_validated(iot: Any) -> None:
    assert ("iot", "DescribeAuthorizer") not in HANDLERS
    message = refused(iot.describe_authorizer, authorizerName="bad name!")
    assert message.startswith(PREFIX) and "at 'authorizerName'" in message
    with pytest.raises(ClientError) as caught:
        iot.describe_authorizer(authorizerName="ok-name")
    error = caught.value.response
    assert error["Error"]["Code"] == "NotImplementedException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 501
    assert "DescribeAuthorizer" in error["Error"]["Message"]


# --- iot-jobs-data (device plane) ----------------------------------------------
def test_device_pattern_and_enum_together(device: Any) -> None:
    assert refused(device.update_job_execution, jobId="job-1", thingName="bad name!", status="BOGUS") == (
        "2 validation errors detected: "
        "Value 'bad name!' at 'thingName' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [a-zA-Z0-9:_-]+; "
        "Value 'BOGUS' at 'status' failed to satisfy constraint: Member must satisfy enum value set: "
        "[QUEUED, IN_PROGRESS, SUCCEEDED, FAILED, TIMED_OUT, REJECTED, REMOVED, CANCELED]"
    )


def test_device_pattern(device: Any) -> None:
    assert refused(device.describe_job_execution, jobId="bad id!", thingName="t") == one(
        "'bad id!'", "jobId", "Member must satisfy regular expression pattern: [a-zA-Z0-9_-]+|^\\$next"
    )


def test_device_enum(device: Any) -> None:
    assert refused(device.update_job_execution, jobId="j", thingName="t", status="BOGUS") == one(
        "'BOGUS'",
        "status",
        "Member must satisfy enum value set: "
        "[QUEUED, IN_PROGRESS, SUCCEEDED, FAILED, TIMED_OUT, REJECTED, REMOVED, CANCELED]",
    )


def test_device_required(device: Any) -> None:
    assert refused(device.update_job_execution, jobId="j", thingName="t") == one(
        "null", "status", "Member must not be null"
    )


def test_device_string_max_length(device: Any) -> None:
    assert refused(device.get_pending_job_executions, thingName="t" * 129) == one(
        "'" + "t" * 129 + "'", "thingName", "Member must have length less than or equal to 128"
    )


def test_device_map_keys_and_values(device: Any) -> None:
    key = refused(
        device.update_job_execution, jobId="j", thingName="t", status="IN_PROGRESS", statusDetails={"bad key": "v"}
    )
    assert key == one(
        "'bad key'",
        "statusDetails",
        "Map keys must satisfy constraint: [Member must satisfy regular expression pattern: [a-zA-Z0-9:_-]+]",
    )
    value = refused(device.start_next_pending_job_execution, thingName="t", statusDetails={"step": "a\u0000b"})
    assert value == one(
        "'a\u0000b'",
        "statusDetails",
        "Map value must satisfy constraint: [Member must satisfy regular expression pattern: [^\\p{C}]+]",
    )


def test_device_numeric_range_and_map_length(device: Any) -> None:
    # StartCommandExecution declares ValidationException, not InvalidRequestException.
    message = refused(
        device.start_command_execution,
        "ValidationException",
        targetArn=THING_ARN,
        commandArn="arn:aws:iot:us-east-1:123456789012:command/c",
        executionTimeoutSeconds=0,
        parameters={},
    )
    assert message == (
        "2 validation errors detected: "
        "Value '0' at 'executionTimeoutSeconds' failed to satisfy constraint: "
        "Member must have value greater than or equal to 1; "
        "Value '{}' at 'parameters' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1"
    )


def test_device_validation_comes_before_existence_checks(device: Any) -> None:
    # Neither the thing nor the job exists: still an InvalidRequestException.
    assert "at 'status'" in refused(device.update_job_execution, jobId="nope", thingName="ghost", status="DONE")


def test_valid_requests_pass_validation(make_client: Any) -> None:
    iot = make_client("iot", validate=False)
    iot.create_thing(thingName="t:1_a-b", attributePayload={"attributes": {"a.b@c/d:e#f": "[x]=y"}})
    assert iot.describe_thing(thingName="t:1_a-b")["attributes"] == {"a.b@c/d:e#f": "[x]=y"}
