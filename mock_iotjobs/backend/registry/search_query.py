"""The fleet-indexing query language, parsed with ``lark`` (search_grammar.py) into a small tree.

The language is the Lucene-like syntax of the AWS IoT developer guide ("Query
syntax", "Example thing queries"): terms and quoted phrases, ``field:value``,
``*``/``?`` wildcards, ``[a TO b]`` / ``{a TO b}`` ranges, ``<``, ``<=``,
``>``, ``>=`` comparisons, ``AND`` / ``OR`` / ``NOT`` and a leading ``-``
(AND is the default operator), parentheses, field grouping
(``thingName:(tv* AND -plasma)``) and ``\\`` escapes.  What AWS documents as
unsupported (regular expressions, fuzzy and proximity search, boosting) and
its limits (12 terms, one leading wildcard, 100 characters with one) answer
``InvalidQueryException``.

The tree is evaluated twice over: against one document (dynamic thing groups
re-checking one changed thing) and against the inverted index (SearchIndex);
see ``search_index.py``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import List, Optional, Tuple, Union

from ...protocol.errors import ServiceError

MAX_TERMS = 12
MAX_LEADING_WILDCARD_QUERY = 100


@dataclass(frozen=True)
class Value:
    text: str
    quoted: bool = False

    @property
    def wildcard(self) -> bool:
        return not self.quoted and ("*" in self.text or "?" in self.text)

    @property
    def leading_wildcard(self) -> bool:
        return self.wildcard and self.text[:1] in ("*", "?") and self.text != "*"


@dataclass(frozen=True)
class Match:
    """``field`` (None: any field) holds a value equal to, or matching, ``value``."""

    field: Optional[str]
    value: Value


@dataclass(frozen=True)
class Range:
    field: str
    low: Optional[Value]  # None: open ("*")
    high: Optional[Value]
    low_inclusive: bool
    high_inclusive: bool


@dataclass(frozen=True)
class And:
    parts: Tuple["Node", ...]


@dataclass(frozen=True)
class Or:
    parts: Tuple["Node", ...]


@dataclass(frozen=True)
class Not:
    part: "Node"


Node = Union[Match, Range, And, Or, Not]


def invalid_query(message: str) -> ServiceError:
    return ServiceError("InvalidQueryException", message)


@functools.lru_cache(maxsize=512)
def parse_query(query: str) -> Node:
    """The query's tree, or InvalidQueryException for what AWS refuses."""
    if not query.strip():
        raise invalid_query("Query string cannot be empty.")
    # AWS refuses these characters, and has no fuzzy (~), boosting (^) or regex (/) search.
    for char in "`@#%;',/~^":
        if char in _outside_quotes(query):
            raise invalid_query(f"Syntax error in query: special character '{char}' is not supported.")
    # The grammar (and lark) load on the first query, not when the mock is imported.
    from .search_grammar import parse_tree

    node = parse_tree(query)
    if node is None:
        raise invalid_query(f"Syntax error in query: {query}")
    values = list(_values(node))
    if len(values) > MAX_TERMS:
        raise invalid_query(f"Query has {len(values)} terms; a query has at most {MAX_TERMS}.")
    leading = [v for v in values if v.leading_wildcard]
    if len(leading) > 1:
        raise invalid_query("Leading wildcard use is limited to 1 query term per query.")
    if leading and len(query) > MAX_LEADING_WILDCARD_QUERY:
        raise invalid_query(
            f"A query with a leading wildcard has at most {MAX_LEADING_WILDCARD_QUERY} characters."
        )
    return node


def _outside_quotes(query: str) -> str:
    out, quoted, escaped = [], False, False
    for char in query:
        if escaped:
            escaped = False
            continue
        if char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif not quoted:
            out.append(char)
    return "".join(out)


def _values(node: Node) -> List[Value]:
    if isinstance(node, Match):
        return [node.value]
    if isinstance(node, Range):
        return [v for v in (node.low, node.high) if v is not None]
    if isinstance(node, Not):
        return _values(node.part)
    return [v for part in node.parts for v in _values(part)]

