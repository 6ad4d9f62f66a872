"""Device shadows over HTTPS (iot-data) through boto3: documents, merge, delta,
metadata, versions, named shadows, errors and the messages AWS publishes."""

from __future__ import annotations

import json
from typing import Any, Dict

import pytest
from botocore.exceptions import ClientError

from mock_iotjobs import MockIotJobs


@pytest.fixture
def data(make_client: Any) -> Any:
    return make_client("iot-data")


def update(data: Any, thing: str, document: Dict[str, Any], **kwargs: Any) -> Dict[str, Any]:
    answer = data.update_thing_shadow(thingName=thing, payload=json.dumps(document), **kwargs)
    return json.loads(answer["payload"].read())


def get(data: Any, thing: str, **kwargs: Any) -> Dict[str, Any]:
    return json.loads(data.get_thing_shadow(thingName=thing, **kwargs)["payload"].read())


def error(call: Any, **params: Any) -> Dict[str, Any]:
    with pytest.raises(ClientError) as caught:
        call(**params)
    return caught.value.response


def test_update_then_get_with_delta_and_metadata(data: Any, mock: MockIotJobs) -> None:
    now = int(mock.now())
    response = update(data, "lamp", {"state": {"desired": {"color": "red", "power": {"on": True, "level": 3}}},
                                      "clientToken": "tok-1"})
    assert response["state"] == {"desired": {"color": "red", "power": {"on": True, "level": 3}}}
    assert response["version"] == 1 and response["clientToken"] == "tok-1"
    assert abs(response["timestamp"] - now) <= 2
    assert set(response["metadata"]["desired"]["power"]) == {"on", "level"}
    update(data, "lamp", {"state": {"reported": {"color": "blue", "power": {"on": True, "level": 1}}}})
    document = get(data, "lamp")
    assert document["version"] == 2
    assert document["state"]["delta"] == {"color": "red", "power": {"level": 3}}
    assert document["metadata"]["reported"]["power"]["level"]["timestamp"] >= now
    assert "delta" not in document["metadata"]
    update(data, "lamp", {"state": {"reported": {"color": "red", "power": {"level": 3}}}})
    assert "delta" not in get(data, "lamp")["state"]


def test_null_deletes_keys_sections_and_state(data: Any) -> None:
    update(data, "t", {"state": {"desired": {"a": 1, "b": {"c": 2, "d": 3}}, "reported": {"a": 1}}})
    update(data, "t", {"state": {"desired": {"b": {"c": None}}}})
    assert get(data, "t")["state"]["desired"] == {"a": 1, "b": {"d": 3}}
    update(data, "t", {"state": {"desired": None}})
    state = get(data, "t")["state"]
    assert "desired" not in state and state["reported"] == {"a": 1}
    update(data, "t", {"state": None})
    document = get(data, "t")
    assert document["state"] == {} and document["version"] == 4  # the shadow itself stays


def test_arrays_replace_and_are_compared_whole(data: Any) -> None:
    update(data, "t", {"state": {"desired": {"list": [1, 2, 3]}, "reported": {"list": [1, 2]}}})
    update(data, "t", {"state": {"reported": {"list": [1, 2, 3]}}})
    document = get(data, "t")
    assert document["state"]["reported"]["list"] == [1, 2, 3] and "delta" not in document["state"]
    assert len(document["metadata"]["reported"]["list"]) == 3


def test_optimistic_version(data: Any) -> None:
    update(data, "t", {"state": {"reported": {"v": 1}}})
    assert update(data, "t", {"state": {"reported": {"v": 2}}, "version": 1})["version"] == 2
    conflict = error(data.update_thing_shadow, thingName="t", payload=b'{"state":{"reported":{"v":3}},"version":1}')
    assert conflict["Error"]["Code"] == "ConflictException"
    assert conflict["ResponseMetadata"]["HTTPStatusCode"] == 409
    assert conflict["Error"]["Message"] == "Version conflict"
    assert get(data, "t")["state"]["reported"] == {"v": 2}


@pytest.mark.parametrize(
    "payload, status, message",
    [
        (b"not json", 400, "Invalid JSON"),
        (b"[1]", 400, "Invalid JSON"),
        (b"{}", 400, "Missing required node: state"),
        (b'{"state": 1}', 400, "State node must be an object"),
        (b'{"state": {"desired": 1}}', 400, "Desired node must be an object"),
        (b'{"state": {"reported": "x"}}', 400, "Reported node must be an object"),
        (b'{"state": {"delta": {}}}', 400, "State contains an invalid node"),
        (b'{"state": {}, "version": "1"}', 400, "Invalid version"),
        (b'{"state": {}, "clientToken": "' + b"x" * 65 + b'"}', 400, "Invalid clientToken"),
        (json.dumps({"state": {"desired": {"a": {"b": {"c": {"d": {"e": {"f": {"g": 1}}}}}}}}}).encode(), 400,
         "JSON contains too many levels of nesting; maximum is 6"),
        (json.dumps({"state": {"desired": {"big": "x" * 9000}}}).encode(), 413,
         "The payload exceeds the maximum size allowed"),
        (b'{"state": {"desired": {"a": "\xff"}}}', 415, "Unsupported documented encoding; supported encoding is UTF-8"),
    ],
)
def test_refused_updates_change_nothing(
    data: Any, mock: MockIotJobs, payload: bytes, status: int, message: str
) -> None:
    update(data, "t", {"state": {"reported": {"keep": True}}})
    refused = error(data.update_thing_shadow, thingName="t", payload=payload)
    assert refused["ResponseMetadata"]["HTTPStatusCode"] == status
    assert refused["Error"]["Message"] == message
    assert get(data, "t")["version"] == 1
    assert len(mock.messages("$aws/things/t/shadow/update/accepted")) == 1


def test_missing_shadow(data: Any) -> None:
    for call in (data.get_thing_shadow, data.delete_thing_shadow):
        missing = error(call, thingName="ghost")
        assert missing["Error"]["Code"] == "ResourceNotFoundException"
        assert missing["ResponseMetadata"]["HTTPStatusCode"] == 404
    named = error(data.get_thing_shadow, thingName="ghost", shadowName="cfg")
    assert named["Error"]["Message"] == "No shadow exists with name: 'cfg'"


def test_named_shadows_are_separate_and_listed(data: Any) -> None:
    update(data, "t", {"state": {"reported": {"classic": 1}}})
    update(data, "t", {"state": {"reported": {"cfg": 1}}}, shadowName="config")
    update(data, "t", {"state": {"reported": {"fw": 1}}}, shadowName="firmware")
    assert get(data, "t", shadowName="config")["state"]["reported"] == {"cfg": 1}
    assert get(data, "t")["state"]["reported"] == {"classic": 1}
    listed = data.list_named_shadows_for_thing(thingName="t")
    assert listed["results"] == ["config", "firmware"]
    first = data.list_named_shadows_for_thing(thingName="t", pageSize=1)
    assert first["results"] == ["config"]
    second = data.list_named_shadows_for_thing(thingName="t", pageSize=1, nextToken=first["nextToken"])
    assert second["results"] == ["firmware"] and "nextToken" not in second


def test_delete_keeps_the_version_for_48_hours(data: Any, mock: MockIotJobs) -> None:
    update(data, "t", {"state": {"reported": {"a": 1}}})
    update(data, "t", {"state": {"reported": {"a": 2}}})
    deleted = json.loads(data.delete_thing_shadow(thingName="t")["payload"].read())
    assert deleted["version"] == 2
    assert update(data, "t", {"state": {"reported": {"a": 3}}})["version"] == 3
    data.delete_thing_shadow(thingName="t")
    mock.advance_time(hours=49)
    assert update(data, "t", {"state": {"reported": {"a": 4}}})["version"] == 1


def test_deleting_the_thing_keeps_its_shadow(iot: Any, data: Any) -> None:
    iot.create_thing(thingName="t")
    update(data, "t", {"state": {"reported": {"a": 1}}})
    iot.delete_thing(thingName="t")
    assert get(data, "t")["state"]["reported"] == {"a": 1}


def test_messages_published_for_each_change(data: Any, mock: MockIotJobs) -> None:
    update(data, "t", {"state": {"desired": {"fw": "2.0"}}, "clientToken": "c1"})
    update(data, "t", {"state": {"reported": {"fw": "1.0"}}})
    topics = [m.topic for m in mock.messages("$aws/things/t/shadow/#")]
    assert topics == [
        "$aws/things/t/shadow/update/accepted",
        "$aws/things/t/shadow/update/documents",
        "$aws/things/t/shadow/update/delta",
        "$aws/things/t/shadow/update/accepted",
        "$aws/things/t/shadow/update/documents",
    ]
    delta = mock.messages("$aws/things/t/shadow/update/delta")[0].payload
    assert delta["state"] == {"fw": "2.0"} and delta["clientToken"] == "c1" and delta["version"] == 1
    documents = mock.messages("$aws/things/t/shadow/update/documents")[1].payload
    assert documents["previous"]["state"] == {"desired": {"fw": "2.0"}}
    assert documents["current"]["state"] == {"desired": {"fw": "2.0"}, "reported": {"fw": "1.0"}}
    assert documents["current"]["version"] == 2
    data.delete_thing_shadow(thingName="t")
    assert mock.messages("$aws/things/t/shadow/delete/accepted")[0].payload["version"] == 2
    assert mock.shadow("t") is None


def test_publish_on_a_shadow_topic_is_a_shadow_request(data: Any, mock: MockIotJobs) -> None:
    data.publish(topic="$aws/things/t/shadow/name/cfg/update",
                 payload=b'{"state":{"reported":{"x":1}},"clientToken":"p"}')
    assert mock.shadow("t", "cfg")["state"]["reported"] == {"x": 1}
    data.publish(topic="$aws/things/t/shadow/name/cfg/update", payload=b"{}")
    (rejected,) = mock.messages("$aws/things/t/shadow/name/cfg/update/rejected")
    assert rejected.payload["code"] == 400 and rejected.payload["message"] == "Missing required node: state"
    data.publish(topic="$aws/things/t/shadow/name/cfg/get", payload=b'{"clientToken":"g"}')
    (got,) = mock.messages("$aws/things/t/shadow/name/cfg/get/accepted")
    assert got.payload["state"]["reported"] == {"x": 1} and got.payload["clientToken"] == "g"


def test_publish_and_retained_messages(data: Any, mock: MockIotJobs) -> None:
    data.publish(topic="fleet/a/status", payload=b"online", qos=1, retain=True)
    data.publish(topic="fleet/b/status", payload=b"offline", retain=True)
    data.publish(topic="fleet/plain", payload=b"not kept")
    assert [m.payload for m in mock.messages("fleet/+/status")] == [b"online", b"offline"]
    kept = data.get_retained_message(topic="fleet/a/status")
    assert (kept["payload"], kept["qos"], kept["topic"]) == (b"online", 1, "fleet/a/status")
    listed = data.list_retained_messages()["retainedTopics"]
    assert [(m["topic"], m["payloadSize"]) for m in listed] == [("fleet/a/status", 6), ("fleet/b/status", 7)]
    data.publish(topic="fleet/a/status", payload=b"", retain=True)  # an empty retained payload clears it
    assert error(data.get_retained_message, topic="fleet/a/status")["Error"]["Code"] == "ResourceNotFoundException"
    assert error(data.publish, topic="fleet/#", payload=b"x")["Error"]["Code"] == "InvalidRequestException"


def test_delete_connection_of_an_unknown_client(data: Any) -> None:
    assert error(data.delete_connection, clientId="nobody")["Error"]["Code"] == "ResourceNotFoundException"


def test_fleet_indexing_reads_shadows(iot: Any, data: Any) -> None:
    iot.update_indexing_configuration(thingIndexingConfiguration={
        "thingIndexingMode": "REGISTRY_AND_SHADOW", "namedShadowIndexingMode": "ON",
        "filter": {"namedShadowNames": ["firmware"]},
        "customFields": [{"name": "shadow.reported.battery", "type": "Number"}]})
    for name, version, battery in (("a", "1.0", 90), ("b", "2.0", 40)):
        iot.create_thing(thingName=name)
        update(data, name, {"state": {"reported": {"version": version, "battery": battery}}})
    update(data, "a", {"state": {"reported": {"slot": "B"}}}, shadowName="firmware")
    found = iot.search_index(queryString="shadow.reported.version:1.0")["things"]
    assert [t["thingName"] for t in found] == ["a"]
    assert json.loads(found[0]["shadow"])["state"]["reported"]["version"] == "1.0"
    assert [t["thingName"] for t in iot.search_index(queryString="shadow.reported.battery<50")["things"]] == ["b"]
    assert [t["thingName"] for t in iot.search_index(queryString="shadow.name.firmware.reported.slot:B")[
        "things"]] == ["a"]
    stats = iot.get_statistics(queryString="*", aggregationField="shadow.reported.battery")["statistics"]
    assert stats["average"] == 65
    update(data, "b", {"state": {"desired": {"version": "3.0"}}})
    assert [t["thingName"] for t in iot.search_index(queryString="shadow.hasDelta:true")["things"]] == ["b"]


@pytest.mark.parametrize("fast", [True, False])
def test_with_moto_active_shadows_are_ours(fast: bool) -> None:
    """moto's mock_aws beside ours: iot-data sees the things our iot holds, S3 stays moto's."""
    moto = pytest.importorskip("moto")
    import boto3

    from mock_iotjobs import mock_iotjobs

    with moto.mock_aws(), mock_iotjobs(fast_path=fast):
        iot = boto3.client("iot", region_name="us-east-1")
        data = boto3.client("iot-data", region_name="us-east-1")
        s3 = boto3.client("s3", region_name="us-east-1")
        iot.create_thing(thingName="t1")
        data.update_thing_shadow(thingName="t1", payload=b'{"state":{"reported":{"fw":"1.0"}}}')
        assert json.loads(data.get_thing_shadow(thingName="t1")["payload"].read())["state"]["reported"] == {"fw": "1.0"}
        s3.create_bucket(Bucket="firmware")
        assert s3.list_buckets()["Buckets"][0]["Name"] == "firmware"
