"""Fleet indexing at scale: SearchIndex per query at 10k and 100k things, and the
cost of a thing update with dynamic thing groups, all through boto3 (fast path).

    python benchmarks/bench_indexing.py [--sizes 10000,100000] [--loops 200]

Prints one markdown table; the target (issue 17) is growth 100k / 10k <= 2 for
equality and range queries, and an update cost that depends on the number of
dynamic groups, not on the fleet size.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable, Dict, List

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import boto3  # noqa: E402

from mock_iotjobs import mock_iotjobs  # noqa: E402

QUERIES = {
    "equality (one thing)": "attributes.serial:4242",
    "equality (5% of the fleet)": "attributes.model:m7",
    "range (narrow)": "attributes.serial:[500 TO 520]",
    "range + AND": "attributes.serial<300 AND attributes.model:m3",
    "prefix": "thingName:dev-00001*",
}


def seed(mock: Any, n: int) -> None:
    backend = mock.backend()
    with backend.lock:
        for i in range(n):
            backend.things.create(f"dev-{i:06d}", attributes={"model": f"m{i % 20}", "serial": str(i)})


def per_call_us(call: Callable[[], Any], loops: int) -> float:
    samples = []
    for _ in range(loops):
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1e6


def measure(n: int, loops: int) -> Dict[str, float]:
    results: Dict[str, float] = {}
    with mock_iotjobs() as mock:
        iot = boto3.client("iot", region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s")
        iot.update_indexing_configuration(thingIndexingConfiguration={"thingIndexingMode": "REGISTRY"})
        start = time.perf_counter()
        seed(mock, n)
        results["seed per thing (indexed)"] = (time.perf_counter() - start) / n * 1e6
        for label, query in QUERIES.items():
            results[label] = per_call_us(lambda q=query: iot.search_index(queryString=q, maxResults=10), loops)
        for groups in (0, 10):
            for g in range(groups):
                iot.create_dynamic_thing_group(thingGroupName=f"dyn{g}", queryString=f"attributes.model:m{g}")
            counter = iter(range(10**9))

            def update(counter: Any = counter) -> None:
                i = next(counter) % n
                payload = {"attributes": {"fw": str(i)}, "merge": True}
                iot.update_thing(thingName=f"dev-{i:06d}", attributePayload=payload)

            results[f"update_thing, {groups} dynamic groups"] = per_call_us(update, loops)
    return results


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--loops", type=int, default=200)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    table = {n: measure(n, args.loops) for n in sizes}
    small, large = sizes[0], sizes[-1]
    print(f"| per call (µs, median) | {' | '.join(f'N={n}' for n in sizes)} | N={large} / N={small} |")
    print("|---|" + "---|" * (len(sizes) + 1))
    for label in table[small]:
        values = " | ".join(f"{table[n][label]:.0f}" for n in sizes)
        print(f"| {label} | {values} | {table[large][label] / table[small][label]:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
