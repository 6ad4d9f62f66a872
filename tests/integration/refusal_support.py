"""Shared by the tests of refused calls (policies, role aliases, domain configurations,
topic rules, certificates, thing types, billing groups, commands): a refused call
answers the expected code and status and changes nothing."""

from __future__ import annotations

import json
from typing import Any, Callable, Dict

import pytest
from botocore.exceptions import ClientError

from mock_iotjobs import MockIotJobs

ACCOUNT = "123456789012"
REGION = "us-east-1"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/iot-role"
COGNITO_ID = "us-east-1:12345678-90ab-cdef-1234-567890abcdef"


def document(*statements: Dict[str, Any]) -> str:
    """A policy document; by default one statement allowing every IoT action."""
    body = list(statements) or [{"Effect": "Allow", "Action": "iot:*", "Resource": "*"}]
    return json.dumps({"Version": "2012-10-17", "Statement": body})


def error_response(call: Callable[..., Any], **params: Any) -> Dict[str, Any]:
    """The whole error response ``call(**params)`` answers (it must fail)."""
    with pytest.raises(ClientError) as excinfo:
        call(**params)
    return dict(excinfo.value.response)


def refused(mock: MockIotJobs, call: Callable[..., Any], code: str, status: int, /, **params: Any) -> str:
    """Call ``call(**params)``, expect ``code`` with HTTP ``status`` and an unchanged
    backend; returns the error message. (Positional-only, so ``params`` may hold any name.)"""
    before = mock.backend().snapshot()
    response = error_response(call, **params)
    assert response["Error"]["Code"] == code, response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == status, response
    assert mock.backend().snapshot() == before
    return str(response["Error"]["Message"])
