"""Commands in server mode: both planes over HTTP, and the admin state dump knows them."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import boto3
from botocore.config import Config

from mock_iotjobs.server import running_server

CONFIG = Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=20)


def _client(url: str, service: str) -> Any:
    return boto3.session.Session().client(
        service, endpoint_url=url, region_name="us-east-1", aws_access_key_id="AKIDMOCKIOTJOBS",
        aws_secret_access_key="mock-secret", config=CONFIG,
    )


def test_commands_over_http_and_in_the_state_dump() -> None:
    with running_server(port=0) as url:
        iot, data = _client(url, "iot"), _client(url, "iot-jobs-data")
        thing = iot.create_thing(thingName="door")["thingArn"]
        command = iot.create_command(commandId="unlock", payload={"content": b"\x01", "contentType": "x"})
        execution_id = data.start_command_execution(targetArn=thing, commandArn=command["commandArn"])["executionId"]
        assert iot.get_command_execution(executionId=execution_id, targetArn=thing)["status"] == "CREATED"
        with urllib.request.urlopen(f"{url}/_mock_iotjobs/state", timeout=10) as answer:
            state = json.loads(answer.read())
    [backend] = state["backends"]
    assert [c["commandId"] for c in backend["commands"]] == ["unlock"]
    assert backend["commands"][0]["payload"] == {"content": "AQ==", "contentType": "x"}
    assert [e["executionId"] for e in backend["commandExecutions"]] == [execution_id]

