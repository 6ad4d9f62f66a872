"""A handler's result as botocore's parser would hand it to the caller, without JSON.

The fast path used to shape a result into rest-json bytes and run botocore's
parser on them: on a 250-item page that round trip (and the parser's
per-value dispatch) cost ~30 times the botocore Stubber.  Here one plan per
output shape converts the result straight into the values the parser
produces: only the members the model declares and that have a value,
timestamps as ``datetime`` in botocore's own time zone (``tzlocal``, as
``botocore.utils.parse_timestamp`` makes them), blobs as bytes, tuples as
lists.  ``fastpath.py`` can check every answer against the parser
(``fastpath.CHECK_PARSED``, or ``MOCK_IOTJOBS_CHECK_PARSED=1`` at import: the differential tests).

Only outputs whose members all travel in the JSON body qualify
(:func:`direct_plan` returns None otherwise); the rest take the byte path.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import time
from typing import Any, Callable, Dict, List, Optional, Tuple

from botocore.model import Shape
from botocore.utils import get_tzinfo_options, parse_timestamp

from .models import operation_model
from .response import OutputPlan, output_plan

Converter = Callable[[Any], Any]
_TZ = get_tzinfo_options()[0]()
# dateutil's tzlocal converts in Python (~3 µs a value, 80 % of a 250-item page).
# When the local zone is UTC without DST (servers, CI), its answer is the UTC
# wall time with fold 0: the C conversion gives the same value and tzinfo.
_LOCAL_IS_UTC = time.timezone == 0 and time.altzone == 0 and not time.daylight
_UTC = dt.timezone.utc
# Converted timestamps by the handler's value (see _cached_timestamp).
_SEEN: Dict[Any, dt.datetime] = {}
_SEEN_MAX = 4096


def _from_epoch(value: Any) -> dt.datetime:
    if _LOCAL_IS_UTC:
        return dt.datetime.fromtimestamp(value, _UTC).replace(tzinfo=_TZ)
    return dt.datetime.fromtimestamp(value, _TZ)


def _timestamp(value: Any) -> Any:
    # The byte path writes datetimes as .timestamp(), floats rounded to ms; the
    # parser then reads the number back with parse_timestamp (tzlocal).
    if isinstance(value, dt.datetime):
        value = value.timestamp()
    elif isinstance(value, float):
        value = round(value, 3)
    elif not isinstance(value, int):
        return parse_timestamp(value)
    try:
        return _from_epoch(value)
    except (OSError, OverflowError, ValueError):
        return parse_timestamp(value)


def _blob(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    return base64.b64decode(value)


def _number(value: Any) -> Any:
    return int(value)


def _plain(value: Any) -> Any:
    return value


def _copy_list(value: Any) -> List[Any]:
    return list(value)


def _copy_map(value: Any) -> Dict[Any, Any]:
    return dict(value)


class _Planner:
    """One converter per shape name (recursive shapes resolve through a cell)."""

    def __init__(self) -> None:
        self._done: Dict[str, Converter] = {}

    def build(self, shape: Shape) -> Converter:
        done = self._done.get(shape.name)
        if done is not None:
            return done
        cell: List[Converter] = []
        self._done[shape.name] = lambda value: cell[0](value)
        converter = self._make(shape)
        cell.append(converter)
        self._done[shape.name] = converter
        return converter

    def _make(self, shape: Shape) -> Converter:
        kind = shape.type_name
        if kind == "timestamp":
            return _timestamp
        if kind == "blob":
            return _blob
        if kind in ("integer", "long"):
            return _number
        if kind == "list":
            item = self.build(shape.member)
            if item is _plain:
                return _copy_list
            return lambda value: [None if x is None else item(x) for x in value]
        if kind == "map":
            key, val = self.build(shape.key), self.build(shape.value)
            if key is _plain and val is _plain:
                return _copy_map
            return lambda value: {key(k): None if v is None else val(v) for k, v in value.items()}
        if kind == "structure":
            if shape.is_document_type:
                return _plain
            return _StructureCompiler(self).compile(shape)
        return _plain  # strings, booleans, floats, doubles: the JSON value as it is


def _cached_timestamp(value: Any) -> Any:
    """``_timestamp`` memoised on the handler's value: a page's timestamps repeat
    (one CreateJob queues every execution at the same instant) and datetimes
    are immutable, so handing out the same object is safe."""
    known = _SEEN.get(value)
    if known is None:
        if len(_SEEN) >= _SEEN_MAX:
            _SEEN.clear()
        known = _SEEN[value] = _timestamp(value)
    return known


class _StructureCompiler:
    """One straight-line function per top structure shape (a page converts thousands
    of them): members read, tested and converted inline in model order, nested
    structures and lists of them inlined too (up to ``_INLINE_DEPTH``; deeper or
    recursive shapes call their own converter)."""

    def __init__(self, planner: "_Planner") -> None:
        self._planner = planner
        self._env: Dict[str, Any] = {"seen": _SEEN.get, "stamp": _cached_timestamp}
        self._lines: List[str] = []
        self._names = 0

    def _fresh(self, stem: str) -> str:
        self._names += 1
        return f"{stem}{self._names}"

    def compile(self, shape: Shape) -> Converter:
        self._lines = ["def structure(value):"]
        result = self._structure(shape, "value", 1, (shape.name,))
        self._lines.append(f"    return {result}")
        exec("\n".join(self._lines), self._env)  # noqa: S102 - source built from model member names only
        return self._env["structure"]  # type: ignore[no-any-return]

    def _emit(self, depth: int, line: str) -> None:
        self._lines.append("    " * depth + line)

    def _structure(self, shape: Shape, source: str, depth: int, stack: Tuple[str, ...]) -> str:
        """Emit code turning the dict in ``source`` into a new dict; returns its variable."""
        # "k in d" and d[k] are plain bytecodes, cheaper than a d.get(k) call; absent
        # members (the common case for optional ones) then cost one test.
        out = self._fresh("out")
        self._emit(depth, f"{out} = {{}}")
        for name, member in shape.members.items():
            item, wire = self._fresh("x"), member.serialization.get("name", name)
            self._emit(depth, f"if {wire!r} in {source}:")
            self._emit(depth + 1, f"{item} = {source}[{wire!r}]")
            self._emit(depth + 1, f"if {item} is not None:")
            self._emit(depth + 2, f"{out}[{name!r}] = {self._value(member, item, depth + 2, stack)}")
        return out

    def _value(self, shape: Shape, source: str, depth: int, stack: Tuple[str, ...]) -> str:
        """Emit code for one non-None value; returns the expression of the result."""
        kind = shape.type_name
        inline = len(stack) < _INLINE_DEPTH and shape.name not in stack
        if kind == "structure" and not shape.is_document_type and inline:
            return self._structure(shape, source, depth, stack + (shape.name,))
        if kind == "list" and shape.member.type_name == "structure" and inline:
            items, item, append = self._fresh("items"), self._fresh("item"), self._fresh("append")
            self._emit(depth, f"{items} = []")
            self._emit(depth, f"{append} = {items}.append")
            self._emit(depth, f"for {item} in {source}:")
            self._emit(depth + 1, f"if {item} is None:")
            self._emit(depth + 2, f"{append}(None)")
            self._emit(depth + 2, "continue")
            converted = self._value(shape.member, item, depth + 1, stack + (shape.name,))
            self._emit(depth + 1, f"{append}({converted})")
            return items
        convert = self._planner.build(shape)
        if convert is _plain:
            return source
        if convert is _number:
            return f"({source} if {source}.__class__ is int else int({source}))"
        if convert is _timestamp:
            return f"(seen({source}) or stamp({source}))"
        name = self._fresh("convert")
        self._env[name] = convert
        return f"{name}({source})"


_INLINE_DEPTH = 4


_PLANNERS: Dict[str, _Planner] = {}


@functools.lru_cache(maxsize=None)
def direct_plan(service: str, operation: str) -> Optional[Tuple[OutputPlan, Converter]]:
    """The converter for an operation's successful result, or None when the output
    has header, status-code or payload members (those take the byte path)."""
    plan = output_plan(service, operation)
    if plan.headers or plan.status_member:
        return None
    shape = operation_model(service, operation).output_shape
    if shape is None:
        return plan, lambda value: {}
    if "payload" in shape.serialization:
        return None
    if any(member.serialization.get("location") for member in shape.members.values()):
        return None
    planner = _PLANNERS.setdefault(service, _Planner())
    return plan, planner.build(shape)
