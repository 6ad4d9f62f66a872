"""A user's project with its own top-level ``pytest_plugin`` package uses our fixtures:
the installed plugin lives at ``mock_iotjobs.pytest_plugin``."""

from __future__ import annotations

import sys
from importlib.metadata import entry_points
from pathlib import Path

from userproject import clean_env, run


def test_the_entry_point_is_inside_our_namespace() -> None:
    (ours,) = [ep for ep in entry_points(group="pytest11") if ep.name == "mock_iotjobs"]
    assert ours.value == "mock_iotjobs.pytest_plugin.plugin"


def test_a_project_with_its_own_pytest_plugin_package(user_project: Path, tmp_path: Path) -> None:
    done = run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:xdist"],
        cwd=user_project,
        env=clean_env(tmp_path),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 passed" in done.stdout
    assert "Error while loading plugin" not in done.stdout + done.stderr


def test_pytest_fixtures_documents_each_fixture(user_project: Path, tmp_path: Path) -> None:
    done = run(
        [sys.executable, "-m", "pytest", "--fixtures", "-p", "no:cacheprovider", "test_user.py"],
        cwd=user_project,
        env=clean_env(tmp_path),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    for fixture, words in {
        "iot_jobs_backend": "An active, empty AWS IoT Jobs mock",
        "iot_client": "A boto3 ``iot`` client",
        "iot_jobs_data_client": "A boto3 ``iot-jobs-data`` client",
        "iot_jobs_mqtt": "An MQTT listener",
    }.items():
        assert fixture in out and words in out, fixture
    assert "mock_iotjobs/pytest_plugin" in out.replace("\\", "/") or "pytest_plugin/plugin.py" in out
