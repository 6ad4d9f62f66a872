"""Helpers for the tests that use mock_iotjobs as another project would: a throwaway
user project with its own ``pytest_plugin`` package, run by a separate pytest."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Dict, List

REPO = Path(__file__).resolve().parents[2]

USER_TESTS = '''
import boto3
import pytest

from mock_iotjobs import MockIotJobs, mock_iotjobs


def test_fixtures(iot_jobs_backend: MockIotJobs, iot_client, iot_jobs_data_client, user_fixture) -> None:
    assert user_fixture == "the user's own plugin"
    devices = iot_jobs_backend.create_fleet(2, group="fleet")
    group = iot_client.describe_thing_group(thingGroupName="fleet")["thingGroupArn"]
    iot_client.create_job(jobId="ota", targets=[group], document='{"v": 1}')
    started = iot_jobs_data_client.start_next_pending_job_execution(thingName=devices[0])
    assert started["execution"]["jobId"] == "ota"


@pytest.mark.iot_jobs(region="eu-west-1", account_id="111122223333")
def test_marker(iot_client) -> None:
    assert iot_client.create_thing(thingName="t")["thingArn"] == "arn:aws:iot:eu-west-1:111122223333:thing/t"


@mock_iotjobs
def test_decorator() -> None:
    iot = boto3.client("iot", region_name="us-east-1")
    iot.create_thing(thingName="t")
    assert iot.list_things()["things"][0]["thingName"] == "t"
'''


def write_user_project(root: Path) -> Path:
    """A project with its own top-level ``pytest_plugin`` package (registered by its
    conftest, no ``plugin`` module in it) and tests that use our fixtures."""
    package = root / "pytest_plugin"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text('"""The user\'s own pytest plugins."""\n')
    (package / "hooks.py").write_text(
        "import pytest\n\n\n@pytest.fixture\ndef user_fixture():\n    return \"the user's own plugin\"\n"
    )
    (root / "conftest.py").write_text('pytest_plugins = ["pytest_plugin.hooks"]\n')
    (root / "test_user.py").write_text(USER_TESTS)
    return root


def clean_env(tmp: Path) -> Dict[str, str]:
    """No AWS configuration, no PYTHONPATH pointing into this repository, no xdist worker."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PYTEST_", "MOCK_IOTJOBS_"))}
    env.pop("PYTHONPATH", None)
    env["AWS_CONFIG_FILE"] = env["AWS_SHARED_CREDENTIALS_FILE"] = str(tmp / "no-aws")
    return env


def run(command: List[str], cwd: Path, env: Dict[str, str], timeout: float = 300) -> "subprocess.CompletedProcess[str]":
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
