"""``mock_iotjobs`` as decorator (function, method, class) and context manager."""

from __future__ import annotations

import asyncio
import os
import unittest
from typing import Any, Dict, List

import boto3
import pytest
import requests
from botocore.exceptions import ClientError
from botocore.httpsession import URLLib3Session

from mock_iotjobs import MockIotJobs, mock_iotjobs
from mock_iotjobs.interception import current_store


def _iot() -> Any:
    return boto3.client("iot", region_name="us-east-1")


def _thing_names() -> List[str]:
    return [t["thingName"] for t in _iot().list_things()["things"]]


# --- function decorators ------------------------------------------------------
@mock_iotjobs
def test_bare_decorator_on_a_pytest_function(tmp_path: Any) -> None:
    # pytest still sees the wrapped function's signature and injects fixtures.
    assert tmp_path.exists()
    assert current_store() is not None
    _iot().create_thing(thingName="bare")
    assert _thing_names() == ["bare"]


@mock_iotjobs()
def test_called_decorator_on_a_pytest_function() -> None:
    assert current_store() is not None
    _iot().create_thing(thingName="called")
    assert _thing_names() == ["called"]


def test_function_decorators_activate_only_during_the_call() -> None:
    seen: Dict[str, Any] = {}

    @mock_iotjobs
    def bare(value: int, *, key: str) -> str:
        seen["bare"] = current_store()
        _iot().create_thing(thingName="x")
        return f"{value}-{key}"

    @mock_iotjobs()
    def called() -> List[str]:
        seen["called"] = current_store()
        return _thing_names()

    assert current_store() is None
    assert bare(1, key="k") == "1-k"
    assert bare.__name__ == "bare"
    assert called() == []  # a fresh activation: bare's thing is gone
    assert seen["bare"] is not None and seen["called"] is not None
    assert seen["bare"] is not seen["called"]
    assert current_store() is None


def test_each_call_of_a_decorated_function_starts_empty() -> None:
    @mock_iotjobs
    def count_then_add() -> int:
        names = _thing_names()
        _iot().create_thing(thingName="again")
        return len(names)

    assert [count_then_add(), count_then_add()] == [0, 0]


def test_decorated_coroutine_function() -> None:
    @mock_iotjobs
    async def work() -> str:
        await asyncio.sleep(0)
        return _iot().create_thing(thingName="async")["thingName"]

    assert asyncio.run(work()) == "async"
    assert current_store() is None


def test_bare_decorator_on_a_method_binds_self() -> None:
    class Fleet:
        prefix = "dev"

        @mock_iotjobs
        def create(self, count: int) -> List[str]:
            for n in range(count):
                _iot().create_thing(thingName=f"{self.prefix}-{n}")
            return _thing_names()

    assert Fleet().create(2) == ["dev-0", "dev-1"]


def test_region_argument_sets_the_default_region() -> None:
    @mock_iotjobs(region="eu-west-1")
    def arn() -> str:
        return boto3.client("iot").create_thing(thingName="r")["thingArn"]

    assert arn() == "arn:aws:iot:eu-west-1:123456789012:thing/r"
    assert "AWS_DEFAULT_REGION" not in os.environ


# --- class decorators ---------------------------------------------------------
def _run(case: type) -> unittest.TestResult:
    result = unittest.TestResult()
    unittest.defaultTestLoader.loadTestsFromTestCase(case).run(result)
    return result


def test_class_decorator_on_unittest_case_spans_setup_test_and_teardown() -> None:
    stores: Dict[str, List[Any]] = {"setUp": [], "test": [], "tearDown": []}

    @mock_iotjobs
    class FleetCase(unittest.TestCase):
        def setUp(self) -> None:  # noqa: N802
            stores["setUp"].append(current_store())
            _iot().create_thing(thingName="from-setup")

        def tearDown(self) -> None:  # noqa: N802
            stores["tearDown"].append(current_store())
            # State made by setUp and the test is still there.
            assert len(_thing_names()) == 2

        def test_one(self) -> None:
            stores["test"].append(current_store())
            _iot().create_thing(thingName="one")
            self.assertEqual(_thing_names(), ["from-setup", "one"])

        def test_two(self) -> None:
            stores["test"].append(current_store())
            _iot().create_thing(thingName="two")
            self.assertEqual(_thing_names(), ["from-setup", "two"])

    result = _run(FleetCase)
    assert result.testsRun == 2
    assert result.wasSuccessful(), result.failures + result.errors
    for index in range(2):
        store = stores["setUp"][index]
        assert store is not None
        assert stores["test"][index] is store and stores["tearDown"][index] is store
    assert stores["setUp"][0] is not stores["setUp"][1]
    assert current_store() is None


def test_called_class_decorator_without_setup_and_with_a_failing_test() -> None:
    @mock_iotjobs()
    class Failing(unittest.TestCase):
        def test_fails(self) -> None:
            _iot().create_thing(thingName="x")
            raise AssertionError("boom")

        def test_errors(self) -> None:
            _iot().describe_thing(thingName="missing")

    result = _run(Failing)
    assert len(result.failures) == 1 and len(result.errors) == 1
    assert "ResourceNotFoundException" in result.errors[0][1]
    assert current_store() is None


@mock_iotjobs
class TestDecoratedPytestClass:
    """A plain pytest class: every ``test*`` method gets its own fresh mock."""

    def helper(self) -> Any:
        return current_store()

    def test_first(self) -> None:
        assert self.helper() is not None
        _iot().create_thing(thingName="first")
        assert _thing_names() == ["first"]

    def test_second(self) -> None:
        assert self.helper() is not None
        assert _thing_names() == []


def test_pytest_class_decorator_wraps_only_test_methods() -> None:
    @mock_iotjobs
    class Plain:
        def helper(self) -> Any:
            return current_store()

        def test_it(self) -> Any:
            return current_store()

    assert Plain().helper() is None
    assert Plain().test_it() is not None


# --- context manager ----------------------------------------------------------
def test_context_manager_yields_a_handle_onto_the_state() -> None:
    with mock_iotjobs() as mock:
        assert isinstance(mock, MockIotJobs)
        _iot().create_thing(thingName="ctx")
        assert list(mock.backend().things.by_name) == ["ctx"]
    assert current_store() is None


def test_one_object_can_be_entered_again_and_is_fresh_each_time() -> None:
    mock = mock_iotjobs()
    with mock:
        _iot().create_thing(thingName="a")
    with mock:
        assert _thing_names() == []
    mock.start()
    try:
        assert _thing_names() == []
    finally:
        mock.stop()
    mock.stop()  # stopping an inactive mock is harmless
    assert current_store() is None


def test_nested_activations_are_fresh_and_the_outer_state_comes_back() -> None:
    with mock_iotjobs() as outer:
        _iot().create_thing(thingName="outer-thing")
        with mock_iotjobs() as inner:
            assert _thing_names() == []
            _iot().create_thing(thingName="inner-thing")
            with pytest.raises(ClientError):
                _iot().describe_thing(thingName="outer-thing")
            assert list(inner.backend().things.by_name) == ["inner-thing"]
        assert _thing_names() == ["outer-thing"]
        assert list(outer.backend().things.by_name) == ["outer-thing"]
        # The patches are still in place for the outer activation.
        assert current_store() is not None
        assert requests.get("https://iot.us-east-1.amazonaws.com/things/outer-thing").status_code == 200
    assert current_store() is None


def test_nested_decorator_inside_context_manager() -> None:
    @mock_iotjobs
    def inner() -> List[str]:
        return _thing_names()

    with mock_iotjobs():
        _iot().create_thing(thingName="outer")
        assert inner() == []
        assert _thing_names() == ["outer"]


# --- teardown when the test raises ---------------------------------------------
def _patch_state() -> Dict[str, Any]:
    return {
        "store": current_store(),
        "send": URLLib3Session.send,
        "adapter_send": requests.adapters.HTTPAdapter.send,
        "env": {k: v for k, v in os.environ.items() if k.startswith("AWS_")},
    }


def test_context_manager_tears_down_fully_when_the_body_raises() -> None:
    before = _patch_state()
    with pytest.raises(RuntimeError, match="inside"):
        with mock_iotjobs():
            assert URLLib3Session.send is not before["send"]
            assert os.environ["AWS_ACCESS_KEY_ID"]
            raise RuntimeError("inside")
    assert _patch_state() == before


def test_decorated_function_tears_down_fully_when_it_raises() -> None:
    before = _patch_state()

    @mock_iotjobs
    def failing() -> None:
        _iot().describe_thing(thingName="missing")

    with pytest.raises(ClientError) as caught:
        failing()
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert _patch_state() == before


def test_nested_teardown_on_error_keeps_the_outer_activation() -> None:
    with mock_iotjobs():
        _iot().create_thing(thingName="kept")
        with pytest.raises(KeyError):
            with mock_iotjobs():
                raise KeyError("inner")
        assert _thing_names() == ["kept"]
    assert current_store() is None


# --- clients created before activation ------------------------------------------
def test_client_created_before_activation_is_intercepted() -> None:
    early_iot = boto3.client("iot", region_name="us-east-1", aws_access_key_id="AKID", aws_secret_access_key="s")
    early_data = boto3.client(
        "iot-jobs-data", region_name="us-east-1", aws_access_key_id="AKID", aws_secret_access_key="s"
    )
    with mock_iotjobs():
        early_iot.create_thing(thingName="early")
        assert early_iot.describe_thing(thingName="early")["thingName"] == "early"
        assert early_data.get_pending_job_executions(thingName="early")["queuedJobs"] == []
    with mock_iotjobs():
        # And by a later activation too, which starts empty.
        assert early_iot.list_things()["things"] == []
