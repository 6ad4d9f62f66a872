"""Shared set-up of the device-plane tests (issue 4): one boto3 client per service
for the whole run (creating clients is the slowest part of a test)."""

from __future__ import annotations

import functools
from typing import Any

import boto3
import pytest
from botocore.config import Config

REGION = "us-east-1"


@functools.lru_cache(maxsize=None)
def _client(service: str) -> Any:
    """One client per service for the whole run: creating clients is the slowest part of a test."""
    return boto3.client(
        service,
        region_name=REGION,
        aws_access_key_id="AKIDDEVICETESTS",
        aws_secret_access_key="x",
        config=Config(retries={"max_attempts": 1}),
    )


@pytest.fixture
def iot(mock: Any) -> Any:
    return _client("iot")


@pytest.fixture
def jobs_data(mock: Any) -> Any:
    return _client("iot-jobs-data")
