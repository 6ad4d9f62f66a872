"""An inverted index of flat documents, and the evaluation of query trees over it.

A document maps a field (``thingName``, ``attributes.firmware``,
``connectivity.connected``...) to its values.  The index keeps, per field,
value → names (lower-cased: AWS search is case-insensitive) and number →
names, with the distinct numbers sorted, so an equality costs one look-up and
a range one bisection plus the matching values — never a scan of every
document.  Wildcards and unfielded terms scan the distinct values only.

The same tree is also matched against a single document (``matches``), which
is what a dynamic thing group needs when one thing changes.
"""

from __future__ import annotations

import bisect
import fnmatch
import functools
import math
import re
from typing import Callable, Dict, Iterable, List, Optional, Set

from .search_query import And, Match, Node, Not, Or, Range, Value

Document = Dict[str, List[str]]


def as_number(text: str) -> Optional[float]:
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


@functools.lru_cache(maxsize=1024)
def _wildcard(pattern: str) -> "re.Pattern[str]":
    # fnmatch's [] classes are not part of the query language: escape them first.
    safe = pattern.replace("[", "\0").replace("]", "\1")
    regex = fnmatch.translate(safe.lower()).replace("\0", r"\[").replace("\1", r"\]")
    return re.compile(regex, re.DOTALL)


def value_matches(value: Value, text: str) -> bool:
    if value.wildcard:
        return value.text == "*" or bool(_wildcard(value.text).match(text.lower()))
    if text.lower() == value.text.lower():
        return True
    wanted, got = as_number(value.text), as_number(text)
    return wanted is not None and got is not None and wanted == got


def in_range(node: Range, text: str) -> bool:
    numeric = all(as_number(v.text) is not None for v in (node.low, node.high) if v is not None)
    got: object = as_number(text) if numeric else text.lower()
    if got is None:
        return False
    if node.low is not None:
        low = as_number(node.low.text) if numeric else node.low.text.lower()
        if got < low or (got == low and not node.low_inclusive):  # type: ignore[operator]
            return False
    if node.high is not None:
        high = as_number(node.high.text) if numeric else node.high.text.lower()
        if got > high or (got == high and not node.high_inclusive):  # type: ignore[operator]
            return False
    return True


def matches(node: Node, doc: Document) -> bool:
    """Whether one document satisfies the query tree."""
    if isinstance(node, Match):
        fields = doc.values() if node.field is None else [doc.get(node.field, [])]
        return any(value_matches(node.value, text) for values in fields for text in values)
    if isinstance(node, Range):
        return any(in_range(node, text) for text in doc.get(node.field, []))
    if isinstance(node, And):
        return all(matches(part, doc) for part in node.parts)
    if isinstance(node, Or):
        return any(matches(part, doc) for part in node.parts)
    return not matches(node.part, doc)


class InvertedIndex:
    """Documents by name, with per-field postings kept up to date on every change."""

    def __init__(self) -> None:
        self.docs: Dict[str, Document] = {}
        # Name → the thing's creation sequence, for result order without touching the things.
        self.order: Dict[str, int] = {}
        self._terms: Dict[str, Dict[str, Set[str]]] = {}
        self._numbers: Dict[str, Dict[float, Set[str]]] = {}
        self._sorted: Dict[str, List[float]] = {}
        self._having: Dict[str, Set[str]] = {}
        # Distinct lower-cased values per field, sorted on demand for prefix queries
        # (``thingName:dev-00*``); dropped whenever the field's values change.
        self._sorted_terms: Dict[str, List[str]] = {}

    def __len__(self) -> int:
        return len(self.docs)

    def put(self, name: str, doc: Document, order: int = 0) -> None:
        self.order[name] = order
        old = self.docs.get(name)
        if old == doc:
            return
        if old is not None:
            self._unpost(name, old)
        self.docs[name] = doc
        for field, values in doc.items():
            self._sorted_terms.pop(field, None)
            self._having.setdefault(field, set()).add(name)
            terms = self._terms.setdefault(field, {})
            for text in values:
                terms.setdefault(text.lower(), set()).add(name)
                number = as_number(text)
                if number is not None:
                    numbers = self._numbers.setdefault(field, {})
                    if number not in numbers:
                        numbers[number] = set()
                        bisect.insort(self._sorted.setdefault(field, []), number)
                    numbers[number].add(name)

    def remove(self, name: str) -> None:
        old = self.docs.pop(name, None)
        self.order.pop(name, None)
        if old is not None:
            self._unpost(name, old)

    def _unpost(self, name: str, doc: Document) -> None:
        for field, values in doc.items():
            self._sorted_terms.pop(field, None)
            _discard(self._having, field, name)
            terms = self._terms.get(field, {})
            for text in values:
                _discard(terms, text.lower(), name)
                number = as_number(text)
                numbers = self._numbers.get(field)
                if number is not None and numbers is not None and number in numbers:
                    numbers[number].discard(name)
                    if not numbers[number]:
                        del numbers[number]
                        ordered = self._sorted[field]
                        del ordered[bisect.bisect_left(ordered, number)]

    def field_values(self, field: str) -> Dict[str, Set[str]]:
        """Lower-cased value → names, for aggregations."""
        return self._terms.get(field, {})

    # --- evaluation over the index ------------------------------------------
    def search(self, node: Node) -> Set[str]:
        if isinstance(node, Match):
            return self._match(node)
        if isinstance(node, Range):
            return self._range(node)
        if isinstance(node, Or):
            found: Set[str] = set()
            for part in node.parts:
                found |= self.search(part)
            return found
        if isinstance(node, Not):
            return set(self.docs) - self.search(node.part)
        positives = [p for p in node.parts if not isinstance(p, Not)]
        negatives = [p.part for p in node.parts if isinstance(p, Not)]
        result = functools.reduce(lambda a, b: a & b, (self.search(p) for p in positives)) if positives else set(
            self.docs
        )
        for part in negatives:
            if not result:
                break
            result -= self.search(part)
        return result

    def _match(self, node: Match) -> Set[str]:
        fields: Iterable[str] = self._terms.keys() if node.field is None else [node.field]
        value = node.value
        if value.wildcard and value.text == "*" and node.field is not None:
            return set(self._having.get(node.field, ()))
        found: Set[str] = set()
        for field in fields:
            terms = self._terms.get(field, {})
            if value.wildcard:
                prefix = value.text[:-1].lower()
                if value.text.endswith("*") and not any(c in prefix for c in "*?\\"):
                    for text in self._with_prefix(field, prefix):
                        found |= terms[text]
                    continue
                pattern = _wildcard(value.text)
                for text, names in terms.items():
                    if pattern.match(text):
                        found |= names
                continue
            found |= terms.get(value.text.lower(), set())
            number = as_number(value.text)
            if number is not None:
                found |= self._numbers.get(field, {}).get(number, set())
        return found

    def _with_prefix(self, field: str, prefix: str) -> List[str]:
        ordered = self._sorted_terms.get(field)
        if ordered is None:
            ordered = self._sorted_terms[field] = sorted(self._terms.get(field, {}))
        start = bisect.bisect_left(ordered, prefix)
        stop = bisect.bisect_left(ordered, prefix + "\U0010ffff")
        return ordered[start:stop]

    def _range(self, node: Range) -> Set[str]:
        bounds = [v for v in (node.low, node.high) if v is not None]
        found: Set[str] = set()
        if all(as_number(v.text) is not None for v in bounds):
            ordered = self._sorted.get(node.field, [])
            numbers = self._numbers.get(node.field, {})
            start, stop = 0, len(ordered)
            low = as_number(node.low.text) if node.low is not None else None
            high = as_number(node.high.text) if node.high is not None else None
            if low is not None:
                cut: Callable[..., int] = bisect.bisect_left if node.low_inclusive else bisect.bisect_right
                start = cut(ordered, low)
            if high is not None:
                cut = bisect.bisect_right if node.high_inclusive else bisect.bisect_left
                stop = cut(ordered, high)
            for number in ordered[start:stop]:
                found |= numbers[number]
            return found
        for text, names in self._terms.get(node.field, {}).items():
            if in_range(node, text):
                found |= names
        return found


def _discard(table: Dict[str, Set[str]], key: str, name: str) -> None:
    names = table.get(key)
    if names is not None:
        names.discard(name)
        if not names:
            del table[key]
