"""The subscription index answers exactly what MQTT matching says, filter by filter."""

from __future__ import annotations

import random

import pytest

from mock_iotjobs.mqtt.index import SubscriptionIndex
from mock_iotjobs.mqtt.limits import MqttLimits
from mock_iotjobs.mqtt.topics import matches

LEVELS = ["a", "b", "", "$aws", "things", "$x"]


def _random_filter(rng: random.Random) -> str:
    levels = [rng.choice(LEVELS + ["+"]) for _ in range(rng.randint(1, 4))]
    if rng.random() < 0.3:
        levels.append("#")
    return "/".join(levels)


def _random_topic(rng: random.Random) -> str:
    return "/".join(rng.choice(LEVELS) for _ in range(rng.randint(1, 5)))


def test_index_matches_like_mqtt_matching() -> None:
    rng = random.Random(14)
    index: SubscriptionIndex[str, str] = SubscriptionIndex()
    filters = {_random_filter(rng) for _ in range(300)} | {"#", "+", "a/#", "+/+", "$aws/#"}
    for number, topic_filter in enumerate(sorted(filters)):
        index.add(topic_filter, f"client-{number % 7}", topic_filter)
    for _ in range(2000):
        topic = _random_topic(rng)
        found = {f for subscriptions in index.match(topic).values() for f in subscriptions}
        assert found == {f for f in filters if matches(f, topic)}, topic
        assert index.has_subscribers(topic) == bool(found)


def test_removing_prunes_and_forgets() -> None:
    index: SubscriptionIndex[str, int] = SubscriptionIndex()
    index.add("a/+/c", "x", 1)
    index.add("a/+/c", "y", 2)
    index.add("a/#", "x", 3)
    assert index.size == 3
    assert index.match("a/b/c") == {"x": [3, 1], "y": [2]}
    assert index.remove("a/+/c", "x") and not index.remove("a/+/c", "x")
    assert not index.remove("never/there", "x")
    assert index.remove("a/+/c", "y") and index.remove("a/#", "x")
    assert index.size == 0 and not index.has_subscribers("a/b/c")
    assert index._root.children == {}  # every emptied branch is gone


def test_skip_leaves_out_a_subscription() -> None:
    index: SubscriptionIndex[str, int] = SubscriptionIndex()
    index.add("t", "me", 1)
    index.add("#", "me", 2)
    assert index.match("t", skip=lambda who, sub: sub == 1) == {"me": [2]}


def test_limits_overrides() -> None:
    limits = MqttLimits().with_overrides(["max_subscriptions=5000", "slow-consumer-seconds=0.5"])
    assert limits.max_subscriptions == 5000 and limits.slow_consumer_seconds == 0.5
    assert limits.max_payload_bytes == 128 * 1024
    for bad in ("nope=1", "max_subscriptions", "max_subscriptions=-1", "max_subscriptions=x"):
        with pytest.raises(ValueError):
            MqttLimits().with_overrides([bad])
