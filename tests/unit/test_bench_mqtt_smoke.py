"""Keeps benchmarks/bench_mqtt.py from rotting: each benchmark once at a tiny size, nothing timed."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_mqtt.py"


def test_each_mqtt_benchmark_runs_at_a_tiny_size(monkeypatch):
    monkeypatch.setattr(sys, "path", list(sys.path))
    spec = importlib.util.spec_from_file_location("bench_mqtt", BENCH)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)

    assert bench.bench_fan_out(3)["devices"] == 3
    assert bench.bench_round_trip(3)["count"] == 3
    create = bench.bench_create_job_with_listener(20, 2)
    assert create["ratio_cpu"] > 0 and create["subscribed"] == 2
    assert bench.bench_many_subscriptions(5, 5)["publishes"] == 5
    slow = bench.bench_slow_consumer(1)
    assert slow["held_for_client_mb"] <= slow["bound_mb"]
