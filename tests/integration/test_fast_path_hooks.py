"""The fast path steps aside for a client with the user's own request instrumentation,
and its direct answers are exactly what botocore's parser makes of our bytes."""

from __future__ import annotations

import datetime as dt
from typing import Any, Iterator, List

import boto3
import pytest

import mock_iotjobs.interception as interception
from mock_iotjobs import MockIotJobs, fastpath, mock_iotjobs

REGION = "us-east-1"


@pytest.fixture
def fast() -> Iterator[MockIotJobs]:
    with mock_iotjobs(fast_path=True) as handle:
        yield handle


@pytest.fixture
def wire_calls(monkeypatch: pytest.MonkeyPatch) -> List[str]:
    """Every call the wire path served, by URL."""
    served: List[str] = []
    original = interception.serve_prepared

    def counting(store: Any, request: Any) -> Any:
        served.append(request.url)
        return original(store, request)

    monkeypatch.setattr(interception, "serve_prepared", counting)
    return served


@pytest.mark.parametrize("event", ["request-created", "before-sign", "before-send"])
def test_a_user_handler_fires_and_the_call_takes_the_wire(
    fast: MockIotJobs, make_client: Any, wire_calls: List[str], event: str
) -> None:
    iot = make_client("iot")
    seen: List[str] = []

    def instrument(event_name: str, **kwargs: Any) -> None:
        seen.append(event_name)

    iot.meta.events.register(f"{event}.iot", instrument)
    iot.create_thing(thingName="t1")
    assert seen == [f"{event}.iot.CreateThing"]
    assert len(wire_calls) == 1
    assert iot.describe_thing(thingName="t1")["thingName"] == "t1"
    assert len(seen) == 2 and len(wire_calls) == 2


def test_without_user_handlers_the_fast_path_answers(
    fast: MockIotJobs, make_client: Any, wire_calls: List[str]
) -> None:
    iot = make_client("iot")
    iot.create_thing(thingName="t1")
    iot.describe_thing(thingName="t1")
    assert wire_calls == []


def test_a_handler_registered_later_is_seen_and_one_unregistered_is_forgotten(
    fast: MockIotJobs, make_client: Any, wire_calls: List[str]
) -> None:
    iot = make_client("iot")
    iot.create_thing(thingName="t1")  # caches "no user handler" for CreateThing
    seen: List[str] = []

    def instrument(**kwargs: Any) -> None:
        seen.append(kwargs["event_name"])

    iot.meta.events.register("before-send.iot.CreateThing", instrument)
    iot.create_thing(thingName="t2")
    assert seen == ["before-send.iot.CreateThing"] and len(wire_calls) == 1
    iot.meta.events.unregister("before-send.iot.CreateThing", instrument)
    iot.create_thing(thingName="t3")
    assert len(seen) == 1 and len(wire_calls) == 1


def test_a_handler_on_one_client_leaves_the_others_on_the_fast_path(
    fast: MockIotJobs, make_client: Any, wire_calls: List[str]
) -> None:
    instrumented, plain = make_client("iot"), make_client("iot")
    instrumented.meta.events.register("before-sign.iot", lambda **kwargs: None)
    plain.create_thing(thingName="t1")
    assert wire_calls == []
    instrumented.create_thing(thingName="t2")
    assert len(wire_calls) == 1


def test_a_session_wide_handler_applies_to_its_clients(fast: MockIotJobs, wire_calls: List[str]) -> None:
    session = boto3.session.Session(aws_access_key_id="a", aws_secret_access_key="b", region_name=REGION)
    seen: List[str] = []
    session.events.register("request-created", lambda **kwargs: seen.append(kwargs["event_name"]))
    session.client("iot").describe_endpoint(endpointType="iot:Jobs")
    assert seen == ["request-created.iot.DescribeEndpoint"] and len(wire_calls) == 1


def test_a_before_parse_hook_sees_the_body_on_the_fast_path(
    fast: MockIotJobs, make_client: Any, wire_calls: List[str]
) -> None:
    iot = make_client("iot")
    bodies: List[bytes] = []
    iot.meta.events.register("before-parse.iot", lambda response_dict, **kwargs: bodies.append(response_dict["body"]))
    iot.create_thing(thingName="t1")
    assert wire_calls == [] and b'"thingName":"t1"' in bodies[0]


def test_the_http_response_still_has_the_json_body(fast: MockIotJobs, make_client: Any) -> None:
    iot = make_client("iot")
    responses: List[Any] = []
    iot.meta.events.register("after-call.iot", lambda http_response, **kwargs: responses.append(http_response))
    iot.create_thing(thingName="t1")
    assert responses[0].status_code == 200 and b'"thingName":"t1"' in responses[0].content


def test_a_full_page_is_what_botocore_parses_from_our_bytes(
    make_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # MOCK_IOTJOBS_CHECK_PARSED makes the fast path parse its own bytes too and
    # compare (values, types, time zones): any difference raises.
    monkeypatch.setattr(fastpath, "CHECK_PARSED", True)
    with mock_iotjobs(fast_path=True) as mock:
        iot = make_client("iot")
        jobs_data = make_client("iot-jobs-data")
        things = mock.create_fleet(300, group="fleet")
        group = iot.describe_thing_group(thingGroupName="fleet")["thingGroupArn"]
        iot.create_job(jobId="big", targets=[group], document="{}")
        for thing in things[:10]:
            jobs_data.start_next_pending_job_execution(thingName=thing)
        page = iot.list_job_executions_for_job(jobId="big", maxResults=250)
        assert len(page["executionSummaries"]) == 250 and page["nextToken"]
        stamp = page["executionSummaries"][0]["jobExecutionSummary"]["queuedAt"]
        assert isinstance(stamp, dt.datetime) and stamp.tzinfo is not None
        assert iot.describe_job(jobId="big")["job"]["jobProcessDetails"]["numberOfInProgressThings"] == 10
