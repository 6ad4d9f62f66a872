"""The README's demo (``make demo``) runs, shows the waves and ends in a report."""

from __future__ import annotations

import re

import demo
import pytest


def test_the_demo_rolls_out_in_waves_and_reports(capsys: pytest.CaptureFixture[str]) -> None:
    assert demo.main(["--pace", "0", "--devices", "30"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    waves = [line for line in lines if re.match(r"t\+ ?\d+m\s+\+\d+\s+notified", line)]
    # 5 per minute at first, doubled after each 5 notified: 5, 10, 15 of 30.
    assert [int(re.search(r"\+(\d+)", w).group(1)) for w in waves] == [5, 10, 15]  # type: ignore[union-attr]
    assert re.search(r"COMPLETED - 26/30 devices updated", out)
    assert re.search(r"thermostat-0008\s+TIMED_OUT", out)


def test_the_bad_firmware_demo_is_aborted(capsys: pytest.CaptureFixture[str]) -> None:
    assert demo.main(["--pace", "0", "--devices", "30", "--bad-firmware"]) == 0
    out = capsys.readouterr().out
    assert "Rollout thermostat-fw-2-4-1: CANCELED" in out
    assert "boot loop after install" in out
