"""A firmware image in S3, a job document that names it with a presigned-URL placeholder,
and a device that downloads it with ``requests.get``, all in-process: moto's
``mock_aws`` plays S3, mock_iotjobs plays AWS IoT Jobs and fills the placeholder
with a real SigV4 presigned URL when the device asks for its job."""

from __future__ import annotations

import hashlib
import json
from typing import Any, Callable, Dict, Iterator, List, Tuple

import boto3
import pytest
from fleet_ota.agent import SUCCEEDED, DeviceAgent, UpdateFailed, Updater

from mock_iotjobs import mock_iotjobs

moto = pytest.importorskip("moto")
requests = pytest.importorskip("requests")

IMAGE = b"\x7fELF" + bytes(range(256)) * 16
BUCKET = "acme-firmware"
KEY = "thermostat/2.5.0.bin"


class HttpsUpdater(Updater):
    """Downloads the image from the document's (presigned) URL and checks its digest."""

    def __init__(self) -> None:
        self.images: List[bytes] = []

    def download(self, firmware: Dict[str, Any], report: Callable[[int], None]) -> None:
        answer = requests.get(firmware["url"], timeout=10)
        if answer.status_code != 200:
            raise UpdateFailed(f"download answered {answer.status_code}", "downloading")
        if hashlib.sha256(answer.content).hexdigest() != firmware["sha256"]:
            raise UpdateFailed("digest mismatch", "downloading")
        self.images.append(answer.content)
        report(100)


@pytest.fixture
def aws() -> Iterator[Tuple[Any, Any, Any]]:
    with moto.mock_aws(), mock_iotjobs():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        s3.put_object(Bucket=BUCKET, Key=KEY, Body=IMAGE)
        iot = boto3.client("iot", region_name="us-east-1")
        yield s3, iot, boto3.client("iot-jobs-data", region_name="us-east-1")


def _document(sha256: str) -> str:
    placeholder = f"${{aws:iot:s3-presigned-url:https://s3.amazonaws.com/{BUCKET}/{KEY}}}"
    return json.dumps(
        {
            "operation": "firmware-update",
            "firmware": {"version": "2.5.0", "url": placeholder, "sha256": sha256, "sizeBytes": len(IMAGE)},
        }
    )


def test_device_downloads_its_firmware_through_the_presigned_url(aws: Tuple[Any, Any, Any]) -> None:
    s3, iot, jobs_data = aws
    # The operator keeps the job document in S3 too (documentSource), as AWS allows.
    s3.put_object(Bucket=BUCKET, Key="jobs/2.5.0.json", Body=_document(hashlib.sha256(IMAGE).hexdigest()).encode())
    thing = iot.create_thing(thingName="thermostat-1")["thingArn"]
    iot.create_job(
        jobId="fw-2-5-0",
        targets=[thing],
        documentSource=f"https://{BUCKET}.s3.amazonaws.com/jobs/2.5.0.json",
        presignedUrlConfig={"expiresInSec": 300},
    )

    updater = HttpsUpdater()
    result = DeviceAgent("thermostat-1", jobs_data, updater).run_once()

    assert (result.outcome, result.job_id) == (SUCCEEDED, "fw-2-5-0")
    assert updater.images == [IMAGE]
    # The cloud keeps the placeholder; only the device saw a presigned URL.
    assert "${aws:iot:s3-presigned-url:" in iot.get_job_document(jobId="fw-2-5-0")["document"]
    assert iot.describe_job(jobId="fw-2-5-0")["job"]["status"] == "COMPLETED"


def test_a_corrupted_image_fails_the_job(aws: Tuple[Any, Any, Any]) -> None:
    _, iot, jobs_data = aws
    thing = iot.create_thing(thingName="thermostat-2")["thingArn"]
    iot.create_job(jobId="fw-bad", targets=[thing], document=_document("00" * 32), presignedUrlConfig={})
    result = DeviceAgent("thermostat-2", jobs_data, HttpsUpdater()).run_once()
    assert result.outcome != SUCCEEDED
    execution = iot.describe_job_execution(jobId="fw-bad", thingName="thermostat-2")["execution"]
    assert execution["status"] == "FAILED"
