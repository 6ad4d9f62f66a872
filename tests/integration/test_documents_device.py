"""Issue 13: what a device receives as ``jobDocument``.

Over HTTPS a string holding the document re-serialised compactly (nulls dropped,
order kept, Java ``Double.toString`` floats, non-BMP characters as surrogate pairs,
control characters escaped); over MQTT the JSON object itself.  Presigned-URL
placeholders become real SigV4 presigned GET URLs for jobs with
``presignedUrlConfig``; GetJobDocument returns the document as stored, and
``beforeSubstitution`` shows a managed template's parameters unfilled.
"""

from __future__ import annotations

import json
import urllib.parse
from typing import Any, Dict, Iterator

import boto3
import pytest
from test_mqtt_support import V311, PahoDevice, make_thing

from mock_iotjobs import MockIotJobs, mock_iotjobs
from mock_iotjobs.backend.jobs.spelling import java_double
from mock_iotjobs.mqtt import MqttListener

PLACEHOLDER = "${aws:iot:s3-presigned-url:https://s3.amazonaws.com/firmware/fw-2.0.bin}"
OTA = json.dumps({"operation": "ota", "url": PLACEHOLDER, "size": 3})


def _thing(iot: Any, name: str = "dev") -> str:
    return str(iot.create_thing(thingName=name)["thingArn"])


# --- the HTTPS spelling -----------------------------------------------------------------
def test_https_spelling_is_compact_java_style(iot: Any, jobs_data: Any) -> None:
    document = (
        '{ "b": 1.0e7, "a": null, "c": [1, null, 2.50, 0.0001, -0.0, 123456.789, 1e-3, 1E21],'
        ' "d": {"x": null, "y": "emoji \\ud83d\\ude80 \\u00e9 \\u0001 tab\\t quote\\" slash/"},'
        ' "e": 12345678901234567890, "f": true, "g": false }'
    )
    iot.create_job(jobId="j", targets=[_thing(iot)], document=document)
    # The control plane returns the document as stored.
    assert iot.get_job_document(jobId="j")["document"] == document
    spelt = jobs_data.describe_job_execution(thingName="dev", jobId="j")["execution"]["jobDocument"]
    assert spelt == (
        '{"b":1.0E7,"c":[1,null,2.5,1.0E-4,-0.0,123456.789,0.001,1.0E21],'
        '"d":{"y":"emoji \\ud83d\\ude80 \u00e9 \\u0001 tab\\t quote\\" slash/"},'
        '"e":12345678901234567890,"f":true,"g":false}'
    )
    started = jobs_data.start_next_pending_job_execution(thingName="dev")["execution"]["jobDocument"]
    assert started == spelt
    updated = jobs_data.update_job_execution(thingName="dev", jobId="j", status="SUCCEEDED", includeJobDocument=True)
    assert updated["jobDocument"] == spelt


@pytest.mark.parametrize(
    "value, spelt",
    [
        (1.0, "1.0"), (0.5, "0.5"), (100.0, "100.0"), (1234567.0, "1234567.0"), (1.0e7, "1.0E7"),
        (12345678.9, "1.23456789E7"), (0.001, "0.001"), (0.0001, "1.0E-4"), (-2.5e-8, "-2.5E-8"),
        (0.0, "0.0"), (-0.0, "-0.0"), (1.0e100, "1.0E100"), (0.1 + 0.2, "0.30000000000000004"),
    ],
)
def test_java_double_to_string(value: float, spelt: str) -> None:
    assert java_double(value) == spelt


@pytest.mark.parametrize("document", ['{"x": NaN}', '{"x": Infinity}', '{"x": -Infinity}'])
def test_non_json_numbers_are_refused(iot: Any, document: str) -> None:
    arn = _thing(iot)
    with pytest.raises(iot.exceptions.InvalidRequestException):
        iot.create_job(jobId="j", targets=[arn], document=document)
    assert iot.list_jobs()["jobs"] == []


# --- the MQTT spelling (paho) -----------------------------------------------------------
@pytest.fixture
def device(iot_jobs_mqtt: MqttListener, iot_client: Any) -> Iterator[PahoDevice]:
    make_thing(iot_client, "dev")
    client = PahoDevice(iot_jobs_mqtt.port, "dev", int(V311))
    client.subscribe("$aws/things/dev/jobs/notify-next")
    yield client
    client.close()


def test_mqtt_spelling_is_the_json_object(device: PahoDevice, iot_client: Any) -> None:
    document = '{"b": 1.5, "a": null, "list": [1, 2], "nested": {"k": "v"}}'
    arn = iot_client.describe_thing(thingName="dev")["thingArn"]
    iot_client.create_job(jobId="j", targets=[arn], document=document)
    expected: Dict[str, Any] = json.loads(document)
    notified = device.wait_for("$aws/things/dev/jobs/notify-next")
    assert notified.body["execution"]["jobDocument"] == expected
    got = device.request("$aws/things/dev/jobs/j/get", {})
    assert got.body["execution"]["jobDocument"] == expected
    started = device.request("$aws/things/dev/jobs/start-next", {})
    assert started.body["execution"]["jobDocument"] == expected
    updated = device.request("$aws/things/dev/jobs/j/update", {"status": "SUCCEEDED", "includeJobDocument": True})
    assert updated.topic.endswith("/update/accepted")
    assert updated.body["jobDocument"] == expected


def test_mqtt_presigned_urls_in_notify_next_and_responses(device: PahoDevice, iot_client: Any) -> None:
    arn = iot_client.describe_thing(thingName="dev")["thingArn"]
    iot_client.create_job(jobId="ota", targets=[arn], document=OTA, presignedUrlConfig={"expiresInSec": 900})
    notified = device.wait_for("$aws/things/dev/jobs/notify-next")
    for url in (
        notified.body["execution"]["jobDocument"]["url"],
        device.request("$aws/things/dev/jobs/start-next", {}).body["execution"]["jobDocument"]["url"],
    ):
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
        assert query["X-Amz-Expires"] == ["900"] and "X-Amz-Signature" in query
        assert "fw-2.0.bin" in url


# --- presigned URLs over HTTPS ------------------------------------------------------------
def test_placeholders_become_presigned_urls_for_devices(iot: Any, jobs_data: Any) -> None:
    iot.create_job(jobId="ota", targets=[_thing(iot)], document=OTA, presignedUrlConfig={"expiresInSec": 120})
    # Control plane: the placeholder stays (it is filled only for devices).
    assert iot.get_job_document(jobId="ota")["document"] == OTA
    url = json.loads(jobs_data.start_next_pending_job_execution(thingName="dev")["execution"]["jobDocument"])["url"]
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qs(parts.query)
    assert parts.scheme == "https" and parts.path.endswith("/fw-2.0.bin") and "firmware" in url
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert query["X-Amz-Expires"] == ["120"]
    assert query["X-Amz-SignedHeaders"] == ["host"] and len(query["X-Amz-Signature"][0]) == 64
    assert query["X-Amz-Credential"][0].split("/")[2:4] == ["us-east-1", "s3"]


def test_default_expiry_and_short_placeholder_form(iot: Any, jobs_data: Any) -> None:
    document = json.dumps({"a": "${aws:iot:s3-presigned-url:firmware/a.bin}", "b": "${aws:iot:s3-presigned-url:??}"})
    iot.create_job(jobId="ota", targets=[_thing(iot)], document=document, presignedUrlConfig={})
    spelt = json.loads(jobs_data.describe_job_execution(thingName="dev", jobId="ota")["execution"]["jobDocument"])
    assert "X-Amz-Expires=3600" in spelt["a"] and "a.bin" in spelt["a"]
    assert spelt["b"] == "${aws:iot:s3-presigned-url:??}"  # names no object: left as it is


def test_without_presigned_url_config_placeholders_stay(iot: Any, jobs_data: Any) -> None:
    iot.create_job(jobId="plain", targets=[_thing(iot)], document=OTA)
    spelt = json.loads(jobs_data.describe_job_execution(thingName="dev", jobId="plain")["execution"]["jobDocument"])
    assert spelt["url"] == PLACEHOLDER


def test_with_moto_the_presigned_url_downloads_the_object() -> None:
    moto = pytest.importorskip("moto")
    requests = pytest.importorskip("requests")
    with moto.mock_aws(), mock_iotjobs():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="firmware")
        s3.put_object(Bucket="firmware", Key="fw-2.0.bin", Body=b"\x7fELF firmware")
        iot = boto3.client("iot", region_name="us-east-1")
        data = boto3.client("iot-jobs-data", region_name="us-east-1")
        iot.create_job(jobId="ota", targets=[_thing(iot)], document=OTA, presignedUrlConfig={"expiresInSec": 60})
        execution = data.start_next_pending_job_execution(thingName="dev")["execution"]
        download = requests.get(json.loads(execution["jobDocument"])["url"], timeout=5)
        assert download.status_code == 200
        assert download.content == b"\x7fELF firmware"


# --- beforeSubstitution -----------------------------------------------------------------
def test_before_substitution_shows_managed_template_parameters(mock: MockIotJobs, iot: Any) -> None:
    arn = _thing(iot)
    template_arn = iot.describe_managed_job_template(templateName="AWS-Reboot")["templateArn"]
    iot.create_job(jobId="reboot", targets=[arn], jobTemplateArn=template_arn)
    rendered = iot.get_job_document(jobId="reboot")["document"]
    raw = iot.get_job_document(jobId="reboot", beforeSubstitution=True)["document"]
    assert "${aws:iot:parameter:" not in rendered
    assert "${aws:iot:parameter:" in raw
    assert iot.get_job_document(jobId="reboot", beforeSubstitution=False)["document"] == rendered
    # DescribeJob accepts the flag too.
    assert iot.describe_job(jobId="reboot", beforeSubstitution=True)["job"]["jobId"] == "reboot"


def test_before_substitution_of_a_plain_document_is_the_document(iot: Any) -> None:
    iot.create_job(jobId="ota", targets=[_thing(iot)], document=OTA, presignedUrlConfig={"expiresInSec": 60})
    assert iot.get_job_document(jobId="ota", beforeSubstitution=True)["document"] == OTA


def test_namespaced_job_notifies_its_namespace_topic_over_mqtt(device: PahoDevice, iot_client: Any) -> None:
    topic = "$aws/things/dev/jobs/gg/notify-namespace-aws-gg-deployment/"
    device.subscribe(topic)
    arn = iot_client.describe_thing(thingName="dev")["thingArn"]
    iot_client.create_job(jobId="gg", targets=[arn], document='{"x": 1}', namespaceId="aws-gg-deployment")
    message = device.wait_for(topic)
    assert message.body["execution"]["jobId"] == "gg"
    assert message.body["execution"]["jobDocument"] == {"x": 1}
