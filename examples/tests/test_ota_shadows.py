"""A device reports its firmware to its shadow after completing an OTA job, and the
backend's next rollout targets only the things whose shadow still reports the old
version — under @mock_iotjobs alone, and with moto's mock_aws active too."""

from __future__ import annotations

import contextlib
import json
from typing import Any, Iterator

import boto3
import pytest
from fleet_ota.shadow_targeting import (
    enable_shadow_index,
    report_firmware,
    roll_out_to_old_firmware,
    things_running,
)

from mock_iotjobs import mock_iotjobs

FLEET = ("cam-1", "cam-2", "cam-3")


def _scenario() -> None:
    iot = boto3.client("iot", region_name="us-east-1")
    jobs = boto3.client("iot-jobs-data", region_name="us-east-1")
    data = boto3.client("iot-data", region_name="us-east-1")
    enable_shadow_index(iot)
    for name in FLEET:
        iot.create_thing(thingName=name)
        report_firmware(data, name, "1.0")
    assert things_running(iot, "1.0") == list(FLEET)

    # First wave: cam-1 and cam-2 update; cam-3 is offline and never runs its job.
    assert roll_out_to_old_firmware(iot, "fw-2_0-a", old="1.0", new="2.0") == list(FLEET)
    for name in ("cam-1", "cam-2"):
        execution = jobs.start_next_pending_job_execution(thingName=name)["execution"]
        firmware = json.loads(execution["jobDocument"])["firmware"]
        jobs.update_job_execution(thingName=name, jobId=execution["jobId"], status="SUCCEEDED")
        assert report_firmware(data, name, firmware) == 2

    # The next rollout reaches only the device whose shadow still says 1.0.
    assert things_running(iot, "2.0") == ["cam-1", "cam-2"]
    assert roll_out_to_old_firmware(iot, "fw-2_0-b", old="1.0", new="2.0") == ["cam-3"]
    targets = iot.list_job_executions_for_job(jobId="fw-2_0-b")["executionSummaries"]
    assert [t["thingArn"].rsplit("/", 1)[1] for t in targets] == ["cam-3"]


def test_next_rollout_follows_the_shadows() -> None:
    with mock_iotjobs():
        _scenario()


@contextlib.contextmanager
def _moto() -> Iterator[Any]:
    moto = pytest.importorskip("moto")
    with moto.mock_aws():
        yield


def test_the_same_with_moto_active() -> None:
    with _moto(), mock_iotjobs():
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="firmware")
        _scenario()
