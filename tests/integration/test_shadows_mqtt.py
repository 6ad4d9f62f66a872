"""Device shadows over MQTT with paho, sharing one store with HTTPS: a change made on
one side reaches the other; connections feed fleet indexing and DeleteConnection."""

from __future__ import annotations

import json
from typing import Any, Iterator

import pytest
from test_mqtt_support import V5, V311, PahoDevice, aws_client, make_thing

from mock_iotjobs.mqtt import MqttListener

SHADOW = "$aws/things/lamp/shadow"


@pytest.fixture(params=[V311, V5], ids=["mqtt311", "mqtt5"])
def lamp(request: pytest.FixtureRequest, iot_jobs_mqtt: MqttListener, iot_client: Any) -> Iterator[PahoDevice]:
    make_thing(iot_client, "lamp")
    device = PahoDevice(iot_jobs_mqtt.port, "lamp", int(request.param))
    yield device
    device.close()


@pytest.fixture
def data() -> Any:
    return aws_client("iot-data")


def test_https_update_reaches_documents_and_delta_subscribers(lamp: PahoDevice, data: Any) -> None:
    for suffix in ("update/accepted", "update/documents", "update/delta"):
        lamp.subscribe(f"{SHADOW}/{suffix}")
    data.update_thing_shadow(thingName="lamp", payload=b'{"state":{"desired":{"on":true}},"clientToken":"app"}')
    delta = lamp.wait_for(f"{SHADOW}/update/delta").body
    assert delta["state"] == {"on": True} and delta["version"] == 1 and delta["clientToken"] == "app"
    documents = lamp.wait_for(f"{SHADOW}/update/documents").body
    assert documents["current"]["state"] == {"desired": {"on": True}}
    assert lamp.wait_for(f"{SHADOW}/update/accepted").body["version"] == 1


def test_mqtt_update_is_seen_over_https(lamp: PahoDevice, data: Any) -> None:
    lamp.subscribe(f"{SHADOW}/update/accepted")
    lamp.publish(f"{SHADOW}/update", {"state": {"reported": {"on": False}}, "clientToken": "dev"})
    accepted = lamp.wait_for(f"{SHADOW}/update/accepted").body
    assert accepted["state"] == {"reported": {"on": False}} and accepted["clientToken"] == "dev"
    document = json.loads(data.get_thing_shadow(thingName="lamp")["payload"].read())
    assert document["state"]["reported"] == {"on": False}


def test_get_delete_and_rejections(lamp: PahoDevice) -> None:
    for suffix in ("get/accepted", "get/rejected", "update/rejected", "delete/accepted"):
        lamp.subscribe(f"{SHADOW}/{suffix}")
    lamp.publish(f"{SHADOW}/get", {"clientToken": "g1"})
    rejected = lamp.wait_for(f"{SHADOW}/get/rejected").body
    assert rejected["code"] == 404 and rejected["clientToken"] == "g1"
    lamp.publish(f"{SHADOW}/update", b"{not json")
    invalid = lamp.wait_for(f"{SHADOW}/update/rejected").body
    assert (invalid["code"], invalid["message"]) == (400, "Invalid JSON")
    lamp.publish(f"{SHADOW}/update", {"state": {"reported": {"on": True}}})
    lamp.publish(f"{SHADOW}/get", {"clientToken": "g2"})
    got = lamp.wait_for(lambda m: m.topic == f"{SHADOW}/get/accepted", "get/accepted").body
    assert got["state"]["reported"] == {"on": True} and got["clientToken"] == "g2"
    lamp.publish(f"{SHADOW}/delete", {"clientToken": "d1"})
    assert lamp.wait_for(f"{SHADOW}/delete/accepted").body["version"] == 1


def test_named_shadow_topics(lamp: PahoDevice, data: Any) -> None:
    topic = "$aws/things/lamp/shadow/name/config"
    lamp.subscribe(f"{topic}/update/accepted")
    lamp.publish(f"{topic}/update", {"state": {"reported": {"mode": "eco"}}})
    lamp.wait_for(f"{topic}/update/accepted")
    assert data.list_named_shadows_for_thing(thingName="lamp")["results"] == ["config"]


def test_another_things_shadow_is_refused(lamp: PahoDevice) -> None:
    reasons = lamp.subscribe("$aws/things/other/shadow/update/delta")
    assert all(getattr(r, "value", r) >= 0x80 for r in reasons)


def test_retained_messages_are_shared_both_ways(lamp: PahoDevice, data: Any, iot_jobs_mqtt: MqttListener) -> None:
    lamp.client.publish("fleet/lamp/status", b"online", qos=1, retain=True).wait_for_publish(5)
    lamp.barrier()
    assert data.get_retained_message(topic="fleet/lamp/status")["payload"] == b"online"
    data.publish(topic="fleet/config", payload=b"v2", retain=True, qos=1)
    late = PahoDevice(iot_jobs_mqtt.port, "late-comer")
    try:
        late.subscribe("fleet/config")
        assert late.wait_for("fleet/config").raw == b"v2"
    finally:
        late.close()


def test_connections_drive_connectivity_and_delete_connection(
    iot_jobs_mqtt: MqttListener, iot_client: Any, data: Any
) -> None:
    make_thing(iot_client, "lamp")
    iot_client.update_indexing_configuration(
        thingIndexingConfiguration={"thingIndexingMode": "REGISTRY", "thingConnectivityIndexingMode": "STATUS"}
    )
    device = PahoDevice(iot_jobs_mqtt.port, "lamp")
    try:
        found = iot_client.search_index(queryString="connectivity.connected:true")["things"]
        assert [t["thingName"] for t in found] == ["lamp"]
        data.delete_connection(clientId="lamp")
        device.wait_disconnected()
    finally:
        device.close()
    iot_jobs_mqtt.clients()  # a round trip on the listener's loop: the disconnect is processed
    found = iot_client.search_index(queryString="connectivity.connected:false")["things"]
    assert [t["thingName"] for t in found] == ["lamp"]


def test_connection_apis(iot_jobs_mqtt: MqttListener, iot_client: Any, data: Any, iot_jobs_backend: Any) -> None:
    make_thing(iot_client, "lamp")
    device = PahoDevice(iot_jobs_mqtt.port, "lamp")
    try:
        device.subscribe("fleet/+/commands", qos=1)
        device.subscribe("$aws/things/lamp/shadow/update/delta", qos=0)
        info = data.get_connection(clientId="lamp", includeSocketInformation=True)
        assert (info["clientId"], info["connected"], info["thingName"]) == ("lamp", True, "lamp")
        assert info["keepAliveDuration"] == 30 and info["targetPort"] == iot_jobs_mqtt.port
        assert abs(info["connectedSince"] - iot_jobs_backend.now() * 1000) < 60_000
        assert "sourceIp" not in data.get_connection(clientId="lamp")
        subscriptions = data.list_subscriptions(clientId="lamp")["subscriptions"]
        assert subscriptions == [
            {"topicFilter": "$aws/things/lamp/shadow/update/delta", "qos": 0},
            {"topicFilter": "fleet/+/commands", "qos": 1},
        ]
        # A direct message needs no subscription.
        answer = data.send_direct_message(clientId="lamp", topic="direct/hello", payload=b"hi", confirmation=True)
        assert answer["message"] and answer["traceId"]
        assert device.wait_for("direct/hello").raw == b"hi"
        data.delete_connection(clientId="lamp")
        device.wait_disconnected()
    finally:
        device.close()
    iot_jobs_mqtt.clients()
    gone = data.get_connection(clientId="lamp")
    assert gone["connected"] is False and gone["disconnectReason"] == "CLIENT_INITIATED_DISCONNECT"
    for call, params in (
        (data.list_subscriptions, {}),
        (data.send_direct_message, {"topic": "t"}),
        (data.delete_connection, {}),
    ):
        with pytest.raises(data.exceptions.ResourceNotFoundException):
            call(clientId="lamp", **params)
    iot_jobs_backend.advance_time(minutes=31)
    with pytest.raises(data.exceptions.ResourceNotFoundException):
        data.get_connection(clientId="lamp")
