"""Turn an HTTP request into the operation's parameters, typed per its input shape.

A plan is built once per operation from the model (which member lives in the
URI, the query string, a header or the JSON body); parsing a request is then
a few dictionary look-ups plus type conversion.  A value of the wrong type is
an ``InvalidRequestException``, never a crash.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import functools
import json
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Tuple
from urllib.parse import parse_qs

from botocore.model import Shape

from .errors import ServiceError, invalid_request
from .models import operation_model
from .text import may_hold_surrogates, surrogate_error, surrogate_path
from .validation import error_code

_INT_BOUNDS = {"integer": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}

Member = Tuple[str, Shape]


@dataclass
class InputPlan:
    uri: Dict[str, Member] = field(default_factory=dict)
    query: Dict[str, Member] = field(default_factory=dict)
    query_map: Optional[Member] = None
    headers: Dict[str, Member] = field(default_factory=dict)
    header_maps: List[Tuple[str, str, Shape]] = field(default_factory=list)
    body: Dict[str, Member] = field(default_factory=dict)
    payload: Optional[Member] = None


@functools.lru_cache(maxsize=None)
def input_plan(service: str, operation: str) -> InputPlan:
    plan = InputPlan()
    shape = operation_model(service, operation).input_shape
    if shape is None:
        return plan
    payload_name = shape.serialization.get("payload")
    for name, member in shape.members.items():
        location = member.serialization.get("location")
        wire = member.serialization.get("name", name)
        if name == payload_name:
            plan.payload = (name, member)
        elif location == "uri":
            plan.uri[wire] = (name, member)
        elif location == "querystring":
            if member.type_name == "map":
                plan.query_map = (name, member)
            else:
                plan.query[wire] = (name, member)
        elif location == "header":
            plan.headers[wire.lower()] = (name, member)
        elif location == "headers":
            plan.header_maps.append((wire.lower(), name, member))
        elif location is None:
            plan.body[wire] = (name, member)
    return plan


def parse_request(
    service: str,
    operation: str,
    labels: Mapping[str, str],
    query: str,
    headers: Mapping[str, str],
    body: bytes,
) -> Dict[str, Any]:
    """Parameters keyed by member name, typed per the input shape.

    A request that cannot be read answers InvalidRequestException, or the
    ValidationException of the operations (the commands API) that declare only that."""
    try:
        return _parse_request(service, operation, labels, query, headers, body)
    except ServiceError as error:
        code = error_code(service, operation)
        if error.code == "InvalidRequestException" and code != error.code:
            raise ServiceError(code, error.message) from None
        raise


def _parse_request(
    service: str,
    operation: str,
    labels: Mapping[str, str],
    query: str,
    headers: Mapping[str, str],
    body: bytes,
) -> Dict[str, Any]:
    plan = input_plan(service, operation)
    params: Dict[str, Any] = {}
    for wire, raw in labels.items():
        member = plan.uri.get(wire)
        if member is not None:
            params[member[0]] = _from_text(raw, member[1], wire)
    if query:
        _parse_query(plan, query, params)
    if plan.headers or plan.header_maps:
        _parse_headers(plan, headers, params)
    if plan.payload is not None:
        name, shape = plan.payload
        if shape.type_name in ("blob", "string"):
            if body:
                params[name] = body if shape.type_name == "blob" else body.decode("utf-8", "replace")
        elif body:
            params[name] = _from_json(_load_json(body), shape, name)
    elif plan.body and body:
        document = _load_json(body)
        if not isinstance(document, dict):
            raise invalid_request("The request body must be a JSON object")
        for wire, value in document.items():
            member = plan.body.get(wire)
            if member is not None and value is not None:
                params[member[0]] = _from_json(value, member[1], member[0])
    return params


def _load_json(body: bytes) -> Any:
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise invalid_request("Could not parse the request body as JSON") from None
    except RecursionError:  # nested deeper than any model shape: refuse, do not crash
        raise invalid_request("Could not parse the request body as JSON: it is nested too deeply") from None
    if may_hold_surrogates(body):
        where = surrogate_path(document)
        if where is not None:
            raise surrogate_error(where)
    return document


def _parse_query(plan: InputPlan, query: str, params: Dict[str, Any]) -> None:
    for key, values in parse_qs(query, keep_blank_values=True).items():
        member = plan.query.get(key)
        if member is not None:
            name, shape = member
            if shape.type_name == "list":
                params[name] = [_from_text(v, shape.member, key) for v in values]
            else:
                params[name] = _from_text(values[0], shape, key)
        elif plan.query_map is not None:
            name, shape = plan.query_map
            params.setdefault(name, {})[key] = values[0]


def _parse_headers(plan: InputPlan, headers: Mapping[str, str], params: Dict[str, Any]) -> None:
    for key, value in headers.items():
        lower = key.lower()
        member = plan.headers.get(lower)
        if member is not None:
            params[member[0]] = _from_text(value, member[1], key)
            continue
        for prefix, name, _shape in plan.header_maps:
            if lower.startswith(prefix):
                params.setdefault(name, {})[lower[len(prefix) :]] = value


def _type_error(where: str, expected: str, value: Any) -> Exception:
    return invalid_request(f"Value '{value}' at '{where}' is not a valid {expected}")


def _from_text(raw: str, shape: Shape, where: str) -> Any:
    kind = shape.type_name
    if kind == "string":
        return raw
    if kind in ("integer", "long"):
        try:
            return _check_int(int(raw), kind, where)
        except ValueError:
            raise _type_error(where, kind, raw) from None
    if kind == "boolean":
        lowered = raw.lower()
        if lowered in ("true", "false"):
            return lowered == "true"
        raise _type_error(where, kind, raw)
    if kind in ("double", "float"):
        try:
            return float(raw)
        except ValueError:
            raise _type_error(where, kind, raw) from None
    if kind == "timestamp":
        return _timestamp(raw, where)
    if kind == "blob":
        return raw.encode()
    raise _type_error(where, kind, raw)


def _check_int(value: int, kind: str, where: str) -> int:
    low, high = _INT_BOUNDS[kind]
    if not low <= value <= high:
        raise _type_error(where, kind, value)
    return value


def _timestamp(raw: Any, where: str) -> float:
    if isinstance(raw, bool):
        raise _type_error(where, "timestamp", raw)
    if isinstance(raw, (int, float)):
        return float(raw)
    if isinstance(raw, str):
        try:
            return float(raw)
        except ValueError:
            pass
        try:
            parsed = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            raise _type_error(where, "timestamp", raw) from None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=dt.timezone.utc)
        return parsed.timestamp()
    raise _type_error(where, "timestamp", raw)


def _from_json(value: Any, shape: Shape, where: str) -> Any:
    kind = shape.type_name
    if kind == "string":
        if isinstance(value, str):
            return value
    elif kind == "structure":
        if isinstance(value, dict):
            return _structure(value, shape, where)
    elif kind == "list":
        if isinstance(value, list):
            item = shape.member
            return [_from_json(v, item, f"{where}.{i + 1}.member") for i, v in enumerate(value)]
    elif kind == "map":
        if isinstance(value, dict):
            key_shape, value_shape = shape.key, shape.value
            return {
                _from_json(k, key_shape, where): _from_json(v, value_shape, f"{where}.{k}")
                for k, v in value.items()
            }
    elif kind in ("integer", "long"):
        if isinstance(value, int) and not isinstance(value, bool):
            return _check_int(value, kind, where)
        if isinstance(value, float) and value.is_integer():
            return _check_int(int(value), kind, where)
    elif kind == "boolean":
        if isinstance(value, bool):
            return value
    elif kind in ("double", "float"):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    elif kind == "timestamp":
        return _timestamp(value, where)
    elif kind == "blob":
        if isinstance(value, str):
            try:
                return base64.b64decode(value, validate=True)
            except (binascii.Error, ValueError):
                pass
    raise _type_error(where, kind, value)


def _structure(value: Dict[str, Any], shape: Shape, where: str) -> Dict[str, Any]:
    members = shape.members
    result: Dict[str, Any] = {}
    for key, item in value.items():
        member = members.get(key)
        if member is not None and item is not None:
            result[key] = _from_json(item, member, f"{where}.{key}")
    return result
