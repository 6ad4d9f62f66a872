"""Which operations of the two botocore models the mock implements.

``python -m mock_iotjobs coverage [--implemented | --missing | --summary]
[--service iot | iot-jobs-data]`` prints, per service, every operation in the
model and whether a handler answers it (the rest answer
``NotImplementedException``), then the counts.
"""

from __future__ import annotations

import argparse
import sys
from typing import Dict, List, Optional, Sequence, TextIO, Tuple

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


def print_coverage(
    implemented_only: bool = False,
    summary_only: bool = False,
    out: Optional[TextIO] = None,
    *,
    missing_only: bool = False,
    services: Optional[Sequence[str]] = None,
) -> int:
    """Print the coverage report; returns a process exit status (always 0).

    ``implemented_only`` / ``missing_only`` list one kind of operation,
    ``summary_only`` only the counts; ``services`` keeps those services.
    """
    out = out or sys.stdout
    table = coverage_table()
    totals = []
    for service, rows in table.items():
        if services and service not in services:
            continue
        done = sum(1 for _, implemented in rows if implemented)
        totals.append((service, done, len(rows)))
        if summary_only:
            continue
        print(f"{service}: {done} of {len(rows)} operations implemented", file=out)
        for name, implemented in rows:
            if implemented and not missing_only:
                print(f"  [x] {name}", file=out)
            elif not implemented and not implemented_only:
                print(f"  [ ] {name}", file=out)
        print(file=out)
    print("Summary", file=out)
    for service, done, total in totals:
        print(f"  {service:<14} {done:>3} / {total:<3} implemented", file=out)
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``coverage``, shared by ``python -m mock_iotjobs coverage`` and this module."""
    choice = parser.add_mutually_exclusive_group()
    choice.add_argument("--implemented", action="store_true", help="list implemented operations only")
    choice.add_argument("--missing", action="store_true", help="list operations not implemented yet only")
    choice.add_argument("--summary", action="store_true", help="print the counts only")
    parser.add_argument(
        "--service", action="append", choices=SERVICES, help="only this service (repeatable; default both)"
    )


def run(args: argparse.Namespace, out: Optional[TextIO] = None) -> int:
    return print_coverage(
        implemented_only=args.implemented,
        summary_only=args.summary,
        missing_only=args.missing,
        services=args.service,
        out=out,
    )


def main(argv: Optional[List[str]] = None) -> int:
    """``python -m mock_iotjobs.coverage``: the same as ``python -m mock_iotjobs coverage``."""
    parser = argparse.ArgumentParser(prog="python -m mock_iotjobs coverage", description=__doc__)
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
