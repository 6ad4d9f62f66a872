"""The fleet-indexing query grammar and its lark parser (see ``search_query.py``).

Kept apart so lark is imported on the first query, not with the mock.
"""

from __future__ import annotations

import functools
from typing import Optional, Tuple, Union

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import LarkError

from .search_query import And, Match, Node, Not, Or, Range, Value

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


def parse_tree(query: str) -> Optional[Node]:
    """The query's tree, or None when it is not in the grammar."""
    try:
        tree = _parser().parse(query)
    except LarkError:
        return None
    node = _ToTree().transform(tree)
    return _bind(None, node) if not isinstance(node, (Match, Range, And, Or, Not)) else node
