"""The subscription index: a trie over topic levels, so a publish costs what matches it.

Scanning every subscription of every connection made one client with 50,000
subscriptions slow down every publish for everybody.  Here each filter is a path
of levels (``+`` and ``#`` are ordinary keys, since a topic name never contains
them); matching a topic walks its levels, following at each node the literal
level, the ``+`` branch and the ``#`` branch: the work is the number of levels
times the number of live wildcard branches on the way, whatever the number of
subscriptions elsewhere.

Only the listener's loop thread changes the index; :meth:`has_subscribers` may be
asked from any thread (the engine's, under the backend lock, before it hands a
notification over), so changes and that question share a lock.
"""

from __future__ import annotations

import threading
from typing import Callable, Dict, Generic, List, Optional, Tuple, TypeVar

K = TypeVar("K")  # a subscriber (a Connection): hashable, compared by identity
S = TypeVar("S")  # what it subscribed with (a Subscription)


class _Node(Generic[K, S]):
    __slots__ = ("children", "subscribers")

    def __init__(self) -> None:
        self.children: Dict[str, "_Node[K, S]"] = {}
        self.subscribers: Dict[K, S] = {}


class SubscriptionIndex(Generic[K, S]):
    def __init__(self) -> None:
        self._root: _Node[K, S] = _Node()
        self._lock = threading.Lock()
        self.size = 0

    def add(self, topic_filter: str, subscriber: K, subscription: S) -> None:
        """Add or replace ``subscriber``'s subscription to ``topic_filter``."""
        with self._lock:
            node = self._root
            for level in topic_filter.split("/"):
                child = node.children.get(level)
                if child is None:
                    child = node.children[level] = _Node()
                node = child
            if subscriber not in node.subscribers:
                self.size += 1
            node.subscribers[subscriber] = subscription

    def remove(self, topic_filter: str, subscriber: K) -> bool:
        """Remove one subscription; prunes the branches left empty.  False if absent."""
        with self._lock:
            path: List[Tuple[_Node[K, S], str]] = []
            node = self._root
            for level in topic_filter.split("/"):
                child = node.children.get(level)
                if child is None:
                    return False
                path.append((node, level))
                node = child
            if node.subscribers.pop(subscriber, None) is None:
                return False
            self.size -= 1
            for parent, level in reversed(path):
                child = parent.children[level]
                if child.subscribers or child.children:
                    break
                del parent.children[level]
            return True

    def match(self, topic: str, skip: Optional[Callable[[K, S], bool]] = None) -> Dict[K, List[S]]:
        """Every subscriber with a filter matching ``topic``, with those subscriptions
        (``skip(subscriber, subscription)`` true: left out).  Loop thread only."""
        found: Dict[K, List[S]] = {}

        def visit(node: _Node[K, S]) -> None:
            for subscriber, subscription in node.subscribers.items():
                if skip is None or not skip(subscriber, subscription):
                    found.setdefault(subscriber, []).append(subscription)

        self._walk(topic, visit)
        return found

    def has_subscribers(self, topic: str) -> bool:
        """Whether any filter matches ``topic``; safe from any thread."""
        seen: List[bool] = []

        def visit(node: _Node[K, S]) -> None:
            if node.subscribers:
                seen.append(True)

        with self._lock:
            self._walk(topic, visit)
        return bool(seen)

    def _walk(self, topic: str, visit: Callable[[_Node[K, S]], None]) -> None:
        # MQTT: a filter starting with a wildcard never matches a topic starting with '$'.
        reserved = topic.startswith("$")
        nodes = [self._root]
        for depth, level in enumerate(topic.split("/")):
            following: List[_Node[K, S]] = []
            for node in nodes:
                children = node.children
                if not (depth == 0 and reserved):
                    rest = children.get("#")
                    if rest is not None:
                        visit(rest)  # '#' here matches this level and all below
                    single = children.get("+")
                    if single is not None:
                        following.append(single)
                exact = children.get(level)
                if exact is not None:
                    following.append(exact)
            nodes = following
            if not nodes:
                return
        for node in nodes:
            visit(node)
            parent_too = node.children.get("#")
            if parent_too is not None:
                visit(parent_too)  # 'a/#' also matches 'a'
