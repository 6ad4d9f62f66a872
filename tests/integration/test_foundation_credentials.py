"""boto3 works inside the mock with no AWS configuration; the environment is restored."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Dict

import boto3
import pytest

from mock_iotjobs import mock_iotjobs


def aws_env() -> Dict[str, str]:
    return {k: v for k, v in os.environ.items() if k.startswith("AWS_")}


def test_no_configuration_at_all(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # conftest already removed every AWS_* credential and region variable.
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "missing-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "missing-config"))
    assert boto3.session.Session().get_credentials() is None
    before = aws_env()
    with mock_iotjobs():
        client = boto3.client("iot")  # no region, no keys
        assert client.meta.region_name == "us-east-1"
        assert client.create_thing(thingName="t")["thingName"] == "t"
        assert boto3.client("iot-jobs-data").get_pending_job_executions(thingName="t")["queuedJobs"] == []
    assert aws_env() == before
    assert "AWS_ACCESS_KEY_ID" not in os.environ and "AWS_DEFAULT_REGION" not in os.environ


def test_the_users_region_and_keys_are_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-southeast-2")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "777788889999")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "users-secret")
    before = aws_env()
    with mock_iotjobs():
        assert os.environ["AWS_ACCESS_KEY_ID"] == "777788889999"
        arn = boto3.client("iot").create_thing(thingName="t")["thingArn"]
        # The user's 12-digit key id selects the account; their region is used.
        assert arn == "arn:aws:iot:ap-southeast-2:777788889999:thing/t"
    assert aws_env() == before


def test_credentials_from_a_shared_file_are_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    credentials = tmp_path / "credentials"
    credentials.write_text("[default]\naws_access_key_id = 121212121212\naws_secret_access_key = s\n")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    before = aws_env()
    with mock_iotjobs():
        assert "AWS_ACCESS_KEY_ID" not in os.environ  # nothing was supplied over the file
        arn = boto3.client("iot").create_thing(thingName="t")["thingArn"]
        assert arn == "arn:aws:iot:us-east-1:121212121212:thing/t"
    assert aws_env() == before


def test_region_from_the_config_file_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config"
    config.write_text("[default]\nregion = sa-east-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    with mock_iotjobs():
        assert "AWS_DEFAULT_REGION" not in os.environ
        assert boto3.client("iot").meta.region_name == "sa-east-1"


def test_environment_is_restored_after_an_error() -> None:
    before = aws_env()
    with pytest.raises(ValueError):
        with mock_iotjobs(region="eu-north-1"):
            assert os.environ["AWS_DEFAULT_REGION"] == "eu-north-1"
            raise ValueError
    assert aws_env() == before


def test_nested_activations_restore_in_order() -> None:
    before = aws_env()
    with mock_iotjobs(region="eu-west-3"):
        with mock_iotjobs(region="us-west-2"):
            assert os.environ["AWS_DEFAULT_REGION"] == "us-west-2"
        assert os.environ["AWS_DEFAULT_REGION"] == "eu-west-3"
        assert boto3.client("iot").meta.region_name == "eu-west-3"
    assert aws_env() == before


def test_fake_credentials_do_not_outlive_the_mock(monkeypatch: pytest.MonkeyPatch) -> None:
    with mock_iotjobs():
        # The default session resolves (and caches) the mock's fake credentials.
        boto3.client("iot").list_things()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAUSERSOWNKEY00000")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "users-own-secret")
    credentials = boto3.client("iot", region_name="us-east-1")._request_signer._credentials
    assert credentials.access_key == "AKIAUSERSOWNKEY00000"
