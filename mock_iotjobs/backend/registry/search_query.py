"""The fleet-indexing query language, parsed with ``lark`` into a small tree.

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

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import LarkError

from ...protocol.errors import ServiceError

MAX_TERMS = 12
MAX_LEADING_WILDCARD_QUERY = 100

_GRAMMAR = r"""
?start: or_expr

?or_expr: and_expr (_OR and_expr)*       -> or_
?and_expr: unary (_AND? unary)*          -> and_
?unary: _NOT unary                       -> not_
      | _MINUS unary                     -> not_
      | atom

?atom: "(" or_expr ")"
     | FIELD _COLON fvalue               -> field
     | FIELD CMP value                   -> compare
     | value                             -> bare

?fvalue: value
       | range
       | "(" f_or ")"                    -> group

?f_or: f_and (_OR f_and)*                -> or_
?f_and: f_unary (_AND? f_unary)*         -> and_
?f_unary: _NOT f_unary                   -> not_
        | _MINUS f_unary                 -> not_
        | value
        | "(" f_or ")"

range: LBRACKET value _TO value RBRACKET

value: TERM | PHRASE

_OR.3: /OR(?=[\s()]|$)/
_AND.3: /AND(?=[\s()]|$)/
_NOT.3: /NOT(?=[\s()]|$)/
_TO.3: /TO(?=[\s\]}]|$)/
_MINUS.2: /-(?=[^\s])/
_COLON: ":"
CMP: "<=" | ">=" | "<" | ">"
LBRACKET: "[" | "{"
RBRACKET: "]" | "}"
FIELD.2: /[A-Za-z_][A-Za-z0-9_.\-\[\]]*(?=:|<|>)/
TERM: /(?:[^\s:()\[\]{}"<>\\\-]|\\.)(?:[^\s:()\[\]{}"<>\\]|\\.)*/
PHRASE: /"(?:[^"\\]|\\.)*"/

%import common.WS
%ignore WS
"""


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


def _unescape(text: str) -> str:
    out, escaped = [], False
    for char in text:
        if escaped:
            out.append("\\" + char if char in "*?" else char)
            escaped = False
        elif char == "\\":
            escaped = True
        else:
            out.append(char)
    return "".join(out)


class _Pending:
    """A field's value tree before the field is known (field grouping)."""

    def __init__(self, node: "Union[Value, And, Or, Not]") -> None:
        self.node = node


def _bind(field: Optional[str], node: object) -> Node:
    """Attach ``field`` to every bare value below ``node``."""
    if isinstance(node, _Pending):
        node = node.node
    if isinstance(node, Value):
        return Match(field, node)
    if isinstance(node, Range):
        return node
    if isinstance(node, And):
        return And(tuple(_bind(field, p) for p in node.parts))
    if isinstance(node, Or):
        return Or(tuple(_bind(field, p) for p in node.parts))
    if isinstance(node, Not):
        return Not(_bind(field, node.part))
    if isinstance(node, (Match,)):
        return node
    raise TypeError(node)


@v_args(inline=True)
class _ToTree(Transformer):  # type: ignore[type-arg]
    def value(self, token: Token) -> Value:
        text = str(token)
        if token.type == "PHRASE":
            return Value(_unescape(text[1:-1]), quoted=True)
        return Value(_unescape(text))

    def or_(self, *parts: object) -> object:
        return parts[0] if len(parts) == 1 else Or(tuple(parts))  # type: ignore[arg-type]

    def and_(self, *parts: object) -> object:
        return parts[0] if len(parts) == 1 else And(tuple(parts))  # type: ignore[arg-type]

    def not_(self, part: object) -> object:
        return Not(part)  # type: ignore[arg-type]

    def group(self, node: object) -> _Pending:
        return _Pending(node)  # type: ignore[arg-type]

    def range(self, low_bracket: Token, low: Value, high: Value, high_bracket: Token) -> Tuple[str, ...]:
        return ("range", str(low_bracket), low, high, str(high_bracket))  # type: ignore[return-value]

    def field(self, name: Token, value: object) -> Node:
        field = str(name)
        if isinstance(value, tuple) and value and value[0] == "range":
            _, lb, low, high, hb = value
            return Range(
                field,
                None if low.text == "*" and not low.quoted else low,
                None if high.text == "*" and not high.quoted else high,
                lb == "[",
                hb == "]",
            )
        return _bind(field, value)

    def compare(self, name: Token, op: Token, value: Value) -> Range:
        field, op_text = str(name), str(op)
        if op_text.startswith("<"):
            return Range(field, None, value, False, op_text == "<=")
        return Range(field, value, None, op_text == ">=", False)

    def bare(self, value: object) -> Node:
        return _bind(None, value)


@functools.lru_cache(maxsize=1)
def _parser() -> Lark:
    return Lark(_GRAMMAR, parser="lalr", maybe_placeholders=False)


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
    try:
        tree = _parser().parse(query)
    except LarkError:
        raise invalid_query(f"Syntax error in query: {query}") from None
    node = _ToTree().transform(tree)
    node = _bind(None, node) if not isinstance(node, (Match, Range, And, Or, Not)) else node
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


def fields_of(node: Node) -> List[Optional[str]]:
    """Every field the query names (None for a term searched in all fields)."""
    if isinstance(node, (Match, Range)):
        return [node.field]
    if isinstance(node, Not):
        return fields_of(node.part)
    return [f for part in node.parts for f in fields_of(part)]
