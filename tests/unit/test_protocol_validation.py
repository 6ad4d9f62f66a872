"""Validation: every constraint kind, AWS's message format, Java-style patterns."""

from __future__ import annotations

from typing import Any, Dict, List

import pytest

from mock_iotjobs.protocol.errors import ServiceError
from mock_iotjobs.protocol.models import IOT, JOBS_DATA, SERVICES, service_model
from mock_iotjobs.protocol.validation import compile_pattern, render, validate, validation_errors

THING_ARN = "arn:aws:iot:us-east-1:123456789012:thing/t"


def errors(service: str, operation: str, **params: Any) -> List[str]:
    return validation_errors(service, operation, params)


def test_exact_single_error_message() -> None:
    with pytest.raises(ServiceError) as caught:
        validate(IOT, "DescribeJob", {"jobId": "bad id!"})
    assert caught.value.code == "InvalidRequestException"
    assert caught.value.message == (
        "1 validation error detected: Value 'bad id!' at 'jobId' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [a-zA-Z0-9_-]+"
    )


def test_several_errors_are_counted_and_joined() -> None:
    with pytest.raises(ServiceError) as caught:
        validate(JOBS_DATA, "UpdateJobExecution", {"jobId": "j", "thingName": "bad name!", "status": "BOGUS"})
    assert caught.value.message == (
        "2 validation errors detected: "
        "Value 'bad name!' at 'thingName' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [a-zA-Z0-9:_-]+; "
        "Value 'BOGUS' at 'status' failed to satisfy constraint: Member must satisfy enum value set: "
        "[QUEUED, IN_PROGRESS, SUCCEEDED, FAILED, TIMED_OUT, REJECTED, REMOVED, CANCELED]"
    )


def test_one_value_can_break_several_constraints() -> None:
    assert errors(IOT, "DescribeJob", jobId="!" * 65) == [
        "Value '" + "!" * 65 + "' at 'jobId' failed to satisfy constraint: "
        "Member must have length less than or equal to 64",
        "Value '" + "!" * 65 + "' at 'jobId' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [a-zA-Z0-9_-]+",
    ]


def test_valid_params_have_no_errors() -> None:
    assert errors(IOT, "CreateJob", jobId="job-1", targets=[THING_ARN], description="Mise à jour ✓") == []


def test_required() -> None:
    assert errors(JOBS_DATA, "UpdateJobExecution", jobId="j", thingName="t") == [
        "Value null at 'status' failed to satisfy constraint: Member must not be null"
    ]


def test_string_min_and_max_length() -> None:
    assert errors(IOT, "CreateThing", thingName="t", thingTypeName="") == [
        "Value '' at 'thingTypeName' failed to satisfy constraint: Member must have length greater than or equal to 1",
        "Value '' at 'thingTypeName' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [a-zA-Z0-9:_-]+",
    ]
    assert errors(JOBS_DATA, "GetPendingJobExecutions", thingName="x" * 129) == [
        "Value '" + "x" * 129 + "' at 'thingName' failed to satisfy constraint: "
        "Member must have length less than or equal to 128"
    ]


def test_list_length_is_rendered_java_style() -> None:
    assert errors(IOT, "CreateJob", jobId="j", targets=[]) == [
        "Value '[]' at 'targets' failed to satisfy constraint: Member must have length greater than or equal to 1"
    ]


def test_list_members_are_checked_with_their_index() -> None:
    assert errors(IOT, "CreateJob", jobId="j", targets=[THING_ARN], destinationPackageVersions=["ok:no"]) == [
        "Value 'ok:no' at 'destinationPackageVersions.1.member' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: ^arn:[!-~]+$"
    ]


def test_numeric_range() -> None:
    assert errors(IOT, "ListThings", maxResults=0) == [
        "Value '0' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1"
    ]
    assert errors(IOT, "ListThings", maxResults=251) == [
        "Value '251' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 250"
    ]
    assert errors(JOBS_DATA, "StartCommandExecution", targetArn="a", commandArn="c", executionTimeoutSeconds=0) == [
        "Value '0' at 'executionTimeoutSeconds' failed to satisfy constraint: "
        "Member must have value greater than or equal to 1"
    ]


def test_nested_structure_members_use_dotted_paths() -> None:
    assert errors(IOT, "CreateJob", jobId="j", targets=[THING_ARN], presignedUrlConfig={"expiresInSec": 10}) == [
        "Value '10' at 'presignedUrlConfig.expiresInSec' failed to satisfy constraint: "
        "Member must have value greater than or equal to 60"
    ]
    assert errors(IOT, "CreateJob", jobId="j", targets=[THING_ARN], abortConfig={}) == [
        "Value null at 'abortConfig.criteriaList' failed to satisfy constraint: Member must not be null"
    ]


def test_enum() -> None:
    assert errors(IOT, "ListJobs", status="DONE") == [
        "Value 'DONE' at 'status' failed to satisfy constraint: Member must satisfy enum value set: "
        "[IN_PROGRESS, CANCELED, COMPLETED, DELETION_IN_PROGRESS, SCHEDULED]"
    ]


def test_java_unicode_category_pattern() -> None:
    assert errors(IOT, "CreateJob", jobId="j", targets=[THING_ARN], description="bell\u0007") == [
        "Value 'bell\u0007' at 'description' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [^\\p{C}]+"
    ]
    # Letters and symbols from any script are not in \p{C}.
    assert errors(IOT, "CreateJob", jobId="j", targets=[THING_ARN], description="Δ ✓ 日本") == []


def test_map_keys_and_values() -> None:
    found = errors(IOT, "CreateThing", thingName="t", attributePayload={"attributes": {"bad key!": "ok"}})
    assert found == [
        "Value 'bad key!' at 'attributePayload.attributes' failed to satisfy constraint: "
        "Map keys must satisfy constraint: [Member must satisfy regular expression pattern: [a-zA-Z0-9_.,@/:#-]+]"
    ]
    found = errors(
        JOBS_DATA, "UpdateJobExecution", jobId="j", thingName="t", status="FAILED", statusDetails={"reason": ""}
    )
    assert found == [
        "Value '' at 'statusDetails' failed to satisfy constraint: "
        "Map value must satisfy constraint: [Member must have length greater than or equal to 1]",
        "Value '' at 'statusDetails' failed to satisfy constraint: "
        "Map value must satisfy constraint: [Member must satisfy regular expression pattern: [^\\p{C}]+]",
    ]


def test_map_length() -> None:
    assert errors(JOBS_DATA, "StartCommandExecution", targetArn="a", commandArn="c", parameters={}) == [
        "Value '{}' at 'parameters' failed to satisfy constraint: Member must have length greater than or equal to 1"
    ]


def test_next_is_allowed_by_the_describe_pattern_alternative() -> None:
    assert errors(JOBS_DATA, "DescribeJobExecution", jobId="$next", thingName="t") == []
    assert len(errors(JOBS_DATA, "DescribeJobExecution", jobId="$nex", thingName="t")) == 1


def test_java_posix_classes_are_ascii_only() -> None:
    # As in the iot model (e.g. a job template's description): inside a class.
    graph_or_space = compile_pattern(r"[\p{Graph}\x20]*")
    assert graph_or_space.fullmatch("abc !~")
    assert graph_or_space.fullmatch("é") is None
    assert compile_pattern(r"[^\p{Cntrl}]*").fullmatch("tab\tfree") is None
    assert compile_pattern(r"[\p{Upper}\p{Digit}_]+").fullmatch("AB_12")
    assert compile_pattern(r"[\p{Upper}\p{Digit}_]+").fullmatch("Ab") is None
    # Outside a class too, and next to escaped brackets.
    assert compile_pattern(r"\p{Graph}+").fullmatch("abc!~")
    assert compile_pattern(r"\p{Graph}+").fullmatch("é") is None
    assert compile_pattern(r"a\[\p{Digit}\]").fullmatch("a[7]")
    # Unicode categories stay Unicode-wide.
    assert compile_pattern(r"[^\p{C}]+").fullmatch("é")
    assert compile_pattern(r"^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$").fullmatch("Größe 1")


@pytest.mark.parametrize(
    "value,shown",
    [
        (True, "true"),
        ([1, "a"], "[1, a]"),
        ({"k": "v"}, "{k=v}"),
        (b"xyz", "java.nio.HeapByteBuffer[pos=0 lim=3 cap=3]"),
    ],
)
def test_values_render_as_java_prints_them(value: Any, shown: str) -> None:
    assert render(value) == shown


@pytest.mark.parametrize("service", SERVICES)
def test_every_operation_compiles_and_accepts_empty_optional_input(service: str) -> None:
    model = service_model(service)
    for name in model.operation_names:
        shape = model.operation_model(name).input_shape
        found = validation_errors(service, name, {})
        required: Dict[str, Any] = dict.fromkeys(shape.required_members if shape else [])
        assert len(found) == len(required), (name, found)
