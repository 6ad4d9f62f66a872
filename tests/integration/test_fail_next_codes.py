"""fail_next: modeled and common AWS errors only, each with its HTTP status and botocore's retry behaviour."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from mock_iotjobs import MockIotJobs, mock_iotjobs

NO_RETRY = Config(retries={"total_max_attempts": 1, "mode": "standard"})
RETRY_ONCE = Config(retries={"total_max_attempts": 2, "mode": "standard"})


@pytest.fixture(autouse=True)
def _no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    # botocore's retries still happen, without their (random, up to a second) back-off sleep.
    import botocore.retries.standard

    monkeypatch.setattr(botocore.retries.standard.ExponentialBackoff, "delay_amount", lambda self, context: 0)


@pytest.fixture(params=[True, False], ids=["fast", "wire"])
def mock(request: pytest.FixtureRequest) -> Any:
    with mock_iotjobs(fast_path=request.param) as handle:
        yield handle


def _status_of(call: Any) -> "tuple[str, int, int]":
    with pytest.raises(ClientError) as caught:
        call()
    response = caught.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"], response[
        "ResponseMetadata"
    ]["RetryAttempts"]


@pytest.mark.parametrize(
    "code, status",
    [
        ("ThrottlingException", 400),  # modeled on iot
        ("ServiceUnavailableException", 503),  # modeled on iot
        ("InternalFailureException", 500),  # modeled on iot
        ("RequestLimitExceeded", 400),  # common (throttling)
        ("TooManyRequestsException", 429),  # common (throttling)
        ("InternalFailure", 500),  # common
        ("ServiceUnavailable", 503),  # common
        ("AccessDeniedException", 403),  # common
        ("ResourceNotFoundException", 404),  # modeled for DescribeJob
    ],
)
def test_each_accepted_code_answers_its_status(mock: MockIotJobs, make_client: Any, code: str, status: int) -> None:
    iot = make_client("iot", config=NO_RETRY)
    mock.fail_next("DescribeJob", code)
    assert _status_of(lambda: iot.describe_job(jobId="j")) == (code, status, 0)


def test_the_device_plane_gets_its_own_modeled_status(mock: MockIotJobs, make_client: Any) -> None:
    data = make_client("iot-jobs-data", config=NO_RETRY)
    mock.fail_next("GetPendingJobExecutions", "ThrottlingException")
    assert _status_of(lambda: data.get_pending_job_executions(thingName="t")) == ("ThrottlingException", 429, 0)
    mock.fail_next("GetPendingJobExecutions", "CertificateValidationException")
    assert _status_of(lambda: data.get_pending_job_executions(thingName="t"))[:2] == (
        "CertificateValidationException",
        400,
    )


@pytest.mark.parametrize(
    "code",
    ["ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException", "InternalFailureException",
     "ServiceUnavailableException", "ServiceUnavailable", "RequestTimeoutException"],
)
def test_botocore_retries_throttling_and_transient_errors(mock: MockIotJobs, make_client: Any, code: str) -> None:
    iot = make_client("iot", config=RETRY_ONCE)
    mock.fail_next("DescribeEndpoint", code)
    answer = iot.describe_endpoint(endpointType="iot:Jobs")
    assert answer["ResponseMetadata"]["RetryAttempts"] == 1


@pytest.mark.parametrize("code", ["AccessDeniedException", "ResourceNotFoundException", "InvalidRequestException"])
def test_botocore_does_not_retry_client_errors(mock: MockIotJobs, make_client: Any, code: str) -> None:
    iot = make_client("iot", config=RETRY_ONCE)
    mock.fail_next("DescribeJob", code)
    assert _status_of(lambda: iot.describe_job(jobId="j"))[2] == 0


def test_an_unknown_code_is_refused_with_the_accepted_list(mock: MockIotJobs, make_client: Any) -> None:
    with pytest.raises(ValueError) as refused:
        mock.fail_next("CreateJob", "SomeMadeUpError")
    message = str(refused.value)
    assert "SomeMadeUpError" in message
    for accepted in ("ThrottlingException", "ResourceAlreadyExistsException", "ServiceUnavailableException",
                     "InternalFailureException", "RequestLimitExceeded"):
        assert accepted in message
    # Nothing was injected: the next call succeeds.
    iot = make_client("iot", config=NO_RETRY)
    assert iot.describe_endpoint(endpointType="iot:Jobs")["endpointAddress"]


def test_an_error_of_another_operation_is_refused(mock: MockIotJobs, make_client: Any) -> None:
    # InvalidStateTransitionException is modeled for UpdateJobExecution, not for DescribeEndpoint.
    with pytest.raises(ValueError, match="not an error DescribeEndpoint can answer"):
        mock.fail_next("describe_endpoint", "InvalidStateTransitionException")
    mock.fail_next("update_job_execution", "InvalidStateTransitionException")
