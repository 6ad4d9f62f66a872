"""python -m mock_iotjobs coverage [--implemented | --missing | --summary] [--service ...]."""

from __future__ import annotations

import subprocess
import sys

import pytest

from mock_iotjobs.__main__ import main


def _lines(capsys: pytest.CaptureFixture[str], *argv: str) -> list:
    assert main(["coverage", *argv]) == 0
    return capsys.readouterr().out.splitlines()


def test_everything_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    lines = _lines(capsys)
    assert "  [x] CreateJob" in lines and any(line.startswith("  [ ]") for line in lines)
    assert "Summary" in lines and lines[-1].endswith("implemented")


def test_implemented_only(capsys: pytest.CaptureFixture[str]) -> None:
    lines = _lines(capsys, "--implemented")
    assert "  [x] CreateJob" in lines and not any(line.startswith("  [ ]") for line in lines)


def test_missing_only_for_one_service(capsys: pytest.CaptureFixture[str]) -> None:
    lines = _lines(capsys, "--missing", "--service", "iot")
    assert lines[0].startswith("iot: ") and "  [ ] AcceptCertificateTransfer" in lines
    assert not any(line.startswith("  [x]") for line in lines)
    others = ("iot-jobs-data", "iot-data", "  iot-jobs-data ", "  iot-data ")
    assert not any(line.startswith(others) for line in lines)


def test_an_unknown_service_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["coverage", "--service", "s3"])


def test_the_module_command_line_still_works() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mock_iotjobs", "coverage", "--implemented", "--service", "iot"],
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "[x] CreateJob" in done.stdout and "[ ]" not in done.stdout
