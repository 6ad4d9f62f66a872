"""Which operations of the two botocore models the mock implements.

``python -m mock_iotjobs coverage`` prints, per service, every operation in
the model and whether a handler answers it (the rest answer
``NotImplementedException``), then the counts.
"""

from __future__ import annotations

import sys
from typing import Dict, List, Optional, TextIO, Tuple

from . import handlers  # noqa: F401  (registers every implemented operation)
from .handlers.base import HANDLERS
from .protocol.models import SERVICES, service_model


def coverage_table() -> Dict[str, List[Tuple[str, bool]]]:
    """``{service: [(operation, implemented), ...]}`` in model order (sorted)."""
    table: Dict[str, List[Tuple[str, bool]]] = {}
    for service in SERVICES:
        names = sorted(service_model(service).operation_names)
        table[service] = [(name, (service, name) in HANDLERS) for name in names]
    return table


def print_coverage(implemented_only: bool = False, summary_only: bool = False, out: TextIO = sys.stdout) -> int:
    """Print the coverage report; returns a process exit status (always 0)."""
    table = coverage_table()
    totals = []
    for service, rows in table.items():
        done = sum(1 for _, implemented in rows if implemented)
        totals.append((service, done, len(rows)))
        if summary_only:
            continue
        print(f"{service}: {done} of {len(rows)} operations implemented", file=out)
        for name, implemented in rows:
            if implemented:
                print(f"  [x] {name}", file=out)
            elif not implemented_only:
                print(f"  [ ] {name}", file=out)
        print(file=out)
    print("Summary", file=out)
    for service, done, total in totals:
        print(f"  {service:<14} {done:>3} / {total:<3} implemented", file=out)
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    """``python -m mock_iotjobs.coverage [--implemented | --summary]``."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m mock_iotjobs.coverage", description=__doc__)
    choice = parser.add_mutually_exclusive_group()
    choice.add_argument("--implemented", action="store_true", help="list implemented operations only")
    choice.add_argument("--summary", action="store_true", help="print the counts only")
    args = parser.parse_args(argv)
    return print_coverage(implemented_only=args.implemented, summary_only=args.summary)


if __name__ == "__main__":
    sys.exit(main())
