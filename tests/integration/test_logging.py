"""The mock_iotjobs logger: a DEBUG line per served request, WARNINGs for what a test should hear about."""

from __future__ import annotations

import logging
from typing import Any, Iterator, List

import pytest
from botocore.exceptions import ClientError

from mock_iotjobs import MockIotJobs, mock_iotjobs

LOGGER = "mock_iotjobs"


@pytest.fixture(params=[True, False], ids=["fast", "wire"])
def mock(request: pytest.FixtureRequest) -> Iterator[MockIotJobs]:
    with mock_iotjobs(fast_path=request.param) as handle:
        yield handle


def _ours(caplog: pytest.LogCaptureFixture, level: int) -> List[str]:
    return [r.getMessage() for r in caplog.records if r.name == LOGGER and r.levelno == level]


def test_each_served_request_is_logged_at_debug(mock: MockIotJobs, iot: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    iot.create_thing(thingName="t1")
    with pytest.raises(ClientError):
        iot.describe_thing(thingName="missing")
    with pytest.raises(ClientError):
        iot.create_thing(thingName="bad name!")
    assert _ours(caplog, logging.DEBUG) == [
        "iot CreateThing -> 200",
        "iot DescribeThing -> 404 ResourceNotFoundException",
        "iot CreateThing -> 400 InvalidRequestException",
    ]


def test_the_device_plane_is_logged_with_its_service_name(
    mock: MockIotJobs, jobs_data: Any, caplog: pytest.LogCaptureFixture
) -> None:
    mock.create_fleet(1)
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    jobs_data.get_pending_job_executions(thingName="device-0000")
    assert _ours(caplog, logging.DEBUG) == ["iot-jobs-data GetPendingJobExecutions -> 200"]


def test_nothing_is_logged_above_debug_for_a_normal_call(
    mock: MockIotJobs, iot: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    iot.create_thing(thingName="t1")
    assert [r for r in caplog.records if r.name == LOGGER] == []


def test_an_unimplemented_operation_warns(mock: MockIotJobs, iot: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger=LOGGER)
    with pytest.raises(ClientError) as refused:
        iot.list_fleet_metrics()
    assert refused.value.response["Error"]["Code"] == "NotImplementedException"
    (warning,) = _ours(caplog, logging.WARNING)
    assert "iot ListFleetMetrics is not implemented by mock_iotjobs" in warning
    assert "python -m mock_iotjobs coverage" in warning


def test_a_device_receiving_a_job_without_a_document_warns(
    mock: MockIotJobs, iot: Any, jobs_data: Any, caplog: pytest.LogCaptureFixture
) -> None:
    # AWS reads a documentSource at CreateJob, so the API never makes a job without a
    # document; the warning guards the mock's own state (simulated here).
    arn = iot.create_thing(thingName="dev-1")["thingArn"]
    iot.create_job(jobId="no-doc", targets=[arn], document='{"v": 1}')
    mock.backend().jobs.get("no-doc").document = None
    caplog.clear()
    caplog.set_level(logging.WARNING, logger=LOGGER)
    started = jobs_data.start_next_pending_job_execution(thingName="dev-1")
    assert "jobDocument" not in started["execution"]
    jobs_data.update_job_execution(jobId="no-doc", thingName="dev-1", status="IN_PROGRESS", includeJobDocument=True)
    warnings = _ours(caplog, logging.WARNING)
    assert len(warnings) == 2
    assert all("device dev-1 received job no-doc without a jobDocument" in w for w in warnings)


def test_a_job_with_a_document_does_not_warn(
    mock: MockIotJobs, iot: Any, jobs_data: Any, caplog: pytest.LogCaptureFixture
) -> None:
    arn = iot.create_thing(thingName="dev-1")["thingArn"]
    iot.create_job(jobId="inline", targets=[arn], document='{"v": 1}')
    caplog.set_level(logging.WARNING, logger=LOGGER)
    jobs_data.start_next_pending_job_execution(thingName="dev-1")
    assert _ours(caplog, logging.WARNING) == []


def test_logging_costs_nothing_when_debug_is_off(mock: MockIotJobs, iot: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from mock_iotjobs import logs

    def must_not_run(*args: Any) -> None:
        raise AssertionError("formatted a DEBUG line nobody listens to")

    monkeypatch.setattr(logs, "request_served", must_not_run)
    logging.getLogger(LOGGER).setLevel(logging.INFO)
    try:
        iot.create_thing(thingName="t1")
    finally:
        logging.getLogger(LOGGER).setLevel(logging.NOTSET)
