"""Command executions through boto3 with the device's side in-process:
StartCommandExecution (iot-jobs-data), GetCommandExecution, ListCommandExecutions,
DeleteCommandExecution, the status rules, timeouts on the mock clock, events."""

from __future__ import annotations

import json
from typing import Any, Dict

import pytest
from commands_support import JSON_PAYLOAD, PARAMETERS
from refusal_support import error_response, refused

from mock_iotjobs import MockIotJobs
from mock_iotjobs.backend.commands.payloads import cbor_decode
from mock_iotjobs.commands_views import CommandRejection

REGION_ACCOUNT = "us-east-1:123456789012"
CLIENT_ARN = f"arn:aws:iot:{REGION_ACCOUNT}:client/app-7"
TEMPLATE = (
    '{"action": "${aws:iot:commandexecution::parameter:action}",'
    ' "seconds": "${aws:iot:commandexecution::parameter:seconds}",'
    ' "note": "open for ${aws:iot:commandexecution::parameter:seconds}s"}'
)


@pytest.fixture
def door(iot: Any) -> str:
    return str(iot.create_thing(thingName="door")["thingArn"])


@pytest.fixture
def unlock(iot: Any) -> str:
    return str(iot.create_command(commandId="unlock", payload=JSON_PAYLOAD)["commandArn"])


@pytest.fixture
def timed(iot: Any) -> str:
    return str(
        iot.create_command(
            commandId="timed",
            payloadTemplate=TEMPLATE,
            preprocessor={"awsJsonSubstitution": {"outputFormat": "JSON"}},
            mandatoryParameters=PARAMETERS,
        )["commandArn"]
    )


# --- start: the device receives the request ---------------------------------------------------
def test_a_command_end_to_end_in_process(iot: Any, jobs_data: Any, mock: MockIotJobs, door: str, unlock: str) -> None:
    execution_id = jobs_data.start_command_execution(targetArn=door, commandArn=unlock)["executionId"]
    [request] = mock.command_requests("door")
    assert request.topic == f"$aws/commands/things/door/executions/{execution_id}/request/json"
    assert request.payload == b'{"action":"unlock"}' and request.json() == {"action": "unlock"}
    assert request.content_type == "application/json" and request.timeout_seconds == 10
    got = iot.get_command_execution(executionId=execution_id, targetArn=door)
    assert got["status"] == "CREATED" and got["executionTimeoutSeconds"] == 10
    assert got["commandArn"] == unlock and got["targetArn"] == door

    mock.report_command_result(execution_id, "IN_PROGRESS")
    assert iot.get_command_execution(executionId=execution_id, targetArn=door)["status"] == "IN_PROGRESS"
    view = mock.report_command_result(execution_id, "SUCCEEDED", result={"locked": False, "note": "opened"})
    assert view.status == "SUCCEEDED" and view.completed_at == pytest.approx(mock.now(), abs=1)

    got = iot.get_command_execution(executionId=execution_id, targetArn=door)
    assert got["status"] == "SUCCEEDED"
    assert got["result"] == {"locked": {"B": False}, "note": {"S": "opened"}}
    assert "completedAt" in got and "statusReason" not in got
    without = iot.get_command_execution(executionId=execution_id, targetArn=door, includeResult=False)
    assert "result" not in without

    topics = [e.topic for e in mock.events() if e.topic.startswith("$aws/events/commandExecution/")]
    assert topics == [f"$aws/events/commandExecution/unlock/{s}" for s in ("CREATED", "IN_PROGRESS", "SUCCEEDED")]
    event = mock.events()[-1].payload
    assert event["executionId"] == execution_id and event["eventType"] == "COMMAND_EXECUTION"
    assert event["targetArn"] == door and event["commandArn"] == unlock


def test_a_client_target_needs_no_thing(jobs_data: Any, mock: MockIotJobs, unlock: str) -> None:
    execution_id = jobs_data.start_command_execution(targetArn=CLIENT_ARN, commandArn=unlock)["executionId"]
    [request] = mock.command_requests(client_id="app-7")
    assert request.topic == f"$aws/commands/clients/app-7/executions/{execution_id}/request/json"
    assert mock.command_requests("app-7") == []


def test_payload_format_picks_the_topic(iot: Any, jobs_data: Any, mock: MockIotJobs, door: str) -> None:
    text = iot.create_command(commandId="text", payload={"content": b"hello", "contentType": "text/plain"})
    raw = iot.create_command(commandId="raw", payload={"content": b"\x00\x01"})
    cbor = iot.create_command(commandId="cbor", payload={"content": b"\xa0", "contentType": "application/cbor"})
    for command in (text, raw, cbor):
        jobs_data.start_command_execution(targetArn=door, commandArn=command["commandArn"])
    requests = mock.command_requests("door")
    assert [r.topic.rsplit("/", 1)[-1] for r in requests] == ["request", "request", "cbor"]
    assert [r.content_type for r in requests] == ["text/plain", None, "application/cbor"]
    assert requests[1].payload == b"\x00\x01"


def test_a_dynamic_command_renders_its_template(jobs_data: Any, mock: MockIotJobs, door: str, timed: str) -> None:
    jobs_data.start_command_execution(targetArn=door, commandArn=timed, parameters={"seconds": {"I": 30}})
    [request] = mock.command_requests("door")
    assert request.json() == {"action": "unlock", "seconds": 30, "note": "open for 30s"}
    [execution] = mock.command_executions("timed")
    assert execution.parameters == {"action": {"S": "unlock"}, "seconds": {"I": 30}}


def test_cbor_output_format(iot: Any, jobs_data: Any, mock: MockIotJobs, door: str) -> None:
    arn = iot.create_command(
        commandId="cbor-out",
        payloadTemplate='{"on": "${aws:iot:commandexecution::parameter:on}"}',
        preprocessor={"awsJsonSubstitution": {"outputFormat": "CBOR"}},
        mandatoryParameters=[{"name": "on", "type": "BOOLEAN"}],
    )["commandArn"]
    jobs_data.start_command_execution(targetArn=door, commandArn=arn, parameters={"on": {"B": True}})
    [request] = mock.command_requests("door")
    assert request.topic.endswith("/request/cbor") and request.content_type == "application/cbor"
    assert cbor_decode(request.payload) == {"on": True}


@pytest.mark.parametrize(
    "parameters",
    [
        pytest.param({}, id="missing-mandatory"),
        pytest.param({"seconds": {"I": 90}}, id="condition-broken"),
        pytest.param({"seconds": {"S": "30"}}, id="wrong-type"),
        pytest.param({"seconds": {"I": 5}, "extra": {"S": "x"}}, id="unknown-name"),
        pytest.param({"seconds": {"I": 5, "L": 5}}, id="two-members"),
    ],
)
def test_parameters_are_checked(jobs_data: Any, mock: MockIotJobs, door: str, timed: str, parameters: Any) -> None:
    params: Dict[str, Any] = {"targetArn": door, "commandArn": timed}
    if parameters:
        params["parameters"] = parameters
    refused(mock, jobs_data.start_command_execution, "ValidationException", 400, **params)


@pytest.mark.parametrize("timeout", [0, 43201])
def test_execution_timeout_bounds(make_client: Any, mock: MockIotJobs, door: str, unlock: str, timeout: int) -> None:
    jobs_data = make_client("iot-jobs-data", validate=False)
    refused(
        mock, jobs_data.start_command_execution, "ValidationException", 400,
        targetArn=door, commandArn=unlock, executionTimeoutSeconds=timeout,
    )


def test_start_refusals(iot: Any, jobs_data: Any, mock: MockIotJobs, door: str, unlock: str) -> None:
    missing_command = unlock.replace("unlock", "nope")
    refused(mock, jobs_data.start_command_execution, "ResourceNotFoundException", 404, targetArn=door,
            commandArn=missing_command)
    ghost = door.replace("door", "ghost")
    refused(mock, jobs_data.start_command_execution, "ResourceNotFoundException", 404, targetArn=ghost,
            commandArn=unlock)
    other_region = door.replace("us-east-1", "eu-west-1")
    refused(mock, jobs_data.start_command_execution, "ValidationException", 400, targetArn=other_region,
            commandArn=unlock)
    job_arn = f"arn:aws:iot:{REGION_ACCOUNT}:job/j1"
    refused(mock, jobs_data.start_command_execution, "ValidationException", 400, targetArn=job_arn, commandArn=unlock)
    iot.update_command(commandId="unlock", deprecated=True)
    refused(mock, jobs_data.start_command_execution, "ConflictException", 409, targetArn=door, commandArn=unlock)


def test_client_token_idempotency(jobs_data: Any, mock: MockIotJobs, door: str, unlock: str) -> None:
    first = jobs_data.start_command_execution(targetArn=door, commandArn=unlock, clientToken="tok-1")["executionId"]
    again = jobs_data.start_command_execution(targetArn=door, commandArn=unlock, clientToken="tok-1")["executionId"]
    assert first == again and len(mock.command_executions()) == 1 and len(mock.command_requests("door")) == 1
    refused(
        mock, jobs_data.start_command_execution, "ConflictException", 409,
        targetArn=door, commandArn=unlock, clientToken="tok-1", executionTimeoutSeconds=60,
    )
    other = jobs_data.start_command_execution(targetArn=door, commandArn=unlock)["executionId"]
    assert other != first


def test_start_on_the_data_ats_endpoint(iot: Any, make_client: Any, mock: MockIotJobs, door: str, unlock: str) -> None:
    address = iot.describe_endpoint(endpointType="iot:Data-ATS")["endpointAddress"]
    device_plane = make_client("iot-jobs-data", endpoint_url=f"https://{address}")
    execution_id = device_plane.start_command_execution(targetArn=door, commandArn=unlock)["executionId"]
    assert mock.command_execution(execution_id).status == "CREATED"


# --- status rules ----------------------------------------------------------------------------
def _start(jobs_data: Any, door: str, unlock: str, **extra: Any) -> str:
    return str(jobs_data.start_command_execution(targetArn=door, commandArn=unlock, **extra)["executionId"])


def test_a_final_status_is_final(jobs_data: Any, mock: MockIotJobs, door: str, unlock: str) -> None:
    execution_id = _start(jobs_data, door, unlock)
    mock.report_command_result(execution_id, "FAILED", status_reason={"reasonCode": "JAMMED", "reasonDescription": "d"})
    with pytest.raises(CommandRejection) as caught:
        mock.report_command_result(execution_id, "SUCCEEDED")
    assert caught.value.code == "TerminalStateReached"
    assert "already completed with status FAILED" in caught.value.message
    view = mock.command_execution(execution_id)
    assert view.status == "FAILED" and view.status_reason == {"reasonCode": "JAMMED", "reasonDescription": "d"}


@pytest.mark.parametrize(
    "status, extra",
    [
        ("CREATED", {}),
        ("DONE", {}),
        ("FAILED", {"status_reason": "lower-case"}),
        ("SUCCEEDED", {"result": {"bad name!": "x"}}),
        ("SUCCEEDED", {"result": {"n": {"S": "x", "B": True}}}),
    ],
)
def test_invalid_reports_are_refused(
    jobs_data: Any, mock: MockIotJobs, door: str, unlock: str, status: str, extra: Dict[str, Any]
) -> None:
    execution_id = _start(jobs_data, door, unlock)
    before = mock.backend().snapshot()
    with pytest.raises(CommandRejection) as caught:
        mock.report_command_result(execution_id, status, **extra)
    assert caught.value.code == "InvalidRequest"
    assert mock.backend().snapshot() == before


def test_report_on_a_missing_execution(mock: MockIotJobs) -> None:
    with pytest.raises(CommandRejection) as caught:
        mock.report_command_result("nope", "SUCCEEDED")
    assert caught.value.code == "ResourceNotFound"


# --- timeouts on the mock clock ------------------------------------------------------------------
def test_the_service_times_out_a_silent_device(iot: Any, jobs_data: Any, mock: MockIotJobs, door: str,
                                               unlock: str) -> None:
    execution_id = _start(jobs_data, door, unlock, executionTimeoutSeconds=60)
    mock.report_command_result(execution_id, "IN_PROGRESS")
    mock.advance_time(seconds=59)
    assert mock.command_execution(execution_id).status == "IN_PROGRESS"
    mock.advance_time(seconds=1)
    got = iot.get_command_execution(executionId=execution_id, targetArn=door)
    assert got["status"] == "TIMED_OUT"
    assert got["statusReason"] == {"reasonCode": "$NO_RESPONSE_FROM_DEVICE"}
    assert got["completedAt"].timestamp() == pytest.approx(got["createdAt"].timestamp() + 60, abs=0.01)
    # The service's TIMED_OUT is not final: the device may still finish, but not go back to IN_PROGRESS.
    with pytest.raises(CommandRejection) as caught:
        mock.report_command_result(execution_id, "IN_PROGRESS")
    assert caught.value.code == "InvalidStateTransition"
    mock.report_command_result(execution_id, "SUCCEEDED")
    assert iot.get_command_execution(executionId=execution_id, targetArn=door)["status"] == "SUCCEEDED"


def test_default_timeout_is_ten_seconds(jobs_data: Any, mock: MockIotJobs, door: str, unlock: str) -> None:
    execution_id = _start(jobs_data, door, unlock)
    mock.advance_time(seconds=9)
    assert mock.command_execution(execution_id).status == "CREATED"
    mock.advance_time(seconds=1)
    assert mock.command_execution(execution_id).status == "TIMED_OUT"


def test_a_device_timed_out_is_final(jobs_data: Any, mock: MockIotJobs, door: str, unlock: str) -> None:
    execution_id = _start(jobs_data, door, unlock)
    mock.report_command_result(execution_id, "TIMED_OUT", status_reason="TOOK_TOO_LONG")
    with pytest.raises(CommandRejection) as caught:
        mock.report_command_result(execution_id, "SUCCEEDED")
    assert caught.value.code == "TerminalStateReached"
    mock.advance_time(seconds=30)
    assert mock.command_execution(execution_id).status_reason == {"reasonCode": "TOOK_TOO_LONG"}


def test_a_finished_execution_does_not_time_out(jobs_data: Any, mock: MockIotJobs, door: str, unlock: str) -> None:
    execution_id = _start(jobs_data, door, unlock)
    mock.report_command_result(execution_id, "SUCCEEDED")
    mock.advance_time(minutes=5)
    assert mock.command_execution(execution_id).status == "SUCCEEDED"


# --- get, list, delete ------------------------------------------------------------------------
def test_get_refusals(iot: Any, jobs_data: Any, mock: MockIotJobs, door: str, unlock: str) -> None:
    execution_id = _start(jobs_data, door, unlock)
    refused(mock, iot.get_command_execution, "ResourceNotFoundException", 404, executionId="nope", targetArn=door)
    refused(mock, iot.get_command_execution, "ResourceNotFoundException", 404, executionId=execution_id,
            targetArn=CLIENT_ARN)


def test_list_filters_sorts_and_pages(iot: Any, jobs_data: Any, mock: MockIotJobs, door: str, unlock: str,
                                      timed: str) -> None:
    ids = []
    for _ in range(3):
        ids.append(_start(jobs_data, door, unlock, executionTimeoutSeconds=3600))
        mock.advance_time(minutes=2)
    other = jobs_data.start_command_execution(targetArn=CLIENT_ARN, commandArn=timed,
                                              parameters={"seconds": {"I": 5}})["executionId"]
    mock.report_command_result(ids[0], "SUCCEEDED")
    listed = iot.list_command_executions()["commandExecutions"]
    assert [e["executionId"] for e in listed] == [other, ids[2], ids[1], ids[0]]
    ascending = iot.list_command_executions(sortOrder="ASCENDING")["commandExecutions"]
    assert [e["executionId"] for e in ascending] == [ids[0], ids[1], ids[2], other]
    assert set(listed[0]) == {"commandArn", "executionId", "targetArn", "status", "createdAt", "startedAt"}
    by_command = iot.list_command_executions(commandArn=timed)["commandExecutions"]
    assert [e["executionId"] for e in by_command] == [other]
    by_target = iot.list_command_executions(targetArn=door, sortOrder="ASCENDING")["commandExecutions"]
    assert [e["executionId"] for e in by_target] == ids
    succeeded = iot.list_command_executions(status="SUCCEEDED")["commandExecutions"]
    assert [e["executionId"] for e in succeeded] == [ids[0]]
    # Times are in minutes: the first execution started at least 6 minutes before the last.
    last = mock.command_execution(other).started_at
    import datetime as dt

    def minute(epoch: float) -> str:
        return dt.datetime.fromtimestamp(epoch, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M")

    early = iot.list_command_executions(startedTimeFilter={"before": minute(last - 240)})["commandExecutions"]
    assert ids[0] in [e["executionId"] for e in early] and other not in [e["executionId"] for e in early]
    done = iot.list_command_executions(completedTimeFilter={"after": minute(last - 60)})["commandExecutions"]
    assert [e["executionId"] for e in done] == [ids[0]]
    first = iot.list_command_executions(maxResults=3)
    rest = iot.list_command_executions(maxResults=3, nextToken=first["nextToken"])
    assert [e["executionId"] for e in first["commandExecutions"] + rest["commandExecutions"]] == [
        e["executionId"] for e in listed
    ]
    assert "nextToken" not in rest


def test_list_refusals(iot: Any, mock: MockIotJobs, door: str, unlock: str) -> None:
    refused(mock, iot.list_command_executions, "ValidationException", 400, commandArn=unlock, targetArn=door)
    refused(
        mock, iot.list_command_executions, "ValidationException", 400,
        startedTimeFilter={"after": "2024-01-01T00:00"}, completedTimeFilter={"after": "2024-01-01T00:00"},
    )
    refused(mock, iot.list_command_executions, "ValidationException", 400, startedTimeFilter={"after": "yesterday"})
    refused(mock, iot.list_command_executions, "ResourceNotFoundException", 404,
            commandArn=unlock.replace("unlock", "nope"))


def test_delete_execution_only_when_terminal(iot: Any, jobs_data: Any, mock: MockIotJobs, door: str,
                                             unlock: str) -> None:
    execution_id = _start(jobs_data, door, unlock)
    refused(mock, iot.delete_command_execution, "ConflictException", 409, executionId=execution_id, targetArn=door)
    mock.report_command_result(execution_id, "REJECTED", status_reason="BUSY")
    iot.delete_command_execution(executionId=execution_id, targetArn=door)
    assert mock.command_executions() == []
    assert error_response(iot.get_command_execution, executionId=execution_id, targetArn=door)["Error"]["Code"] == (
        "ResourceNotFoundException"
    )


def test_a_command_with_running_executions_cannot_be_deleted(iot: Any, jobs_data: Any, mock: MockIotJobs, door: str,
                                                             unlock: str) -> None:
    execution_id = _start(jobs_data, door, unlock, executionTimeoutSeconds=600)
    refused(mock, iot.delete_command, "ConflictException", 409, commandId="unlock")
    mock.report_command_result(execution_id, "SUCCEEDED")
    assert iot.delete_command(commandId="unlock")["statusCode"] == 202
    refused(mock, jobs_data.start_command_execution, "ConflictException", 409, targetArn=door, commandArn=unlock)


def test_snapshot_lists_executions(jobs_data: Any, mock: MockIotJobs, door: str, unlock: str) -> None:
    execution_id = _start(jobs_data, door, unlock)
    mock.report_command_result(execution_id, "SUCCEEDED", result={"blob": b"\x01"})
    state = mock.backend().snapshot()
    [execution] = state["commandExecutions"]
    assert execution["executionId"] == execution_id and execution["result"] == {"blob": {"BIN": "AQ=="}}
    json.dumps(state)
