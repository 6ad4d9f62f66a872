"""``--state-dir`` round trips the whole store generically (issue 14).

The store is pickled whole, so every feature's state must survive a save and a
load: this builds state with the features that hold timers (rollouts,
schedules, maintenance windows, timeouts, retries), templates, groups, tags and
notifications, then compares the snapshot and the behaviour after a restart.
A store some helper adds to the Backend that cannot be pickled fails here.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from mock_iotjobs.handle import MockIotJobs
from mock_iotjobs.persistence import StateDir, dumps, loads


def _build(mock: MockIotJobs, iot: Any, jobs_data: Any) -> None:
    things = mock.create_fleet(30, group="fleet")
    group_arn = iot.describe_thing_group(thingGroupName="fleet")["thingGroupArn"]
    iot.create_thing_group(thingGroupName="child", parentGroupName="fleet", tags=[{"Key": "k", "Value": "v"}])
    iot.create_job_template(jobTemplateId="tpl", description="d", document='{"op": "t"}')
    iot.create_job(
        jobId="rolling",
        targets=[group_arn],
        document='{"op": "roll"}',
        targetSelection="CONTINUOUS",
        jobExecutionsRolloutConfig={"maximumPerMinute": 5},
        timeoutConfig={"inProgressTimeoutInMinutes": 10},
        jobExecutionsRetryConfig={"criteriaList": [{"failureType": "TIMED_OUT", "numberOfRetries": 2}]},
    )
    start = dt.datetime.fromtimestamp(mock.now() + 3600, tz=dt.timezone.utc).replace(second=0, microsecond=0)
    iot.create_job(
        jobId="scheduled",
        targets=[group_arn],
        document="{}",
        targetSelection="CONTINUOUS",  # maintenance windows need it
        schedulingConfig={
            "startTime": start.strftime("%Y-%m-%dT%H:%M"),
            "maintenanceWindows": [{"startTime": "cron(0 2 * * ? *)", "durationInMinutes": 60}],
        },
    )
    jobs_data.start_next_pending_job_execution(thingName=things[0], stepTimeoutInMinutes=5)
    mock.advance_time(minutes=2)


def test_a_saved_store_loads_equal_and_keeps_working(mock: MockIotJobs, iot: Any, jobs_data: Any) -> None:
    _build(mock, iot, jobs_data)
    backend = mock.backend()
    loaded = loads(dumps(mock._store))
    copy = loaded.get(backend.account_id, backend.region)
    assert copy.snapshot() == backend.snapshot()
    assert copy.scheduler.pending() == backend.scheduler.pending() > 0
    # The timers are live on the copy: they act on the copy's objects, not the original's.
    loaded.clock.advance(3 * 3600)
    copy.apply_due()
    mock.advance_time(hours=3)
    assert copy.snapshot()["jobs"] == backend.snapshot()["jobs"]
    assert copy.jobs.by_id["rolling"] is not backend.jobs.by_id["rolling"]


def test_saving_does_not_disturb_the_live_store(mock: MockIotJobs, iot: Any, jobs_data: Any, tmp_path: Path) -> None:
    _build(mock, iot, jobs_data)
    before = mock.backend().snapshot()
    state = StateDir(tmp_path)
    state.open()
    try:
        assert state.save(mock._store)
    finally:
        state.close()
    assert mock.backend().snapshot() == before
    iot.create_thing(thingName="after-save")  # the locks still work
    assert mock.backend().lock.acquire(blocking=False)
    mock.backend().lock.release()


def test_a_store_with_a_live_mqtt_listener_saves_without_it(mock: MockIotJobs, iot: Any) -> None:
    from mock_iotjobs.mqtt import mqtt_listener

    iot.create_thing(thingName="t1")
    with mqtt_listener(mock):
        loaded = loads(dumps(mock._store))  # the listener's hooks (sockets, loop) stay behind
    assert "get" not in vars(loaded)
    assert loaded.get(mock.default_account_id, mock.default_region).notifications.listeners == []
    assert "t1" in loaded.get(mock.default_account_id, mock.default_region).things.by_name


def test_a_connected_mqtt_client_is_saved_as_disconnected(mock: MockIotJobs, iot: Any) -> None:
    from test_mqtt_support import PahoDevice

    from mock_iotjobs.mqtt import mqtt_listener

    iot.create_thing(thingName="dev1")
    with mqtt_listener(mock) as listener:
        device = PahoDevice(listener.port, "dev1")
        try:
            loaded = loads(dumps(mock._store))  # the live connection's callables stay behind
        finally:
            device.close()
    record = loaded.get(mock.default_account_id, mock.default_region).connections.by_client["dev1"]
    assert not record.connected and record.send is None
    assert record.disconnect_reason == "SERVER_INITIATED_DISCONNECT"
