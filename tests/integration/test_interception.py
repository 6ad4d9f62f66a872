"""Nothing leaves the process: IoT is served in memory, everything else is refused."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, List

import boto3
import pytest
import requests
from botocore.httpsession import URLLib3Session

from mock_iotjobs import mock_iotjobs
from mock_iotjobs.interception import NetworkAccessBlocked

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def no_sockets(monkeypatch: pytest.MonkeyPatch) -> List[Any]:
    """Any attempt to open a connection is recorded and fails."""
    attempts: List[Any] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        attempts.append(args)
        raise OSError("network access attempted in a test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    return attempts


def test_mock_works_with_the_network_gone(no_sockets: List[Any], make_client: Any) -> None:
    iot = make_client("iot")
    iot.create_thing(thingName="offline", attributePayload={"attributes": {"site": "lab"}})
    assert iot.describe_thing(thingName="offline")["attributes"] == {"site": "lab"}
    jobs_address = iot.describe_endpoint(endpointType="iot:Jobs")["endpointAddress"]
    device = make_client("iot-jobs-data", endpoint_url=f"https://{jobs_address}")
    assert device.get_pending_job_executions(thingName="offline")["queuedJobs"] == []
    assert make_client("iot-jobs-data").get_pending_job_executions(thingName="offline")["queuedJobs"] == []
    assert requests.get(f"https://{jobs_address}/things/offline/jobs", timeout=5).status_code == 200
    assert requests.get("https://iot.us-east-1.amazonaws.com/things/offline", timeout=5).status_code == 200
    assert no_sockets == []


def test_the_socket_guard_itself_works(no_sockets: List[Any]) -> None:
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", 9))
    assert len(no_sockets) == 1


def test_other_aws_services_are_refused_with_a_clear_error(no_sockets: List[Any], mock: Any) -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    with pytest.raises(NetworkAccessBlocked) as caught:
        s3.list_buckets()
    message = str(caught.value)
    assert "s3.amazonaws.com" in message and "mock_iotjobs" in message
    sts = boto3.client("sts", region_name="eu-west-1")
    with pytest.raises(NetworkAccessBlocked):
        sts.get_caller_identity()
    assert no_sockets == []


def test_other_urls_via_requests_are_refused(no_sockets: List[Any], mock: Any) -> None:
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get("https://example.com/", timeout=5)
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get("https://s3.amazonaws.com/", timeout=5)
    assert no_sockets == []


def test_iot_client_with_any_endpoint_url_is_served(make_client: Any) -> None:
    # e.g. an application configured with a custom or FIPS endpoint.
    iot = make_client("iot", endpoint_url="https://iot-fips.us-east-1.amazonaws.com")
    assert iot.create_thing(thingName="fips")["thingName"] == "fips"


def test_patches_exist_only_while_active() -> None:
    original_send = URLLib3Session.send
    original_adapter = requests.adapters.HTTPAdapter.send
    with mock_iotjobs():
        assert URLLib3Session.send is not original_send
        assert requests.adapters.HTTPAdapter.send is not original_adapter
        with mock_iotjobs():
            pass
        assert URLLib3Session.send is not original_send
    assert URLLib3Session.send is original_send
    assert requests.adapters.HTTPAdapter.send is original_adapter


def test_client_made_before_mock_iotjobs_was_even_imported(tmp_path: Path) -> None:
    # A client whose botocore session predates ``import mock_iotjobs`` misses the
    # before-send hook; the HTTP-session guard must still serve it, offline.
    script = textwrap.dedent(
        """
        import socket
        def refuse(*a, **k):
            raise OSError("network access attempted")
        socket.socket.connect = refuse
        socket.create_connection = refuse

        import boto3
        iot = boto3.client("iot", region_name="us-east-1",
                           aws_access_key_id="AKID", aws_secret_access_key="s")
        device = boto3.client("iot-jobs-data", region_name="us-east-1",
                              aws_access_key_id="AKID", aws_secret_access_key="s")

        from mock_iotjobs import mock_iotjobs
        with mock_iotjobs():
            iot.create_thing(thingName="early-bird")
            print(iot.describe_thing(thingName="early-bird")["thingName"])
            print(device.get_pending_job_executions(thingName="early-bird")["queuedJobs"])
        """
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["AWS_CONFIG_FILE"] = env["AWS_SHARED_CREDENTIALS_FILE"] = str(tmp_path / "none")
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["early-bird", "[]"]
