"""The fleet-indexing query language: each construct parses to the tree it means,
and the inverted index answers exactly what matching each document would."""

from __future__ import annotations

import random

import pytest

from mock_iotjobs.backend.registry.search_index import InvertedIndex, matches
from mock_iotjobs.backend.registry.search_query import And, Match, Not, Or, Range, Value, parse_query
from mock_iotjobs.protocol.errors import ServiceError


def test_terms_fields_phrases_and_escapes() -> None:
    assert parse_query("abc") == Match(None, Value("abc"))
    assert parse_query("thingName:abc") == Match("thingName", Value("abc"))
    assert parse_query('attributes.a:"two words"') == Match("attributes.a", Value("two words", quoted=True))
    assert parse_query(r"thingName:a\:b") == Match("thingName", Value("a:b"))
    assert parse_query("thingName:my-thing") == Match("thingName", Value("my-thing"))


def test_boolean_operators_and_precedence() -> None:
    a, b, c = (Match("f", Value(x)) for x in "abc")
    assert parse_query("f:a AND f:b") == And((a, b))
    assert parse_query("f:a f:b") == And((a, b))
    assert parse_query("f:a OR f:b f:c") == Or((a, And((b, c))))
    assert parse_query("(f:a OR f:b) f:c") == And((Or((a, b)), c))
    assert parse_query("NOT f:a") == Not(a)
    assert parse_query("-f:a") == Not(a)
    assert parse_query("f:a NOT f:b") == And((a, Not(b)))
    # Keywords only as whole words: ANDROID is a term.
    assert parse_query("f:ANDROID") == Match("f", Value("ANDROID"))


def test_ranges_and_comparisons() -> None:
    assert parse_query("n:[1 TO 5]") == Range("n", Value("1"), Value("5"), True, True)
    assert parse_query("n:{1 TO 5}") == Range("n", Value("1"), Value("5"), False, False)
    assert parse_query("n:[* TO 5]") == Range("n", None, Value("5"), True, True)
    assert parse_query("n<5") == Range("n", None, Value("5"), False, False)
    assert parse_query("n<=5") == Range("n", None, Value("5"), False, True)
    assert parse_query("n>5") == Range("n", Value("5"), None, False, False)
    assert parse_query("n>=5") == Range("n", Value("5"), None, True, False)


def test_field_grouping() -> None:
    assert parse_query("thingName:(tv* AND -plasma)") == And(
        (Match("thingName", Value("tv*")), Not(Match("thingName", Value("plasma"))))
    )


@pytest.mark.parametrize("query", ["", "  ", "a AND", "(a", "f:", "f:[1 TO]", "f:a@b", "f:a/b", "a~", "f:*a f:*b"])
def test_refusals(query: str) -> None:
    with pytest.raises(ServiceError) as caught:
        parse_query(query)
    assert caught.value.code == "InvalidQueryException"


def test_index_agrees_with_matching_each_document() -> None:
    """Random documents and queries: index evaluation == per-document evaluation."""
    rng = random.Random(7)
    index = InvertedIndex()
    docs = {}
    for i in range(200):
        doc = {"thingName": [f"t{i}"], "attributes.v": [str(rng.randint(0, 20))]}
        if rng.random() < 0.5:
            doc["attributes.model"] = [rng.choice(["x100", "X200", "d1"])]
        docs[f"t{i}"] = doc
        index.put(f"t{i}", doc)
    for name in list(docs)[:50]:  # updates and removals keep the postings right
        if rng.random() < 0.5:
            index.remove(name)
            del docs[name]
        else:
            docs[name] = {"thingName": [name], "attributes.v": [str(rng.randint(0, 20))]}
            index.put(name, docs[name])
    queries = [
        "attributes.v:5", "attributes.v<7", "attributes.v:[3 TO 9}", "attributes.model:x*", "attributes.model:X100",
        "NOT attributes.model:*", "attributes.v>10 OR attributes.model:d1", "thingName:t1? -attributes.v:[0 TO 4]",
        "attributes.model:[\"a\" TO \"x150\"]", "x100", "thingName:(t1* AND NOT t10*)",
    ]
    for query in queries:
        node = parse_query(query)
        expected = {name for name, doc in docs.items() if matches(node, doc)}
        assert index.search(node) == expected, query
