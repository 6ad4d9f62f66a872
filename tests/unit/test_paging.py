"""Pagination tokens: opaque, signed, scoped, and stable while the collection changes."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import List, Optional

import pytest

from mock_iotjobs.backend.paging import decode_token, encode_token, paginate
from mock_iotjobs.protocol.errors import ServiceError


@dataclass
class Item:
    seq: int


def seqs(items: List[Item]) -> List[int]:
    return [item.seq for item in items]


def walk(items: List[Item], size: int, scope: str = "s") -> List[List[int]]:
    pages = []
    token: Optional[str] = None
    while True:
        page, token = paginate(items, lambda i: i.seq, size, token, scope, 250)
        pages.append(seqs(page))
        if token is None:
            return pages


def test_round_trip() -> None:
    assert decode_token("ListThings", encode_token("ListThings", 42)) == 42


def test_pages_cover_everything_once_and_the_last_has_no_token() -> None:
    items = [Item(n) for n in range(1, 8)]
    assert walk(items, 3) == [[1, 2, 3], [4, 5, 6], [7]]
    assert walk(items, 7) == [[1, 2, 3, 4, 5, 6, 7]]
    assert walk([], 3) == [[]]


def test_default_page_size_applies_without_max_results() -> None:
    items = [Item(n) for n in range(1, 6)]
    page, token = paginate(items, lambda i: i.seq, None, None, "s", 2)
    assert seqs(page) == [1, 2] and token is not None


def test_boundary_survives_deletions_and_insertions_between_calls() -> None:
    items = [Item(n) for n in range(1, 7)]
    page, token = paginate(items, lambda i: i.seq, 2, None, "s", 250)
    assert seqs(page) == [1, 2]
    # The last returned item and the next one disappear; a new item is appended.
    changed = [item for item in items if item.seq not in (2, 3)] + [Item(9)]
    page, token = paginate(changed, lambda i: i.seq, 2, token, "s", 250)
    assert seqs(page) == [4, 5]
    page, token = paginate(changed, lambda i: i.seq, 2, token, "s", 250)
    assert seqs(page) == [6, 9] and token is None


def _forge(payload: object, signature: str = "0" * 16) -> str:
    raw = json.dumps([json.dumps(payload), signature]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    "token",
    [
        "garbage",
        "",
        "!!!!",
        _forge(["s", 1]),  # right shape, wrong signature
        base64.urlsafe_b64encode(b"[1, 2, 3]").decode(),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    ],
)
def test_forged_tokens_are_invalid_requests(token: str) -> None:
    with pytest.raises(ServiceError) as caught:
        decode_token("s", token)
    assert caught.value.code == "InvalidRequestException"
    assert caught.value.message == "The pagination token is invalid."


def test_tampered_token_is_rejected() -> None:
    token = encode_token("s", 5)
    tampered = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    with pytest.raises(ServiceError):
        decode_token("s", tampered)


def test_a_token_is_only_valid_for_its_own_listing() -> None:
    token = encode_token("ListThings", 5)
    with pytest.raises(ServiceError):
        decode_token("ListJobs", token)
    with pytest.raises(ServiceError):
        paginate([Item(1)], lambda i: i.seq, 1, token, "ListJobs", 250)
