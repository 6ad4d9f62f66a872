"""The AWS CLI (v1, ``python -m awscli``) against server mode on loopback.

Each command is a real subprocess with dummy credentials and
``--endpoint-url``; the server runs in this process on a free 127.0.0.1 port.
Job and device-loop tests skip until their handlers are registered.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any, Dict, Iterator, List, Tuple

import boto3
import pytest

from mock_iotjobs.handlers.base import HANDLERS
from mock_iotjobs.server import ServerThread

pytest.importorskip("awscli")

ACCOUNT = "123456789012"
REGION = "us-east-1"


@pytest.fixture(scope="module")
def server() -> Iterator[ServerThread]:
    with ServerThread(port=0) as running:
        yield running


@pytest.fixture
def url(server: ServerThread) -> str:
    server.store.reset()
    return server.url


def _env(key: str) -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    missing = os.path.join(os.path.dirname(__file__), "does-not-exist")
    env.update(
        AWS_ACCESS_KEY_ID=key,
        AWS_SECRET_ACCESS_KEY="mock-secret",
        AWS_DEFAULT_REGION=REGION,
        AWS_CONFIG_FILE=os.path.join(missing, "config"),
        AWS_SHARED_CREDENTIALS_FILE=os.path.join(missing, "credentials"),
        AWS_MAX_ATTEMPTS="1",
        AWS_RETRY_MODE="standard",
        AWS_EC2_METADATA_DISABLED="true",
        AWS_PAGER="",
    )
    return env


def aws(url: str, *args: str, key: str = "AKIDMOCKIOTJOBS") -> "subprocess.CompletedProcess[str]":
    """Run one CLI command against the server; never waits more than a minute."""
    command = [sys.executable, "-m", "awscli", *args, "--endpoint-url", url, "--output", "json"]
    command += ["--cli-connect-timeout", "5", "--cli-read-timeout", "30"]
    return subprocess.run(command, env=_env(key), capture_output=True, text=True, timeout=60)


def aws_json(url: str, *args: str, key: str = "AKIDMOCKIOTJOBS") -> Any:
    done = aws(url, *args, key=key)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout) if done.stdout.strip() else {}


def require(*operations: Tuple[str, str]) -> None:
    missing = [f"{service} {name}" for service, name in operations if (service, name) not in HANDLERS]
    if missing:
        pytest.skip("not implemented yet: " + ", ".join(missing))


def test_create_and_describe_thing(url: str) -> None:
    created = aws_json(
        url, "iot", "create-thing", "--thing-name", "cli-dev-1", "--attribute-payload", '{"attributes":{"fw":"1.0"}}'
    )
    assert created["thingArn"] == f"arn:aws:iot:{REGION}:{ACCOUNT}:thing/cli-dev-1"
    described = aws_json(url, "iot", "describe-thing", "--thing-name", "cli-dev-1")
    assert described["thingId"] == created["thingId"]
    assert described["attributes"] == {"fw": "1.0"}
    assert described["version"] == 1


def test_cli_paginates_list_things(url: str, server: ServerThread) -> None:
    backend = server.store.get(ACCOUNT, REGION)
    with backend.lock:
        for i in range(5):
            backend.things.create(f"paged-{i}")
    # --page-size 2 makes the CLI follow nextToken through three requests.
    listed = aws_json(url, "iot", "list-things", "--page-size", "2")
    assert [t["thingName"] for t in listed["things"]] == [f"paged-{i}" for i in range(5)]


def test_describe_endpoint(url: str) -> None:
    address = aws_json(url, "iot", "describe-endpoint", "--endpoint-type", "iot:Jobs")["endpointAddress"]
    assert address.endswith(".jobs.iot.us-east-1.amazonaws.com")


def test_missing_thing_exits_non_zero_with_the_aws_error(url: str) -> None:
    done = aws(url, "iot", "describe-thing", "--thing-name", "nobody")
    assert done.returncode != 0
    assert "(ResourceNotFoundException)" in done.stderr
    assert "DescribeThing" in done.stderr
    assert "Thing nobody cannot be found." in done.stderr


def test_invalid_name_exits_non_zero_with_the_validation_error(url: str) -> None:
    done = aws(url, "iot", "create-thing", "--thing-name", "no spaces allowed")
    assert done.returncode != 0
    assert "(InvalidRequestException)" in done.stderr
    assert "1 validation error detected" in done.stderr


def test_access_key_selects_the_account(url: str, server: ServerThread) -> None:
    created = aws_json(url, "iot", "create-thing", "--thing-name", "theirs", key="210987654321")
    assert ":210987654321:thing/theirs" in created["thingArn"]
    assert "theirs" in server.store.get("210987654321", REGION).things.by_name
    assert "theirs" not in server.store.get(ACCOUNT, REGION).things.by_name


def _device_loop(url: str, thing: str, job_id: str, outcome: str) -> None:
    pending = aws_json(url, "iot-jobs-data", "get-pending-job-executions", "--thing-name", thing)
    assert job_id in [j["jobId"] for j in pending["queuedJobs"] + pending["inProgressJobs"]]
    started = aws_json(
        url,
        "iot-jobs-data",
        "start-next-pending-job-execution",
        "--thing-name",
        thing,
        "--status-details",
        '{"step":"download"}',
    )["execution"]
    assert (started["jobId"], started["status"]) == (job_id, "IN_PROGRESS")
    assert json.loads(started["jobDocument"]) == {"operation": "reboot"}
    state = aws_json(
        url,
        "iot-jobs-data",
        "update-job-execution",
        "--job-id",
        job_id,
        "--thing-name",
        thing,
        "--status",
        outcome,
        "--expected-version",
        str(started["versionNumber"]),
        "--include-job-execution-state",
    )["executionState"]
    assert state["status"] == outcome
    assert state["versionNumber"] == started["versionNumber"] + 1


def test_group_targeted_job_and_device_loop(url: str) -> None:
    require(
        ("iot", "CreateThingGroup"),
        ("iot", "AddThingToThingGroup"),
        ("iot", "CreateJob"),
        ("iot", "DescribeJob"),
        ("iot-jobs-data", "GetPendingJobExecutions"),
        ("iot-jobs-data", "StartNextPendingJobExecution"),
        ("iot-jobs-data", "UpdateJobExecution"),
    )
    # The fleet is set up in-process (the CLI's own create-thing is tested above);
    # the job, the device loops and the checks go through the CLI.
    things: List[str] = ["cli-a", "cli-b"]
    iot = boto3.session.Session().client(
        "iot", endpoint_url=url, region_name=REGION, aws_access_key_id="AKIDMOCK", aws_secret_access_key="x"
    )
    group_arn = iot.create_thing_group(thingGroupName="cli-fleet")["thingGroupArn"]
    for thing in things:
        iot.create_thing(thingName=thing)
        iot.add_thing_to_thing_group(thingGroupName="cli-fleet", thingName=thing)
    created = aws_json(
        url,
        "iot",
        "create-job",
        "--job-id",
        "cli-reboot",
        "--targets",
        group_arn,
        "--document",
        '{"operation":"reboot"}',
        "--target-selection",
        "SNAPSHOT",
    )
    assert created["jobId"] == "cli-reboot"
    _device_loop(url, "cli-a", "cli-reboot", "SUCCEEDED")
    # The other device is a boto3 client; the CLI sees the job complete.
    device = boto3.session.Session().client(
        "iot-jobs-data", endpoint_url=url, region_name=REGION, aws_access_key_id="AKIDMOCK", aws_secret_access_key="x"
    )
    device.start_next_pending_job_execution(thingName="cli-b")
    device.update_job_execution(jobId="cli-reboot", thingName="cli-b", status="FAILED")
    job = aws_json(url, "iot", "describe-job", "--job-id", "cli-reboot")["job"]
    assert job["status"] == "COMPLETED"
    assert job["jobProcessDetails"]["numberOfSucceededThings"] == 1
    assert job["jobProcessDetails"]["numberOfFailedThings"] == 1

    # A terminal execution cannot change: the CLI exits non-zero with AWS's error.
    done = aws(
        url,
        "iot-jobs-data",
        "update-job-execution",
        "--job-id",
        "cli-reboot",
        "--thing-name",
        "cli-a",
        "--status",
        "IN_PROGRESS",
    )
    assert done.returncode != 0
    assert "(InvalidStateTransitionException)" in done.stderr
