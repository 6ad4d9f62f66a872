"""The ``iot-data`` plane over HTTPS: device shadows, Publish, retained messages, connections."""

from __future__ import annotations

import json
import uuid
from typing import Any, Dict, List

from ..backend.paging import paginate
from ..backend.shadows import requests as shadow_requests
from ..backend.shadows.requests import shadow_request
from ..protocol.errors import ServiceError, invalid_request, not_found
from ..protocol.models import DATA
from .base import Context, Params, Result, compact, operation

# MQTT's own bound on a message, and AWS IoT Core's (128 KB).
MAX_MESSAGE_BYTES = 128 * 1024


def _json_bytes(document: Dict[str, Any]) -> bytes:
    return json.dumps(document, separators=(",", ":")).encode("utf-8")


@operation(DATA, "GetThingShadow")
def get_thing_shadow(ctx: Context, p: Params) -> Result:
    document = ctx.backend.shadows.get(p["thingName"], p.get("shadowName") or "")
    return {"payload": _json_bytes(document)}


@operation(DATA, "UpdateThingShadow")
def update_thing_shadow(ctx: Context, p: Params) -> Result:
    response = ctx.backend.shadows.update(p["thingName"], p.get("shadowName") or "", p.get("payload") or b"")
    return {"payload": _json_bytes(response)}


@operation(DATA, "DeleteThingShadow")
def delete_thing_shadow(ctx: Context, p: Params) -> Result:
    response = ctx.backend.shadows.delete(p["thingName"], p.get("shadowName") or "")
    return {"payload": _json_bytes(response)}


@operation(DATA, "ListNamedShadowsForThing")
def list_named_shadows_for_thing(ctx: Context, p: Params) -> Result:
    names = list(enumerate(ctx.backend.shadows.names(p["thingName"])))
    scope = f"ListNamedShadowsForThing:{p['thingName']}"
    page, token = paginate(names, lambda e: e[0], p.get("pageSize"), p.get("nextToken"), scope, 25)
    return compact(results=[name for _, name in page], nextToken=token, timestamp=int(ctx.backend.now()))


def _check_topic(topic: str) -> None:
    if not topic or "+" in topic or "#" in topic:
        raise invalid_request(f"The topic {topic!r} is not a valid topic name.")
    if len(topic.encode("utf-8")) > 256 or topic.count("/") > 7 + (2 if topic.startswith("$aws/") else 0):
        raise invalid_request("The topic exceeds AWS IoT's topic limits (256 bytes, 7 forward slashes).")


@operation(DATA, "Publish")
def publish(ctx: Context, p: Params) -> Result:
    topic = p["topic"]
    _check_topic(topic)
    payload = p.get("payload") or b""
    if len(payload) > MAX_MESSAGE_BYTES:
        raise invalid_request(f"The payload exceeds the {MAX_MESSAGE_BYTES}-byte message size limit.")
    backend = ctx.backend
    request = shadow_request(topic)
    if request is not None:
        # A publish on a shadow request topic is a shadow request, whichever way it arrives.
        shadow_requests.handle(backend, request, payload)
        return {}
    qos = p.get("qos") or 0
    retain = bool(p.get("retain"))
    if retain:
        backend.retained.put(topic, payload, qos, backend.now())
    backend.notifications.message(topic, payload, backend.now(), None, qos=qos, retain=retain)
    return {}


@operation(DATA, "GetRetainedMessage")
def get_retained_message(ctx: Context, p: Params) -> Result:
    message = ctx.backend.retained.get(p["topic"])
    if message is None:
        raise not_found(f"No retained message exists for topic {p['topic']}.")
    return {
        "topic": message.topic,
        "payload": message.payload,
        "qos": message.qos,
        "lastModifiedTime": message.last_modified_ms,
    }


@operation(DATA, "ListRetainedMessages")
def list_retained_messages(ctx: Context, p: Params) -> Result:
    listing = list(enumerate(ctx.backend.retained.listing()))
    page, token = paginate(listing, lambda e: e[0], p.get("maxResults"), p.get("nextToken"), "ListRetained", 200)
    topics: List[Dict[str, Any]] = [
        {"topic": m.topic, "payloadSize": len(m.payload), "qos": m.qos, "lastModifiedTime": m.last_modified_ms}
        for _, m in page
    ]
    return compact(retainedTopics=topics, nextToken=token)


def _client(ctx: Context, client_id: str, live: bool = True) -> Any:
    backend = ctx.backend
    now_ms = int(backend.now() * 1000)
    record = backend.connections.live(client_id, now_ms) if live else backend.connections.get(client_id, now_ms)
    if record is None:
        raise not_found(f"No connection exists for client id {client_id}.")
    return record


@operation(DATA, "DeleteConnection")
def delete_connection(ctx: Context, p: Params) -> Result:
    record = _client(ctx, p["clientId"])
    record.disconnect(bool(p.get("cleanSession")), bool(p.get("preventWillMessage")))
    return {}


@operation(DATA, "GetConnection")
def get_connection(ctx: Context, p: Params) -> Result:
    record = _client(ctx, p["clientId"], live=False)
    thing = record.client_id if record.client_id in ctx.backend.things.by_name else None
    socket_info = bool(p.get("includeSocketInformation"))
    return compact(
        clientId=record.client_id,
        connected=record.connected,
        thingName=thing,
        cleanSession=record.clean_session,
        keepAliveDuration=record.keep_alive,
        connectedSince=record.connected_since_ms if record.connected else None,
        disconnectedSince=record.disconnected_ms,
        disconnectReason=record.disconnect_reason,
        sessionExpiry=record.session_expiry,
        sourceIp=record.source[0] if socket_info else None,
        sourcePort=record.source[1] if socket_info else None,
        targetIp=record.target[0] if socket_info else None,
        targetPort=record.target[1] if socket_info else None,
    )


@operation(DATA, "ListSubscriptions")
def list_subscriptions(ctx: Context, p: Params) -> Result:
    record = _client(ctx, p["clientId"])
    listing = list(enumerate(sorted(record.subscriptions())))
    scope = f"ListSubscriptions:{record.client_id}"
    page, token = paginate(listing, lambda e: e[0], p.get("maxResults"), p.get("nextToken"), scope, 200)
    return compact(subscriptions=[{"topicFilter": f, "qos": q} for _, (f, q) in page], nextToken=token)


@operation(DATA, "SendDirectMessage")
def send_direct_message(ctx: Context, p: Params) -> Result:
    topic = p["topic"] if p.get("topic") else ""
    _check_topic(topic)
    payload = p.get("payload") or b""
    if len(payload) > MAX_MESSAGE_BYTES:
        raise ServiceError("RequestEntityTooLargeException", "The payload exceeds the maximum size allowed.")
    record = _client(ctx, p["clientId"])
    # Delivered without a subscription; QoS 1 when a confirmation is asked for. The mock
    # does not wait for the PUBACK: delivery to the client's queue is the confirmation.
    record.send(topic, payload, 1 if p.get("confirmation") else 0)
    return {"message": "Message sent", "traceId": str(uuid.uuid4())}
