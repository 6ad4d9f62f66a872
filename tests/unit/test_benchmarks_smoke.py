"""Keeps benchmarks/run.py from rotting: one tiny run, nothing timed or compared."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

RUN = Path(__file__).resolve().parents[2] / "benchmarks" / "run.py"


def _load_runner():
    spec = importlib.util.spec_from_file_location("benchmarks_run", RUN)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_quick_run_of_ours_produces_a_report(capsys, monkeypatch):
    monkeypatch.setattr(sys, "path", list(sys.path))  # run.py adds benchmarks/ to it
    runner = _load_runner()
    summary = runner.main(["--quick", "--sizes", "10", "--backends", "ours", "--startup-runs", "0"])

    assert summary["backends"]["ours"]["unavailable"] is None
    phases = summary["phases"]["ours"]["10"]
    assert set(phases) == {"create_things", "add_to_group", "create_job", "list_executions", "device", "describe_job"}
    observed = summary["observed"]["ours"]["10"]
    assert observed["list_executions"]["executions_listed"] == 10
    assert observed["describe_job"]["succeeded_things"] == 10
    assert summary["micro"]["ours"]["GetPendingJobExecutions"]["count"] > 0
    assert "### Targets" in capsys.readouterr().out
