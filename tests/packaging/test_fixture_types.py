"""mypy sees the fixture types in a user's annotated tests: MockIotJobs for the
handle, mypy-boto3's clients through mock_iotjobs.clients (when installed)."""

from __future__ import annotations

import os
import sys
import textwrap
from pathlib import Path

import pytest
from userproject import REPO, clean_env, run

pytest.importorskip("mypy")

GOOD = '''
from typing import List

from mock_iotjobs import JobView, MockIotJobs
from mock_iotjobs.clients import IotClient, IotJobsDataClient


def test_typed(iot_jobs_backend: MockIotJobs, iot_client: IotClient, iot_jobs_data_client: IotJobsDataClient) -> None:
    names: List[str] = iot_jobs_backend.create_fleet(2, group="g")
    arn: str = iot_client.describe_thing_group(thingGroupName="g")["thingGroupArn"]
    iot_client.create_job(jobId="j", targets=[arn], document="{}")
    pending = iot_jobs_data_client.get_pending_job_executions(thingName=names[0])
    assert pending["queuedJobs"]
    job: JobView = iot_jobs_backend.job("j")
    now: float = iot_jobs_backend.advance_time(minutes=1)
    assert job.status and now
'''

BAD = '''
from mock_iotjobs import MockIotJobs
from mock_iotjobs.clients import IotClient, IotJobsDataClient


def test_typed(iot_jobs_backend: MockIotJobs, iot_client: IotClient, iot_jobs_data_client: IotJobsDataClient) -> None:
    iot_jobs_backend.advance_time(minutes="soon")
    iot_jobs_backend.fail_nxt("CreateJob")
    iot_client.describe_thing(thing_name="t")
    iot_jobs_data_client.get_pending_job_executions()
'''


def _mypy(tmp_path: Path, source: str) -> "tuple[int, str]":
    (tmp_path / "test_user_types.py").write_text(textwrap.dedent(source))
    env = clean_env(tmp_path)
    # An editable install is an import hook, which mypy cannot follow: point it at the source
    # (silently, as for an installed package: only the user file is judged).
    env["MYPYPATH"] = str(REPO)
    done = run(
        [sys.executable, "-m", "mypy", "--no-incremental", "--cache-dir", os.devnull, "--python-version", "3.10",
         "--strict", "--follow-imports", "silent", "test_user_types.py"],
        cwd=tmp_path,
        env=env,
    )
    return done.returncode, done.stdout + done.stderr


def test_an_annotated_user_test_type_checks(tmp_path: Path) -> None:
    status, out = _mypy(tmp_path, GOOD)
    assert status == 0, out


def test_mypy_catches_misuse_of_the_handle_and_the_clients(tmp_path: Path) -> None:
    status, out = _mypy(tmp_path, BAD)
    assert status == 1, out
    assert 'Argument "minutes" to "advance_time" of "MockIotJobs" has incompatible type "str"' in out
    assert '"MockIotJobs" has no attribute "fail_nxt"' in out
    stubs = pytest.importorskip("mypy_boto3_iot")
    assert stubs
    assert 'Unexpected keyword argument "thing_name" for "describe_thing" of "IoTClient"' in out
    assert 'Missing named argument "thingName" for "get_pending_job_executions"' in out
