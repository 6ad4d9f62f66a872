"""ThingGroups on its own: hierarchy, membership, reach and the jobs-engine hooks."""

from __future__ import annotations

from typing import List, Tuple

import pytest

from mock_iotjobs.backend.clock import Clock
from mock_iotjobs.backend.registry.groups import MAX_DEPTH, MAX_GROUPS_PER_THING
from mock_iotjobs.backend.state import Backend
from mock_iotjobs.protocol.errors import ServiceError

Call = Tuple[str, str, bool]


@pytest.fixture
def backend() -> Backend:
    return Backend("123456789012", "us-east-1", Clock())


@pytest.fixture
def calls(backend: Backend, monkeypatch: pytest.MonkeyPatch) -> List[Call]:
    recorded: List[Call] = []
    monkeypatch.setattr(backend, "on_group_membership", lambda g, t, added: recorded.append((g, t, added)))
    return recorded


def _tree(backend: Backend) -> None:
    """root ─ mid ─ leaf, and root ─ other."""
    groups = backend.groups
    groups.create("root", None, None)
    groups.create("mid", "root", None)
    groups.create("leaf", "mid", None)
    groups.create("other", "root", None)
    for name in ("t1", "t2", "t3"):
        backend.things.create(name)


def test_things_in_direct_and_recursive(backend: Backend) -> None:
    _tree(backend)
    groups = backend.groups
    groups.update_membership("t2", ["leaf"], [])
    groups.update_membership("t1", ["root"], [])
    groups.update_membership("t3", ["other"], [])
    assert groups.things_in("root", recursive=False) == ["t1"]
    # Membership order over the whole subtree.
    assert groups.things_in("root", recursive=True) == ["t2", "t1", "t3"]
    assert groups.things_in("mid", recursive=True) == ["t2"]
    assert groups.things_in("mid", recursive=False) == []


def test_thing_in_parent_and_child_is_listed_once(backend: Backend) -> None:
    _tree(backend)
    backend.groups.update_membership("t1", ["leaf", "root"], [])
    assert backend.groups.things_in("root") == ["t1"]


def test_things_in_missing_group_is_not_found(backend: Backend) -> None:
    with pytest.raises(ServiceError) as err:
        backend.groups.things_in("nope")
    assert err.value.code == "ResourceNotFoundException"


def test_groups_containing_includes_ancestors(backend: Backend) -> None:
    _tree(backend)
    backend.groups.update_membership("t1", ["leaf"], [])
    assert backend.groups.groups_containing("t1") == ["leaf", "mid", "root"]
    assert backend.groups.groups_containing("t2") == []


def test_add_reports_the_group_and_every_ancestor(backend: Backend, calls: List[Call]) -> None:
    _tree(backend)
    backend.groups.update_membership("t1", ["leaf"], [])
    assert calls == [("leaf", "t1", True), ("mid", "t1", True), ("root", "t1", True)]


def test_only_groups_whose_reach_changes_are_reported(backend: Backend, calls: List[Call]) -> None:
    _tree(backend)
    backend.groups.update_membership("t1", ["root"], [])
    calls.clear()
    # root already reaches t1 directly: only leaf and mid gain it.
    backend.groups.update_membership("t1", ["leaf"], [])
    assert calls == [("leaf", "t1", True), ("mid", "t1", True)]
    calls.clear()
    # Moving from leaf to other: leaf and mid lose it, other gains it, root keeps it.
    backend.groups.update_membership("t1", ["other"], ["leaf"])
    assert sorted(calls) == [("leaf", "t1", False), ("mid", "t1", False), ("other", "t1", True)]


def test_idempotent_add_and_remove_report_nothing(backend: Backend, calls: List[Call]) -> None:
    _tree(backend)
    backend.groups.update_membership("t1", ["leaf"], [])
    calls.clear()
    backend.groups.update_membership("t1", ["leaf"], [])
    backend.groups.update_membership("t1", [], ["other"])
    assert calls == []


def test_remove_reports_removal_after_the_membership_changed(backend: Backend, monkeypatch: pytest.MonkeyPatch) -> None:
    _tree(backend)
    backend.groups.update_membership("t1", ["leaf"], [])
    seen: List[List[str]] = []
    monkeypatch.setattr(
        backend,
        "on_group_membership",
        lambda g, t, added: seen.append(backend.groups.groups_containing(t)),
    )
    backend.groups.update_membership("t1", [], ["leaf"])
    # The jobs engine re-checks reach inside the hook: it must already be gone.
    assert seen == [[], [], []]


def test_delete_group_reports_lost_members(backend: Backend, calls: List[Call]) -> None:
    _tree(backend)
    backend.groups.update_membership("t1", ["leaf"], [])
    calls.clear()
    backend.groups.delete("leaf", None)
    assert calls == [("leaf", "t1", False), ("mid", "t1", False), ("root", "t1", False)]
    assert backend.groups.groups_containing("t1") == []
    assert backend.groups.by_name["mid"].children == []


def test_forget_thing_drops_membership_silently(backend: Backend, calls: List[Call]) -> None:
    _tree(backend)
    backend.groups.update_membership("t1", ["leaf", "other"], [])
    calls.clear()
    backend.groups.forget_thing("t1")
    assert calls == []
    assert backend.groups.things_in("root") == []
    assert backend.groups.groups_containing("t1") == []


def test_delete_thing_through_backend_forgets_memberships(backend: Backend) -> None:
    _tree(backend)
    backend.groups.update_membership("t1", ["leaf"], [])
    backend.delete_thing("t1")
    assert backend.groups.things_in("root") == []
    backend.things.create("t1")
    assert backend.groups.direct_groups("t1") == []


def test_group_limit_is_atomic(backend: Backend, calls: List[Call]) -> None:
    backend.things.create("t")
    names = [f"g{i}" for i in range(MAX_GROUPS_PER_THING + 1)]
    for name in names:
        backend.groups.create(name, None, None)
    backend.groups.update_membership("t", names[:MAX_GROUPS_PER_THING], [])
    calls.clear()
    with pytest.raises(ServiceError) as err:
        backend.groups.update_membership("t", [names[-1]], [])
    assert err.value.code == "InvalidRequestException"
    assert calls == []
    assert len(backend.groups.direct_groups("t")) == MAX_GROUPS_PER_THING
    # Swapping one group for another keeps the count at the limit: allowed.
    backend.groups.update_membership("t", [names[-1]], [names[0]])
    assert names[-1] in [g.name for _, g in backend.groups.direct_groups("t")]


def test_unknown_group_in_update_changes_nothing(backend: Backend, calls: List[Call]) -> None:
    _tree(backend)
    with pytest.raises(ServiceError) as err:
        backend.groups.update_membership("t1", ["leaf", "missing"], [])
    assert err.value.code == "ResourceNotFoundException"
    assert calls == [] and backend.groups.groups_containing("t1") == []


def test_hierarchy_depth_limit(backend: Backend) -> None:
    parent = None
    for level in range(MAX_DEPTH):
        backend.groups.create(f"level{level}", parent, None)
        parent = f"level{level}"
    with pytest.raises(ServiceError) as err:
        backend.groups.create("too-deep", parent, None)
    assert err.value.code == "InvalidRequestException"
    assert "too-deep" not in backend.groups.by_name


def test_descendants_and_listing(backend: Backend) -> None:
    _tree(backend)
    groups = backend.groups
    assert groups.descendants("root") == ["mid", "leaf", "other"]
    assert [g.name for g in groups.listing("root", None, False)] == ["mid", "other"]
    assert [g.name for g in groups.listing(None, None, False)] == ["root"]
    assert [g.name for g in groups.listing(None, "l", None)] == ["leaf"]


def test_id_and_name_lookups(backend: Backend) -> None:
    group, created = backend.groups.create("g", None, None)
    assert created
    assert backend.groups.name_for_id(group.group_id) == "g"
    assert backend.groups.id_for_name("g") == group.group_id
    assert backend.groups.name_for_id("nope") is None
    assert backend.groups.id_for_name("nope") is None
