"""docs/operations.md lists exactly the operations the mock serves, by domain, and
those that still answer 501. Regenerate it with
``MOCK_IOTJOBS_WRITE_DOCS=1 pytest tests/unit/test_docs_operations.py``."""

from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path
from typing import Dict, List

from mock_iotjobs.coverage import coverage_table
from mock_iotjobs.handlers.base import HANDLERS

DOC = Path(__file__).resolve().parents[2] / "docs" / "operations.md"

_DOMAINS = {
    "registry": "Registry: things, thing types, thing groups (static and dynamic), billing groups, fleet indexing",
    "security": "Security: certificates, CA certificates, policies, thing principals, role aliases, "
    "domain configurations, TestAuthorization",
    "jobs": "Jobs: jobs, executions, templates, the jobs device plane",
    "commands": "Commands",
    "events": "Event configurations",
    "rules": "Topic rules (stored, never run)",
    "shadows": "Device shadows and the rest of iot-data",
    "endpoint": "Endpoints",
    "tags": "Tags",
}


def _domain(service: str, operation: str) -> str:
    module = HANDLERS[(service, operation)].__module__.split(".")
    return module[2]


def render() -> str:
    table = coverage_table()
    served: Dict[str, List[str]] = defaultdict(list)
    for service, rows in table.items():
        for operation, implemented in rows:
            if implemented:
                served[_domain(service, operation)].append(f"`{service}` {operation}")
    lines = [
        "# Operations served",
        "",
        "Generated from the handler table (`tests/unit/test_docs_operations.py` keeps it",
        "exact). Every operation of the three botocore models is routed and validated;",
        "the ones below are served, every other one answers `501 NotImplementedException`",
        "naming itself. `python -m mock_iotjobs coverage` prints the same from the code.",
        "",
    ]
    totals = ", ".join(f"`{s}` {sum(i for _, i in rows)} of {len(rows)}" for s, rows in table.items())
    lines += [f"Served: {totals}.", ""]
    for key, title in _DOMAINS.items():
        if served.get(key):
            lines += [f"## {title}", "", ", ".join(sorted(served[key])), ""]
    missing = [op for op, implemented in table["iot"] if not implemented]
    lines += [f"## Not served (`iot`, {len(missing)}: each answers 501)", "", ", ".join(missing), ""]
    return "\n".join(lines)


def test_operations_doc_is_current() -> None:
    expected = render()
    if os.environ.get("MOCK_IOTJOBS_WRITE_DOCS"):
        DOC.write_text(expected)
    assert DOC.read_text() == expected, "docs/operations.md is stale: regenerate it (see this module's docstring)"


def test_every_handler_has_a_domain_heading() -> None:
    assert {_domain(s, o) for s, o in HANDLERS} <= set(_DOMAINS)


def test_every_iot_operation_moto_serves_is_served_here() -> None:
    """The "coming from moto" promise (docs/plugin.md): nothing in the code under test changes."""
    import inspect

    import pytest
    from botocore import xform_name

    responses = pytest.importorskip("moto.iot.responses")
    data_responses = pytest.importorskip("moto.iotdata.responses")
    table = coverage_table()
    for service, response_class in (("iot", responses.IoTResponse), ("iot-data", data_responses.IoTDataPlaneResponse)):
        by_method = {xform_name(op): op for op, _ in table[service]}
        methods = [name for name, _ in inspect.getmembers(response_class, inspect.isfunction)]
        moto_ops = {by_method[m] for m in methods if m in by_method}
        ours = {op for op, implemented in table[service] if implemented}
        assert moto_ops and moto_ops <= ours, sorted(moto_ops - ours)
