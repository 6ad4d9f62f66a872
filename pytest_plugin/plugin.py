"""pytest fixtures for tests of code that uses AWS IoT Jobs through boto3.

- ``iot_jobs_backend``: an active mock for the test; yields its handle
  (:class:`mock_iotjobs.MockIotJobs`) and tears everything down afterwards.
- ``iot_client`` / ``iot_jobs_data_client``: boto3 clients of ``iot`` and
  ``iot-jobs-data`` bound to that mock, in the test's region.
- marker ``@pytest.mark.iot_jobs(region=..., account_id=...)`` on a test,
  class or module; option ``--iot-jobs-region`` (or ini ``iot_jobs_region``)
  for the default region, ``us-east-1`` otherwise.
- marker ``@pytest.mark.iot_jobs_events`` (every event type) or
  ``@pytest.mark.iot_jobs_events("JOB", "JOB_EXECUTION")``: the test starts with
  those event types enabled, so Jobs events are recorded (AWS publishes none
  until UpdateEventConfigurations enables them).

Each test runs with fake credentials and the chosen region in the
environment, whatever the machine's own AWS configuration says, so nothing
is signed with real keys and results do not depend on ``~/.aws``.  State
lives in the test's process, so the fixtures work unchanged under
pytest-xdist.

``mock_iotjobs`` (which patches botocore) is imported only when a fixture is
used, so merely having the package installed changes nothing.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Iterator, NamedTuple, Optional, Tuple

import pytest

from .mqtt_fixtures import iot_jobs_mqtt, iot_jobs_mqtt_tls, iot_jobs_mqtt_ws  # noqa: F401  (registers the MQTT fixtures)

if TYPE_CHECKING:
    from mock_iotjobs import MockIotJobs
    from mock_iotjobs.clients import IotClient, IotJobsDataClient

MARKER = "iot_jobs"
EVENTS_MARKER = "iot_jobs_events"
DEFAULT_REGION = "us-east-1"
FAKE_ACCESS_KEY_ID = "AKIAMOCKIOTJOBS00000"
FAKE_SECRET_ACCESS_KEY = "mock_iotjobs_secret_access_key"
_ACCOUNT = re.compile(r"\d{12}")
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d")
# Taken out of the environment for the test: they would pick other credentials or accounts.
_HIDDEN = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ROLE_ARN")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mock_iotjobs", "mock_iotjobs (in-memory AWS IoT Jobs)")
    group.addoption(
        "--iot-jobs-region",
        dest="iot_jobs_region",
        default=None,
        metavar="REGION",
        help=f"region of the iot_jobs_backend fixture when no iot_jobs marker says (default {DEFAULT_REGION}).",
    )
    parser.addini("iot_jobs_region", f"default region of the iot_jobs_backend fixture ({DEFAULT_REGION})")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(region=None, account_id=None): the region and 12-digit account of the "
        "iot_jobs_backend fixture (and the iot_client / iot_jobs_data_client fixtures) for this test.",
    )
    config.addinivalue_line(
        "markers",
        f"{EVENTS_MARKER}(*event_types): start the iot_jobs_backend fixture with these event types "
        "(e.g. 'JOB', 'JOB_EXECUTION'; none given: all) enabled, so Jobs events are recorded.",
    )


class Settings(NamedTuple):
    region: str
    account_id: Optional[str]


def _from_marker(region: Optional[str] = None, account_id: Optional[str] = None) -> Tuple[Optional[str], Optional[str]]:
    return region, account_id


def settings_for(request: pytest.FixtureRequest) -> Settings:
    """Region and account for a test: its closest ``iot_jobs`` marker, then the
    command-line option, then the ini setting, then ``us-east-1``."""
    region: Optional[str] = None
    account_id: Optional[str] = None
    marker = request.node.get_closest_marker(MARKER)
    if marker is not None:
        try:
            region, account_id = _from_marker(*marker.args, **marker.kwargs)
        except TypeError as error:
            raise pytest.UsageError(f"@pytest.mark.{MARKER} takes region= and account_id=: {error}") from None
    config = request.config
    region = region or config.getoption("iot_jobs_region", default=None) or _ini(config) or DEFAULT_REGION
    if not _REGION.fullmatch(region):
        raise pytest.UsageError(f"{region!r} is not an AWS region name (e.g. eu-west-1)")
    if account_id is not None and not _ACCOUNT.fullmatch(str(account_id)):
        raise pytest.UsageError(f"account_id must be 12 digits, not {account_id!r}")
    return Settings(region, None if account_id is None else str(account_id))


def _ini(config: pytest.Config) -> Optional[str]:
    try:
        value = config.getini("iot_jobs_region")
    except ValueError:  # the plugin was registered after the ini options were read
        return None
    return str(value) if value else None


@pytest.fixture
def iot_jobs_backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator["MockIotJobs"]:
    """An active, empty AWS IoT Jobs mock for this test; yields its handle.

    boto3 clients for ``iot`` and ``iot-jobs-data`` made during the test
    (by the test or by the code under test) are answered in memory.  The
    handle moves time (``advance_time``), reads what was published
    (``notifications``, ``events``), gives read-only views (``jobs``,
    ``executions``, ``things``), seeds things (``create_fleet``) and injects
    faults (``fail_next``).  Everything is discarded after the test.
    Annotate it ``mock_iotjobs.MockIotJobs``.  Region and account: marker
    ``@pytest.mark.iot_jobs(region=..., account_id=...)``, ``--iot-jobs-region``.
    """
    from mock_iotjobs import mock_iotjobs

    settings = settings_for(request)
    for name in _HIDDEN:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", FAKE_ACCESS_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", FAKE_SECRET_ACCESS_KEY)
    if settings.account_id is not None:
        monkeypatch.setenv("MOCK_IOTJOBS_ACCOUNT_ID", settings.account_id)
    else:
        monkeypatch.delenv("MOCK_IOTJOBS_ACCOUNT_ID", raising=False)
    mock = mock_iotjobs(region=settings.region)
    handle = mock.start()
    try:
        events = request.node.get_closest_marker(EVENTS_MARKER)
        if events is not None:
            try:
                handle.enable_events(*events.args)
            except (TypeError, ValueError) as error:
                raise pytest.UsageError(f"@pytest.mark.{EVENTS_MARKER}: {error}") from None
        yield handle
    finally:
        mock.stop()


_SESSION: Any = None


def _client(service: str, handle: "MockIotJobs") -> Any:
    """A client of the plugin's own boto3 session.

    The session is shared by every test of the process (loading botocore's
    large ``iot`` model again for each test would cost about a second);
    explicit credentials keep anything it might cache out of play.
    """
    global _SESSION
    import boto3

    if _SESSION is None:
        _SESSION = boto3.session.Session()
    return _SESSION.client(
        service,
        region_name=handle.default_region,
        aws_access_key_id=FAKE_ACCESS_KEY_ID,
        aws_secret_access_key=FAKE_SECRET_ACCESS_KEY,
    )


@pytest.fixture
def iot_client(iot_jobs_backend: "MockIotJobs") -> "IotClient":
    """A boto3 ``iot`` client (control plane) bound to the test's mock and region.

    Annotate it ``mock_iotjobs.clients.IotClient``: mypy-boto3-iot's client type
    when those stubs are installed, ``Any`` otherwise.
    """
    return _client("iot", iot_jobs_backend)


@pytest.fixture
def iot_jobs_data_client(iot_jobs_backend: "MockIotJobs") -> "IotJobsDataClient":
    """A boto3 ``iot-jobs-data`` client (device plane) bound to the test's mock and region.

    Annotate it ``mock_iotjobs.clients.IotJobsDataClient``: mypy-boto3-iot-jobs-data's
    client type when those stubs are installed, ``Any`` otherwise.
    """
    return _client("iot-jobs-data", iot_jobs_backend)
