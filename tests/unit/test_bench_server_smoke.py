"""Keeps benchmarks/bench_server.py from rotting: one tiny run against this tree's server."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_server.py"


def test_tiny_server_benchmark_reports_every_call(capsys, monkeypatch):
    spec = importlib.util.spec_from_file_location("bench_server", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "bench_server", module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    assert module.main(["--sizes", "2,3"]) == 0
    out = capsys.readouterr().out
    for call in ("create_thing", "add_thing_to_group", "start_next", "update_job_execution", "describe_job"):
        assert f"| {call} | 3 |" in out
    assert "n/a" not in out
