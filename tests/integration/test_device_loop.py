"""The device loop end to end, over every way a device reaches the jobs data plane.

(a) boto3 ``iot-jobs-data`` on its default endpoint, (b) on the DescribeEndpoint
``iot:Jobs`` address, (c) on the ``iot:Data-ATS`` address (signed for
``iot-jobs-data``), and (d) raw HTTPS with ``requests`` to
``data.jobs.iot.<region>.amazonaws.com`` as the HTTPS device API documents it.
"""

from __future__ import annotations

import functools
import json
from typing import Any, Dict, List, Optional
from urllib.parse import urlsplit

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

REGION = "eu-west-1"
NO_RETRY = Config(retries={"max_attempts": 1})
TIMESTAMPS = ("queuedAt", "startedAt", "lastUpdatedAt")


@pytest.fixture(autouse=True)
def _wire_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests watch signed requests travel to each endpoint: the wire path does that."""
    monkeypatch.setenv("MOCK_IOTJOBS_FAST_PATH", "0")


class DeviceError(Exception):
    def __init__(self, code: str, status: int, message: str, body: Dict[str, Any]):
        super().__init__(f"{status} {code}: {message}")
        self.code, self.status, self.message, self.body = code, status, message, body


class Boto3Device:
    """A device using boto3; remembers the raw JSON of every answer and every URL called."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.raw: List[Dict[str, Any]] = []
        self.urls: List[str] = []
        events = client.meta.events
        events.register("before-sign.iot-jobs-data-plane", self._remember_url)
        events.register("before-parse.iot-jobs-data-plane", self._remember_body)

    def _remember_url(self, request: Any, **_: Any) -> None:
        self.urls.append(request.url)

    def _remember_body(self, response_dict: Dict[str, Any], **_: Any) -> None:
        body = response_dict.get("body") or b"{}"
        self.raw.append(json.loads(body))

    def _call(self, operation: str, **params: Any) -> Dict[str, Any]:
        try:
            answer = getattr(self.client, operation)(**params)
        except ClientError as error:
            raise DeviceError(
                error.response["Error"]["Code"],
                error.response["ResponseMetadata"]["HTTPStatusCode"],
                error.response["Error"]["Message"],
                self.raw[-1],
            ) from None
        answer.pop("ResponseMetadata")
        return answer

    def get_pending(self, thing: str) -> Dict[str, Any]:
        return self._call("get_pending_job_executions", thingName=thing)

    def start_next(self, thing: str, **body: Any) -> Dict[str, Any]:
        return self._call("start_next_pending_job_execution", thingName=thing, **body)

    def describe(self, thing: str, job_id: str, **query: Any) -> Dict[str, Any]:
        return self._call("describe_job_execution", thingName=thing, jobId=job_id, **query)

    def update(self, thing: str, job_id: str, **body: Any) -> Dict[str, Any]:
        return self._call("update_job_execution", thingName=thing, jobId=job_id, **body)


class HttpsDevice:
    """A device speaking the documented HTTPS API with ``requests`` (unsigned)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.raw: List[Dict[str, Any]] = []
        self.urls: List[str] = []

    def _send(self, method: str, path: str, body: Optional[Dict[str, Any]] = None,
              query: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        params = {k: (str(v).lower() if isinstance(v, bool) else v) for k, v in (query or {}).items()}
        answer = requests.request(method, self.base + path, json=body, params=params, timeout=5)
        self.urls.append(answer.url)
        data = answer.json() if answer.content else {}
        self.raw.append(data)
        if answer.status_code >= 300:
            raise DeviceError(answer.headers.get("x-amzn-ErrorType", ""), answer.status_code,
                              data.get("message", ""), data)
        return data

    def get_pending(self, thing: str) -> Dict[str, Any]:
        return self._send("GET", f"/things/{thing}/jobs")

    def start_next(self, thing: str, **body: Any) -> Dict[str, Any]:
        return self._send("PUT", f"/things/{thing}/jobs/$next", body)

    def describe(self, thing: str, job_id: str, **query: Any) -> Dict[str, Any]:
        return self._send("GET", f"/things/{thing}/jobs/{job_id}", query=query)

    def update(self, thing: str, job_id: str, **body: Any) -> Dict[str, Any]:
        return self._send("POST", f"/things/{thing}/jobs/{job_id}", body)


TRANSPORTS = ["default-endpoint", "iot-jobs-endpoint", "data-ats-endpoint", "raw-https"]


@functools.lru_cache(maxsize=None)
def _client(service: str, endpoint_url: Optional[str] = None) -> Any:
    """One client per service and endpoint for the whole run: creating clients is slow."""
    return boto3.client(service, region_name=REGION, endpoint_url=endpoint_url, config=NO_RETRY,
                        aws_access_key_id="AKIDDEVICETESTS", aws_secret_access_key="x")


@functools.lru_cache(maxsize=None)
def _boto3_device(endpoint_url: Optional[str] = None) -> Boto3Device:
    return Boto3Device(_client("iot-jobs-data", endpoint_url))


@pytest.fixture
def iot(mock: Any) -> Any:
    return _client("iot")


@pytest.fixture(params=TRANSPORTS)
def device(request: Any, iot: Any) -> Any:
    kind = request.param
    dev: Any
    if kind == "raw-https":
        dev = HttpsDevice(f"https://data.jobs.iot.{REGION}.amazonaws.com")
        dev.expected_host = f"data.jobs.iot.{REGION}.amazonaws.com"
    elif kind == "default-endpoint":
        dev = _boto3_device()
        dev.expected_host = f"data.jobs.iot.{REGION}.amazonaws.com"
    else:
        endpoint_type = "iot:Jobs" if kind == "iot-jobs-endpoint" else "iot:Data-ATS"
        address = iot.describe_endpoint(endpointType=endpoint_type)["endpointAddress"]
        dev = _boto3_device(f"https://{address}")
        dev.expected_host = address
    dev.raw.clear()
    dev.urls.clear()
    return dev


def _thing(iot: Any, name: str) -> str:
    return iot.create_thing(thingName=name)["thingArn"]


def _assert_integer_seconds(payload: Any, now: float) -> int:
    """Every device-plane timestamp in ``payload`` is an int of epoch seconds; returns how many."""
    found = 0
    if isinstance(payload, dict):
        for key, value in payload.items():
            if key in TIMESTAMPS:
                assert type(value) is int, f"{key}={value!r} is not an integer"
                assert abs(value - now) < 120, f"{key}={value} is not epoch seconds near {now}"
                found += 1
            else:
                found += _assert_integer_seconds(value, now)
    elif isinstance(payload, list):
        found += sum(_assert_integer_seconds(item, now) for item in payload)
    return found


def test_the_device_loop(device: Any, iot: Any, mock: Any) -> None:
    arn = _thing(iot, "sensor-1")
    document = json.dumps({"operation": "firmware-update", "version": "2.0"})
    iot.create_job(jobId="ota-1", targets=[arn], document=document)

    pending = device.get_pending("sensor-1")
    assert pending["inProgressJobs"] == []
    [queued] = pending["queuedJobs"]
    assert queued["jobId"] == "ota-1"
    assert queued["versionNumber"] == 1 and queued["executionNumber"] == 1
    assert "startedAt" not in queued

    started = device.start_next("sensor-1", statusDetails={"step": "download"})["execution"]
    assert started["jobId"] == "ota-1"
    assert started["thingName"] == "sensor-1"
    assert started["status"] == "IN_PROGRESS"
    assert started["statusDetails"] == {"step": "download"}
    assert started["versionNumber"] == 2
    assert started["executionNumber"] == 1
    assert json.loads(started["jobDocument"]) == json.loads(document)
    assert started["startedAt"] >= started["queuedAt"]

    progress = device.update("sensor-1", "ota-1", status="IN_PROGRESS",
                             statusDetails={"step": "install", "percent": "50"},
                             expectedVersion=2, includeJobExecutionState=True)
    assert progress == {"executionState": {"status": "IN_PROGRESS",
                                           "statusDetails": {"step": "install", "percent": "50"},
                                           "versionNumber": 3}}

    seen = device.describe("sensor-1", "ota-1")["execution"]
    assert seen["status"] == "IN_PROGRESS"
    assert seen["statusDetails"] == {"step": "install", "percent": "50"}
    assert seen["versionNumber"] == 3
    assert seen["startedAt"] == started["startedAt"]

    done = device.update("sensor-1", "ota-1", status="SUCCEEDED", statusDetails={"step": "done"},
                         expectedVersion=3, includeJobExecutionState=True)
    assert done["executionState"] == {"status": "SUCCEEDED", "statusDetails": {"step": "done"},
                                      "versionNumber": 4}

    assert device.get_pending("sensor-1") == {"inProgressJobs": [], "queuedJobs": []}
    assert "execution" not in device.start_next("sensor-1")
    with pytest.raises(DeviceError) as refused:
        device.describe("sensor-1", "ota-1")
    assert (refused.value.code, refused.value.status) == ("TerminalStateException", 410)

    # The control plane saw all of it.
    job = iot.describe_job(jobId="ota-1")["job"]
    assert job["status"] == "COMPLETED"
    assert job["jobProcessDetails"]["numberOfSucceededThings"] == 1
    assert job["jobProcessDetails"]["numberOfInProgressThings"] == 0
    execution = iot.describe_job_execution(jobId="ota-1", thingName="sensor-1")["execution"]
    assert execution["status"] == "SUCCEEDED"
    assert execution["statusDetails"] == {"detailsMap": {"step": "done"}}
    assert execution["versionNumber"] == 4

    # Every answer carried whole epoch seconds on the wire.
    now = mock.backend(region=REGION).now()
    assert sum(_assert_integer_seconds(raw, now) for raw in device.raw) == 8


def test_requests_went_where_the_transport_says(device: Any, iot: Any) -> None:
    _thing(iot, "sensor-2")
    device.get_pending("sensor-2")
    [url] = device.urls
    assert urlsplit(url).hostname == device.expected_host
    assert urlsplit(url).path == "/things/sensor-2/jobs"


def test_endpoint_addresses_are_the_describe_endpoint_ones(iot: Any) -> None:
    jobs = iot.describe_endpoint(endpointType="iot:Jobs")["endpointAddress"]
    ats = iot.describe_endpoint(endpointType="iot:Data-ATS")["endpointAddress"]
    assert jobs.endswith(f".jobs.iot.{REGION}.amazonaws.com")
    assert ats.endswith(f"-ats.iot.{REGION}.amazonaws.com")
    assert jobs.split(".")[0] + "-ats" == ats.split(".")[0]


def test_each_transport_reaches_the_same_store(iot: Any) -> None:
    """A start over one transport is what every other transport then sees."""
    arn = _thing(iot, "shared")
    iot.create_job(jobId="j", targets=[arn], document="{}")
    jobs_address = iot.describe_endpoint(endpointType="iot:Jobs")["endpointAddress"]
    ats_address = iot.describe_endpoint(endpointType="iot:Data-ATS")["endpointAddress"]
    devices = [
        _boto3_device(),
        _boto3_device(f"https://{jobs_address}"),
        _boto3_device(f"https://{ats_address}"),
        HttpsDevice(f"https://data.jobs.iot.{REGION}.amazonaws.com"),
    ]
    devices[0].start_next("shared")
    for number, dev in enumerate(devices[1:], start=3):
        dev.update("shared", "j", status="IN_PROGRESS", expectedVersion=number - 1)
    for dev in devices:
        assert dev.describe("shared", "j")["execution"]["versionNumber"] == 5


def test_raw_https_paths_and_shapes(iot: Any, mock: Any) -> None:
    """The documented HTTPS requests, checked on the raw JSON bodies."""
    base = f"https://data.jobs.iot.{REGION}.amazonaws.com"
    arn = _thing(iot, "raw")
    iot.create_job(jobId="raw-job", targets=[arn], document='{"x": 1}')
    now = mock.backend(region=REGION).now()

    pending = requests.get(f"{base}/things/raw/jobs", timeout=5)
    assert pending.status_code == 200
    assert pending.headers["Content-Type"].startswith("application/json")
    body = pending.json()
    assert set(body) == {"inProgressJobs", "queuedJobs"}
    assert _assert_integer_seconds(body, now) == 2

    started = requests.put(f"{base}/things/raw/jobs/$next", json={"statusDetails": {"a": "b"}}, timeout=5)
    assert started.status_code == 200
    execution = started.json()["execution"]
    assert execution["status"] == "IN_PROGRESS" and execution["statusDetails"] == {"a": "b"}
    assert _assert_integer_seconds(execution, now) == 3

    described = requests.get(f"{base}/things/raw/jobs/raw-job",
                             params={"includeJobDocument": "false", "executionNumber": "1"}, timeout=5)
    assert described.status_code == 200
    assert "jobDocument" not in described.json()["execution"]

    updated = requests.post(f"{base}/things/raw/jobs/raw-job",
                            json={"status": "SUCCEEDED", "includeJobDocument": True}, timeout=5)
    assert updated.status_code == 200
    assert updated.json() == {"jobDocument": '{"x":1}'}

    gone = requests.get(f"{base}/things/raw/jobs/raw-job", timeout=5)
    assert gone.status_code == 410
    assert gone.headers["x-amzn-ErrorType"].split(":")[0] == "TerminalStateException"
    assert "message" in gone.json()


def test_raw_https_on_the_iot_jobs_address(iot: Any) -> None:
    """An unsigned caller on the DescribeEndpoint iot:Jobs address reaches the device plane."""
    arn = _thing(iot, "raw-jobs")
    iot.create_job(jobId="j", targets=[arn], document="{}")
    address = iot.describe_endpoint(endpointType="iot:Jobs")["endpointAddress"]
    pending = requests.get(f"https://{address}/things/raw-jobs/jobs", timeout=5)
    assert pending.status_code == 200
    assert [s["jobId"] for s in pending.json()["queuedJobs"]] == ["j"]
    started = requests.put(f"https://{address}/things/raw-jobs/jobs/%24next", timeout=5)
    assert started.status_code == 200
    assert started.json()["execution"]["status"] == "IN_PROGRESS"
