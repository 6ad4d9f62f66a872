"""Validate parameters against every constraint in the service model.

Each shape is compiled once into a checker closure; shapes whose whole subtree
carries no constraint compile to ``None`` and cost nothing per request.
Messages follow AWS's form::

    1 validation error detected: Value 'bad id!' at 'jobId' failed to satisfy
    constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_-]+
"""

from __future__ import annotations

import functools
from typing import Any, Callable, Dict, List, Optional

import regex
from botocore.model import Shape

from .errors import ServiceError, invalid_request
from .models import operation_model

Checker = Callable[[Any, str, List[str]], None]

# Java's POSIX classes are ASCII-only; the ``regex`` module's are Unicode-wide.
_JAVA_POSIX = {
    r"\p{Graph}": r"\x21-\x7e",
    r"\p{Upper}": "A-Z",
    r"\p{Lower}": "a-z",
    r"\p{Digit}": "0-9",
    r"\p{Alpha}": "a-zA-Z",
    r"\p{Alnum}": "a-zA-Z0-9",
    r"\p{Cntrl}": r"\x00-\x1f\x7f",
    r"\p{Print}": r"\x20-\x7e",
    r"\p{Space}": r" \t\n\x0b\f\r",
}


@functools.lru_cache(maxsize=None)
def compile_pattern(pattern: str) -> "regex.Pattern[str]":
    return regex.compile(_translate_posix(pattern))


def _translate_posix(pattern: str) -> str:
    """Replace Java's POSIX classes by ASCII ranges, bracketed when outside a class."""
    out: List[str] = []
    in_class = False
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            escape = pattern[i : pattern.find("}", i) + 1] if pattern.startswith("\\p{", i) else ""
            if escape in _JAVA_POSIX:
                ascii_range = _JAVA_POSIX[escape]
                out.append(ascii_range if in_class else f"[{ascii_range}]")
                i += len(escape)
                continue
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if char == "[" and not in_class:
            in_class = True
            out.append(char)
            # A "]" right after "[" or "[^" is a literal member, not the end.
            for literal in ("^", "]"):
                if pattern.startswith(literal, i + 1):
                    out.append(literal)
                    i += 1
        elif char == "]" and in_class:
            in_class = False
            out.append(char)
        else:
            out.append(char)
        i += 1
    return "".join(out)


def render(value: Any) -> str:
    """A value as AWS's (Java) messages print it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(render(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{render(k)}={render(v)}" for k, v in value.items()) + "}"
    if isinstance(value, bytes):
        return f"java.nio.HeapByteBuffer[pos=0 lim={len(value)} cap={len(value)}]"
    return str(value)


def _fail(value: Any, path: str, constraint: str) -> str:
    shown = "null" if value is None else f"'{render(value)}'"
    return f"Value {shown} at '{path}' failed to satisfy constraint: {constraint}"


def _scalar_constraints(shape: Shape) -> List[Callable[[Any], Optional[str]]]:
    """Checks for one value of ``shape`` that return the failed constraint or None."""
    meta = shape.metadata
    kind = shape.type_name
    checks: List[Callable[[Any], Optional[str]]] = []
    # Each message gets its own name: the lambdas close over variables, not values.
    sized = kind in ("string", "list", "map", "blob")
    noun = "length" if sized else "value"
    if "min" in meta and kind != "structure":
        low = meta["min"]
        too_small = f"Member must have {noun} greater than or equal to {low}"
        if sized:
            checks.append(lambda v: too_small if len(v) < low else None)
        else:
            checks.append(lambda v: too_small if v < low else None)
    if "max" in meta and kind != "structure":
        high = meta["max"]
        too_big = f"Member must have {noun} less than or equal to {high}"
        if sized:
            checks.append(lambda v: too_big if len(v) > high else None)
        else:
            checks.append(lambda v: too_big if v > high else None)
    if kind == "string" and "enum" in meta:
        allowed = frozenset(meta["enum"])
        not_allowed = "Member must satisfy enum value set: [" + ", ".join(meta["enum"]) + "]"
        checks.append(lambda v: not_allowed if v not in allowed else None)
    if kind == "string" and "pattern" in meta:
        compiled = compile_pattern(meta["pattern"])
        text = f"Member must satisfy regular expression pattern: {meta['pattern']}"
        checks.append(lambda v: text if compiled.fullmatch(v) is None else None)
    return checks


class _Compiler:
    """Compiles shapes to checkers, memoised by shape name (models are recursive)."""

    def __init__(self) -> None:
        self._done: Dict[str, Optional[Checker]] = {}

    def compile(self, shape: Shape) -> Optional[Checker]:
        key = shape.name
        if key in self._done:
            return self._done[key]
        cell: List[Optional[Checker]] = [None]
        # A recursive reference sees this trampoline until compilation finishes.
        self._done[key] = lambda v, p, e: cell[0](v, p, e) if cell[0] else None
        checker = self._build(shape)
        cell[0] = checker
        self._done[key] = checker
        return checker

    def _build(self, shape: Shape) -> Optional[Checker]:
        own = _scalar_constraints(shape)
        kind = shape.type_name
        if kind == "structure":
            return self._structure(shape)
        inner: Optional[Checker] = None
        if kind == "list":
            inner = self._list(shape)
        elif kind == "map":
            inner = self._map(shape)
        if not own and inner is None:
            return None

        def check(value: Any, path: str, errors: List[str]) -> None:
            for constraint in own:
                failed = constraint(value)
                if failed:
                    errors.append(_fail(value, path, failed))
            if inner is not None:
                inner(value, path, errors)

        return check

    def _structure(self, shape: Shape) -> Optional[Checker]:
        required = list(shape.required_members)
        members = {
            name: checker
            for name, member in shape.members.items()
            if (checker := self.compile(member)) is not None
        }
        if not required and not members:
            return None

        def check(value: Any, path: str, errors: List[str]) -> None:
            prefix = f"{path}." if path else ""
            for name in required:
                if value.get(name) is None:
                    errors.append(_fail(None, prefix + name, "Member must not be null"))
            for name, item in value.items():
                checker = members.get(name)
                if checker is not None and item is not None:
                    checker(item, prefix + name, errors)

        return check

    def _list(self, shape: Shape) -> Optional[Checker]:
        item = self.compile(shape.member)
        if item is None:
            return None

        def check(value: Any, path: str, errors: List[str]) -> None:
            for index, element in enumerate(value):
                item(element, f"{path}.{index + 1}.member", errors)

        return check

    def _map(self, shape: Shape) -> Optional[Checker]:
        key_checks = _scalar_constraints(shape.key)
        value_checks = _scalar_constraints(shape.value)
        nested = self.compile(shape.value) if shape.value.type_name in ("structure", "list", "map") else None
        if not key_checks and not value_checks and nested is None:
            return None

        def check(value: Any, path: str, errors: List[str]) -> None:
            for key, item in value.items():
                for constraint in key_checks:
                    failed = constraint(key)
                    if failed:
                        errors.append(
                            _fail(key, path, f"Map keys must satisfy constraint: [{failed}]")
                        )
                for constraint in value_checks:
                    failed = constraint(item)
                    if failed:
                        errors.append(
                            _fail(item, path, f"Map value must satisfy constraint: [{failed}]")
                        )
                if nested is not None:
                    nested(item, f"{path}.{key}", errors)

        return check


_COMPILERS: Dict[str, _Compiler] = {}


@functools.lru_cache(maxsize=None)
def _operation_checker(service: str, operation: str) -> Optional[Checker]:
    shape = operation_model(service, operation).input_shape
    if shape is None:
        return None
    compiler = _COMPILERS.setdefault(service, _Compiler())
    return compiler.compile(shape)


def validation_errors(service: str, operation: str, params: Dict[str, Any]) -> List[str]:
    checker = _operation_checker(service, operation)
    errors: List[str] = []
    if checker is not None:
        checker(params, "", errors)
    return errors


@functools.lru_cache(maxsize=None)
def error_code(service: str, operation: str) -> str:
    """``InvalidRequestException``, or ``ValidationException`` for the operations (such as
    the commands API) whose model declares only the latter."""
    names = {shape.name for shape in operation_model(service, operation).error_shapes}
    if "InvalidRequestException" not in names and "ValidationException" in names:
        return "ValidationException"
    return "InvalidRequestException"


def validate(service: str, operation: str, params: Dict[str, Any]) -> None:
    """Raise ``InvalidRequestException`` (or the operation's ``ValidationException``)
    listing every violated constraint."""
    errors = validation_errors(service, operation, params)
    if errors:
        count = len(errors)
        noun = "error" if count == 1 else "errors"
        message = f"{count} validation {noun} detected: " + "; ".join(errors)
        code = error_code(service, operation)
        if code == "InvalidRequestException":
            raise invalid_request(message)
        raise ServiceError(code, message)
