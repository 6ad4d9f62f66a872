"""aiobotocore and aioboto3 clients, on both paths.

aiobotocore pins its own botocore range (older than the one the main
environment has), so these run in their own virtualenv: ``make test-async``
(called by .ci/run).  Elsewhere they are skipped.
"""

from __future__ import annotations

import asyncio
import json
import warnings
from typing import Any, Awaitable, Callable, List

import pytest

from mock_iotjobs import interception, mock_iotjobs

aiobotocore_session = pytest.importorskip("aiobotocore.session")

REGION = "us-east-1"
CREDENTIALS = {"aws_access_key_id": "AKIDASYNC", "aws_secret_access_key": "secret"}
PATHS = pytest.mark.parametrize("fast", [True, False], ids=["fast", "wire"])


def _run(body: Callable[[], Awaitable[Any]]) -> Any:
    # Any coroutine left un-awaited (the old fast path's bug) fails the test.
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        return asyncio.run(body())


@PATHS
def test_an_aiobotocore_client_drives_a_job_end_to_end(fast: bool) -> None:
    async def scenario() -> None:
        session = aiobotocore_session.get_session()
        async with session.create_client("iot", region_name=REGION, **CREDENTIALS) as iot, session.create_client(
            "iot-jobs-data", region_name=REGION, **CREDENTIALS
        ) as data:
            arn = (await iot.create_thing(thingName="dev-1"))["thingArn"]
            await iot.create_job(jobId="ota", targets=[arn], document='{"v": 2}')
            started = await data.start_next_pending_job_execution(thingName="dev-1")
            assert json.loads(started["execution"]["jobDocument"]) == {"v": 2}
            await data.update_job_execution(jobId="ota", thingName="dev-1", status="SUCCEEDED")
            job = (await iot.describe_job(jobId="ota"))["job"]
            assert job["status"] == "COMPLETED" and job["createdAt"].tzinfo is not None
            with pytest.raises(iot.exceptions.ResourceNotFoundException):
                await iot.describe_thing(thingName="missing")

    with mock_iotjobs(fast_path=fast) as mock:
        _run(scenario)
        assert mock.job("ota").status == "COMPLETED"


@PATHS
def test_async_event_handlers_run(fast: bool) -> None:
    seen: List[str] = []

    async def on_before_parse(**kwargs: Any) -> None:
        seen.append(kwargs["event_name"])

    async def on_after_call(http_response: Any, **kwargs: Any) -> None:
        seen.append(kwargs["event_name"])
        seen.append((await http_response.content).decode())

    async def scenario() -> None:
        session = aiobotocore_session.get_session()
        async with session.create_client("iot", region_name=REGION, **CREDENTIALS) as iot:
            iot.meta.events.register("before-parse.iot", on_before_parse)
            iot.meta.events.register("after-call.iot", on_after_call)
            await iot.create_thing(thingName="dev-1")

    with mock_iotjobs(fast_path=fast):
        _run(scenario)
    assert seen[:2] == ["before-parse.iot.CreateThing", "after-call.iot.CreateThing"]
    assert '"thingName":"dev-1"' in seen[2]


def test_the_fast_path_answers_async_clients(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the wire path was used")

    monkeypatch.setattr(interception, "serve_prepared", refuse)

    async def scenario() -> None:
        session = aiobotocore_session.get_session()
        async with session.create_client("iot", region_name=REGION, **CREDENTIALS) as iot:
            assert (await iot.describe_endpoint(endpointType="iot:Jobs"))["endpointAddress"]

    with mock_iotjobs(fast_path=True):
        _run(scenario)


def test_a_user_before_send_hook_on_an_async_client_fires() -> None:
    seen: List[str] = []

    async def scenario() -> None:
        session = aiobotocore_session.get_session()
        async with session.create_client("iot", region_name=REGION, **CREDENTIALS) as iot:
            iot.meta.events.register("before-send.iot", lambda **kwargs: seen.append(kwargs["event_name"]))
            await iot.create_thing(thingName="dev-1")

    with mock_iotjobs(fast_path=True):
        _run(scenario)
    assert seen == ["before-send.iot.CreateThing"]


@PATHS
def test_injected_faults_are_retried_by_aiobotocore(fast: bool) -> None:
    from botocore.config import Config

    async def scenario() -> int:
        session = aiobotocore_session.get_session()
        config = Config(retries={"mode": "standard", "total_max_attempts": 2})
        async with session.create_client("iot", region_name=REGION, config=config, **CREDENTIALS) as iot:
            answer = await iot.describe_endpoint(endpointType="iot:Jobs")
            return int(answer["ResponseMetadata"]["RetryAttempts"])

    with mock_iotjobs(fast_path=fast) as mock:
        mock.fail_next("DescribeEndpoint", "InternalFailureException")
        assert _run(scenario) == 1


@PATHS
def test_an_aioboto3_session(fast: bool) -> None:
    aioboto3 = pytest.importorskip("aioboto3")

    async def scenario() -> List[str]:
        session = aioboto3.Session(region_name=REGION, **CREDENTIALS)
        async with session.client("iot") as iot:
            for name in ("a", "b"):
                await iot.create_thing(thingName=name)
            pages = iot.get_paginator("list_things").paginate(PaginationConfig={"PageSize": 1})
            return [thing["thingName"] async for page in pages for thing in page["things"]]

    with mock_iotjobs(fast_path=fast):
        assert _run(scenario) == ["a", "b"]
