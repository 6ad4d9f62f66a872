"""Server mode end to end: boto3 clients over real HTTP on loopback.

Every server here listens on 127.0.0.1, port 0 (a free port), in a background
thread, and is always shut down.  Job and device-plane tests are written
against the documented API and skip until their handlers are registered.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import select
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from requests.structures import CaseInsensitiveDict

from mock_iotjobs.backend.state import BackendStore
from mock_iotjobs.handlers.base import HANDLERS
from mock_iotjobs.interception import current_store
from mock_iotjobs.server import ServerThread, dump_state, make_app, run_server, running_server

REPO = Path(__file__).resolve().parents[2]
ACCOUNT = "123456789012"
REGION = "us-east-1"
CONFIG = Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=20)
# One session for every client: building a session is slow; clients are made on the
# main thread and are then safe to use from worker threads.
SESSION = boto3.session.Session()


# --- fixtures and helpers -------------------------------------------------------
@pytest.fixture(scope="module")
def server() -> Iterator[ServerThread]:
    with ServerThread(port=0) as running:
        yield running


@pytest.fixture(autouse=True)
def _fresh_state(server: ServerThread) -> None:
    server.store.reset()


@pytest.fixture
def url(server: ServerThread) -> str:
    return server.url


def client(url: str, service: str = "iot", key: str = "AKIDMOCKIOTJOBS", region: str = REGION) -> Any:
    return SESSION.client(
        service,
        endpoint_url=url,
        region_name=region,
        aws_access_key_id=key,
        aws_secret_access_key="mock-secret",
        config=CONFIG,
    )


def http(
    url: str,
    method: str = "GET",
    body: Optional[bytes] = None,
    headers: Optional[Dict[str, str]] = None,
) -> Tuple[int, Dict[str, str], bytes]:
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.status, CaseInsensitiveDict(reply.headers.items()), reply.read()
    except urllib.error.HTTPError as error:
        # HTTP header names are case-insensitive (waitress sends X-Amzn-Errortype).
        return error.code, CaseInsensitiveDict(error.headers.items()), error.read()


def admin(url: str, name: str, payload: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    body = None if payload is None else json.dumps(payload).encode()
    headers = {"Content-Type": "application/json"} if body is not None else {}
    status, _, data = http(f"{url}/_mock_iotjobs/{name}", "POST" if body is not None else "GET", body, headers)
    assert status == 200, data
    result: Dict[str, Any] = json.loads(data)
    return result


def require(*operations: Tuple[str, str]) -> None:
    missing = [f"{service} {name}" for service, name in operations if (service, name) not in HANDLERS]
    if missing:
        pytest.skip("not implemented yet: " + ", ".join(missing))


JOB_OPS = [
    ("iot", "CreateThingGroup"),
    ("iot", "AddThingToThingGroup"),
    ("iot", "CreateJob"),
    ("iot", "DescribeJob"),
    ("iot-jobs-data", "GetPendingJobExecutions"),
    ("iot-jobs-data", "StartNextPendingJobExecution"),
    ("iot-jobs-data", "UpdateJobExecution"),
]


def error_code(error: ClientError) -> str:
    return str(error.response["Error"]["Code"])


# --- things, endpoints and errors over HTTP -------------------------------------
def test_things_round_trip_over_http(url: str) -> None:
    iot = client(url)
    created = iot.create_thing(thingName="sensor-1", attributePayload={"attributes": {"fw": "1.0"}})
    assert created["thingArn"] == f"arn:aws:iot:{REGION}:{ACCOUNT}:thing/sensor-1"
    # The reply really crossed a socket: the waitress server answered, not the in-process hook.
    assert created["ResponseMetadata"]["HTTPHeaders"]["server"] == "mock_iotjobs"
    assert current_store() is None
    described = iot.describe_thing(thingName="sensor-1")
    assert (described["thingId"], described["attributes"], described["version"]) == (
        created["thingId"],
        {"fw": "1.0"},
        1,
    )
    iot.update_thing(thingName="sensor-1", attributePayload={"attributes": {"fw": "1.1"}, "merge": True})
    assert iot.describe_thing(thingName="sensor-1")["version"] == 2
    iot.delete_thing(thingName="sensor-1")
    with pytest.raises(ClientError) as caught:
        iot.describe_thing(thingName="sensor-1")
    assert error_code(caught.value) == "ResourceNotFoundException"


def test_percent_encoded_names_survive_the_socket(url: str) -> None:
    iot = client(url)
    iot.create_thing(thingName="line:7_a-b")
    assert iot.describe_thing(thingName="line:7_a-b")["thingName"] == "line:7_a-b"


def test_list_things_paginates(url: str) -> None:
    iot = client(url)
    names = [f"dev-{i:02d}" for i in range(7)]
    for name in names:
        iot.create_thing(thingName=name)
    first = iot.list_things(maxResults=3)
    assert [t["thingName"] for t in first["things"]] == names[:3]
    assert first["nextToken"]
    seen: List[str] = []
    for page in iot.get_paginator("list_things").paginate(PaginationConfig={"PageSize": 3}):
        assert len(page["things"]) <= 3
        seen.extend(t["thingName"] for t in page["things"])
    assert seen == names


def test_describe_endpoint(url: str) -> None:
    iot = client(url)
    jobs = iot.describe_endpoint(endpointType="iot:Jobs")["endpointAddress"]
    ats = iot.describe_endpoint(endpointType="iot:Data-ATS")["endpointAddress"]
    assert re.fullmatch(r"[a-z0-9]+\.jobs\.iot\.us-east-1\.amazonaws\.com", jobs)
    assert re.fullmatch(r"[a-z0-9]+-ats\.iot\.us-east-1\.amazonaws\.com", ats)
    assert jobs.split(".")[0] == ats.split("-ats.")[0]


def test_validation_error_is_aws_shaped(url: str) -> None:
    iot = client(url)
    with pytest.raises(ClientError) as caught:
        iot.create_thing(thingName="bad name!")
    response = caught.value.response
    assert error_code(caught.value) == "InvalidRequestException"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert response["Error"]["Message"].startswith("1 validation error detected: Value 'bad name!'")
    assert "thingName" in response["Error"]["Message"]
    assert iot.list_things()["things"] == []  # a refused call changes nothing


def test_error_body_and_headers_on_the_wire(url: str) -> None:
    status, headers, body = http(f"{url}/things/ghost")
    assert status == 404
    assert headers["x-amzn-ErrorType"] == "ResourceNotFoundException"
    assert headers["x-amzn-RequestId"]
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body) == {"message": "Thing ghost cannot be found."}


def test_unknown_route_is_404(url: str) -> None:
    status, headers, body = http(f"{url}/no/such/route", "POST", b"{}")
    assert status == 404
    assert headers["x-amzn-ErrorType"] == "UnknownOperationException"
    assert "message" in json.loads(body)


def test_malformed_json_body_is_a_4xx_not_a_500(url: str) -> None:
    status, headers, body = http(f"{url}/things/t1", "POST", b"{not json", {"Content-Type": "application/json"})
    assert 400 <= status < 500, body
    assert headers["x-amzn-ErrorType"]


def test_data_jobs_host_selects_the_device_plane_even_unsigned(url: str) -> None:
    client(url).create_thing(thingName="t1")
    path = f"{url}/things/t1/jobs/$next"
    # On the control plane nothing answers PUT .../jobs/$next ...
    status, headers, _ = http(path, "PUT", b"{}", {"Host": "127.0.0.1"})
    assert (status, headers["x-amzn-ErrorType"]) == (404, "UnknownOperationException")
    # ... on the device plane StartNextPendingJobExecution does.
    host = "data.jobs.iot.us-east-1.amazonaws.com"
    status, headers, body = http(path, "PUT", b"{}", {"Host": host})
    assert headers.get("x-amzn-ErrorType") != "UnknownOperationException"
    if ("iot-jobs-data", "StartNextPendingJobExecution") in HANDLERS:
        assert status == 200, body
    else:
        assert status == 501 and b"iot-jobs-data" in body


def test_access_key_of_twelve_digits_selects_the_account(url: str) -> None:
    other = client(url, key="111122223333")
    arn = other.create_thing(thingName="theirs")["thingArn"]
    assert arn == f"arn:aws:iot:{REGION}:111122223333:thing/theirs"
    with pytest.raises(ClientError):
        client(url).describe_thing(thingName="theirs")
    # Regions are separate too.
    with pytest.raises(ClientError):
        client(url, key="111122223333", region="eu-west-1").describe_thing(thingName="theirs")


# --- admin endpoints --------------------------------------------------------------
def test_state_dump_shows_things_and_reset_empties_it(url: str) -> None:
    iot = client(url)
    iot.create_thing(thingName="a", attributePayload={"attributes": {"k": "v"}})
    iot.create_thing(thingName="b")
    client(url, key="111122223333").create_thing(thingName="c")
    state = admin(url, "state")
    assert isinstance(state["now"], float)
    by_key = {(b["accountId"], b["region"]): b for b in state["backends"]}
    mine = by_key[(ACCOUNT, REGION)]
    assert [t["thingName"] for t in mine["things"]] == ["a", "b"]
    assert mine["things"][0]["attributes"] == {"k": "v"}
    assert mine["things"][0]["thingArn"].endswith(":thing/a")
    assert [t["thingName"] for t in by_key[("111122223333", REGION)]["things"]] == ["c"]

    assert admin(url, "reset", {}) == {"reset": True}
    assert admin(url, "state")["backends"] == []
    with pytest.raises(ClientError):
        iot.describe_thing(thingName="a")


def test_advance_time_moves_the_clock(url: str) -> None:
    before = admin(url, "state")["now"]
    moved = admin(url, "advance-time", {"minutes": 30, "seconds": 15})
    assert moved["advancedSeconds"] == 1815
    assert 1815 <= moved["now"] - moved["previous"] < 1815 + 5
    assert 1815 <= moved["now"] - before < 1815 + 30
    assert moved["nowIso"].endswith("Z")
    again = admin(url, "advance-time", {"hours": 2})
    assert 7200 <= again["now"] - moved["now"] < 7200 + 5
    # The mock's clock is what the backend uses: a new thing's timestamps follow it.
    assert admin(url, "state")["now"] >= again["now"]


@pytest.mark.parametrize(
    "payload",
    [b'{"minutes": -1}', b'{"days": 1}', b'{"seconds": "10"}', b"[1]", b"{oops"],
)
def test_advance_time_rejects_bad_bodies(url: str, payload: bytes) -> None:
    json_type = {"Content-Type": "application/json"}
    status, headers, body = http(f"{url}/_mock_iotjobs/advance-time", "POST", payload, json_type)
    assert status == 400, body
    assert json.loads(body)["message"]


def test_admin_unknown_endpoint_and_wrong_method(url: str) -> None:
    status, _, _ = http(f"{url}/_mock_iotjobs/nope")
    assert status == 404
    status, headers, _ = http(f"{url}/_mock_iotjobs/reset")
    assert status == 405 and headers["Allow"] == "POST"
    assert admin(url, "health") == {"status": "ok"}


def test_state_dump_uses_a_backend_snapshot_when_there_is_one() -> None:
    store = BackendStore()
    backend = store.get(ACCOUNT, REGION)
    backend.snapshot = lambda: {"things": [], "custom": {1, 2}}  # type: ignore[method-assign]
    dumped = dump_state(store)
    assert dumped["backends"] == [{"accountId": ACCOUNT, "region": REGION, "things": [], "custom": [1, 2]}]
    json.dumps(dumped)


def test_state_dump_falls_back_to_things_without_a_snapshot() -> None:
    store = BackendStore()
    backend = store.get(ACCOUNT, REGION)
    backend.snapshot = None  # type: ignore[assignment,method-assign]
    backend.things.create("plain", attributes={"k": "v"})
    (dumped,) = dump_state(store)["backends"]
    assert [(t["thingName"], t["attributes"]) for t in dumped["things"]] == [("plain", {"k": "v"})]
    json.dumps(dumped)


# --- the helpers users call ---------------------------------------------------------
def test_running_server_context_manager_and_shared_store() -> None:
    store = BackendStore()
    with running_server(port=0, store=store) as url:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url)
        assert not url.endswith(":0")
        client(url).create_thing(thingName="shared")
    assert "shared" in store.get(ACCOUNT, REGION).things.by_name
    # Stopped: the port no longer answers.
    with pytest.raises(OSError):
        urllib.request.urlopen(f"{url}/_mock_iotjobs/health", timeout=2)


def test_make_app_is_a_plain_wsgi_app() -> None:
    from werkzeug.test import Client

    app = make_app()
    reply = Client(app).post("/things/w1", headers={"Host": "127.0.0.1"}, data=b"{}", content_type="application/json")
    assert reply.status_code == 200, reply.data
    assert reply.json is not None and reply.json["thingName"] == "w1"
    assert "w1" in app.store.get(ACCOUNT, REGION).things.by_name


def test_request_log_has_one_line_per_request() -> None:
    lines: List[str] = []

    class Sink:
        def write(self, text: str) -> None:
            lines.append(text)

        def flush(self) -> None:
            pass

    with running_server(log=Sink()) as url:  # type: ignore[arg-type]
        client(url).create_thing(thingName="logged")
        http(f"{url}/things/missing")
    assert len(lines) == 2
    assert re.match(r"127\.0\.0\.1 iot POST /things/logged 200 [\d.]+ms\n", lines[0])
    assert " 404 ResourceNotFoundException " in lines[1]


# --- concurrent clients -------------------------------------------------------------
def _run_threads(workers: List[threading.Thread], timeout: float = 60) -> None:
    for worker in workers:
        worker.start()
    deadline = time.monotonic() + timeout
    for worker in workers:
        worker.join(max(0.0, deadline - time.monotonic()))
    assert not any(w.is_alive() for w in workers), "workers did not finish in time"


def test_concurrent_creates(url: str) -> None:
    clients = [client(url) for _ in range(8)]
    errors: List[BaseException] = []

    def work(index: int) -> None:
        try:
            for n in range(10):
                clients[index].create_thing(thingName=f"w{index}-{n}")
        except BaseException as error:  # reported by the main thread
            errors.append(error)

    _run_threads([threading.Thread(target=work, args=(i,)) for i in range(8)])
    assert errors == []
    listed = [t["thingName"] for t in clients[0].get_paginator("list_things").paginate().search("things")]
    assert sorted(listed) == sorted(f"w{i}-{n}" for i in range(8) for n in range(10))


def test_concurrent_updates_with_expected_version_lose_nothing(url: str) -> None:
    # A thing without a thing type can have only three attributes; the six workers write six.
    client(url).create_thing_type(thingTypeName="counter")
    client(url).create_thing(thingName="shared", thingTypeName="counter")
    workers, per_worker = 6, 5
    clients = [client(url) for _ in range(workers)]
    successes = [0] * workers
    conflicts = [0] * workers
    errors: List[BaseException] = []

    def work(index: int) -> None:
        iot = clients[index]
        deadline = time.monotonic() + 45
        try:
            while successes[index] < per_worker and time.monotonic() < deadline:
                version = iot.describe_thing(thingName="shared")["version"]
                try:
                    iot.update_thing(
                        thingName="shared",
                        expectedVersion=version,
                        attributePayload={
                            "attributes": {f"w{index}": str(successes[index] + 1)},
                            "merge": True,
                        },
                    )
                except ClientError as error:
                    assert error_code(error) == "VersionConflictException", error
                    conflicts[index] += 1
                    continue
                successes[index] += 1
        except BaseException as error:
            errors.append(error)

    _run_threads([threading.Thread(target=work, args=(i,)) for i in range(workers)])
    assert errors == []
    assert successes == [per_worker] * workers
    described = client(url).describe_thing(thingName="shared")
    assert described["version"] == sum(successes) + 1
    # Every worker's last write survived the merge: no update was lost.
    assert described["attributes"] == {f"w{i}": str(per_worker) for i in range(workers)}


# --- jobs and the device loop (run once the handlers exist) -----------------------
def _fleet(url: str, names: List[str], group: str = "fleet") -> str:
    iot = client(url)
    for name in names:
        iot.create_thing(thingName=name)
    arn: str = iot.create_thing_group(thingGroupName=group)["thingGroupArn"]
    for name in names:
        iot.add_thing_to_thing_group(thingGroupName=group, thingName=name)
    return arn


def test_group_job_and_device_loop_over_http(url: str) -> None:
    require(*JOB_OPS)
    iot, device = client(url), client(url, "iot-jobs-data")
    group_arn = _fleet(url, ["cam-1", "cam-2"])
    document = {"operation": "update", "version": "2.0"}
    created = iot.create_job(
        jobId="ota-2-0",
        targets=[group_arn],
        document=json.dumps(document),
        targetSelection="SNAPSHOT",
    )
    assert created["jobArn"] == f"arn:aws:iot:{REGION}:{ACCOUNT}:job/ota-2-0"
    job = iot.describe_job(jobId="ota-2-0")["job"]
    assert job["status"] == "IN_PROGRESS"
    assert job["jobProcessDetails"]["numberOfQueuedThings"] == 2

    pending = device.get_pending_job_executions(thingName="cam-1")
    assert [j["jobId"] for j in pending["queuedJobs"]] == ["ota-2-0"]
    assert pending["inProgressJobs"] == []

    started = device.start_next_pending_job_execution(thingName="cam-1", statusDetails={"step": "download"})[
        "execution"
    ]
    assert (started["jobId"], started["status"]) == ("ota-2-0", "IN_PROGRESS")
    assert started["statusDetails"] == {"step": "download"}
    assert json.loads(started["jobDocument"]) == document
    assert isinstance(started["startedAt"], int)  # data-plane timestamps are epoch seconds

    progress = device.update_job_execution(
        jobId="ota-2-0",
        thingName="cam-1",
        status="IN_PROGRESS",
        statusDetails={"step": "install"},
        expectedVersion=started["versionNumber"],
        includeJobExecutionState=True,
    )
    assert progress["executionState"]["versionNumber"] == started["versionNumber"] + 1
    device.update_job_execution(jobId="ota-2-0", thingName="cam-1", status="SUCCEEDED")

    details = iot.describe_job(jobId="ota-2-0")["job"]["jobProcessDetails"]
    assert details["numberOfSucceededThings"] == 1
    assert details["numberOfQueuedThings"] == 1
    assert iot.describe_job(jobId="ota-2-0")["job"]["status"] == "IN_PROGRESS"

    device.start_next_pending_job_execution(thingName="cam-2")
    device.update_job_execution(jobId="ota-2-0", thingName="cam-2", status="FAILED")
    job = iot.describe_job(jobId="ota-2-0")["job"]
    assert job["status"] == "COMPLETED"
    assert job["jobProcessDetails"]["numberOfSucceededThings"] == 1
    assert job["jobProcessDetails"]["numberOfFailedThings"] == 1
    assert device.get_pending_job_executions(thingName="cam-2")["queuedJobs"] == []

    with pytest.raises(ClientError) as caught:
        device.update_job_execution(jobId="ota-2-0", thingName="cam-1", status="IN_PROGRESS")
    assert error_code(caught.value) == "InvalidStateTransitionException"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409


def test_device_plane_start_next_with_nothing_pending(url: str) -> None:
    require(("iot-jobs-data", "StartNextPendingJobExecution"))
    client(url).create_thing(thingName="idle")
    reply = client(url, "iot-jobs-data").start_next_pending_job_execution(thingName="idle")
    assert "execution" not in reply


def test_advance_time_fires_timeouts_and_state_shows_jobs(url: str) -> None:
    require(*JOB_OPS, ("iot", "DescribeJobExecution"))
    iot, device = client(url), client(url, "iot-jobs-data")
    group_arn = _fleet(url, ["slow"])
    iot.create_job(
        jobId="timed",
        targets=[group_arn],
        document="{}",
        timeoutConfig={"inProgressTimeoutInMinutes": 1},
    )
    device.start_next_pending_job_execution(thingName="slow")
    assert "timed" in json.dumps(admin(url, "state"))
    admin(url, "advance-time", {"seconds": 30})
    execution = iot.describe_job_execution(jobId="timed", thingName="slow")["execution"]
    assert execution["status"] == "IN_PROGRESS"
    admin(url, "advance-time", {"minutes": 1})
    execution = iot.describe_job_execution(jobId="timed", thingName="slow")["execution"]
    assert execution["status"] == "TIMED_OUT"
    details = iot.describe_job(jobId="timed")["job"]["jobProcessDetails"]
    assert details["numberOfTimedOutThings"] == 1


def test_concurrent_devices_finish_one_job(url: str) -> None:
    require(*JOB_OPS)
    names = [f"node-{i}" for i in range(8)]
    group_arn = _fleet(url, names)
    iot = client(url)
    iot.create_job(jobId="fleet-wide", targets=[group_arn], document='{"op":"reboot"}')
    devices = {name: client(url, "iot-jobs-data") for name in names}
    errors: List[BaseException] = []

    def device_loop(name: str) -> None:
        try:
            jd = devices[name]
            execution = jd.start_next_pending_job_execution(thingName=name)["execution"]
            version = execution["versionNumber"]
            for step in range(3):
                state = jd.update_job_execution(
                    jobId="fleet-wide",
                    thingName=name,
                    status="IN_PROGRESS",
                    statusDetails={"step": str(step)},
                    expectedVersion=version,
                    includeJobExecutionState=True,
                )["executionState"]
                version = state["versionNumber"]
            jd.update_job_execution(jobId="fleet-wide", thingName=name, status="SUCCEEDED", expectedVersion=version)
        except BaseException as error:
            errors.append(error)

    _run_threads([threading.Thread(target=device_loop, args=(n,)) for n in names])
    assert errors == []
    job = iot.describe_job(jobId="fleet-wide")["job"]
    assert job["status"] == "COMPLETED"
    assert job["jobProcessDetails"]["numberOfSucceededThings"] == len(names)


def test_concurrent_updates_of_one_execution_keep_versions(url: str) -> None:
    require(*JOB_OPS)
    group_arn = _fleet(url, ["busy"])
    client(url).create_job(jobId="contended", targets=[group_arn], document="{}")
    workers, per_worker = 5, 4
    devices = [client(url, "iot-jobs-data") for _ in range(workers)]
    start = devices[0].start_next_pending_job_execution(thingName="busy")["execution"]
    successes = [0] * workers
    errors: List[BaseException] = []

    def work(index: int) -> None:
        jd = devices[index]
        deadline = time.monotonic() + 45
        try:
            while successes[index] < per_worker and time.monotonic() < deadline:
                current = jd.describe_job_execution(jobId="contended", thingName="busy")
                version = current["execution"]["versionNumber"]
                try:
                    jd.update_job_execution(
                        jobId="contended",
                        thingName="busy",
                        status="IN_PROGRESS",
                        statusDetails={f"w{index}": str(successes[index] + 1)},
                        expectedVersion=version,
                    )
                except ClientError as error:
                    status = error.response["ResponseMetadata"]["HTTPStatusCode"]
                    assert status in (400, 409) and "version" in str(error).lower(), error
                    continue
                successes[index] += 1
        except BaseException as error:
            errors.append(error)

    _run_threads([threading.Thread(target=work, args=(i,)) for i in range(workers)])
    assert errors == []
    final = devices[0].describe_job_execution(jobId="contended", thingName="busy")["execution"]
    assert final["versionNumber"] == start["versionNumber"] + sum(successes)


# --- the command line ---------------------------------------------------------------
def _spawn(*args: str) -> "subprocess.Popen[bytes]":
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    return subprocess.Popen(
        [sys.executable, "-m", "mock_iotjobs", *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        bufsize=0,
    )


def _read_line(stream: Any, timeout: float = 20) -> str:
    deadline = time.monotonic() + timeout
    line = b""
    while not line.endswith(b"\n"):
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([stream], [], [], remaining)[0]:
            raise AssertionError(f"no complete line within {timeout}s (got {line!r})")
        chunk = stream.read(1)
        if not chunk:
            break
        line += chunk
    return line.decode()


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_serve_command_prints_url_logs_and_stops_cleanly(stop_signal: int) -> None:
    process = _spawn("serve", "--host", "127.0.0.1", "--port", "0", "--log")
    try:
        banner = _read_line(process.stdout)
        match = re.fullmatch(r"mock_iotjobs listening on (http://127\.0\.0\.1:(\d+))\n", banner)
        assert match, banner
        assert match.group(2) != "0"
        url = match.group(1)
        details = [_read_line(process.stdout) for _ in range(4)]  # MQTT, scope, admin, state
        assert "account 123456789012, region us-east-1" in details[1], details
        assert f"GET {url}/_mock_iotjobs/state" in details[2], details
        client(url).create_thing(thingName="via-cli-server")
        assert client(url).describe_thing(thingName="via-cli-server")["version"] == 1
        log_line = _read_line(process.stdout)
        assert " iot POST /things/via-cli-server 200 " in log_line
        process.send_signal(stop_signal)
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        assert process.stdout is not None and process.stderr is not None
        process.stdout.close()
        process.stderr.close()


def test_run_server_on_a_busy_port_fails_clearly(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        args = argparse.Namespace(host="127.0.0.1", port=port, mqtt_port=None, log=False)
        assert run_server(args) == 1
    assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err


def test_serve_with_mqtt_port_without_mqtt_support_fails_clearly() -> None:
    try:
        import mock_iotjobs.mqtt  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("mock_iotjobs.mqtt exists; covered by the MQTT tests")
    process = _spawn("serve", "--port", "0", "--mqtt-port", "0")
    try:
        _, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode != 0
    assert b"MQTT" in stderr
