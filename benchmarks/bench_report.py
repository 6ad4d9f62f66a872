"""Medians, the issue's ratios and targets, and the markdown tables."""

from __future__ import annotations

import math
import statistics
from typing import Any, Dict, List, Optional

from bench_scenario import CONTROL_PHASES, PHASES

PAGE_OP = "ListJobExecutionsForJob (250-item page)"
MICRO_OPS = ["DescribeThing", "DescribeJob", "GetPendingJobExecutions", PAGE_OP]
DEVICE_OPS = ["StartNextPendingJobExecution", "UpdateJobExecution"]
COLUMNS = ["stubber", "wire", "moto", "ours", "ours-fast"]


def _stats(samples: List[int], overhead: int = 0) -> Dict[str, float]:
    ordered = sorted(max(0, s - overhead) for s in samples)
    return {
        "median_us": statistics.median(ordered) / 1e3,
        "p10_us": ordered[int(len(ordered) * 0.1)] / 1e3,
        "p90_us": ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))] / 1e3,
        "mean_us": statistics.fmean(ordered) / 1e3,
        "count": len(ordered),
    }


def summarize(
    results: Dict[str, Dict[str, Any]], startup: Dict[str, Any], sizes: List[int], stat: str = "median"
) -> Dict[str, Any]:
    """``stat`` picks the per-call statistic behind the per-call table and ratios: median or p10."""
    out: Dict[str, Any] = {"backends": {}, "phases": {}, "ops": {}, "observed": {}, "micro": {}, "enter_exit": {}}
    out["stat"] = f"{stat}_us"
    for name, result in results.items():
        out["backends"][name] = {
            "unavailable": result.get("unavailable"),
            "notes": result.get("notes", []),
            "worker_cpu_s": result.get("worker_cpu_s"),
        }
        if result.get("unavailable"):
            continue
        out["phases"][name], out["ops"][name], out["observed"][name] = {}, {}, {}
        overhead = result.get("clock_overhead_ns", 0)  # one clock reading per timed call
        for n, repeats in result["sizes"].items():
            phases, ops = {}, {}
            pooled: Dict[str, List[int]] = {}
            for phase in PHASES:
                runs = [r[phase] for r in repeats if phase in r]
                if not runs:
                    continue
                calls = sum(len(s) for s in runs[0]["samples"].values())
                totals = [(r["total_ns"] - calls * overhead) / 1e6 for r in runs]
                phases[phase] = {
                    "ms": statistics.median(totals),
                    "repeats_ms": totals,
                    "calls": calls,
                    "us_per_call": statistics.median(totals) * 1e3 / max(calls, 1),
                }
                for r in runs:
                    for op, samples in r["samples"].items():
                        pooled.setdefault(op, []).extend(samples)
            for op, samples in pooled.items():
                ops[op] = _stats(samples, overhead)
            out["phases"][name][n], out["ops"][name][n] = phases, ops
            out["observed"][name][n] = {p: r["observed"] for p, r in repeats[0].items() if r["observed"]}
        out["micro"][name] = {op: _stats(s, overhead) for op, s in result.get("micro", {}).items()}
        if result.get("enter_exit"):
            ee = result["enter_exit"]
            out["enter_exit"][name] = {"median_us": ee["median_ns"] / 1e3, "first_us": ee["first_ns"] / 1e3}
    out["startup"] = startup
    out["ratios"], out["targets"] = _ratios(out, sizes)
    return out


def _op_us(summary: Dict[str, Any], backend: str, n: Optional[str], op: str) -> Optional[float]:
    table = summary["micro"].get(backend, {}) if n is None else summary["ops"].get(backend, {}).get(n, {})
    return table.get(op, {}).get(summary.get("stat", "median_us"))


def _ratio(a: Optional[float], b: Optional[float]) -> Optional[float]:
    return a / b if a is not None and b else None


def _per_call_rows(summary: Dict[str, Any], sizes: List[int]) -> List[Dict[str, Any]]:
    """(label, n, op) rows for every operation timed in the scenario or the micro loop."""
    rows = []
    for n in map(str, sizes):
        ops = summary["ops"].get("ours", {}).get(n) or summary["ops"].get("wire", {}).get(n) or {}
        for op in ops:
            rows.append({"n": n, "op": op})
    for op in MICRO_OPS:
        rows.append({"n": None, "op": op})
    for row in rows:
        row["us"] = {b: _op_us(summary, b, row["n"], row["op"]) for b in COLUMNS}
        row["ours/wire"] = _ratio(row["us"]["ours"], row["us"]["wire"])
        row["ours/moto"] = _ratio(row["us"]["ours"], row["us"]["moto"])
        row["wire/stubber"] = _ratio(row["us"]["wire"], row["us"]["stubber"])
        row["fast/stubber"] = _ratio(row["us"]["ours-fast"], row["us"]["stubber"])
    return rows


def _shared_control_plane(summary: Dict[str, Any], backend: str, sizes: List[int]) -> Dict[str, Any]:
    shared: Dict[str, Any] = {}
    for n in map(str, sizes):
        ours = summary["phases"].get(backend, {}).get(n, {})
        moto = summary["phases"].get("moto", {}).get(n, {})
        common = [p for p in CONTROL_PHASES if p in ours and p in moto]
        if common:
            per = {p: ours[p]["ms"] / moto[p]["ms"] for p in common}
            total = sum(ours[p]["ms"] for p in common) / sum(moto[p]["ms"] for p in common)
            shared[n] = {"per_phase": per, "total": total}
    return shared


def _per_call_target(targets: List[Any], rows: List[Dict[str, Any]], key: str, label: str, goal: float) -> None:
    values = [(r[key], r) for r in rows if r[key]]
    if not values:
        return
    worst, row = max(values, key=lambda x: x[0])
    gmean = math.exp(statistics.fmean(math.log(x) for x, _ in values))
    where = f"N={row['n']}" if row["n"] else "micro"
    text = f"geomean {gmean:.2f}, worst {worst:.2f} ({row['op']}, {where})"
    micro = [x for x, r in values if r["n"] is None]
    if micro:
        text += f"; micro calls worst {max(micro):.2f}"
    targets.append(_target(label, f"≤ {goal}", text, worst <= goal))


def _target(name: str, goal: str, measured: str, met: Optional[bool]) -> Dict[str, Any]:
    return {"target": name, "goal": goal, "measured": measured, "met": met}


def _ratios(summary: Dict[str, Any], sizes: List[int]) -> Any:
    rows = _per_call_rows(summary, sizes)
    small, large = str(min(sizes)), str(max(sizes))
    ratios: Dict[str, Any] = {"per_call": rows}
    targets = []

    # CreateJob expands the group into N executions, work neither the floor nor the Stubber
    # does: it has its own linearity target below, so it is shown but left out of these.
    per_call = [r for r in rows if r["op"] != "CreateJob"]
    _per_call_target(targets, per_call, "ours/wire", "ours / wire floor per call (CreateJob aside)", 1.3)

    for backend in ("ours", "ours-fast"):
        shared = _shared_control_plane(summary, backend, sizes)
        ratios[f"{backend}/moto_control_plane"] = shared
        if shared:
            text = ", ".join(f"N={n}: {v['total']:.2f}" for n, v in shared.items())
            met = all(v["total"] <= 0.6 for v in shared.values())
            targets.append(_target(f"{backend} / moto, shared control-plane phases (sum)", "≤ 0.6", text, met))

    if small != large:
        scaling = {}
        for backend in ("ours", "ours-fast", "wire"):
            for op in DEVICE_OPS:
                r = _ratio(_op_us(summary, backend, large, op), _op_us(summary, backend, small, op))
                if r is not None:
                    scaling[f"{backend}:{op}"] = r
        ratios["device_scaling"] = scaling
        for backend in ("ours", "ours-fast"):
            mine = {k.split(":")[1]: v for k, v in scaling.items() if k.startswith(backend + ":")}
            if mine:
                text = ", ".join(f"{op} {v:.2f}" for op, v in mine.items())
                label = f"{backend}: device call at N={large} / N={small}"
                targets.append(_target(label, "≤ 1.2", text, max(mine.values()) <= 1.2))
        a, b = _op_us(summary, "ours", large, "CreateJob"), _op_us(summary, "ours", small, "CreateJob")
        if a and b:
            size_ratio = int(large) / int(small)
            per_thing = (a - b) / (int(large) - int(small))
            ratios["create_job"] = {"ratio": a / b, "size_ratio": size_ratio, "us_per_thing": per_thing}
            targets.append(
                _target(
                    f"CreateJob N={large} / N={small} (linear in group size)",
                    f"≤ {size_ratio:.0f} (size ratio)",
                    f"{a / b:.1f} ({per_thing:.1f} µs per thing; {a / 1e3:.1f} ms at N={large})",
                    a / b <= size_ratio * 1.2,
                )
            )

    walls = summary["startup"].get("import_s", {})
    if "ours" in walls and "moto" in walls:
        base = walls.get("python", 0.0)
        ours_i, moto_i = walls["ours"] - base, walls["moto"] - base
        ratios["import"] = {"ours_ms": ours_i * 1e3, "moto_ms": moto_i * 1e3, "ratio": ours_i / moto_i}
        targets.append(
            _target(
                "import time, ours vs moto",
                "< moto",
                f"{ours_i * 1e3:.0f} ms vs {moto_i * 1e3:.0f} ms ({ours_i / moto_i:.2f}×)",
                ours_i < moto_i,
            )
        )
    ee = summary["enter_exit"]
    if "ours" in ee and "moto" in ee:
        r = ee["ours"]["median_us"] / ee["moto"]["median_us"]
        ratios["enter_exit"] = r
        targets.append(
            _target(
                "mock enter+exit, ours vs moto",
                "< moto",
                f"{ee['ours']['median_us']:.0f} µs vs {ee['moto']['median_us']:.0f} µs ({r:.2f}×)",
                r < 1,
            )
        )

    if any(r["fast/stubber"] for r in per_call):
        _per_call_target(targets, per_call, "fast/stubber", "ours-fast / Stubber per call (CreateJob aside)", 3)
        # A 250-item page costs the wire floor itself tens of Stubbers (botocore parses every
        # timestamp); shown apart so the per-call overhead is visible on its own.
        small_calls = [r for r in per_call if not r["op"].startswith("ListJobExecutionsForJob")]
        _per_call_target(targets, small_calls, "fast/stubber", "ours-fast / Stubber, paged listing aside too", 3)
        # Issue 15: the steady-state 250-item page and the small micro calls.
        page = [r for r in per_call if r["n"] is None and r["op"] == PAGE_OP]
        _per_call_target(targets, page, "fast/stubber", "ours-fast / Stubber, 250-item page (issue 15)", 5)
        micro_small = [r for r in per_call if r["n"] is None and r["op"] != PAGE_OP]
        _per_call_target(targets, micro_small, "fast/stubber", "ours-fast / Stubber, small calls (issue 15)", 2)
    elif summary["backends"].get("ours-fast"):
        why = summary["backends"]["ours-fast"].get("unavailable") or "the stubber backend did not run"
        targets.append(_target("ours-fast / Stubber per call", "≤ 3", f"not measured: {why}", None))
    return ratios, targets


# --- markdown -------------------------------------------------------------------
def _f(value: Optional[float], digits: int = 0) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def markdown(summary: Dict[str, Any]) -> str:
    meta = summary.get("meta", {})
    present = [b for b in COLUMNS if summary["phases"].get(b)]
    lines = []
    if meta:
        versions = ", ".join(f"{k} {v}" for k, v in meta.get("versions", {}).items())
        clock = "thread CPU time" if meta.get("clock") == "cpu" else "wall time"
        lines += [
            f"Python {meta.get('python')}, {meta.get('cpus')} CPUs, {versions}; sizes {meta.get('sizes')}, "
            f"{meta.get('repeat')} pass(es) per size; {clock}; 1-min load {meta.get('load_avg_1m')} "
            f"(start, end); run took {meta.get('elapsed_s')} s; commit {meta.get('commit')}.",
            "",
        ]

    lines += ["### Scenario phases: median ms per phase (µs per call)", ""]
    lines += ["| N | phase | calls | " + " | ".join(present) + " |", "|---|---|---:|" + "---:|" * len(present)]
    for n in map(str, meta.get("sizes", [])):
        for phase in PHASES:
            cells, calls = [], None
            for b in present:
                p = summary["phases"][b].get(n, {}).get(phase)
                cells.append("–" if p is None else f"{_f(p['ms'], 1)} ({_f(p['us_per_call'])})")
                if p is not None and b in ("ours", "wire", "stubber"):
                    calls = p["calls"]
            lines.append(f"| {n} | {phase} | {_f(calls)} | " + " | ".join(cells) + " |")

    rows = summary["ratios"]["per_call"]
    lines += ["", f"### Per call: {summary.get('stat', 'median_us')[:-3]} µs", ""]
    ratio_cols = ["wire/stubber", "ours/wire", "ours/moto"] + (["fast/stubber"] if "ours-fast" in present else [])
    lines += [
        "| N | operation | " + " | ".join(present + ratio_cols) + " |",
        "|---|---|" + "---:|" * (len(present) + len(ratio_cols)),
    ]
    for row in rows:
        cells = [_f(row["us"][b]) for b in present] + [_f(row[c], 2) for c in ratio_cols]
        lines.append(f"| {row['n'] or 'micro'} | {row['op']} | " + " | ".join(cells) + " |")

    startup = summary["startup"]
    lines += [
        "",
        "### Startup (fresh interpreters, medians)",
        "",
        "| | python -c import (ms, minus bare python) | first enter (ms) | first CreateThing (ms) | "
        "cold import→exit (ms) | enter+exit, warm (µs) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    walls = startup.get("import_s", {})
    base = walls.get("python", 0.0)
    for key in ("boto3", "ours", "moto"):
        if key not in walls:
            continue
        cold = startup.get("cold", {}).get(key, {})
        ee = summary["enter_exit"].get(key, {})
        lines.append(
            f"| {key} | {_f((walls[key] - base) * 1e3)} | {_f(_ms(cold.get('first_enter_s')), 1)} | "
            f"{_f(_ms(cold.get('first_call_s')), 1)} | {_f(_ms(cold.get('cold_total_s')))} | "
            f"{_f(ee.get('median_us'))} |"
        )
    lines.append(f"\n(bare `python -c pass`: {_f(base * 1e3)} ms)")

    stat = summary.get("stat", "median_us")[:-3]
    lines += ["", f"### Targets (issue 8), per-call {stat}s", ""] + _targets_table(summary["targets"])
    for key, targets in summary.items():
        if key.startswith("targets_"):
            other = key[len("targets_") :]
            lines += ["", f"Cross-check, the same targets on per-call {other}s (phase totals unchanged):", ""]
            lines += _targets_table(targets)

    notes = []
    for name, info in summary["backends"].items():
        if info.get("unavailable"):
            notes.append(f"- {name}: not run ({info['unavailable']})")
        for note in info.get("notes", []):
            notes.append(f"- {name}: {note}")
    for name, by_n in summary["observed"].items():
        if name in ("stubber", "wire"):
            continue  # canned answers: nothing to observe
        for n, observed in by_n.items():
            flat = "; ".join(f"{k}={v}" for obs in observed.values() for k, v in obs.items())
            notes.append(f"- observed, {name} N={n}: {flat}")
    if notes:
        lines += ["", "### Notes", ""] + notes
    return "\n".join(lines)


def _targets_table(targets: List[Dict[str, Any]]) -> List[str]:
    lines = ["| target | goal | measured | met |", "|---|---|---|---|"]
    for t in targets:
        met = {True: "yes", False: "**no**", None: "n/a"}[t["met"]]
        lines.append(f"| {t['target']} | {t['goal']} | {t['measured']} | {met} |")
    return lines


def _ms(seconds: Optional[float]) -> Optional[float]:
    return None if seconds is None else seconds * 1e3
