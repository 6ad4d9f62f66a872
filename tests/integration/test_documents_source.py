"""Issue 13: ``documentSource`` documents are read from S3 when the job (or template) is
created: through moto's S3 when ``mock_aws`` is active, else from objects put with
``put_s3_object`` (server mode: an admin endpoint), else CreateJob is refused."""

from __future__ import annotations

import json
import urllib.request
from typing import Any, Dict, Iterator, List

import boto3
import pytest
from botocore.exceptions import ClientError

from mock_iotjobs import MockIotJobs
from mock_iotjobs.server import ServerThread

DOC = json.dumps({"operation": "install", "version": "2.0"})


def _thing(iot: Any, name: str = "dev") -> str:
    return str(iot.create_thing(thingName=name)["thingArn"])


def _error(excinfo: pytest.ExceptionInfo) -> Dict[str, Any]:
    response = excinfo.value.response
    return {"code": response["Error"]["Code"], "status": response["ResponseMetadata"]["HTTPStatusCode"],
            "message": response["Error"]["Message"]}


def _state(iot: Any, jobs_data: Any, things: List[str]) -> Any:
    return (
        [j["jobId"] for j in iot.list_jobs()["jobs"]],
        [j["jobTemplateId"] for j in iot.list_job_templates()["jobTemplates"]],
        [(lambda p: (p["inProgressJobs"], p["queuedJobs"]))(jobs_data.get_pending_job_executions(thingName=t))
         for t in things],
    )


# --- without moto: objects put through the handle ---------------------------------
def test_document_source_is_read_when_the_job_is_created(mock: MockIotJobs, iot: Any, jobs_data: Any) -> None:
    url = mock.put_s3_object("firmware", "jobs/install.json", DOC)
    assert url == "https://s3.amazonaws.com/firmware/jobs/install.json"
    iot.create_job(jobId="j", targets=[_thing(iot)], documentSource=url)
    # A later change of the object does not change the job: AWS read it at creation.
    mock.put_s3_object("firmware", "jobs/install.json", '{"changed": true}')
    assert iot.describe_job(jobId="j")["documentSource"] == url
    assert iot.get_job_document(jobId="j")["document"] == DOC
    started = jobs_data.start_next_pending_job_execution(thingName="dev")["execution"]
    assert json.loads(started["jobDocument"]) == json.loads(DOC)
    described = jobs_data.describe_job_execution(thingName="dev", jobId="j")["execution"]
    assert json.loads(described["jobDocument"]) == json.loads(DOC)


@pytest.mark.parametrize(
    "url",
    [
        "https://s3.amazonaws.com/firmware/jobs/install.json",
        "https://s3.eu-central-1.amazonaws.com/firmware/jobs/install.json",
        "https://s3-eu-west-1.amazonaws.com/firmware/jobs/install.json",
        "https://firmware.s3.amazonaws.com/jobs/install.json",
        "https://firmware.s3.us-west-2.amazonaws.com/jobs/install.json",
    ],
    ids=["path", "regional", "legacy-regional", "virtual-hosted", "virtual-hosted-regional"],
)
def test_the_url_forms_aws_accepts(mock: MockIotJobs, iot: Any, url: str) -> None:
    mock.put_s3_object("firmware", "jobs/install.json", DOC)
    iot.create_job(jobId="j", targets=[_thing(iot)], documentSource=url)
    assert iot.get_job_document(jobId="j")["document"] == DOC


@pytest.mark.parametrize(
    "url",
    [
        "s3://firmware/jobs/install.json",
        "http://s3.amazonaws.com/firmware/jobs/install.json",
        "https://example.com/firmware/jobs/install.json",
        "https://s3.amazonaws.com/firmware",
        "https://s3.amazonaws.com/firmware/jobs/install.json?versionId=1",
        "firmware/jobs/install.json",
    ],
)
def test_other_urls_are_refused_and_create_nothing(mock: MockIotJobs, iot: Any, jobs_data: Any, url: str) -> None:
    mock.put_s3_object("firmware", "jobs/install.json", DOC)
    arn = _thing(iot)
    before = _state(iot, jobs_data, ["dev"])
    with pytest.raises(ClientError) as excinfo:
        iot.create_job(jobId="j", targets=[arn], documentSource=url)
    assert _error(excinfo)["code"] == "InvalidRequestException"
    assert _error(excinfo)["status"] == 400
    assert _state(iot, jobs_data, ["dev"]) == before


@pytest.mark.parametrize(
    "body",
    [None, b"not json", b"[1, 2]", b"\xff\xfe{}", json.dumps({"p": "x" * (32 * 1024)}).encode()],
    ids=["missing", "not-json", "not-an-object", "not-utf8", "over-32kb"],
)
def test_unreadable_or_invalid_sources_are_refused(
    mock: MockIotJobs, iot: Any, jobs_data: Any, body: Any
) -> None:
    if body is not None:
        mock.put_s3_object("firmware", "doc.json", body)
    arn = _thing(iot)
    before = _state(iot, jobs_data, ["dev"])
    with pytest.raises(ClientError) as excinfo:
        iot.create_job(jobId="j", targets=[arn], documentSource="https://s3.amazonaws.com/firmware/doc.json")
    assert _error(excinfo)["code"] == "InvalidRequestException"
    assert _error(excinfo)["status"] == 400
    assert _state(iot, jobs_data, ["dev"]) == before


def test_missing_object_message(iot: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        iot.create_job(jobId="j", targets=[_thing(iot)], documentSource="https://s3.amazonaws.com/b/missing.json")
    assert "documentSource" in _error(excinfo)["message"]


def test_job_templates_read_their_source_too(mock: MockIotJobs, iot: Any, jobs_data: Any) -> None:
    url = "https://s3.amazonaws.com/firmware/template.json"
    with pytest.raises(ClientError) as excinfo:
        iot.create_job_template(jobTemplateId="t", description="d", documentSource=url)
    assert _error(excinfo)["code"] == "InvalidRequestException"
    assert iot.list_job_templates()["jobTemplates"] == []

    mock.put_s3_object("firmware", "template.json", DOC)
    arn = iot.create_job_template(jobTemplateId="t", description="d", documentSource=url)["jobTemplateArn"]
    described = iot.describe_job_template(jobTemplateId="t")
    assert described["documentSource"] == url and "document" not in described
    iot.create_job(jobId="from-template", targets=[_thing(iot)], jobTemplateArn=arn)
    assert iot.describe_job(jobId="from-template")["documentSource"] == url
    assert iot.get_job_document(jobId="from-template")["document"] == DOC
    started = jobs_data.start_next_pending_job_execution(thingName="dev")["execution"]
    assert json.loads(started["jobDocument"]) == json.loads(DOC)


def test_reset_forgets_the_objects(mock: MockIotJobs, iot: Any) -> None:
    mock.put_s3_object("firmware", "doc.json", DOC)
    mock.reset()
    with pytest.raises(ClientError):
        iot.create_job(jobId="j", targets=[_thing(iot)], documentSource="https://s3.amazonaws.com/firmware/doc.json")


def test_put_s3_object_refuses_empty_names(mock: MockIotJobs) -> None:
    with pytest.raises(ValueError):
        mock.put_s3_object("", "k", DOC)


# --- with moto: moto's S3 is where the document is read ---------------------------------
moto = pytest.importorskip("moto")


@pytest.fixture
def both() -> Iterator[MockIotJobs]:
    from mock_iotjobs import mock_iotjobs

    with moto.mock_aws(), mock_iotjobs() as handle:
        yield handle


def test_with_moto_the_document_comes_from_moto_s3(both: MockIotJobs) -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="firmware")
    s3.put_object(Bucket="firmware", Key="doc.json", Body=DOC.encode())
    iot = boto3.client("iot", region_name="us-east-1")
    data = boto3.client("iot-jobs-data", region_name="us-east-1")
    arn = _thing(iot)
    iot.create_job(jobId="j", targets=[arn], documentSource="https://firmware.s3.amazonaws.com/doc.json")
    assert iot.get_job_document(jobId="j")["document"] == DOC
    assert json.loads(data.start_next_pending_job_execution(thingName="dev")["execution"]["jobDocument"]) == {
        "operation": "install",
        "version": "2.0",
    }


def test_with_moto_an_object_missing_there_is_missing(both: MockIotJobs) -> None:
    # Objects put through the handle are not consulted while moto answers S3.
    both.put_s3_object("firmware", "doc.json", DOC)
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="firmware")
    iot = boto3.client("iot", region_name="us-east-1")
    arn = _thing(iot)
    with pytest.raises(ClientError) as excinfo:
        iot.create_job(jobId="j", targets=[arn], documentSource="https://s3.amazonaws.com/firmware/doc.json")
    assert _error(excinfo)["code"] == "InvalidRequestException"
    assert iot.list_jobs()["jobs"] == []


# --- server mode: the admin endpoint ---------------------------------------------------
def _post(url: str, payload: Any) -> Any:
    # Admin POSTs must say they are JSON (issue 14: a cross-site page cannot).
    headers = {"Content-Type": "application/json"}
    request = urllib.request.Request(url, data=json.dumps(payload).encode(), method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_server_mode_admin_endpoint_puts_objects() -> None:
    with ServerThread(port=0) as server:
        iot = boto3.session.Session().client(
            "iot", endpoint_url=server.url, region_name="us-east-1",
            aws_access_key_id="AKIDMOCK", aws_secret_access_key="x",
        )
        endpoint = f"{server.url}/_mock_iotjobs/s3-objects"
        status, answer = _post(endpoint, {"bucket": "fwb", "key": "a.json", "body": DOC})
        assert status == 200 and answer == {"url": "https://s3.amazonaws.com/fwb/a.json"}
        status, _ = _post(
            f"{server.url}/_mock_iotjobs/s3-objects", {"bucket": "fwb", "key": "b.json", "bodyBase64": "e30="}
        )
        assert status == 200
        bad_bodies = (
            {"bucket": "fwb"}, {"bucket": "fwb", "key": "k"}, {"bucket": "fwb", "key": "k", "bodyBase64": "!"}, [1]
        )
        for bad in bad_bodies:
            status, error = _post(endpoint, bad)
            assert status == 400 and error["code"] == "InvalidRequest"
        arn = iot.create_thing(thingName="dev")["thingArn"]
        iot.create_job(jobId="j", targets=[arn], documentSource="https://s3.amazonaws.com/fwb/a.json")
        assert iot.get_job_document(jobId="j")["document"] == DOC
        iot.create_job(jobId="k", targets=[arn], documentSource="https://fwb.s3.amazonaws.com/b.json")
        assert iot.get_job_document(jobId="k")["document"] == "{}"
