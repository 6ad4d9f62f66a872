"""Devices and operators acting at once, from threads: no lost update, versions
strictly increasing, counts always consistent, no deadlock (bounded run)."""

from __future__ import annotations

import json
import threading
from collections import Counter
from typing import Any, Dict, List

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from mock_iotjobs import mock_iotjobs

REGION = "us-east-1"
CONFIG = Config(retries={"max_attempts": 1, "mode": "standard"}, max_pool_connections=50)
DEVICES = 12
EXPECTED_REFUSALS = {"InvalidStateTransitionException", "InvalidRequestException",
                     "ResourceNotFoundException", "VersionConflictException", "TerminalStateException"}


def _counts_match(iot: Any, job_id: str) -> None:
    details = iot.describe_job(jobId=job_id)["job"]["jobProcessDetails"]
    statuses: Counter = Counter()
    for page in iot.get_paginator("list_job_executions_for_job").paginate(jobId=job_id):
        for summary in page["executionSummaries"]:
            statuses[summary["jobExecutionSummary"]["status"]] += 1
    names = {"QUEUED": "numberOfQueuedThings", "IN_PROGRESS": "numberOfInProgressThings",
             "SUCCEEDED": "numberOfSucceededThings", "FAILED": "numberOfFailedThings",
             "CANCELED": "numberOfCanceledThings", "REMOVED": "numberOfRemovedThings",
             "REJECTED": "numberOfRejectedThings", "TIMED_OUT": "numberOfTimedOutThings"}
    for status, member in names.items():
        assert details[member] == statuses[status], (status, details, statuses)


@pytest.mark.parametrize("fast_path", [True, False])
def test_devices_and_operators_at_once(fast_path: bool) -> None:
    with mock_iotjobs(fast_path=fast_path) as mock:
        iot = boto3.client("iot", region_name=REGION, config=CONFIG)
        arns = [iot.create_thing(thingName=f"dev{i}")["thingArn"] for i in range(DEVICES)]
        for job in ("a", "b"):
            iot.create_job(jobId=job, targets=arns, document=json.dumps({"job": job}))
        errors: List[BaseException] = []
        versions: Dict[str, List[int]] = {}
        lock = threading.Lock()
        barrier = threading.Barrier(DEVICES + 2)

        def device(index: int) -> None:
            client = boto3.client("iot-jobs-data", region_name=REGION, config=CONFIG)
            thing = f"dev{index}"
            barrier.wait()
            try:
                for _ in range(6):
                    started = client.start_next_pending_job_execution(thingName=thing).get("execution")
                    if not started:
                        break
                    job_id, version = started["jobId"], started["versionNumber"]
                    seen = versions.setdefault(f"{thing}/{job_id}", [])
                    try:
                        state = client.update_job_execution(
                            jobId=job_id, thingName=thing, status="IN_PROGRESS",
                            expectedVersion=version, includeJobExecutionState=True,
                            statusDetails={"step": "1"},
                        )["executionState"]
                        with lock:
                            seen.append(state["versionNumber"])
                        final = "FAILED" if index % 5 == 0 else "SUCCEEDED"
                        state = client.update_job_execution(
                            jobId=job_id, thingName=thing, status=final,
                            expectedVersion=state["versionNumber"], includeJobExecutionState=True,
                        )["executionState"]
                        with lock:
                            seen.append(state["versionNumber"])
                    except ClientError as error:
                        assert error.response["Error"]["Code"] in EXPECTED_REFUSALS, error.response
            except BaseException as error:  # surfaced to the main thread
                errors.append(error)

        def operator() -> None:
            client = boto3.client("iot", region_name=REGION, config=CONFIG)
            barrier.wait()
            try:
                for i in range(0, DEVICES, 3):
                    try:
                        client.cancel_job_execution(jobId="b", thingName=f"dev{i}", force=True)
                    except ClientError as error:
                        assert error.response["Error"]["Code"] in EXPECTED_REFUSALS, error.response
                    client.describe_job(jobId="a")
                try:
                    client.cancel_job(jobId="b", force=True)
                except ClientError as error:  # the devices may have finished it first
                    assert "COMPLETED" in error.response["Error"]["Message"], error.response
            except BaseException as error:
                errors.append(error)

        def auditor() -> None:
            # Two API calls can straddle an update, so audit the invariant atomically.
            backend = mock.backend()
            barrier.wait()
            try:
                for _ in range(200):
                    with backend.lock:
                        for job in backend.jobs.by_id.values():
                            actual = Counter(e.status for e in job.latest.values())
                            assert {k: v for k, v in job.counts.items() if v} == dict(actual)
            except BaseException as error:
                errors.append(error)

        threads = [threading.Thread(target=device, args=(i,)) for i in range(DEVICES)]
        threads += [threading.Thread(target=operator), threading.Thread(target=auditor)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not any(t.is_alive() for t in threads), "deadlock: a thread never finished"
        assert not errors, errors

        for observed in versions.values():
            assert observed == sorted(set(observed)), observed
        for job in ("a", "b"):
            _counts_match(iot, job)
        assert iot.describe_job(jobId="a")["job"]["status"] == "COMPLETED"
        assert iot.describe_job(jobId="b")["job"]["status"] in ("CANCELED", "COMPLETED")


def test_concurrent_optimistic_updates_lose_nothing() -> None:
    """Many threads race on one execution with expectedVersion: exactly one wins each version."""
    with mock_iotjobs():
        iot = boto3.client("iot", region_name=REGION, config=CONFIG)
        arn = iot.create_thing(thingName="solo")["thingArn"]
        iot.create_job(jobId="race", targets=[arn], document="{}")
        data = boto3.client("iot-jobs-data", region_name=REGION, config=CONFIG)
        data.start_next_pending_job_execution(thingName="solo")
        wins: List[int] = []
        lock = threading.Lock()

        def racer() -> None:
            client = boto3.client("iot-jobs-data", region_name=REGION, config=CONFIG)
            for _ in range(10):
                version = client.describe_job_execution(jobId="race", thingName="solo")["execution"]["versionNumber"]
                try:
                    client.update_job_execution(jobId="race", thingName="solo", status="IN_PROGRESS",
                                                expectedVersion=version)
                    with lock:
                        wins.append(version)
                except ClientError as error:
                    assert error.response["Error"]["Code"] == "InvalidRequestException"

        threads = [threading.Thread(target=racer) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not any(t.is_alive() for t in threads)
        final = data.describe_job_execution(jobId="race", thingName="solo")["execution"]["versionNumber"]
        assert len(wins) == len(set(wins))
        assert final == 2 + len(wins)
