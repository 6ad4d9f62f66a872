"""Fuzzing every implemented operation from botocore's model, bounded for CI.

For each operation, hypothesis draws parameters from the input shape — mostly
plausible values (enums, pattern-shaped strings, in-range numbers, names of
seeded resources) mixed with hostile ones (wrong lengths, out-of-range
numbers, junk strings).  Every answer must be a success or a modeled 4xx
error; a refused call must leave the state exactly as it was.
Raise FUZZ_EXAMPLES for a longer run.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any, Dict, Set, Tuple

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.model import Shape
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mock_iotjobs import mock_iotjobs
from mock_iotjobs.dispatch import serve
from mock_iotjobs.handlers.base import HANDLERS
from mock_iotjobs.protocol.models import operation_model
from mock_iotjobs.protocol.wire import HttpRequest

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "20"))
REGION = "us-east-1"
ACCOUNT = "123456789012"
CONFIG = Config(parameter_validation=False, retries={"max_attempts": 1, "mode": "standard"})
# Errors any operation may answer although the model does not list them.
GENERIC = {"UnknownOperationException"}

KNOWN = {
    "thingName": ["t0", "t1", "t2"],
    "thingGroupName": ["g", "child"],
    "jobId": ["j", "c", "$next"],
    "jobTemplateId": ["tpl"],
    "templateName": ["AWS-Reboot", "AWS-Download-File"],
    "parentGroupName": ["g"],
}
ARNS = [
    f"arn:aws:iot:{REGION}:{ACCOUNT}:thing/t0",
    f"arn:aws:iot:{REGION}:{ACCOUNT}:thinggroup/g",
    f"arn:aws:iot:{REGION}:{ACCOUNT}:job/j",
    f"arn:aws:iot:{REGION}:{ACCOUNT}:jobtemplate/tpl",
]


def _string(shape: Shape, name: str) -> st.SearchStrategy[str]:
    meta = shape.metadata
    options = []
    if name in KNOWN:
        options.append(st.sampled_from(KNOWN[name]))
    if "enum" in meta:
        options.append(st.sampled_from(meta["enum"]))
    if name.endswith("Arn") or name == "targets":
        options.append(st.sampled_from(ARNS))
    pattern = meta.get("pattern")
    if pattern and "\\p" not in pattern:
        try:
            re.compile(pattern)
            low, high = meta.get("min", 0), min(meta.get("max", 64), 64)
            options.append(
                st.from_regex(pattern, fullmatch=True).filter(lambda s: low <= len(s) <= high)
            )
        except re.error:
            pass
    if name in ("document",):
        options.append(st.just(json.dumps({"op": "x"})))
    options.append(st.text(max_size=40))
    options.append(st.text(min_size=meta.get("max", 64) + 1, max_size=meta.get("max", 64) + 3)
                   if meta.get("max", 0) < 3000 else st.just(""))
    return st.one_of(options)


def _number(shape: Shape, floats: bool) -> st.SearchStrategy[Any]:
    low, high = shape.metadata.get("min", -5), shape.metadata.get("max", 10_000)
    inner = st.floats(low, high) if floats else st.integers(low, high)
    outer = st.floats(-1e6, 1e6) if floats else st.integers(-(2**40), 2**40)
    return st.one_of(inner, inner, outer)


def strategy(shape: Shape, name: str = "", depth: int = 0) -> st.SearchStrategy[Any]:
    kind = shape.type_name
    if kind == "string":
        return _string(shape, name)
    if kind in ("integer", "long"):
        return _number(shape, floats=False)
    if kind in ("double", "float"):
        return _number(shape, floats=True)
    if kind == "boolean":
        return st.booleans()
    if kind == "timestamp":
        return st.integers(0, 2**32)
    if kind == "blob":
        return st.binary(max_size=16)
    if kind == "list":
        if depth > 3:
            return st.just([])
        return st.lists(strategy(shape.member, name, depth + 1), max_size=3)
    if kind == "map":
        if depth > 3:
            return st.just({})
        return st.dictionaries(
            strategy(shape.key, "key", depth + 1), strategy(shape.value, "value", depth + 1), max_size=3
        )
    if kind == "structure":
        if depth > 3:
            return st.just({})
        required = {n: strategy(m, n, depth + 1) for n, m in shape.members.items() if n in shape.required_members}
        optional = {n: strategy(m, n, depth + 1) for n, m in shape.members.items() if n not in shape.required_members}
        return st.fixed_dictionaries(required, optional=optional)
    return st.none()


def _seed(iot: Any) -> None:
    for name in ("t0", "t1", "t2"):
        iot.create_thing(thingName=name)
    iot.create_thing_group(thingGroupName="g")
    iot.create_thing_group(thingGroupName="child", parentGroupName="g")
    iot.add_thing_to_thing_group(thingGroupName="child", thingName="t1")
    doc = json.dumps({"op": "seed"})
    iot.create_job(jobId="j", targets=[ARNS[1], ARNS[0]], document=doc)
    iot.create_job(jobId="c", targets=[ARNS[1]], document=doc, targetSelection="CONTINUOUS")
    iot.create_job_template(jobTemplateId="tpl", description="seed", document=doc)


OPERATIONS = sorted(HANDLERS)


def _method(client: Any, operation: str) -> Any:
    mapping = {v: k for k, v in client.meta.method_to_api_mapping.items()}
    return getattr(client, mapping[operation])


@pytest.mark.parametrize("service,operation", OPERATIONS, ids=[f"{s}:{o}" for s, o in OPERATIONS])
def test_operation_answers_success_or_modeled_error(service: str, operation: str) -> None:
    model = operation_model(service, operation)
    allowed = {shape.name for shape in model.error_shapes} | GENERIC
    params_strategy = strategy(model.input_shape) if model.input_shape is not None else st.just({})
    seen: Set[Tuple[str, int]] = set()

    # One seeded mock per operation: successful calls let the state evolve,
    # which only widens what later examples meet.
    with mock_iotjobs(fast_path=False) as mock:
        iot = boto3.client("iot", region_name=REGION, config=CONFIG)
        client = boto3.client(service, region_name=REGION, config=CONFIG)
        _seed(iot)
        backend = mock.backend()
        _fuzz(client, operation, params_strategy, backend, allowed, seen)


def _fuzz(client: Any, operation: str, params_strategy: Any, backend: Any, allowed: Set[str],
          seen: Set[Tuple[str, int]]) -> None:
    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(params=params_strategy)
    def run(params: Dict[str, Any]) -> None:
        before = json.dumps(backend.snapshot(), sort_keys=True, default=str)
        try:
            _method(client, operation)(**params)
        except ClientError as error:
            status = error.response["ResponseMetadata"]["HTTPStatusCode"]
            code = error.response["Error"]["Code"]
            seen.add((code, status))
            assert status < 500, (operation, params, error.response)
            assert code in allowed, (operation, code, params)
            after = json.dumps(backend.snapshot(), sort_keys=True, default=str)
            assert after == before, f"refused {operation} changed state: {params}"
        except (TypeError, ValueError, AttributeError, KeyError):
            # botocore itself could not serialise this value; nothing was sent.
            pass

    run()


_RAW = st.fixed_dictionaries({
    "method": st.sampled_from(["GET", "PUT", "POST", "PATCH", "DELETE", "HEAD", "OPTIONS"]),
    "path": st.one_of(
        st.sampled_from(["/things/t0", "/jobs/j", "/things/t0/jobs/$next", "/things/t0/jobs/j",
                         "/thing-groups/g", "/endpoint", "/jobs", "/", "//", "/%ZZ", "/things/%00"]),
        st.text(max_size=30).map(lambda s: "/" + s),
    ),
    "query": st.one_of(st.just(""), st.sampled_from(["maxResults=abc", "force=maybe", "a=%ZZ&&=&"]),
                       st.text(max_size=20)),
    "body": st.one_of(st.just(b""), st.binary(max_size=64), st.sampled_from([
        b"{", b"[]", b"null", b'{"expectedVersion": "abc"}', b'{"targets": "x"}', b"\xff\xfe",
        b'{"document": ' + b'"' + b"x" * 40000 + b'"}',
    ])),
    "service": st.sampled_from(["iot", "iot-jobs-data"]),
})


@settings(max_examples=EXAMPLES * 10, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
@given(raw=_RAW)
def test_raw_http_garbage_never_breaks_the_mock(raw: Dict[str, Any]) -> None:
    with mock_iotjobs() as mock:
        store = mock._store  # the pipeline is transport-neutral: drive it directly
        auth = f"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/{REGION}/{raw['service']}/aws4_request"
        request = HttpRequest(raw["method"], f"iot.{REGION}.amazonaws.com", raw["path"], raw["query"],
                              {"Authorization": auth, "Content-Type": "application/json"}, raw["body"])
        answer = serve(store, request)
        assert 200 <= answer.status < 500, (raw, answer)
        if answer.status >= 400:
            assert "message" in json.loads(answer.body)
