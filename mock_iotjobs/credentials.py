"""Fake credentials and region, supplied only where the user has none.

botocore prefers environment variables over shared files, so we only set
them when neither the environment nor a shared credentials/config file (or a
named profile) provides anything; everything is restored on exit.
"""

from __future__ import annotations

import os
import sys
from typing import Dict, Optional

_FAKE = {
    "AWS_ACCESS_KEY_ID": "AKIAMOCKIOTJOBS00000",
    "AWS_SECRET_ACCESS_KEY": "mock_iotjobs_secret_access_key",
}
_REGION_VARS = ("AWS_DEFAULT_REGION", "AWS_REGION")


def _shared_file_has(path_var: str, default: str, needle: str) -> bool:
    path = os.path.expanduser(os.environ.get(path_var, default))
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return needle in handle.read()
    except OSError:
        return False


def _user_has_credentials() -> bool:
    if os.environ.get("AWS_ACCESS_KEY_ID") or os.environ.get("AWS_PROFILE"):
        return True
    return _shared_file_has(
        "AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials", "aws_access_key_id"
    ) or _shared_file_has("AWS_CONFIG_FILE", "~/.aws/config", "aws_access_key_id")


def _user_has_region() -> bool:
    if any(os.environ.get(name) for name in _REGION_VARS):
        return True
    return _shared_file_has("AWS_CONFIG_FILE", "~/.aws/config", "region")


class EnvironmentPatch:
    """Sets the variables a credential-less boto3 needs; ``restore`` undoes it."""

    def __init__(self, region: Optional[str] = None) -> None:
        self._region = region
        self._saved: Dict[str, Optional[str]] = {}

    def apply(self) -> None:
        wanted: Dict[str, str] = {}
        if not _user_has_credentials():
            wanted.update(_FAKE)
        if self._region:
            wanted["AWS_DEFAULT_REGION"] = self._region
            wanted["AWS_REGION"] = self._region
        elif not _user_has_region():
            wanted["AWS_DEFAULT_REGION"] = "us-east-1"
        # No instance-metadata lookups: they would try to reach the network.
        wanted.setdefault("AWS_EC2_METADATA_DISABLED", "true")
        for name, value in wanted.items():
            self._saved[name] = os.environ.get(name)
            os.environ[name] = value

    def restore(self) -> None:
        if "AWS_ACCESS_KEY_ID" in self._saved and "AWS_SECRET_ACCESS_KEY" in self._saved:
            _forget_boto3_default_session()
        for name, value in self._saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._saved.clear()


def _forget_boto3_default_session() -> None:
    """boto3's default session caches the credentials it resolved: forget them, so
    the fake ones we supplied cannot outlive the mock.  Only the credentials go;
    the session (and the service models it has loaded) stays, which keeps client
    creation cheap for the next test."""
    if "boto3" in sys.modules:
        import boto3

        session = boto3.DEFAULT_SESSION
        if session is not None:
            session._session._credentials = None
