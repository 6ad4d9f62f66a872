"""Where the time goes: the fleet scenario for one backend under cProfile.

    python benchmarks/hotspots.py [--backend ours|ours-fast|wire|stubber] [--size 2000]
                                  [--phase device] [--top 25]

Prints the share of CPU time by package (mock_iotjobs, botocore, ...), the
top functions by own time, and the top mock_iotjobs functions by cumulative
time (cProfile's default wall clock: profile on a quiet machine).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any, Dict, List, Optional

HERE = Path(__file__).resolve().parent
for entry in (str(HERE), str(HERE.parent)):
    if entry not in sys.path:
        sys.path.insert(0, entry)

import bench_backends as backends  # noqa: E402
import bench_scenario as scenario  # noqa: E402


def _package(filename: str) -> str:
    path = filename.replace("\\", "/")
    for marker in ("/mock_iotjobs/", "/botocore/", "/boto3/", "/dateutil/", "/urllib3/", "/moto/", "/regex/"):
        if marker in path:
            tail = path.split(marker, 1)[1]
            sub = tail.split("/", 1)[0] if "/" in tail else ""
            name = marker.strip("/")
            return f"{name}/{sub}" if name == "mock_iotjobs" and sub else name
    if path.startswith("<") or path == "~":
        return "builtins"
    return "stdlib/other"


def profile(backend_name: str, size: int, phase: Optional[str]) -> pstats.Stats:
    backends.hermetic_env()
    scenario.use_clock("cpu")
    backend = backends.make(backend_name)
    scenario.run_scenario(backend, 10)  # warm-up
    profiler = cProfile.Profile()
    if phase is None:
        profiler.enable()
        scenario.run_scenario(backend, size)
        profiler.disable()
    else:
        runner = scenario._RUNNERS[phase]

        def profiled(*args: Any) -> Any:
            profiler.enable()
            try:
                return runner(*args)
            finally:
                profiler.disable()

        scenario._RUNNERS[phase] = profiled
        scenario.run_scenario(backend, size)
        scenario._RUNNERS[phase] = runner
    return pstats.Stats(profiler)


def report(stats: pstats.Stats, top: int) -> str:
    raw: Dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    total = sum(tt for (_, _, tt, _, _) in raw.values()) or 1.0
    by_package: Dict[str, float] = defaultdict(float)
    for (filename, _, _), (_, _, tt, _, _) in raw.items():
        by_package[_package(filename)] += tt
    lines: List[str] = [f"total profiled CPU time: {total:.3f} s", "", "| package | own time % |", "|---|---:|"]
    for name, tt in sorted(by_package.items(), key=lambda x: -x[1]):
        if tt / total >= 0.005:
            lines.append(f"| {name} | {100 * tt / total:.1f} |")

    def label(key: Any) -> str:
        filename, line, func = key
        short = filename.split("/site-packages/")[-1].split("/work/main/")[-1]
        return f"{short}:{line} {func}"

    lines += [
        "",
        f"Top {top} functions by own time",
        "",
        "| function | calls | own % | cumulative % |",
        "|---|---:|---:|---:|",
    ]
    for key, (_, nc, tt, ct, _) in sorted(raw.items(), key=lambda x: -x[1][2])[:top]:
        lines.append(f"| {label(key)} | {nc} | {100 * tt / total:.1f} | {100 * ct / total:.1f} |")
    ours = [(k, v) for k, v in raw.items() if "/mock_iotjobs/" in k[0]]
    lines += [
        "",
        f"Top {top} mock_iotjobs functions by cumulative time",
        "",
        "| function | calls | own % | cumulative % |",
    ]
    lines.append("|---|---:|---:|---:|")
    for key, (_, nc, tt, ct, _) in sorted(ours, key=lambda x: -x[1][3])[:top]:
        lines.append(f"| {label(key)} | {nc} | {100 * tt / total:.1f} | {100 * ct / total:.1f} |")
    return "\n".join(lines)


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", default="ours")
    parser.add_argument("--size", type=int, default=2000)
    parser.add_argument("--phase", choices=scenario.PHASES, help="profile only this phase")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--dump", help="also write the raw pstats file here (for snakeviz etc.)")
    args = parser.parse_args(argv)
    stats = profile(args.backend, args.size, args.phase)
    if args.dump:
        stats.dump_stats(args.dump)
    print(report(stats, args.top))


if __name__ == "__main__":
    main()
