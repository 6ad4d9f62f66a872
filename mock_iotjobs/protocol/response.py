"""Shape a handler's result into the rest-json response the model declares.

Handlers return plain dicts keyed by member name with timestamps as epoch
seconds (floats).  A per-shape plan says what needs converting; structures
drop their None members, and subtrees without structures, timestamps or
blobs (lists and maps of strings) are emitted as they are.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import json
import random
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Tuple

from botocore.model import Shape

from .errors import ServiceError
from .models import operation_model
from .wire import HttpResponse

Converter = Callable[[Any], Any]
_random_bits = random.getrandbits


def _timestamp(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.timestamp()
    if isinstance(value, float):
        return round(value, 3)
    return value


def _drop_none(value: Dict[str, Any]) -> Dict[str, Any]:
    return {key: item for key, item in value.items() if item is not None}


def _blob(value: Any) -> Any:
    return base64.b64encode(value).decode() if isinstance(value, bytes) else value


class _PlanBuilder:
    def __init__(self) -> None:
        self._done: Dict[str, Optional[Converter]] = {}

    def build(self, shape: Shape) -> Optional[Converter]:
        if shape.name in self._done:
            return self._done[shape.name]
        cell: List[Optional[Converter]] = [None]
        self._done[shape.name] = lambda v: cell[0](v) if cell[0] else v
        converter = self._make(shape)
        cell[0] = converter
        self._done[shape.name] = converter
        return converter

    def _make(self, shape: Shape) -> Optional[Converter]:
        kind = shape.type_name
        if kind == "timestamp":
            return _timestamp
        if kind == "blob":
            return _blob
        if kind == "list":
            item = self.build(shape.member)
            if item is None:
                return None
            return lambda v: [item(x) for x in v]
        if kind == "map":
            value_conv = self.build(shape.value)
            if value_conv is None:
                return None
            return lambda v: {k: value_conv(x) for k, x in v.items()}
        if kind == "structure":
            members = {}
            for name, member in shape.members.items():
                converter = self.build(member)
                if converter is not None:
                    members[name] = converter
            if not members:
                # Nothing to convert below, but absent (None) members are still omitted.
                return _drop_none

            def convert(value: Dict[str, Any]) -> Dict[str, Any]:
                out = {}
                for key, item in value.items():
                    if item is None:
                        continue
                    conv = members.get(key)
                    out[key] = conv(item) if conv is not None else item
                return out

            return convert
        return None


_BUILDERS: Dict[str, _PlanBuilder] = {}


@dataclass
class OutputPlan:
    status: int
    headers: List[Tuple[str, str]]
    status_member: Optional[str]
    converter: Optional[Converter]
    # A member sent as the raw body (iot-data's shadow documents), not inside a JSON object.
    payload_member: Optional[str] = None


@functools.lru_cache(maxsize=None)
def output_plan(service: str, operation: str) -> OutputPlan:
    model = operation_model(service, operation)
    status = model.http.get("responseCode", 200)
    shape = model.output_shape
    if shape is None:
        return OutputPlan(status, [], None, None)
    headers = []
    status_member = None
    for name, member in shape.members.items():
        location = member.serialization.get("location")
        if location == "header":
            headers.append((name, member.serialization.get("name", name)))
        elif location == "statusCode":
            status_member = name
    payload = shape.serialization.get("payload")
    if payload is not None:
        return OutputPlan(status, headers, status_member, None, payload)
    builder = _BUILDERS.setdefault(service, _PlanBuilder())
    return OutputPlan(status, headers, status_member, builder.build(shape))


def new_request_id() -> str:
    """A random version-4 UUID, as AWS's request ids are.  Not for anything secret:
    ``random`` instead of ``uuid4``'s os.urandom syscall (a few % of a small call)."""
    bits = (_random_bits(128) & ~(0xF000 << 64) | (0x4000 << 64)) & ~(0xC << 60) | (0x8 << 60)
    text = f"{bits:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def _json(document: Any) -> bytes:
    text = json.dumps(document, separators=(",", ":"), ensure_ascii=False)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        # A lone surrogate got in (parsing refuses them; this is the safety net): JSON's
        # \u escapes carry it as valid ASCII instead of crashing the answer.
        return json.dumps(document, separators=(",", ":")).encode("ascii")


def success(service: str, operation: str, result: Optional[Dict[str, Any]], request_id: str) -> HttpResponse:
    plan = output_plan(service, operation)
    headers = {"Content-Type": "application/json", "x-amzn-RequestId": request_id}
    status = plan.status
    document = result or {}
    if plan.headers or plan.status_member:
        document = dict(document)
        for name, wire in plan.headers:
            value = document.pop(name, None)
            if value is not None:
                headers[wire] = str(value)
        if plan.status_member and plan.status_member in document:
            status = int(document.pop(plan.status_member))
    if plan.payload_member is not None:
        raw = document.get(plan.payload_member)
        body = raw if isinstance(raw, bytes) else (_json(raw) if raw is not None else b"")
        return HttpResponse(status, headers, body)
    if plan.converter is not None:
        document = plan.converter(document)
    return HttpResponse(status, headers, _json(document))


def failure(service: str, error: ServiceError, request_id: str) -> HttpResponse:
    body: Dict[str, Any] = {"message": error.message}
    body.update(error.members)
    headers = {
        "Content-Type": "application/json",
        "x-amzn-RequestId": request_id,
        "x-amzn-ErrorType": error.code,
    }
    return HttpResponse(error.status_for(service), headers, _json(body))
