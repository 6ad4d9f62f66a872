"""Custom and AWS managed job templates end to end through boto3, and the
interface CreateJob uses (``templates.get_by_arn``, ``render_managed_template``)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Iterator

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from mock_iotjobs import MockIotJobs, ServiceError, mock_iotjobs
from mock_iotjobs.backend.jobs.managed_templates import render_managed_template
from mock_iotjobs.handlers.base import HANDLERS

ACCOUNT = "123456789012"
REGION = "us-east-1"
NO_RETRY = Config(retries={"max_attempts": 1})
DOC = '{"operation": "update", "version": "2.0"}'

CONFIGS = {
    "presignedUrlConfig": {
        "roleArn": "arn:aws:iam::123456789012:role/presign",
        "expiresInSec": 300,
    },
    "jobExecutionsRolloutConfig": {
        "exponentialRate": {
            "baseRatePerMinute": 5,
            "incrementFactor": 2.0,
            "rateIncreaseCriteria": {"numberOfSucceededThings": 10},
        }
    },
    "abortConfig": {
        "criteriaList": [
            {
                "failureType": "FAILED",
                "action": "CANCEL",
                "thresholdPercentage": 25.0,
                "minNumberOfExecutedThings": 4,
            }
        ]
    },
    "timeoutConfig": {"inProgressTimeoutInMinutes": 30},
    "jobExecutionsRetryConfig": {"criteriaList": [{"failureType": "FAILED", "numberOfRetries": 2}]},
    "maintenanceWindows": [{"startTime": "cron(0 2 ? * SUN *)", "durationInMinutes": 120}],
    "destinationPackageVersions": ["arn:aws:iot:us-east-1:123456789012:package/app/version/2.0"],
}

jobs_implemented = pytest.mark.skipif(
    ("iot", "CreateJob") not in HANDLERS or ("iot", "GetJobDocument") not in HANDLERS,
    reason="CreateJob not implemented yet",
)


@pytest.fixture
def mock() -> Iterator[MockIotJobs]:
    with mock_iotjobs() as handle:
        yield handle


@pytest.fixture
def iot(mock: MockIotJobs) -> Any:
    return boto3.client("iot", region_name=REGION, config=NO_RETRY)


def error_of(excinfo: pytest.ExceptionInfo) -> str:
    return excinfo.value.response["Error"]["Code"]


def template_arn(template_id: str) -> str:
    return f"arn:aws:iot:{REGION}:{ACCOUNT}:jobtemplate/{template_id}"


def strip(response: dict) -> dict:
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}


# --- custom templates -----------------------------------------------------------


def test_create_and_describe_every_member(iot: Any) -> None:
    created = iot.create_job_template(jobTemplateId="full", description="all members", document=DOC, **CONFIGS)
    assert strip(created) == {"jobTemplateArn": template_arn("full"), "jobTemplateId": "full"}
    described = strip(iot.describe_job_template(jobTemplateId="full"))
    created_at = described.pop("createdAt")
    assert isinstance(created_at, dt.datetime)
    assert described == {
        "jobTemplateArn": template_arn("full"),
        "jobTemplateId": "full",
        "description": "all members",
        "document": DOC,
        **CONFIGS,
    }


def test_create_with_document_source(iot: Any, mock: MockIotJobs) -> None:
    # documentSource is read at creation (issue 13): the object must exist.
    source = mock.put_s3_object("bucket", "job.json", DOC)
    iot.create_job_template(jobTemplateId="s3", description="d", documentSource=source)
    described = iot.describe_job_template(jobTemplateId="s3")
    assert described["documentSource"] == source
    assert "document" not in described


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"document": DOC, "documentSource": "https://s3.amazonaws.com/b/k"},
        {"document": "not json"},
        {"document": "[1, 2]"},
    ],
)
def test_document_rules(iot: Any, kwargs: dict) -> None:
    with pytest.raises(ClientError) as err:
        iot.create_job_template(jobTemplateId="t", description="d", **kwargs)
    assert error_of(err) == "InvalidRequestException"
    assert iot.list_job_templates()["jobTemplates"] == []


def test_document_size_limit(iot: Any) -> None:
    padding = "x" * (32 * 1024 - 20)
    iot.create_job_template(jobTemplateId="big", description="d", document=json.dumps({"p": padding}))
    with pytest.raises(ClientError) as err:
        iot.create_job_template(
            jobTemplateId="too-big", description="d", document=json.dumps({"p": padding + "x" * 40})
        )
    assert error_of(err) == "InvalidRequestException"


def test_description_is_required(mock: MockIotJobs) -> None:
    unvalidated = boto3.client(
        "iot", region_name=REGION, config=Config(parameter_validation=False, retries={"max_attempts": 1})
    )
    with pytest.raises(ClientError) as err:
        unvalidated.create_job_template(jobTemplateId="t", document=DOC)
    assert error_of(err) == "InvalidRequestException"


def test_duplicate_id_conflicts(iot: Any) -> None:
    iot.create_job_template(jobTemplateId="t", description="first", document=DOC)
    with pytest.raises(ClientError) as err:
        iot.create_job_template(jobTemplateId="t", description="second", document=DOC)
    assert error_of(err) == "ConflictException"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    assert err.value.response["resourceId"] == "t"
    assert iot.describe_job_template(jobTemplateId="t")["description"] == "first"


def test_missing_template(iot: Any) -> None:
    for call in (
        lambda: iot.describe_job_template(jobTemplateId="ghost"),
        lambda: iot.delete_job_template(jobTemplateId="ghost"),
    ):
        with pytest.raises(ClientError) as err:
            call()
        assert error_of(err) == "ResourceNotFoundException"


def test_delete_and_recreate(iot: Any) -> None:
    iot.create_job_template(jobTemplateId="t", description="old", document=DOC)
    iot.delete_job_template(jobTemplateId="t")
    with pytest.raises(ClientError):
        iot.describe_job_template(jobTemplateId="t")
    iot.create_job_template(jobTemplateId="t", description="new", document=DOC)
    assert iot.describe_job_template(jobTemplateId="t")["description"] == "new"


def test_list_job_templates_pages(iot: Any) -> None:
    for i in range(5):
        iot.create_job_template(jobTemplateId=f"t{i}", description=f"d{i}", document=DOC)
    first = iot.list_job_templates(maxResults=2)
    # Measured: newest first.
    assert [t["jobTemplateId"] for t in first["jobTemplates"]] == ["t4", "t3"]
    summary = first["jobTemplates"][0]
    assert set(summary) == {"jobTemplateArn", "jobTemplateId", "description", "createdAt"}
    assert summary["jobTemplateArn"] == template_arn("t4") and summary["description"] == "d4"
    pages = iot.get_paginator("list_job_templates").paginate(PaginationConfig={"PageSize": 2})
    assert [t["jobTemplateId"] for p in pages for t in p["jobTemplates"]] == [f"t{i}" for i in range(4, -1, -1)]
    with pytest.raises(ClientError) as err:
        iot.list_job_templates(nextToken="forged")
    assert error_of(err) == "InvalidRequestException"


def test_get_by_arn_gives_create_job_parameters(iot: Any, mock: MockIotJobs) -> None:
    iot.create_job_template(jobTemplateId="t", description="tpl", document=DOC, **CONFIGS)
    templates = mock.backend().templates
    config = templates.get_by_arn(template_arn("t")).job_config
    expected = {k: v for k, v in CONFIGS.items() if k != "maintenanceWindows"}
    expected["schedulingConfig"] = {"maintenanceWindows": CONFIGS["maintenanceWindows"]}
    assert config == {"description": "tpl", "document": DOC, **expected}
    # A copy: changing it changes nothing in the template.
    config["timeoutConfig"]["inProgressTimeoutInMinutes"] = 1
    assert templates.get_by_arn(template_arn("t")).job_config["timeoutConfig"] == {"inProgressTimeoutInMinutes": 30}
    for bad in (template_arn("ghost"), template_arn("t").replace(ACCOUNT, "999999999999")):
        with pytest.raises(ServiceError) as err:
            templates.get_by_arn(bad)
        assert err.value.code == "ResourceNotFoundException"


# --- templates and jobs ----------------------------------------------------------


@jobs_implemented
def test_template_from_an_existing_job(iot: Any) -> None:
    thing_arn = iot.create_thing(thingName="t")["thingArn"]
    job = iot.create_job(
        jobId="source",
        targets=[thing_arn],
        document=DOC,
        timeoutConfig={"inProgressTimeoutInMinutes": 15},
        jobExecutionsRetryConfig=CONFIGS["jobExecutionsRetryConfig"],
    )
    iot.create_job_template(
        jobTemplateId="copy",
        jobArn=job["jobArn"],
        description="from a job",
        abortConfig=CONFIGS["abortConfig"],
    )
    described = iot.describe_job_template(jobTemplateId="copy")
    assert described["document"] == DOC
    assert described["timeoutConfig"] == {"inProgressTimeoutInMinutes": 15}
    assert described["jobExecutionsRetryConfig"] == CONFIGS["jobExecutionsRetryConfig"]
    assert described["abortConfig"] == CONFIGS["abortConfig"]
    assert described["description"] == "from a job"


@jobs_implemented
def test_template_from_job_rules(iot: Any) -> None:
    thing_arn = iot.create_thing(thingName="t")["thingArn"]
    job_arn = iot.create_job(jobId="source", targets=[thing_arn], document=DOC)["jobArn"]
    with pytest.raises(ClientError) as err:
        iot.create_job_template(jobTemplateId="x", jobArn=job_arn.replace("source", "ghost"), description="d")
    assert error_of(err) == "ResourceNotFoundException"
    assert iot.list_job_templates()["jobTemplates"] == []


@jobs_implemented
def test_create_job_from_custom_template(iot: Any) -> None:
    thing_arn = iot.create_thing(thingName="t")["thingArn"]
    iot.create_job_template(
        jobTemplateId="tpl",
        description="d",
        document=DOC,
        timeoutConfig={"inProgressTimeoutInMinutes": 45},
    )
    iot.create_job(jobId="j", targets=[thing_arn], jobTemplateArn=template_arn("tpl"))
    assert iot.get_job_document(jobId="j")["document"] == DOC
    job = iot.describe_job(jobId="j")["job"]
    assert job["jobTemplateArn"] == template_arn("tpl")
    assert job["timeoutConfig"] == {"inProgressTimeoutInMinutes": 45}
    with pytest.raises(ClientError) as err:
        iot.create_job(jobId="j2", targets=[thing_arn], jobTemplateArn=template_arn("ghost"))
    assert error_of(err) == "ResourceNotFoundException"


# --- managed templates -------------------------------------------------------------


def test_list_managed_templates(iot: Any) -> None:
    templates = iot.list_managed_job_templates()["managedJobTemplates"]
    by_name = {t["templateName"]: t for t in templates}
    for name in (
        "AWS-Reboot",
        "AWS-Download-File",
        "AWS-Install-Application",
        "AWS-Remove-Application",
        "AWS-Start-Application",
        "AWS-Stop-Application",
        "AWS-Restart-Application",
        "AWS-Run-Command",
    ):
        assert name in by_name
    assert by_name["AWS-Reboot"] == {
        "templateArn": "arn:aws:iot:us-east-1::jobtemplate/AWS-Reboot:1.0",
        "templateName": "AWS-Reboot",
        "description": "A managed job template for rebooting the device.",
        "environments": ["LINUX"],
        "templateVersion": "1.0",
    }
    only = iot.list_managed_job_templates(templateName="AWS-Run-Command")["managedJobTemplates"]
    assert [t["templateName"] for t in only] == ["AWS-Run-Command"]
    with pytest.raises(ClientError) as err:
        iot.list_managed_job_templates(templateName="AWS-Nope")
    assert error_of(err) == "ResourceNotFoundException"


def test_list_managed_templates_pages(iot: Any) -> None:
    everything = [t["templateName"] for t in iot.list_managed_job_templates()["managedJobTemplates"]]
    first = iot.list_managed_job_templates(maxResults=3)
    assert [t["templateName"] for t in first["managedJobTemplates"]] == everything[:3]
    pages = iot.get_paginator("list_managed_job_templates").paginate(PaginationConfig={"PageSize": 3})
    assert [t["templateName"] for p in pages for t in p["managedJobTemplates"]] == everything
    with pytest.raises(ClientError) as err:
        iot.list_managed_job_templates(nextToken="forged")
    assert error_of(err) == "InvalidRequestException"


def test_describe_managed_template(iot: Any) -> None:
    described = strip(iot.describe_managed_job_template(templateName="AWS-Download-File"))
    assert described["templateArn"] == "arn:aws:iot:us-east-1::jobtemplate/AWS-Download-File:1.0"
    assert described["templateVersion"] == "1.0"
    assert described["environments"] == ["LINUX"]
    params = {p["key"]: p for p in described["documentParameters"]}
    assert set(params) == {"downloadUrl", "filePath", "runAsUser", "pathToHandler"}
    assert params["downloadUrl"]["optional"] is False
    assert params["runAsUser"]["optional"] is True
    assert set(params["filePath"]) == {"key", "description", "regex", "example", "optional"}
    document = json.loads(described["document"])
    action = document["steps"][0]["action"]
    assert action["type"] == "runHandler"
    assert action["input"]["handler"] == "download-file.sh"
    assert action["input"]["args"] == [
        "${aws:iot:parameter:downloadUrl}",
        "${aws:iot:parameter:filePath}",
    ]
    same = iot.describe_managed_job_template(templateName="AWS-Download-File", templateVersion="1.0")
    assert same["document"] == described["document"]


def test_describe_managed_template_arn_follows_region(mock: MockIotJobs) -> None:
    west = boto3.client("iot", region_name="eu-west-1", config=NO_RETRY)
    arn = west.describe_managed_job_template(templateName="AWS-Reboot")["templateArn"]
    assert arn == "arn:aws:iot:eu-west-1::jobtemplate/AWS-Reboot:1.0"


@pytest.mark.parametrize(
    "kwargs", [{"templateName": "AWS-Nope"}, {"templateName": "AWS-Reboot", "templateVersion": "9.0"}]
)
def test_describe_missing_managed_template(iot: Any, kwargs: dict) -> None:
    with pytest.raises(ClientError) as err:
        iot.describe_managed_job_template(**kwargs)
    assert error_of(err) == "ResourceNotFoundException"


def test_describe_managed_template_version_pattern(iot: Any) -> None:
    with pytest.raises(ClientError) as err:
        iot.describe_managed_job_template(templateName="AWS-Reboot", templateVersion="latest")
    assert error_of(err) == "InvalidRequestException"


# --- render_managed_template ---------------------------------------------------------


def test_render_substitutes_parameters() -> None:
    rendered = render_managed_template(
        "AWS-Download-File",
        "1.0",
        {"downloadUrl": "https://example.com/a.bin", "filePath": "/tmp/a.bin", "runAsUser": "pi"},
    )
    action = json.loads(rendered)["steps"][0]["action"]
    assert action["input"]["args"] == ["https://example.com/a.bin", "/tmp/a.bin"]
    assert action["runAsUser"] == "pi"
    # An optional parameter left out becomes empty; no placeholder survives.
    assert action["input"]["path"] == ""
    assert "${aws:iot:parameter:" not in rendered


def test_render_default_version_and_escaping() -> None:
    rendered = render_managed_template("AWS-Run-Command", None, {"command": 'echo,"hi"\\there'})
    assert json.loads(rendered)["steps"][0]["action"]["input"]["command"] == 'echo,"hi"\\there'
    reboot = json.loads(render_managed_template("AWS-Reboot", None, {}))
    assert reboot["steps"][0]["action"]["input"]["handler"] == "reboot.sh"


@pytest.mark.parametrize(
    "name, params",
    [
        ("AWS-Download-File", {"downloadUrl": "https://example.com/a"}),  # filePath missing
        ("AWS-Reboot", {"unknown": "x"}),
        ("AWS-Install-Application", {}),
        ("AWS-Reboot", {"runAsUser": "u" * 257}),  # regex (.){0,256}
    ],
)
def test_render_rejects_bad_parameters(name: str, params: dict) -> None:
    with pytest.raises(ServiceError) as err:
        render_managed_template(name, None, params)
    assert err.value.code == "InvalidRequestException"


def test_render_unknown_template() -> None:
    with pytest.raises(ServiceError) as err:
        render_managed_template("AWS-Nope", None, {})
    assert err.value.code == "ResourceNotFoundException"
    with pytest.raises(ServiceError) as err:
        render_managed_template("AWS-Reboot", "2.0", {})
    assert err.value.code == "ResourceNotFoundException"


@jobs_implemented
def test_create_job_from_managed_template(iot: Any) -> None:
    thing_arn = iot.create_thing(thingName="t")["thingArn"]
    iot.create_job(
        jobId="install",
        targets=[thing_arn],
        jobTemplateArn="arn:aws:iot:us-east-1::jobtemplate/AWS-Install-Application:1.0",
        documentParameters={"packages": "nano lsof"},
    )
    document = json.loads(iot.get_job_document(jobId="install")["document"])
    assert document["steps"][0]["action"]["input"]["args"] == ["nano lsof"]
    with pytest.raises(ClientError) as err:
        iot.create_job(
            jobId="broken",
            targets=[thing_arn],
            jobTemplateArn="arn:aws:iot:us-east-1::jobtemplate/AWS-Install-Application:1.0",
        )
    assert error_of(err) == "InvalidRequestException"
