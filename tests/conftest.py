"""Shared fixtures.

Every test runs with no AWS configuration of the developer's leaking in: real
credentials, profiles and shared config files are hidden, so the suite
behaves the same on a laptop with ``~/.aws`` and on a bare CI machine, and can
never sign anything with real keys.
"""

from __future__ import annotations

import sys
from typing import Any, Callable, Iterator, List

import boto3
import pytest
from botocore.config import Config

from mock_iotjobs import MockIotJobs, mock_iotjobs

# The pytest plugin (iot_jobs_backend...) comes from the package's pytest11 entry
# point once installed; from a bare source tree it is loaded here.  The entry
# point imports the module before conftests load, so it is never registered twice.
if "mock_iotjobs.pytest_plugin.plugin" not in sys.modules:
    import importlib.util

    # Installed (entry points off): the installed module; a bare source tree: the folder.
    _INSTALLED = importlib.util.find_spec("mock_iotjobs.pytest_plugin") is not None
    pytest_plugins = ["mock_iotjobs.pytest_plugin.plugin" if _INSTALLED else "pytest_plugin.plugin"]

_AWS_VARS = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_IOT",
    "AWS_ENDPOINT_URL_IOT_JOBS_DATA_PLANE",
    "AWS_CA_BUNDLE",
    "MOCK_IOTJOBS_ACCOUNT_ID",
)

# Fail fast: no retries, so an error shows up as the first answer.
NO_RETRY = Config(retries={"total_max_attempts": 1})
# Lets a test send values botocore's client-side validation would refuse.
UNVALIDATED = Config(parameter_validation=False, retries={"total_max_attempts": 1})


@pytest.fixture(autouse=True)
def _no_real_aws_configuration(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    for name in _AWS_VARS:
        monkeypatch.delenv(name, raising=False)
    missing = tmp_path_factory.getbasetemp() / "no-aws-config"
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(missing / "credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(missing / "config"))
    # boto3's default session caches config files and credentials: start afresh.
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)


@pytest.fixture
def mock(request: pytest.FixtureRequest) -> Iterator[MockIotJobs]:
    """An active mock for the duration of the test; ``@pytest.mark.iot_jobs_events(...)``
    enables event types, as it does for the plugin's ``iot_jobs_backend``."""
    with mock_iotjobs() as handle:
        events = request.node.get_closest_marker("iot_jobs_events")
        if events is not None:
            handle.enable_events(*events.args)
        yield handle


ClientFactory = Callable[..., Any]

_SESSION: List[boto3.session.Session] = []


def _shared_session() -> boto3.session.Session:
    """One session per test process: it keeps the service models it has loaded, so
    making a client costs milliseconds instead of re-reading the iot model.  Only
    its cached credentials are forgotten, so each test resolves its own."""
    if not _SESSION:
        _SESSION.append(boto3.session.Session())
    session = _SESSION[0]
    session._session._credentials = None
    return session


@pytest.fixture
def make_client(mock: MockIotJobs) -> ClientFactory:
    """``make_client(service, region=..., account=..., validate=True, **kwargs)``.

    ``account`` (12 digits) becomes the access key id, which selects the
    mock's account; ``validate=False`` turns off botocore's own parameter
    checks so the mock's validation is what answers.
    """

    def make(
        service: str = "iot",
        region: str = "us-east-1",
        account: str = "",
        validate: bool = True,
        **kwargs: Any,
    ) -> Any:
        if account:
            kwargs.setdefault("aws_access_key_id", account)
            kwargs.setdefault("aws_secret_access_key", "secret")
        kwargs.setdefault("config", NO_RETRY if validate else UNVALIDATED)
        return _shared_session().client(service, region_name=region, **kwargs)

    return make


@pytest.fixture
def iot(make_client: ClientFactory) -> Any:
    return make_client("iot")


@pytest.fixture
def jobs_data(make_client: ClientFactory) -> Any:
    return make_client("iot-jobs-data")
