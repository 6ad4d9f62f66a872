"""Benchmarks of mock_iotjobs against the Stubber, the wire floor and moto.

    python benchmarks/run.py [--sizes 100,2000] [--repeat N] [--quick]
                             [--backends stubber,wire,moto,ours,ours-fast] [--json out.json]

Every backend runs in its own worker process (this script with ``--worker``)
so imports and patches never interfere; startup costs (import, first call,
mock enter/exit) are timed in fresh interpreters too.  Prints markdown; see
benchmarks/README.md for what each number means.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
for entry in (str(HERE), str(REPO)):
    if entry not in sys.path:
        sys.path.insert(0, entry)

import bench_backends as backends  # noqa: E402
import bench_report as report  # noqa: E402

ALL_BACKENDS = ["stubber", "wire", "moto", "ours", "ours-fast"]
WORKER_TIMEOUT_S = 900


def parse_args(argv: Optional[List[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", help="fleet sizes, comma separated (default 100,2000; --quick: 50,250)")
    parser.add_argument(
        "--repeat", type=int, help="rounds; each runs every backend once in a fresh process (default 2; --quick: 1)"
    )
    parser.add_argument("--quick", action="store_true", help="fewer sizes, passes and loops: well under 30 s")
    parser.add_argument(
        "--backends", default=",".join(ALL_BACKENDS), help="comma separated subset of " + ",".join(ALL_BACKENDS)
    )
    parser.add_argument("--json", dest="json_out", help="also write the raw numbers here")
    parser.add_argument(
        "--clock",
        choices=["cpu", "wall"],
        default="cpu",
        help="cpu (default): thread CPU time, robust on a busy machine; wall: perf_counter",
    )
    parser.add_argument(
        "--stat",
        choices=["median", "p10"],
        default="median",
        help="per-call statistic behind the per-call table and ratios (p10 is sturdier on a busy machine)",
    )
    parser.add_argument(
        "--startup-runs", type=int, help="fresh interpreters per startup measurement (default 3; --quick: 1)"
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.sizes = [int(s) for s in (args.sizes or ("50,250" if args.quick else "100,2000")).split(",") if s]
    args.repeat = args.repeat or (1 if args.quick else 2)
    # Per round (one round per --repeat).
    args.micro_loops = 50 if args.quick else 150
    args.enter_exit_loops = 20 if args.quick else 50
    if args.startup_runs is None:
        args.startup_runs = 1 if args.quick else 3
    args.backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = set(args.backends) - set(ALL_BACKENDS)
    if unknown:
        parser.error(f"unknown backends: {', '.join(sorted(unknown))}")
    return args


# --- worker: one backend, one round, in this process ----------------------------
def worker(args: argparse.Namespace) -> Dict[str, Any]:
    backends.hermetic_env()
    import bench_scenario as scenario

    overhead = scenario.use_clock(args.clock)
    backend = backends.make(args.worker)
    result: Dict[str, Any] = {"backend": args.worker, "notes": list(backend.notes), "clock_overhead_ns": overhead}
    scenario.run_scenario(backend, min(10, min(args.sizes)))  # warm caches and lazy imports, untimed
    gc.collect()
    gc.freeze()  # the harness's own heap (models, modules) stays out of every later collection
    result["sizes"] = {str(n): [scenario.run_scenario(backend, n)] for n in args.sizes}
    result["micro"] = scenario.run_micro(backend, args.micro_loops)
    result["micro"].update(scenario.run_micro_page(backend, max(20, args.micro_loops // 3)))
    result["enter_exit"] = scenario.run_enter_exit(backend, args.enter_exit_loops)
    result["worker_cpu_s"] = time.process_time()
    return result


def run_worker(name: str, args: argparse.Namespace) -> Dict[str, Any]:
    """One round for one backend in a fresh interpreter."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        command = [sys.executable, str(HERE / "run.py"), "--worker", name, "--out", str(out)]
        command += ["--sizes", ",".join(map(str, args.sizes)), "--repeat", str(args.repeat), "--clock", args.clock]
        command += ["--quick"] if args.quick else []
        done = subprocess.run(command, capture_output=True, text=True, timeout=WORKER_TIMEOUT_S, env=_child_env())
        if done.returncode != 0 or not out.exists():
            tail = (done.stderr or done.stdout).strip().splitlines()[-12:]
            return {"backend": name, "unavailable": "worker failed: " + " | ".join(tail)}
        return json.loads(out.read_text())


def run_rounds(args: argparse.Namespace) -> Dict[str, Dict[str, Any]]:
    """``repeat`` rounds, each running every backend once: drift in machine load hits all alike."""
    results: Dict[str, Dict[str, Any]] = {}
    for name in args.backends:
        why = backends.check_available(name)
        if why:
            results[name] = {"backend": name, "unavailable": why}
    for round_no in range(args.repeat):
        for name in args.backends:
            if results.get(name, {}).get("unavailable"):
                continue
            print(f"… round {round_no + 1}/{args.repeat}: {name}", file=sys.stderr, flush=True)
            one = run_worker(name, args)
            results[name] = one if name not in results or one.get("unavailable") else _merge(results[name], one)
    return results


def _merge(total: Dict[str, Any], one: Dict[str, Any]) -> Dict[str, Any]:
    for n, runs in one["sizes"].items():
        total["sizes"].setdefault(n, []).extend(runs)
    for op, samples in one["micro"].items():
        total["micro"].setdefault(op, []).extend(samples)
    if one.get("enter_exit"):
        ee = total["enter_exit"]
        ee["samples"] += one["enter_exit"]["samples"]
        ee["median_ns"] = statistics.median(ee["samples"])
        ee["first_ns"] = min(ee["first_ns"], one["enter_exit"]["first_ns"])
    total["worker_cpu_s"] += one["worker_cpu_s"]
    return total


def _child_env(pycache: Optional[str] = None) -> Dict[str, str]:
    """The children's environment: the repo importable; with ``pycache``, compiled bytecode for
    everyone (as after a pip install) even where PYTHONDONTWRITEBYTECODE is set, kept out of the repo."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    env.pop("PYTHONSTARTUP", None)
    if pycache:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = pycache
    return env


# --- startup: fresh interpreters ------------------------------------------------
_STARTUP_SNIPPET = """
import json, time
clock = time.{clock}
t0 = clock()
{import_line}
t1 = clock()
import boto3
mock = {factory}
t2 = clock(); mock.__enter__(); t3 = clock()
client = boto3.session.Session(region_name="us-east-1").client("iot")
t4 = clock()
client.create_thing(thingName="cold-start")
t5 = clock(); mock.__exit__(None, None, None); t6 = clock()
print(json.dumps({{"import_s": t1 - t0, "first_enter_s": t3 - t2, "first_call_s": t5 - t4,
                  "first_exit_s": t6 - t5, "cold_total_s": t6 - t0 - (t4 - t3)}}))
"""
_STARTUP = {
    "ours": ("from mock_iotjobs import mock_iotjobs", "mock_iotjobs()"),
    "moto": ("from moto import mock_aws", "mock_aws()"),
}
_IMPORTS = {
    "python": "pass",
    "boto3": "import boto3",
    "ours": "import mock_iotjobs",
    "moto": "from moto import mock_aws",
}


def _child_seconds(command: List[str], env: Dict[str, str], cpu: bool) -> "tuple[float, str]":
    """Run ``command``; its CPU seconds (user+sys, from rusage) or wall seconds, and its stdout."""
    before, start = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    done = subprocess.run(command, check=True, env=env, capture_output=True, text=True)
    wall, after = time.perf_counter() - start, resource.getrusage(resource.RUSAGE_CHILDREN)
    used = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return (used if cpu else wall), done.stdout


def measure_startup(names: List[str], runs: int, clock: str) -> Dict[str, Any]:
    """Cost of ``python -c <import>`` and of the in-process cold path, median of ``runs``."""
    cpu = clock == "cpu"
    if runs <= 0:
        return {"import_s": {}, "cold": {}}
    backends.hermetic_env()
    with tempfile.TemporaryDirectory() as pycache:  # filled by the untimed warm-up runs
        return _measure_startup(names, runs, cpu, _child_env(pycache))


def _measure_startup(names: List[str], runs: int, cpu: bool, env: Dict[str, str]) -> Dict[str, Any]:
    wanted = [k for k in _IMPORTS if k in ("python", "boto3") or k in names]
    wanted = [k for k in wanted if k != "moto" or backends.check_available("moto") is None]
    walls: Dict[str, List[float]] = {k: [] for k in wanted}
    cold: Dict[str, List[Dict[str, float]]] = {k: [] for k in _STARTUP if k in wanted}
    for key in cold:  # untimed: fills the bytecode cache for every module the timed runs import
        import_line, factory = _STARTUP[key]
        _child_seconds([sys.executable, "-c", _cold_code(import_line, factory, cpu)], env, cpu)
    if not cold:
        _child_seconds([sys.executable, "-c", _IMPORTS["boto3"]], env, cpu)
    for _ in range(runs):  # interleaved, so drift hits everyone alike
        for key in wanted:
            walls[key].append(_child_seconds([sys.executable, "-c", _IMPORTS[key]], env, cpu)[0])
        for key in cold:
            import_line, factory = _STARTUP[key]
            stdout = _child_seconds([sys.executable, "-c", _cold_code(import_line, factory, cpu)], env, cpu)[1]
            cold[key].append(json.loads(stdout.strip().splitlines()[-1]))
    out: Dict[str, Any] = {"import_s": {k: statistics.median(v) for k, v in walls.items()}, "cold": {}}
    for key, rows in cold.items():
        out["cold"][key] = {field: statistics.median(r[field] for r in rows) for field in rows[0]}
    return out


def _cold_code(import_line: str, factory: str, cpu: bool) -> str:
    clock = "process_time" if cpu else "perf_counter"
    return _STARTUP_SNIPPET.format(import_line=import_line, factory=factory, clock=clock)


def main(argv: Optional[List[str]] = None) -> Dict[str, Any]:
    args = parse_args(argv)
    if args.worker:
        result = worker(args)
        Path(args.out).write_text(json.dumps(result))
        return result
    started = time.perf_counter()
    load_before = round(os.getloadavg()[0], 2)
    commit_before = _commit()
    results = run_rounds(args)
    print("… startup", file=sys.stderr, flush=True)
    startup = measure_startup(args.backends, args.startup_runs, args.clock)
    summary = report.summarize(results, startup, args.sizes, args.stat)
    # The same targets on the other statistic: where the two disagree, the machine's noise decides.
    other = "p10" if args.stat == "median" else "median"
    summary["targets_" + other] = report.summarize(results, startup, args.sizes, other)["targets"]
    summary["meta"] = {
        "sizes": args.sizes,
        "repeat": args.repeat,
        "quick": args.quick,
        "python": sys.version.split()[0],
        "clock": args.clock,
        "stat": args.stat,
        "load_avg_1m": [load_before, round(os.getloadavg()[0], 2)],
        "cpus": os.cpu_count(),
        "elapsed_s": round(time.perf_counter() - started, 1),
        "versions": _versions(),
        "commit": commit_before if commit_before == _commit() else f"{commit_before} → {_commit()} (changed mid-run)",
    }
    print(report.markdown(summary))
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(summary, indent=1, sort_keys=True))
    return summary


def _commit() -> str:
    """The repo's HEAD, marked when mock_iotjobs/ has uncommitted changes (results then are a mix)."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True)
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "mock_iotjobs"], cwd=REPO, capture_output=True, text=True
        )
    except OSError:
        return "unknown"
    return head.stdout.strip() + (" + uncommitted mock_iotjobs changes" if dirty.stdout.strip() else "")


def _versions() -> Dict[str, str]:
    from importlib import metadata

    out = {}
    for dist in ("botocore", "boto3", "moto"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    return out


if __name__ == "__main__":
    main()
